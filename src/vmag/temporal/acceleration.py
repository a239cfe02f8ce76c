"""Temporal Laplacian-of-Gaussian: the second-derivative filter of acceleration magnification.

Zhang, Pintea and van Gemert, "Video Acceleration Magnification", CVPR 2017: large
motions are linear on the time scale of the small changes, so a filter that takes
the second temporal derivative (at the scale of the change) ignores them and keeps
the acceleration of the small ones.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import toeplitz

from vmag.errors import VmagError, check_positive
from vmag.temporal.base import Array, StreamingFilter, TemporalFilter, like, to_numpy

#: Outputs computed per matrix product: the banded product wastes 2K / (BLOCK + 2K) of
#: its work on zeros, while larger blocks make BLAS faster; 32 is near the optimum.
BLOCK = 32


def log_kernel(freq: float, fps: float) -> tuple[np.ndarray, float]:
    """The normalised temporal LoG kernel ``[2K + 1]`` for ``freq`` Hz, and its sigma in frames.

    ``g''(t) ∝ (t^2 / sigma^2 - 1) exp(-t^2 / (2 sigma^2))`` sampled on ``|t| <= K =
    ceil(4 sigma)``, minus a multiple of the Gaussian so that the sampled kernel sums to
    exactly 0 (sampling and truncation leave a small DC gain), then scaled so that its
    gain at ``freq`` is exactly +1. The kernel is symmetric, so its response is real
    (zero phase) and a linear ramp ``a + b t`` gives ``a * sum(k) + b * sum(k t) = 0``.
    """
    sigma = fps / (4 * math.sqrt(2) * freq)
    half = math.ceil(4 * sigma)
    t = np.arange(-half, half + 1, dtype=np.float64)
    gauss = np.exp(-(t**2) / (2 * sigma**2))
    kernel = (t**2 / sigma**2 - 1) * gauss
    kernel -= gauss * (kernel.sum() / gauss.sum())
    kernel /= np.sum(kernel * np.cos(2 * np.pi * freq / fps * t))
    return kernel, sigma


class AccelerationFilter(TemporalFilter):
    """Temporal Laplacian-of-Gaussian (second derivative of a Gaussian) tuned to ``freq``.

    The continuous response is ``|H(w)| ∝ w^2 exp(-sigma^2 w^2 / 2)``: zero at DC, zero
    for linear motion, band-pass around the scale ``sigma``. Following the paper,
    ``sigma = fps / (4 sqrt(2) freq)`` frames (a quarter period of ``freq`` over
    ``sqrt(2)``). Note this does *not* put the peak of ``|H|``, at
    ``w = sqrt(2) / sigma``, on ``freq``: the peak is at ``(4 / pi) freq ≈ 1.27 freq``,
    where the gain is about 1.1 with the normalisation below. The kernel is scaled so
    that the gain at ``freq`` is exactly +1 (a sinusoid at ``freq`` passes unchanged in
    amplitude and phase; the LoG's own sign is flipped).

    ``apply`` is a centred convolution over time with edge-replicated padding (what
    ``scipy.ndimage.convolve1d(x, kernel, axis=0, mode="nearest")`` computes). The
    filter streams with ``delay = K = ceil(4 sigma)`` frames, holding the last
    ``2K + BLOCK`` inputs; the stream replicates the first sample backwards and
    ``flush`` the last one forwards, so streaming gives the same outputs as ``apply``.
    The convolution runs as banded (Toeplitz) matrix products with BLAS.

    Parameters
    ----------
    freq : float
        Frequency (Hz) of the change to magnify, ``0 < freq < fps / 2``.
    fps : float
        Frame rate in Hz.

    Examples
    --------
    >>> import numpy as np
    >>> from vmag.temporal import AccelerationFilter
    >>> t = np.arange(300) / 30.0
    >>> wobble = 0.01 * np.sin(2 * np.pi * 2.0 * t)
    >>> y = AccelerationFilter(2.0, fps=30).apply(5.0 * t + wobble)  # drift + wobble
    >>> bool(np.allclose(y[30:-30], wobble[30:-30], atol=2e-4))
    True
    """

    causal = True
    offline_is_causal = True

    def __init__(self, freq: float, fps: float) -> None:
        self.fps = check_positive("fps", fps)
        self.freq = check_positive("freq", freq)
        if self.freq >= self.fps / 2:
            raise VmagError(
                f"freq={self.freq:g} Hz must be below the Nyquist frequency {self.fps / 2:g} Hz "
                f"(fps {self.fps:g})"
            )
        self.kernel, self.sigma = log_kernel(self.freq, self.fps)
        self.delay = len(self.kernel) // 2
        self.min_frames = len(self.kernel)
        # row i holds the kernel at columns i .. i + 2K: BLOCK outputs from BLOCK + 2K inputs
        self.band_matrix = toeplitz(
            np.r_[self.kernel[0], np.zeros(BLOCK - 1)], np.r_[self.kernel, np.zeros(BLOCK - 1)]
        )

    def __repr__(self) -> str:
        return f"AccelerationFilter(freq={self.freq:g}, fps={self.fps:g})"

    def apply(self, x: Array) -> Array:
        xs = to_numpy(x)
        n = self._check_clip(xs, f"one kernel of 2 * {self.delay} + 1 frames")
        x2 = xs.reshape(n, -1)
        stream = self.stream()
        # outputs for times -K .. n - 1: the first K belong before the clip
        out = np.empty((n + self.delay, x2.shape[1]), x2.dtype)
        stream.feed(x2, out[:n])
        stream.feed(np.broadcast_to(x2[-1], (self.delay, x2.shape[1])), out[n:])
        return like(out[self.delay :].reshape(xs.shape), x)

    def stream(self) -> FIRStream:
        return FIRStream(self.band_matrix, self.delay)


class FIRStream(StreamingFilter):
    """Stream a symmetric FIR of ``2K + 1`` taps with delay K, from a ring of past inputs.

    The ring holds ``2K + b`` frames, b the first block's length (at most ``BLOCK``), so
    memory is independent of the clip length and as small as the caller's blocks allow;
    inputs are written into it once and each output block is one banded matrix product
    over the ring (two when the window wraps around its end).

    Examples
    --------
    >>> import numpy as np
    >>> from vmag.temporal import AccelerationFilter
    >>> stream = AccelerationFilter(2.0, fps=30).stream()
    >>> stream.delay, stream.step(np.ones((5, 3))).shape, stream.flush().shape
    (11, (5, 3), (11, 3))
    """

    def __init__(self, band_matrix: np.ndarray, delay: int) -> None:
        super().__init__()
        self.delay = delay
        self._matrix = band_matrix  # float64, shared with the filter
        self._band = band_matrix  # in the stream's dtype once it starts
        self._ring: np.ndarray | None = None  # [2K + BLOCK, pixels]
        self._pos = 0  # ring row of the next input

    def step(self, x: Array) -> Array:
        x2 = self._block(x)
        y = np.empty(x2.shape, x2.dtype)
        self.feed(x2, y)
        return self._emit(y)

    def flush(self) -> Array:
        if self._ring is None:
            return self._end()
        last = self._ring[(self._pos - 1) % len(self._ring)].copy()
        y = np.empty((self.delay, last.size), last.dtype)
        self.feed(np.broadcast_to(last, y.shape), y)
        out = self._emit(y)
        self._ring = None
        self._end()
        return out

    def feed(self, x2: np.ndarray, out: np.ndarray) -> None:
        """Push ``x2 [B, P]``; write the B outputs, delayed by K, into ``out [B, P]``."""
        if self._ring is None:
            # the past before the first sample replicates it (apply's edge padding)
            rows = 2 * self.delay + min(BLOCK, len(x2))
            self._ring = np.empty((rows, x2.shape[1]), x2.dtype)
            self._ring[:] = x2[0]
            self._pos = 0
            self._band = self._matrix.astype(x2.dtype)
        cap = len(self._ring) - 2 * self.delay
        for s in range(0, len(x2), cap):
            self._push(x2[s : s + cap], out[s : s + cap])

    def _push(self, xb: np.ndarray, out: np.ndarray) -> None:
        ring = self._ring
        assert ring is not None
        size, b = len(ring), len(xb)
        head = min(b, size - self._pos)
        ring[self._pos : self._pos + head] = xb[:head]
        ring[: b - head] = xb[head:]
        self._pos = (self._pos + b) % size
        # the window: the last 2K + b inputs, oldest first, possibly wrapping around
        width = 2 * self.delay + b
        start = (self._pos - width) % size
        band = self._band[:b, :width]
        first = min(width, size - start)
        np.matmul(band[:, :first], ring[start : start + first], out=out)
        if first < width:
            out += band[:, first:] @ ring[: width - first]
