"""Static reference: each frame against the first, no band (the two-frame setting)."""

from __future__ import annotations

import numpy as np
import torch

from vmag.temporal.base import Array, StreamingFilter, TemporalFilter, like, to_numpy


class StaticReference(TemporalFilter):
    """``y_t = x_t - x_0``: every frame's change from the first, all frequencies kept.

    This is what a two-frame magnifier does with the first frame as reference (the
    ``static`` mode of the learned networks): no temporal selectivity, so noise is
    magnified with the motion, but also no band to choose and no clip length needed.
    It lets the classical methods run in the same setting as the two-frame networks.
    Causal with no delay; streaming keeps the first sample.

    Examples
    --------
    >>> import numpy as np
    >>> from vmag.temporal import StaticReference
    >>> StaticReference().apply(np.array([2.0, 3.0, 1.5])).tolist()
    [0.0, 1.0, -0.5]
    """

    causal = True
    offline_is_causal = True
    delay = 0
    min_frames = 1

    def __repr__(self) -> str:
        return "StaticReference()"

    def apply(self, x: Array) -> Array:
        if isinstance(x, torch.Tensor):
            self._check_clip(x, "it needs a reference frame")
            return x - x[:1]
        xs = to_numpy(x)
        self._check_clip(xs, "it needs a reference frame")
        return like(xs - xs[:1], x)

    def stream(self) -> StreamingFilter:
        return _StaticStream()


class _StaticStream(StreamingFilter):
    """The stream of :class:`StaticReference`: the first sample fed is the reference."""

    def __init__(self) -> None:
        super().__init__()
        self._ref: np.ndarray | None = None

    def step(self, x: Array) -> Array:
        xs = self._block(x)
        if self._ref is None:
            self._ref = xs[:1].copy()
        return self._emit(xs - self._ref)

    def flush(self) -> Array:
        self._ref = None
        return self._end()
