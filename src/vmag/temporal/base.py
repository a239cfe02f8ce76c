"""The temporal-filter interface, and the array plumbing every filter shares.

A temporal filter acts on each pixel's (or pyramid coefficient's) time series
independently: input and output are arrays ``[T, ...]`` with time on axis 0.
Numpy arrays and torch tensors are both accepted and the output has the input's
type, dtype and device; torch tensors on the CPU are viewed as numpy without a copy.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TypeAlias

import numpy as np
import torch

from vmag.errors import VmagError

#: What filters accept and return: a numpy array or a torch tensor, time on axis 0.
Array: TypeAlias = np.ndarray | torch.Tensor


def to_numpy(x: Array) -> np.ndarray:
    """``x`` as a float32 or float64 numpy array (zero-copy for those dtypes on the CPU)."""
    if isinstance(x, torch.Tensor):
        t = x.detach()
        if t.dtype not in (torch.float32, torch.float64):
            t = t.float()
        return t.cpu().numpy()
    a = np.asarray(x)
    return a if a.dtype in (np.float32, np.float64) else a.astype(np.float32)


def like(y: np.ndarray, proto: Array) -> Array:
    """``y`` as the same kind of array as ``proto``: numpy or torch (on its device), same dtype.

    Non-float prototypes (integer frames) give float32: a filtered signal is signed.
    """
    if isinstance(proto, torch.Tensor):
        dtype = proto.dtype if proto.is_floating_point() else torch.float32
        work = np.float64 if dtype == torch.float64 else np.float32
        return torch.from_numpy(y.astype(work, copy=False)).to(device=proto.device, dtype=dtype)
    proto_dtype = np.asarray(proto).dtype  # proto may be a list
    dtype = proto_dtype if np.issubdtype(proto_dtype, np.floating) else np.float32
    return y.astype(dtype, copy=False)


class StreamingFilter(ABC):
    """A causal filter fed block by block, holding a bounded state between blocks.

    ``step(x)`` takes a block ``[B, ...]`` of ``B >= 1`` consecutive samples and returns
    ``y [B, ...]`` where ``y[i]`` is the output for the input at time
    ``n + i - delay`` (``n`` samples were fed before this block). The first ``delay``
    outputs of a stream belong to times before its first sample; the caller drops them.
    The state starts at the steady state of the first sample, as if it had always been
    the input, so a still scene gives no start-up transient. ``flush()`` returns the
    outputs for the last ``delay`` samples (padding the input with its last sample) and
    ends the stream: the next ``step`` starts a new one.

    Examples
    --------
    >>> import numpy as np
    >>> from vmag.temporal import AccelerationFilter
    >>> filt = AccelerationFilter(2.0, fps=30)
    >>> clip = np.random.default_rng(0).standard_normal((100, 4, 4)).astype(np.float32)
    >>> stream = filt.stream()
    >>> out = [stream.step(clip[i : i + 8]) for i in range(0, 100, 8)] + [stream.flush()]
    >>> y = np.concatenate(out)[stream.delay :]  # drop the outputs for times < 0
    >>> bool(np.allclose(y, filt.apply(clip), atol=1e-5))
    True
    """

    delay: int = 0

    def __init__(self) -> None:
        self._proto: Array | None = None  # empty [0, ...] output of the stream's kind

    @abstractmethod
    def step(self, x: Array) -> Array:
        """Filter the next block ``[B, ...]``; returns ``[B, ...]`` (see the class docs)."""

    @abstractmethod
    def flush(self) -> Array:
        """The outputs for the last ``delay`` samples, ``[delay, ...]``; ends the stream."""

    def _check(self, x: Array) -> None:
        """Check a block against the stream's frame shape; the first block fixes it.

        The first block also fixes the stream's array kind (numpy, or torch on a device,
        and dtype): every output of the stream is of that kind.
        """
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else np.shape(x)
        if len(shape) == 0 or shape[0] == 0:
            raise VmagError(f"x: a stream block must be [B, ...] with B >= 1, got shape {shape}")
        if self._proto is None:
            self._proto = like(np.empty((0, *shape[1:]), np.float32), x)
        elif tuple(self._proto.shape[1:]) != shape[1:]:
            raise VmagError(
                f"x: stream blocks must keep the frame shape {tuple(self._proto.shape[1:])}, "
                f"got {shape[1:]}"
            )

    def _block(self, x: Array) -> np.ndarray:
        """Check a block (see :meth:`_check`); view it as numpy ``[B, pixels]``."""
        self._check(x)
        xs = to_numpy(x)
        return xs.reshape(len(xs), -1)

    def _emit(self, y: np.ndarray) -> Array:
        """``[B, pixels]`` -> ``[B, ...]`` of the stream's array kind."""
        assert self._proto is not None
        return like(y.reshape(len(y), *self._proto.shape[1:]), self._proto)

    def _end(self) -> Array:
        """Forget the stream; returns an empty result of its kind for ``flush``."""
        done = self._proto if self._proto is not None else np.empty((0,), np.float32)
        self._proto = None
        return done


class RunningSumStream(StreamingFilter):
    """``inner`` fed the running sum of the increments this stream is given, the first
    increment taken as 0 (see :meth:`TemporalFilter.increment_stream`)."""

    def __init__(self, inner: StreamingFilter) -> None:
        super().__init__()
        self.inner = inner
        self.delay = inner.delay
        self._sum: Array | None = None  # the series so far, relative to its first sample

    def step(self, x: Array) -> Array:
        self._check(x)
        if isinstance(x, torch.Tensor):
            total = torch.cumsum(x, dim=0)
            if self._sum is None:
                total -= x[:1].clone()
            else:
                total += self._sum
            self._sum = total[-1].clone()
        else:
            total = np.cumsum(np.asarray(x, np.float64), axis=0)
            total += -np.asarray(x[:1], np.float64) if self._sum is None else self._sum
            self._sum = total[-1].copy()
        return self.inner.step(total)

    def flush(self) -> Array:
        self._sum = None
        self._end()
        return self.inner.flush()


class TemporalFilter(ABC):
    """A filter over time (axis 0) of a video-shaped array ``[T, ...]``.

    Attributes
    ----------
    causal : bool
        True if the filter can stream (``stream()`` works).
    delay : int
        Latency in frames when streaming: 0 for recursive filters.
    min_frames : int
        The shortest clip ``apply`` accepts.
    offline_is_causal : bool
        True if ``apply`` gives what ``stream`` does.

    Examples
    --------
    >>> import torch
    >>> from vmag.temporal import make_filter
    >>> filt = make_filter("butter", (0.5, 3.0), fps=30)
    >>> filt.apply(torch.zeros(60, 3, 8, 8)).shape
    torch.Size([60, 3, 8, 8])
    """

    causal: bool
    delay: int
    min_frames: int
    #: True when :meth:`apply` gives what :meth:`stream` does (delay compensated): the
    #: filter is causal offline too, so a stream loses nothing.
    offline_is_causal: bool = False

    @abstractmethod
    def apply(self, x: Array) -> Array:
        """Filter a whole clip ``[T, ...]`` offline; zero-phase where the filter allows."""

    @abstractmethod
    def stream(self) -> StreamingFilter:
        """A fresh stream of this filter, for frames that arrive block by block."""

    def zero_phase_sections(self) -> tuple[np.ndarray, int] | None:
        """``(sos, padlen)`` when :meth:`apply` is ``sosfiltfilt(sos, x, padlen=padlen)``:
        then it also runs over a clip read twice in chunks
        (:class:`~vmag.temporal.zerophase.TwoPassZeroPhase`); None otherwise."""
        return None

    def causal_apply(self, x: Array) -> Array:
        """What :meth:`stream` gives for the whole clip ``[T, ...]`` fed at once, aligned
        with the input (the outputs for times before the clip dropped, the flush
        appended): filtered forward only, as a live stream is."""
        if not self.causal:
            raise VmagError(f"{self!r} is not causal: it needs the whole clip")
        stream = self.stream()
        parts = [stream.step(x), stream.flush()]
        if isinstance(x, torch.Tensor):
            return torch.cat(parts)[self.delay :]
        return np.concatenate(parts)[self.delay :]

    def increment_stream(self) -> StreamingFilter:
        """A fresh stream fed a series' increments ``x_t - x_{t-1}`` that outputs what
        :meth:`stream` would for ``x_t - x_0`` (the first increment is taken as 0).
        Here by keeping the running sum; filters with a zero at DC need no sum
        (:class:`~vmag.temporal.recursive.IncrementStream`)."""
        return RunningSumStream(self.stream())

    def _check_clip(self, x: Array, reason: str) -> int:
        """The number of frames of ``x``, after checking it is at least ``min_frames``."""
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else np.shape(x)
        n = shape[0] if shape else 0
        if n < self.min_frames:
            raise VmagError(
                f"clip length must be >= {self.min_frames} frames for {self!r}, got {n} ({reason})"
            )
        return n
