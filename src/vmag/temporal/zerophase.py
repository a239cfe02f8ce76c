"""Zero-phase (forward-backward) IIR filtering of a series too long to hold, in chunks.

A zero-phase filter runs forward over the whole series, then backward over the result,
so its output at time t depends on every later sample: a stream cannot give it. But the
backward pass is linear: the state it enters chunk k with, from that chunk's end, is

    B_k+1 = c_k+1 + E(B_k+2),   B_K = the steady state of the last forward output,

where ``c_k`` is what chunk k alone leaves in the backward filter's state (run from rest)
and ``E`` lets a state decay over a chunk's length with no input. So two passes over the
series need only one chunk and one state per chunk at a time:

1. :meth:`ChunkedZeroPhase.first_pass`: forward-filter each chunk (carrying the state)
   and keep its backward contribution ``c_k``; then the states ``B_k`` by the recursion
   above, from the end.
2. :meth:`ChunkedZeroPhase.second_pass`: forward-filter each chunk again (the same
   recursion gives the same values), and backward-filter it from ``B_k+1``: the
   zero-phase output of that chunk, in order.

The result is exactly :func:`forward_backward` of the whole series (steady-state
initial conditions at both ends; scipy's ``sosfiltfilt`` also pads the ends, so the two
agree away from them). States are per coefficient: this is for filtering a magnifier's
per-pixel signals chunk by chunk while the frames stream past twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from scipy.signal import sosfilt, sosfilt_zi


def forward_backward(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The zero-phase filtering of ``x`` (time on axis 0) by the sections ``sos``: a
    forward pass from the steady state of ``x[0]``, a backward pass from the steady state
    of the forward output's last sample (no padding).

    >>> from scipy.signal import butter
    >>> sos = butter(1, [1, 3], "bandpass", fs=30, output="sos")
    >>> t = np.arange(300) / 30
    >>> y = forward_backward(sos, np.sin(2 * np.pi * 1.7 * t))
    >>> bool(abs(y[100:200] - np.sin(2 * np.pi * 1.7 * t[100:200])).max() < 0.02)
    True
    """
    x = np.asarray(x, np.float64)
    zi = sosfilt_zi(sos)[..., None]
    flat = x.reshape(len(x), -1)
    u, _ = sosfilt(sos, flat, axis=0, zi=zi * flat[0])
    y, _ = sosfilt(sos, u[::-1], axis=0, zi=zi * u[-1])
    return y[::-1].reshape(x.shape)


@dataclass
class Summary:
    """What the first pass learned: the backward filter's state at each chunk's end
    (``entering[k]`` for chunk k), and the chunk lengths, to check the second pass."""

    entering: list[np.ndarray]
    lengths: list[int]


class ChunkedZeroPhase:
    """:func:`forward_backward` by the sections ``sos`` of a series given as chunks
    ``(L_k, ...)`` twice (see the module docstring)."""

    def __init__(self, sos: np.ndarray) -> None:
        self.sos = np.asarray(sos, np.float64)
        self._zi = sosfilt_zi(self.sos)[..., None]  # (sections, 2, 1)

    def _forward(self, chunks: Iterable[np.ndarray]) -> Iterator[tuple[np.ndarray, tuple]]:
        """Each chunk forward-filtered, as (output (L, N) float64, the chunk's shape)."""
        state = None
        for chunk in chunks:
            x = np.asarray(chunk, np.float64)
            flat = x.reshape(len(x), -1)
            if state is None:
                state = self._zi * flat[0]
            u, state = sosfilt(self.sos, flat, axis=0, zi=state)
            yield u, x.shape

    def _decay(self, state: np.ndarray, length: int) -> np.ndarray:
        """``state`` after ``length`` samples of no input."""
        zeros = np.zeros((length, state.shape[-1]))
        return sosfilt(self.sos, zeros, axis=0, zi=state)[1]

    def first_pass(self, chunks: Iterable[np.ndarray]) -> Summary:
        """Forward-filter the chunks and return the backward states each needs."""
        contributions, lengths, last = [], [], None
        for u, _ in self._forward(chunks):
            rest = np.zeros_like(self._zi * u[0])
            contributions.append(sosfilt(self.sos, u[::-1], axis=0, zi=rest)[1])
            lengths.append(len(u))
            last = u[-1]
        if last is None:
            return Summary([], [])
        entering = [self._zi * last]  # at the series' end: the steady state of its last
        for c, length in zip(reversed(contributions[1:]), reversed(lengths[1:]), strict=True):
            entering.append(c + self._decay(entering[-1], length))
        entering.reverse()  # entering[k]: the state at chunk k's end
        return Summary(entering, lengths)

    def second_pass(self, chunks: Iterable[np.ndarray], summary: Summary) -> Iterator[np.ndarray]:
        """The zero-phase output of each chunk, in order (the same chunks again)."""
        for k, (u, shape) in enumerate(self._forward(chunks)):
            if k >= len(summary.lengths) or len(u) != summary.lengths[k]:
                raise ValueError("the second pass must see the same chunks as the first")
            y, _ = sosfilt(self.sos, u[::-1], axis=0, zi=summary.entering[k])
            yield y[::-1].reshape(shape)
