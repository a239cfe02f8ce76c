"""Butterworth band-pass: maximally flat pass band, zero-phase offline, causal when streaming."""

from __future__ import annotations

import math
import numbers

import numpy as np
from scipy.signal import butter

from vmag.errors import VmagError, check_band
from vmag.temporal.base import Array, StreamingFilter, TemporalFilter
from vmag.temporal.recursive import (
    IncrementStream,
    RecursiveStream,
    integrating_sos,
    zero_phase,
)

#: Highest Butterworth order accepted (higher orders only ring more over short clips).
MAX_ORDER = 10


def check_order(order: int) -> int:
    """A Butterworth order: an integer from 1 to :data:`MAX_ORDER`."""
    if isinstance(order, bool) or not isinstance(order, numbers.Integral):
        raise VmagError(f"order must be an integer in 1..{MAX_ORDER}, got {order!r}")
    if not 1 <= order <= MAX_ORDER:
        raise VmagError(f"order must be an integer in 1..{MAX_ORDER}, got {order}")
    return int(order)


class ButterBandpass(TemporalFilter):
    """Butterworth band-pass of ``order`` over time, as second-order sections.

    ``apply`` runs it forward and backward (``sosfiltfilt``): zero phase, magnitude
    ``|H(f)|^2``, gain exactly 1 at the band's centre :attr:`centre`. ``stream()``
    runs it forward only (``sosfilt``, delay 0, magnitude ``|H(f)|``, gain 1 at the
    centre too). ``lo = 0`` designs a low-pass at ``hi`` instead (gain 1 at DC).
    ``min_frames`` is one more than ``sosfiltfilt``'s default edge padding.

    Torch input streams in torch (see :class:`~vmag.temporal.recursive.RecursiveStream`)
    and, where float32 holds scipy's float64 to about 1e-5
    (:func:`~vmag.temporal.recursive.filtfilt_float32_ok`: order 1, poles not too near
    z = 1) or the input is float64, ``apply`` runs the same zero-phase filtering in
    torch too, on the tensor's device; otherwise scipy's float64 ``sosfiltfilt``.

    Parameters
    ----------
    band : (float, float)
        Pass band ``(lo, hi)`` in Hz, ``0 <= lo < hi < fps / 2``.
    fps : float
        Frame rate in Hz.
    order : int
        Butterworth order (1..10); a band-pass of order n has 2n poles.

    Examples
    --------
    >>> import numpy as np
    >>> from vmag.temporal import ButterBandpass
    >>> filt = ButterBandpass((0.5, 2.0), fps=30)
    >>> t = np.arange(600) / 30.0
    >>> x = np.sin(2 * np.pi * filt.centre * t)
    >>> y = filt.apply(x)
    >>> bool(np.allclose(y[150:450], x[150:450], atol=1e-3))
    True
    """

    causal = True
    delay = 0

    def __init__(self, band: tuple[float, float], fps: float, order: int = 1) -> None:
        self.band = check_band(band, fps)
        self.fps = float(fps)
        self.order = check_order(order)
        lo, hi = self.band
        if lo == 0:
            self.sos = butter(self.order, hi, "lowpass", fs=self.fps, output="sos")
        else:
            self.sos = butter(self.order, [lo, hi], "bandpass", fs=self.fps, output="sos")
        # sosfiltfilt's default padlen is 3 * ntaps; it needs more frames than that
        ntaps = 2 * len(self.sos) + 1
        ntaps -= min(int((self.sos[:, 2] == 0).sum()), int((self.sos[:, 5] == 0).sum()))
        self.padlen = 3 * ntaps
        self.min_frames = self.padlen + 1

    def __repr__(self) -> str:
        lo, hi = self.band
        return f"ButterBandpass(band=({lo:g}, {hi:g}), fps={self.fps:g}, order={self.order})"

    @property
    def centre(self) -> float:
        """Frequency (Hz) of unit gain: the geometric centre of the pre-warped band.

        The bilinear transform maps the analog centre ``sqrt(w_lo * w_hi)``, with
        ``w = tan(pi f / fps)``, back to ``fps / pi * arctan(sqrt(w_lo * w_hi))``;
        0 for a low-pass.
        """
        lo, hi = self.band
        w = math.sqrt(math.tan(math.pi * lo / self.fps) * math.tan(math.pi * hi / self.fps))
        return self.fps / math.pi * math.atan(w)

    def apply(self, x: Array) -> Array:
        self._check_clip(x, f"sosfiltfilt pads {self.padlen} frames at each end")
        return zero_phase(self.sos, x, self.padlen)

    def zero_phase_sections(self) -> tuple[np.ndarray, int]:
        return self.sos, self.padlen

    def stream(self) -> RecursiveStream:
        return RecursiveStream(self.sos)

    def increment_stream(self) -> StreamingFilter:
        sos = integrating_sos(self.sos)
        return super().increment_stream() if sos is None else IncrementStream(sos)
