"""Threaded decoding ahead and encoding behind keep order, errors and atomicity."""

from __future__ import annotations

import numpy as np
import pytest

from vmag.errors import VmagError
from vmag.io import read_video
from vmag.io.background import BackgroundWriter, prefetch


def test_prefetch_keeps_order_and_raises_producer_errors():
    assert list(prefetch(iter(range(100)), depth=3)) == list(range(100))

    def broken():
        yield 1
        raise VmagError("bad frame 2")

    got = []
    with pytest.raises(VmagError, match="bad frame 2"):
        for item in prefetch(broken()):
            got.append(item)
    assert got == [1]


def test_prefetch_stops_its_producer_when_the_consumer_stops():
    produced = []

    def source():
        for i in range(10_000):
            produced.append(i)
            yield i

    it = prefetch(source(), depth=2)
    assert next(it) == 0
    it.close()
    assert len(produced) < 100


def test_background_writer_writes_all_frames_in_order(tmp_path):
    frames = np.stack([np.full((16, 16, 3), v / 20, np.float32) for v in range(20)])
    with BackgroundWriter(tmp_path / "out.mkv", 30.0, depth=2) as w:
        for f in frames:
            w.write(f)
    back, info = read_video(tmp_path / "out.mkv")
    assert info.frames == 20
    np.testing.assert_allclose(back, frames, atol=1 / 255)


def test_background_writer_leaves_nothing_when_interrupted(tmp_path):
    with pytest.raises(KeyboardInterrupt), BackgroundWriter(tmp_path / "out.mp4", 30.0) as w:
        w.write(np.zeros((16, 16, 3), np.float32))
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_background_writer_surfaces_encoder_errors(tmp_path):
    with pytest.raises(VmagError), BackgroundWriter(tmp_path / "out.mp4", 30.0) as w:
        w.write(np.zeros((16, 16, 3), np.float32))
        w.write(np.zeros((8, 8, 3), np.float32))  # another size: the encoder refuses
        for _ in range(50):
            w.write(np.zeros((16, 16, 3), np.float32))
    assert list(tmp_path.iterdir()) == []
