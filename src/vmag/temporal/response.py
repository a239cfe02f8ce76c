"""Measure a filter's gain by filtering sinusoids: what it does, not what it was designed to do."""

from __future__ import annotations

import math
import numbers

import numpy as np

from vmag.errors import VmagError, check_positive
from vmag.temporal.base import TemporalFilter


def frequency_response(
    filt: TemporalFilter, freqs: np.ndarray | list[float], fps: float, n_frames: int | None = None
) -> np.ndarray:
    """Gain of ``filt.apply`` at each frequency in ``freqs`` (Hz), measured.

    Each frequency ``f`` is fed as ``cos(2 pi f t / fps)`` (unit amplitude) through
    ``filt.apply``; the output's amplitude at ``f`` is fitted by least squares to
    ``a cos + b sin`` over the middle half of the clip, away from edge effects and
    start-up transients: gain ``= sqrt(a^2 + b^2)``. The default ``n_frames`` spans at
    least 40 periods of the lowest non-zero frequency (and 1024 frames). The ideal
    filter's measurement leaks unless ``f * n_frames / fps`` is a whole number.

    >>> import numpy as np
    >>> from vmag.temporal import ButterBandpass, frequency_response
    >>> filt = ButterBandpass((1.0, 2.0), fps=30)
    >>> np.round(frequency_response(filt, [0.1, filt.centre, 10.0], fps=30), 3)
    array([0.003, 1.   , 0.004])
    """
    fps = check_positive("fps", fps)
    f = np.atleast_1d(np.asarray(freqs, dtype=np.float64))
    if f.ndim != 1 or not np.all(np.isfinite(f)) or np.any(f < 0) or np.any(f > fps / 2):
        raise VmagError(f"freqs must be frequencies in [0, fps/2 = {fps / 2:g}] Hz, got {freqs!r}")
    if n_frames is None:
        lowest = f[f > 0].min() if np.any(f > 0) else fps
        n_frames = max(1024, filt.min_frames, math.ceil(40 * fps / lowest))
    elif isinstance(n_frames, bool) or not isinstance(n_frames, numbers.Integral):
        raise VmagError(f"n_frames must be an integer >= {filt.min_frames}, got {n_frames!r}")
    if n_frames < max(filt.min_frames, 8):
        raise VmagError(
            f"n_frames must be >= {max(filt.min_frames, 8)} for {filt!r}, got {n_frames}"
        )
    phase = 2 * np.pi * np.arange(n_frames)[:, None] * f[None, :] / fps  # [T, F]
    y = np.asarray(filt.apply(np.cos(phase)), dtype=np.float64)
    middle = slice(n_frames // 4, n_frames - n_frames // 4)
    gains = np.empty(len(f))
    for j in range(len(f)):
        basis = np.stack([np.cos(phase[middle, j]), np.sin(phase[middle, j])], axis=1)
        coef = np.linalg.lstsq(basis, y[middle, j], rcond=1e-9)[0]  # sin = 0 at DC, Nyquist
        gains[j] = math.hypot(*coef)
    return gains
