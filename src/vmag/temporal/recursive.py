"""Running scipy's recursive (IIR) filters over many pixel series at once.

scipy's ``sosfilt``/``lfilter`` loops release the GIL, so the independent pixel
columns of a ``[T, pixels]`` array are filtered in chunks on all cores. Streams carry
scipy's filter state ``zi`` from block to block, which makes streaming in blocks
give exactly the outputs of one pass over the whole series.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from vmag.temporal.base import Array, StreamingFilter

_WORKERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
_CHUNK_ELEMENTS = 1 << 20  # about 8 MB of float64 per chunk: cache-friendly, few calls


def map_columns(
    x: np.ndarray, work: Callable[[np.ndarray, slice], np.ndarray], dtype: np.dtype | type
) -> np.ndarray:
    """``y[:, c] = work(x[:, c], c)`` over chunks ``c`` of the columns of ``x [T, P]``.

    Chunks run in parallel threads; ``work`` gets the column slice too, so it can
    read and update per-column filter state.
    """
    rows, cols = x.shape
    width = max(256, _CHUNK_ELEMENTS // max(rows, 1))
    chunks = [slice(s, s + width) for s in range(0, cols, width)]
    y = np.empty(x.shape, dtype)

    def run(c: slice) -> None:
        y[:, c] = work(x[:, c], c)

    if len(chunks) == 1 or _WORKERS == 1:
        for c in chunks:
            run(c)
    else:
        with ThreadPoolExecutor(min(_WORKERS, len(chunks))) as pool:
            list(pool.map(run, chunks))  # list() re-raises a worker's exception
    return y


#: ``(x [B, P], zi) -> (y [B, P], zf)``: one scipy filtering call along axis 0.
RunFn = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


class RecursiveStream(StreamingFilter):
    """Stream a recursive filter, carrying its state ``zi`` between blocks (delay 0).

    ``zi_unit`` is the filter's steady state for a constant input of 1 (``sosfilt_zi``
    or ``lfilter_zi``); the first block starts from ``zi_unit * x[0]`` per pixel, the
    state the filter would have had if ``x[0]`` had always been the input.

    Examples
    --------
    >>> import numpy as np
    >>> from vmag.temporal import IIRDifference
    >>> stream = IIRDifference(0.5, 0.1).stream()
    >>> y = stream.step(np.full((3, 2), 4.0))  # a still scene: no start-up spike
    >>> y.shape, bool(np.abs(y).max() < 1e-12)
    ((3, 2), True)
    """

    delay = 0

    def __init__(self, run: RunFn, zi_unit: np.ndarray) -> None:
        super().__init__()
        self._run = run
        self._zi_unit = zi_unit
        self._zi: np.ndarray | None = None  # [*zi_unit.shape, pixels], float64

    def step(self, x: Array) -> Array:
        x2 = self._block(x)
        if self._zi is None:
            self._zi = self._zi_unit[..., None] * x2[0]
        zi = self._zi

        def work(xc: np.ndarray, c: slice) -> np.ndarray:
            yc, zi[..., c] = self._run(xc, zi[..., c])
            return yc

        return self._emit(map_columns(x2, work, x2.dtype))

    def flush(self) -> Array:
        self._zi = None
        return self._end()
