"""Difference of two first-order low-passes: Wu et al. 2012's cheap real-time band-pass."""

from __future__ import annotations

import math
import numbers

import numpy as np

from vmag.errors import VmagError, check_band
from vmag.temporal.base import Array, StreamingFilter, TemporalFilter
from vmag.temporal.recursive import IncrementStream, RecursiveStream, integrating_sos


class IIRDifference(TemporalFilter):
    """``y = lowpass_r1(x) - lowpass_r2(x)`` with ``lowpass_r: l <- l + r (x - l)``.

    Each low-pass is ``r / (1 - (1 - r) z^-1)``; with ``r1 > r2`` their difference
    passes the frequencies between the two cut-offs and rejects DC. As one filter,

        H(z) = (r1 - r2) (1 - z^-1) / ((1 - (1 - r1) z^-1) (1 - (1 - r2) z^-1)),

    run as one second-order section :attr:`sos`. It is causal, as in the published
    method: ``apply`` runs the same forward recursion over the clip as ``stream()``
    does, from the steady state of ``x[0]``, so both give identical outputs and a still
    scene gives 0 from frame 0 (up to rounding).

    Parameters
    ----------
    r1, r2 : float
        Low-pass rates with ``0 < r2 < r1 <= 1``; :meth:`from_band` derives them
        from cut-off frequencies.

    Examples
    --------
    >>> import numpy as np
    >>> from vmag.temporal import IIRDifference
    >>> filt = IIRDifference.from_band((0.5, 2.0), fps=30)
    >>> still = filt.apply(np.full((50, 4), 0.7))  # a still scene: no start-up spike
    >>> bool(np.abs(still).max() < 1e-12)
    True
    """

    causal = True
    offline_is_causal = True
    delay = 0
    min_frames = 1

    def __init__(self, r1: float, r2: float) -> None:
        ok = all(
            isinstance(r, numbers.Real) and not isinstance(r, bool) and math.isfinite(r)
            for r in (r1, r2)
        )
        if not (ok and 0 < r2 < r1 <= 1):
            raise VmagError(
                f"r1 and r2 must satisfy 0 < r2 < r1 <= 1 (r1 is the faster low-pass), "
                f"got r1={r1!r}, r2={r2!r}"
            )
        self.r1, self.r2 = float(r1), float(r2)
        self.b = (self.r1 - self.r2) * np.array([1.0, -1.0])
        self.a = np.array([1.0, -(2.0 - self.r1 - self.r2), (1.0 - self.r1) * (1.0 - self.r2)])
        self.sos = np.concatenate([self.b, [0.0], self.a])[None]  # one second-order section

    @classmethod
    def from_band(cls, band: tuple[float, float], fps: float) -> IIRDifference:
        """The filter whose low-passes have cut-offs ``hi`` (r1) and ``lo`` (r2) Hz.

        A cut-off ``f`` gives ``r = 1 - exp(-2 pi f / fps)``, the rate of the sampled
        continuous low-pass with time constant ``1 / (2 pi f)``. Needs ``lo > 0``.
        """
        lo, hi = check_band(band, fps)
        if lo == 0:
            raise VmagError(
                "band LO must be > 0 Hz for the iir filter (its slow low-pass sits at LO); "
                f"got LO={lo:g} HI={hi:g} Hz"
            )
        return cls(1 - math.exp(-2 * math.pi * hi / fps), 1 - math.exp(-2 * math.pi * lo / fps))

    def __repr__(self) -> str:
        return f"IIRDifference(r1={self.r1:.6g}, r2={self.r2:.6g})"

    def apply(self, x: Array) -> Array:
        self._check_clip(x, "the recursion starts from the first frame")
        return self.stream().step(x)

    def stream(self) -> RecursiveStream:
        return RecursiveStream(self.sos)

    def increment_stream(self) -> StreamingFilter:
        sos = integrating_sos(self.sos)
        return super().increment_stream() if sos is None else IncrementStream(sos)
