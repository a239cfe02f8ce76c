"""Decode ahead and encode behind in threads, so video coding overlaps the magnifier's work.

PyAV releases the GIL while it decodes and encodes, as torch does in its kernels, so a
reader thread and a writer thread keep the codec busy while frames are magnified.
Both queues are bounded: memory stays O(depth) frames.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Any

import numpy as np

from vmag.io.video import VideoWriter

_DONE = object()


def prefetch(frames: Iterable[np.ndarray], depth: int = 8) -> Iterator[np.ndarray]:
    """Iterate over ``frames`` produced by a background thread, up to ``depth`` ahead.

    An exception in the producer is raised in the consumer; a consumer that stops early
    stops the producer.

    >>> list(prefetch(iter(range(5)), depth=2))
    [0, 1, 2, 3, 4]
    """
    buffer: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in frames:
                while not stop.is_set():
                    try:
                        buffer.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put(_DONE)
        except BaseException as e:  # handed to the consumer, which raises it
            buffer.put(e)

    worker = threading.Thread(target=produce, name="vmag-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


class BackgroundWriter:
    """A :class:`VideoWriter` whose encoding runs in a thread; same atomic guarantees.

    ``write`` hands the frame over (do not modify it afterwards); errors in the encoder
    surface at the next ``write`` or at exit. Leaving the ``with`` block by an exception
    discards the output, as :class:`VideoWriter` does.
    """

    def __init__(self, path: Any, fps: float, depth: int = 8, **kwargs: Any) -> None:
        self._writer = VideoWriter(path, fps, **kwargs)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._unit: np.ndarray | None = None  # reused float buffer of _compact
        self._thread = threading.Thread(target=self._run, name="vmag-encode", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (frame := self._queue.get()) is not _DONE:
            if self._error is None:
                try:
                    self._writer.write(frame)
                except BaseException as e:
                    self._error = e

    def write(self, frame: np.ndarray) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(self._compact(np.asarray(frame)))

    def _compact(self, frame: np.ndarray) -> np.ndarray:
        """A float frame as uint8 (rounded as the writer rounds), so the queue holds a
        quarter of the bytes; anything else is passed on for the writer to check."""
        if frame.ndim != 3 or not np.issubdtype(frame.dtype, np.floating):
            return frame
        if self._unit is None or self._unit.shape != frame.shape:
            self._unit = np.empty(frame.shape, np.float32)
        np.clip(frame, 0, 1, out=self._unit)
        self._unit *= 255
        self._unit += 0.5
        return self._unit.astype(np.uint8)  # truncating x + 0.5 rounds to nearest

    def __enter__(self) -> BackgroundWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._queue.put(_DONE)
        self._thread.join()
        if exc is None and self._error is not None:
            self._writer.__exit__(type(self._error), self._error, None)
            raise self._error
        self._writer.__exit__(kind, exc, tb)
