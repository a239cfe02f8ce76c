"""Temporal power spectrum of a clip or region, so a user can pick a pass band.

Each pixel of the (block-averaged) luminance is a time series; we remove its linear
trend, window it (Hann) and average the periodograms over pixels. Averaging power,
not intensity, keeps motion signals: a moving edge brightens some pixels as it
darkens others, which a plain mean over the region would cancel.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import signal

from vmag.errors import VmagError
from vmag.viz._figure import pyplot, save_figure

Roi = tuple[int, int, int, int]  # x, y, width, height


@dataclass(frozen=True)
class Peak:
    """A spectral peak: frequency (Hz) and power relative to the median power (dB)."""

    freq: float
    db: float


def _block_mean(img: np.ndarray, max_side: int) -> np.ndarray:
    f = max(1, int(np.ceil(max(img.shape) / max_side)))
    h, w = (img.shape[0] // f) * f, (img.shape[1] // f) * f
    if h == 0 or w == 0:
        return img.reshape(1, 1)
    return img[:h, :w].reshape(h // f, f, w // f, f).mean(axis=(1, 3))


def temporal_spectrum(
    frames: Iterable[np.ndarray],
    fps: float,
    roi: Roi | None = None,
    max_side: int = 64,
    pad: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """(freqs in Hz, mean power per frequency) of the clip's luminance, DC excluded.
    ``pad`` > 1 zero-pads the series to ``pad`` times their length: the same spectrum
    sampled ``pad`` times more finely, so a peak between two bins is placed where it is.

    >>> t = np.arange(120) / 30
    >>> clip = 0.5 + 0.1 * np.sin(2 * np.pi * 2.0 * t)[:, None, None, None] * np.ones((1, 8, 8, 3))
    >>> f, p = temporal_spectrum(clip, fps=30)
    >>> float(f[np.argmax(p)])
    2.0
    """
    series = []
    for frame in frames:
        frame = np.asarray(frame, dtype=np.float32)
        if roi is not None:
            x, y, w, h = roi
            fh, fw = frame.shape[:2]
            if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > fw or y + h > fh:
                raise VmagError(
                    f"roi {x} {y} {w} {h} (X Y W H) must lie inside the {fw}x{fh} frame"
                )
            frame = frame[y : y + h, x : x + w]
        luma = frame @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        series.append(_block_mean(luma, max_side).ravel())
    if len(series) < 8:
        raise VmagError(f"a spectrum needs at least 8 frames, the clip has {len(series)}")
    x = signal.detrend(np.stack(series), axis=0, type="linear")
    nfft = len(x) * max(1, int(pad))
    freqs, power = signal.periodogram(
        x, fs=fps, window="hann", axis=0, scaling="spectrum", nfft=nfft
    )
    return freqs[1:], power[1:].mean(axis=1)


def strongest_peaks(
    freqs: np.ndarray, power: np.ndarray, n: int = 5, min_freq: float = 0.0
) -> list[Peak]:
    """The ``n`` highest local maxima above ``min_freq`` Hz, strongest first.

    Ranked by height, not prominence: deep notches between harmonics would otherwise
    make a weak harmonic look more prominent than the fundamental.
    """
    keep = freqs >= min_freq
    freqs, power = freqs[keep], power[keep]
    if len(power) < 3:
        return []
    db = 10 * np.log10(np.maximum(power, 1e-30) / max(np.median(power), 1e-30))
    idx, _ = signal.find_peaks(db)
    order = np.argsort(db[idx])[::-1][:n]
    return [Peak(float(freqs[idx[i]]), float(db[idx[i]])) for i in order]


def plot_spectrum(
    freqs: np.ndarray,
    power: np.ndarray,
    peaks: Sequence[Peak],
    out: str | Path,
    title: str = "",
) -> Path:
    """Save the spectrum (dB re. median, against Hz) with its peaks marked; returns the path."""
    plt = pyplot()
    db = 10 * np.log10(np.maximum(power, 1e-30) / max(np.median(power), 1e-30))
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.plot(freqs, db, lw=1)
    for p in peaks:
        ax.annotate(
            f"{p.freq:.2f} Hz",
            (p.freq, p.db),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=8,
            color="C3",
        )
        ax.plot([p.freq], [p.db], "v", color="C3", ms=5)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("power (dB re. median)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    return save_figure(fig, out)
