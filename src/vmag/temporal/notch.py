"""Cut one known frequency out of the temporal band: mains flicker, a fan, a pump.

A light on 50 Hz mains flickers at 100 Hz; filmed at 30 fps that flicker shows at its
alias, |100 − 3 × 30| = 10 Hz, inside many bands one wants to magnify. :func:`alias`
folds any frequency into [0, fps / 2], and :class:`Notched` follows a temporal filter
with a second-order IIR notch there (``scipy.signal.iirnotch``, quality ``q``: a cut
``freq / q`` Hz wide at -3 dB; :data:`Q`), zero-phase offline like the Butterworth filter and causal
in a stream.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.signal import iirnotch, sosfiltfilt, tf2sos

from vmag.errors import VmagError, check_positive
from vmag.temporal.base import Array, StreamingFilter, TemporalFilter, like, to_numpy
from vmag.temporal.recursive import RecursiveStream, filtfilt_float32_ok, sosfiltfilt_torch

#: Quality of the notch: 10 cuts 4 Hz over 0.4 Hz (at -3 dB), and its ringing decays
#: with a time constant of Q / (π f), 0.8 s at 4 Hz; narrower notches ring longer than
#: short clips last.
Q = 10.0


def alias(freq: float, fps: float) -> float:
    """The frequency in [0, fps / 2] that ``freq`` Hz shows at when sampled at ``fps``.

    >>> alias(100.0, 30.0), alias(4.0, 30.0), alias(26.0, 30.0)
    (10.0, 4.0, 4.0)
    """
    fps = check_positive("fps", fps)
    folded = check_positive("notch", freq) % fps
    return float(min(folded, fps - folded))


class ChainStream(StreamingFilter):
    """One stream feeding another: ``second.step(first.step(x))``; the delays add."""

    def __init__(self, first: StreamingFilter, second: StreamingFilter) -> None:
        super().__init__()
        self.first, self.second = first, second
        self.delay = first.delay + second.delay

    def step(self, x: Array) -> Array:
        return self.second.step(self.first.step(x))

    def flush(self) -> Array:
        tail = self.first.flush()
        out = self.second.step(tail) if len(tail) else tail
        rest = self.second.flush()
        if len(rest) == 0:
            return out
        if isinstance(out, torch.Tensor):
            return torch.cat([out, torch.as_tensor(rest, device=out.device)])
        return np.concatenate([out, rest])


class Notched(TemporalFilter):
    """``inner`` followed by a notch at ``freq`` Hz (folded by :func:`alias`)."""

    def __init__(self, inner: TemporalFilter, freq: float, fps: float, q: float = Q) -> None:
        self.inner, self.fps = inner, check_positive("fps", fps)
        self.freq = alias(freq, self.fps)
        if not 0 < self.freq < self.fps / 2:
            raise VmagError(
                f"notch {freq:g} Hz falls at {self.freq:g} Hz at {self.fps:g} fps (DC or "
                "Nyquist), where nothing can be cut: choose another frequency"
            )
        b, a = iirnotch(self.freq, check_positive("q", q), fs=self.fps)
        self.sos = tf2sos(b, a)
        self.causal, self.delay = inner.causal, inner.delay
        self.padlen = 9  # sosfiltfilt's default for one section
        self.min_frames = max(inner.min_frames, self.padlen + 1)

    def __repr__(self) -> str:
        return f"Notched({self.inner!r}, freq={self.freq:g})"

    def apply(self, x: Array) -> Array:
        y = self.inner.apply(x)
        n = self._check_clip(y, f"the notch pads {self.padlen} frames at each end")
        if isinstance(y, torch.Tensor) and (
            y.dtype == torch.float64 or filtfilt_float32_ok(self.sos)
        ):
            work = torch.float64 if y.dtype == torch.float64 else torch.float32
            z = sosfiltfilt_torch(self.sos, y.reshape(n, -1).to(work), self.padlen)
            return z.reshape(y.shape).to(y.dtype)
        ys = to_numpy(y)
        z = sosfiltfilt(self.sos, ys.reshape(n, -1).astype(np.float64), axis=0)
        return like(z.reshape(ys.shape).astype(ys.dtype), y)

    def stream(self) -> StreamingFilter:
        return ChainStream(self.inner.stream(), RecursiveStream(self.sos))

    def increment_stream(self) -> StreamingFilter:
        return ChainStream(self.inner.increment_stream(), RecursiveStream(self.sos))
