"""A point's or a region's value over time, input against magnified, with its spectrum:
how a pulse or a vibration shows as a signal (the way the papers' figures show it).

The value is the mean over the region (a point is a 1 px region) of one channel:
luminance ``y`` or a colour ``r``, ``g``, ``b`` (a pulse shows best in green).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from scipy import signal

from vmag.errors import VmagError
from vmag.viz._figure import pyplot, save_figure
from vmag.viz.spectrum import Peak, Roi, strongest_peaks

#: The channels a trace can follow, and their weights of R, G, B.
CHANNELS: dict[str, tuple[float, float, float]] = {
    "y": (0.299, 0.587, 0.114),
    "r": (1.0, 0.0, 0.0),
    "g": (0.0, 1.0, 0.0),
    "b": (0.0, 0.0, 1.0),
}


def check_roi(roi: Roi, width: int, height: int) -> Roi:
    """``roi`` (x, y, w, h) if it lies inside a ``width`` x ``height`` frame."""
    x, y, w, h = roi
    if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > width or y + h > height:
        raise VmagError(
            f"region {x} {y} {w} {h} (X Y W H) must lie inside the {width}x{height} frame"
        )
    return roi


def region_trace(frames: Iterable[np.ndarray], roi: Roi, channel: str = "y") -> np.ndarray:
    """The mean of ``channel`` over ``roi`` in each frame: a (T,) float64 series.

    >>> clip = np.zeros((3, 4, 4, 3), np.float32); clip[:, 1:3, 1:3, 1] = [[[0.5]], [[1]], [[0]]]
    >>> region_trace(clip, (1, 1, 2, 2), "g").tolist()
    [0.5, 1.0, 0.0]
    """
    if channel not in CHANNELS:
        raise VmagError(f"channel must be one of {', '.join(CHANNELS)}; got {channel!r}")
    weights = np.array(CHANNELS[channel], np.float64)
    x, y, w, h = roi
    out = [float(np.asarray(f[y : y + h, x : x + w], np.float64).mean(axis=(0, 1)) @ weights)
           for f in frames]  # fmt: skip
    if not out:
        raise VmagError("the clip has no frames")
    return np.array(out)


def trace_spectrum(series: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """(freqs in Hz, power) of a detrended, Hann-windowed series, DC left out."""
    if len(series) < 8:
        raise VmagError(f"a trace's spectrum needs at least 8 frames, got {len(series)}")
    freqs, power = signal.periodogram(
        signal.detrend(series), fs=fps, window="hann", scaling="spectrum"
    )
    return freqs[1:], power[1:]


def plot_traces(
    traces: Sequence[np.ndarray],
    labels: Sequence[str],
    fps: float,
    out: str | Path,
    *,
    peaks: Sequence[Sequence[Peak]] = (),
    title: str = "",
) -> Path:
    """The traces over time (each less its mean, so input and magnified overlay) above
    their power spectra (dB), strongest peaks marked; returns the PNG path."""
    plt = pyplot()
    fig, (ax_t, ax_f) = plt.subplots(2, 1, figsize=(9, 6))
    for k, (series, label) in enumerate(zip(traces, labels, strict=True)):
        t = np.arange(len(series)) / fps
        (line,) = ax_t.plot(t, series - series.mean(), lw=1, label=label)
        freqs, power = trace_spectrum(series, fps)
        ax_f.plot(freqs, 10 * np.log10(power + 1e-20), lw=1, color=line.get_color(), label=label)
        for p in peaks[k] if k < len(peaks) else ():
            ax_f.axvline(p.freq, color=line.get_color(), ls=":", lw=0.8)
            ax_f.annotate(f"{p.freq:.2f} Hz", (p.freq, ax_f.get_ylim()[1]), fontsize=7,
                          color=line.get_color(), va="top", rotation=90)  # fmt: skip
    ax_t.set(xlabel="time (s)", ylabel="value − mean", title=title)
    ax_f.set(xlabel="frequency (Hz)", ylabel="power (dB)")
    for ax in (ax_t, ax_f):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return save_figure(fig, out)


def trace_peaks(series: np.ndarray, fps: float, n: int = 3, min_freq: float = 0.1) -> list[Peak]:
    """The ``n`` strongest spectral peaks of a trace above ``min_freq`` Hz."""
    freqs, power = trace_spectrum(series, fps)
    return strongest_peaks(freqs, power, n=n, min_freq=min_freq)
