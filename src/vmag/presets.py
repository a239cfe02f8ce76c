"""Named starting points that read the clip: a preset picks the method, the band and α.

Each preset searches the temporal spectrum of the clip (or of its region) for the
strongest peak within the range its signal lives in, ignoring the drift bins at the
bottom of the spectrum, and centres its band there. It says what it chose and why;
options given explicitly win, and are named as such.

- ``pulse``: colour change of skin at heart rate, 42-180 bpm (0.7-3 Hz), as the EVM
  paper's face: the ``color`` method on Gaussian level 4, chromatic attenuation 1, an
  ideal band ±8 % around the peak (0.83-0.97 Hz for face.mp4's 0.9 Hz pulse; the
  published setting is 0.83-1.0) and α 25, the published code's effective gain (its one-sided ideal
  filter halves the stated 50). Only the skin is magnified, unless a region is given.
- ``breathing``: chest motion at 9-60 breaths/min (0.15-1 Hz): ``linear``, α 10,
  λc 16, chromatic attenuation 0.1 (the published baby setting), band ±40 %.
- ``vibration``: the most prominent vibration above the drift (at least 3 spectral
  bins): the peak highest above the spectrum's local median (motion spectra fall with
  frequency, so the highest peak is nearly always at the bottom), ``phase``, α 20,
  band ±15 %. On guitar.mp4 at 600 fps it finds the A and E strings (108.5 and 80.8 Hz,
  the published bands are 100-120 and 72-92 Hz); the runners-up are printed too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vmag.errors import VmagError


@dataclass(frozen=True)
class Preset:
    """Where a signal lives and how to magnify it: the method with its options, α, the
    range to search for the signal's peak (Hz; ``None``: up to Nyquist), the band's
    relative half-width around the peak, and the region magnified by default."""

    method: str
    alpha: float
    search: tuple[float, float | None]
    width: float
    note: str
    options: dict[str, Any] = field(default_factory=dict)
    mask: str | None = None
    #: how peaks are ranked: by ``height``, or by ``prominence`` over the local median
    rank: str = "height"


PRESETS: dict[str, Preset] = {
    "pulse": Preset(
        "color",
        25.0,
        (0.7, 3.0),
        0.08,
        "skin colour at heart rate, 42-180 bpm (Wu et al. 2012, face)",
        {"levels": 4, "chrom_atten": 1.0, "filter": "ideal"},
        mask="skin",
    ),
    "breathing": Preset(
        "linear",
        10.0,
        (0.15, 1.0),
        0.40,
        "chest motion at 9-60 breaths/min (Wu et al. 2012, baby)",
        {"lambda_c": 16.0, "chrom_atten": 0.1},
    ),
    "vibration": Preset(
        "phase",
        20.0,
        (0.0, None),
        0.15,
        "the most prominent vibration above the drift, ±15 %",
        rank="prominence",
    ),
}

PRESET_NAMES = tuple(PRESETS)

#: Spectral bins at the bottom of the spectrum taken for drift, never for a signal.
DRIFT_BINS = 3


def band_around(freq: float, fps: float, width: float = 0.15) -> tuple[float, float]:
    """A band freq·(1 ± width), kept below Nyquist."""
    hi = min(freq * (1 + width), 0.49 * fps)
    return freq * (1 - width), hi


def search_range(preset: Preset, fps: float, frames: int) -> tuple[float, float]:
    """The range (Hz) a preset's peak is searched in on a clip of ``frames`` frames:
    its own, above the drift bins and below Nyquist."""
    lo, hi = preset.search
    floor = DRIFT_BINS * fps / frames
    top = 0.49 * fps if hi is None else min(hi, 0.49 * fps)
    lo = max(lo, floor)
    if lo >= top:
        raise VmagError(
            f"the clip is too short ({frames} frames at {fps:g} fps) to find a signal in "
            f"{preset.search[0]:g}-{top:g} Hz above its drift; give --band"
        )
    return lo, top


def ranked_peaks(
    freqs: np.ndarray, power: np.ndarray, rank: str, resolution: float, n: int = 3
) -> list[float]:
    """The ``n`` best local maxima of ``power`` (Hz), at least ``resolution`` apart:
    highest first, or (``prominence``) highest over the median of the spectrum around
    them (±20 samples)."""
    from scipy.ndimage import median_filter
    from scipy.signal import find_peaks

    score = power
    if rank == "prominence":
        score = power / (median_filter(power, size=41, mode="nearest") + 1e-30)
    found, _ = find_peaks(np.concatenate([[-np.inf], score, [-np.inf]]))
    picks: list[float] = []
    for i in sorted(found - 1, key=lambda i: -score[i]):
        if all(abs(freqs[i] - f) > resolution for f in picks):
            picks.append(float(freqs[i]))
        if len(picks) == n:
            break
    return picks


def choose_band(
    preset: Preset, freqs: np.ndarray, power: np.ndarray, fps: float, frames: int
) -> tuple[tuple[float, float], list[float], tuple[float, float]]:
    """The band a preset centres on the best peak of the spectrum ``(freqs, power)``
    within :func:`search_range` (ranked by the preset's ``rank``); returns (band, the
    best peaks in Hz, best first, range searched)."""
    lo, hi = search_range(preset, fps, frames)
    inside = (freqs >= lo) & (freqs <= hi)  # the spectrum may be finer than 1 / frames
    peaks = ranked_peaks(freqs[inside], power[inside], preset.rank, fps / frames)
    if not peaks:
        raise VmagError(f"found no spectral peak in {lo:g}-{hi:g} Hz; give --band")
    return band_around(peaks[0], fps, preset.width), peaks, (lo, hi)
