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
from scipy.signal import iirnotch, tf2sos

from vmag.errors import VmagError, check_positive
from vmag.temporal.base import Array, StreamingFilter, TemporalFilter
from vmag.temporal.recursive import RecursiveStream, zero_phase

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
        self.notch = tf2sos(b, a)
        self.causal, self.delay = inner.causal, inner.delay
        sections = inner.zero_phase_sections()
        if sections is None:  # the inner filter's own apply, then the notch's zero-phase pass
            self.sos, self.padlen = None, 9  # sosfiltfilt's default for one section
        else:  # one zero-phase pass over the band's sections and the notch's
            self.sos = np.concatenate([sections[0], self.notch])
            self.padlen = max(sections[1], 3 * (2 * len(self.sos) + 1))
        self.min_frames = max(inner.min_frames, self.padlen + 1)

    def __repr__(self) -> str:
        return f"Notched({self.inner!r}, freq={self.freq:g})"

    def apply(self, x: Array) -> Array:
        reason = f"the notch pads {self.padlen} frames at each end"
        if self.sos is not None:
            self._check_clip(x, reason)
            return zero_phase(self.sos, x, self.padlen)
        y = self.inner.apply(x)
        self._check_clip(y, reason)
        return zero_phase(self.notch, y, self.padlen)

    def zero_phase_sections(self) -> tuple[np.ndarray, int] | None:
        return None if self.sos is None else (self.sos, self.padlen)

    def stream(self) -> StreamingFilter:
        return ChainStream(self.inner.stream(), RecursiveStream(self.notch))

    def increment_stream(self) -> StreamingFilter:
        return ChainStream(self.inner.increment_stream(), RecursiveStream(self.notch))
