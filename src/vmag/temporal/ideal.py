"""Ideal band-pass: keep exactly the DFT bins of the band (Wu et al. 2012's sharpest filter)."""

from __future__ import annotations

import math

import numpy as np
import scipy.fft
import torch

from vmag.errors import VmagError, check_band
from vmag.temporal.base import Array, StreamingFilter, TemporalFilter, like, to_numpy

_NEEDS = "the DFT bin spacing fps / T must not exceed the band width"


class IdealBandpass(TemporalFilter):
    """Zero every DFT bin over time outside ``lo <= |f| <= hi`` Hz.

    The response is 1 on the band and 0 elsewhere (``lo = 0`` keeps DC), so a
    sinusoid inside the band, with a whole number of periods in the clip, passes with
    gain exactly 1. It needs the whole clip: ``causal`` is False and ``stream()``
    raises. ``min_frames = ceil(fps / (hi - lo))`` makes the bin spacing ``fps / T`` no
    wider than the band, so at least one bin falls inside it. Torch input is
    transformed with ``torch.fft`` on its own device.

    Parameters
    ----------
    band : (float, float)
        Pass band ``(lo, hi)`` in Hz, ``0 <= lo < hi < fps / 2``.
    fps : float
        Frame rate in Hz.

    Examples
    --------
    >>> import numpy as np
    >>> from vmag.temporal import IdealBandpass
    >>> t = np.arange(300) / 30.0
    >>> x = np.sin(2 * np.pi * 1.0 * t) + np.sin(2 * np.pi * 5.0 * t)
    >>> y = IdealBandpass((0.5, 2.0), fps=30).apply(x)
    >>> bool(np.allclose(y, np.sin(2 * np.pi * 1.0 * t)))
    True
    """

    causal = False
    delay = 0

    def __init__(self, band: tuple[float, float], fps: float) -> None:
        self.band = check_band(band, fps)
        self.fps = float(fps)
        lo, hi = self.band
        self.min_frames = math.ceil(self.fps / (hi - lo) - 1e-9)

    def __repr__(self) -> str:
        return f"IdealBandpass(band=({self.band[0]:g}, {self.band[1]:g}), fps={self.fps:g})"

    def _outside(self, n: int) -> np.ndarray:
        """Mask of the rfft bins of an ``n``-frame clip outside the band."""
        lo, hi = self.band
        k = np.arange(n // 2 + 1)
        # bin k is at k * fps / n Hz; compare in bins, with slack for rounding at the edges
        return (k < lo * n / self.fps - 1e-9) | (k > hi * n / self.fps + 1e-9)

    def apply(self, x: Array) -> Array:
        if isinstance(x, torch.Tensor):
            n = self._check_clip(x, _NEEDS)
            t = x.detach()
            spectrum = torch.fft.rfft(t if t.dtype == torch.float64 else t.float(), dim=0)
            spectrum[torch.from_numpy(self._outside(n)).to(spectrum.device)] = 0
            y = torch.fft.irfft(spectrum, n=n, dim=0)
            return y.to(x.dtype if x.is_floating_point() else torch.float32)
        xs = to_numpy(x)
        n = self._check_clip(xs, _NEEDS)
        spectrum = scipy.fft.rfft(xs, axis=0, workers=-1)
        spectrum[self._outside(n)] = 0
        return like(scipy.fft.irfft(spectrum, n=n, axis=0, workers=-1), x)

    def stream(self) -> StreamingFilter:
        raise VmagError(
            "filter=ideal cannot stream: the ideal filter needs the whole clip (an FFT over "
            "time); use butter or iir for streaming"
        )
