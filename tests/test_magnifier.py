"""The Eulerian pipeline's ways of running: two passes over a clip, and which path is exact."""

from __future__ import annotations

import numpy as np
import pytest

import vmag.magnifier as magnifier_module
from vmag.errors import VmagError
from vmag.registry import create_magnifier
from vmag.synth import noise_texture, translating_clip

FPS = 30.0


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    t = np.arange(40) / FPS
    return translating_clip(noise_texture(32, 48, seed=3), 0.3 * np.sin(2 * np.pi * 3 * t))


def test_a_container_listing_more_frames_than_it_holds_costs_a_restart_not_a_wrong_output(clip):
    m = create_magnifier("phase", alpha=5, band=(2.0, 4.0))
    want = m.magnify(clip, FPS)
    opened = []

    def source():
        opened.append(1)
        return iter(clip)

    got = np.stack(list(m.two_pass(source, FPS, len(clip) + 25)))  # 25 frames that never come
    np.testing.assert_array_equal(got, want)
    assert len(opened) == 3  # the first pass twice, then the second


def test_too_few_frames_for_the_filter_are_refused(clip):
    m = create_magnifier("linear", alpha=5, band=(2.0, 4.0))
    with pytest.raises(VmagError, match="at least"):
        list(m.two_pass(lambda: iter(clip[:5]), FPS, 5))


def test_only_iir_bands_read_twice_and_causal_filters_stream_exactly():
    def make(**kw):
        return create_magnifier("phase", alpha=5, band=(2.0, 4.0), **kw)

    assert make().reads_twice(FPS) and make(notch=50.0).reads_twice(FPS)
    ideal = make(filter="ideal")
    assert not ideal.reads_twice(FPS) and not ideal.streams_exactly(FPS)
    assert make(filter="iir").streams_exactly(FPS) and not make(filter="iir").reads_twice(FPS)
    assert create_magnifier("acceleration", alpha=5, band=(2.0, 4.0)).streams_exactly(FPS)


def test_iir_streams_give_the_offline_output(clip):
    m = create_magnifier("riesz", alpha=5, band=(2.0, 4.0), filter="iir")
    streamed = np.stack(list(m.stream(iter(clip), FPS)))
    np.testing.assert_allclose(streamed, m.magnify(clip, FPS), atol=2e-5)


def test_chunks_follow_the_frame_size():
    m = create_magnifier("phase", alpha=5, band=(2.0, 4.0))
    assert m.two_pass_chunk(48, 64) == magnifier_module.TWO_PASS_FRAMES  # the most
    assert 4 <= m.two_pass_chunk(480, 640) <= magnifier_module.TWO_PASS_FRAMES
    assert 1 <= m.two_pass_chunk(1080, 1920) <= 4  # 1080p: a few frames
    disk = m.two_pass_disk_bytes
    assert disk(3000, 1080, 1920, FPS) > 10 * disk(300, 480, 640, FPS)


def test_a_clip_too_short_for_the_filter_is_refused_even_when_listed_longer(clip):
    m = create_magnifier("phase", alpha=5, band=(2.0, 4.0))
    with pytest.raises(VmagError, match="at least"):
        list(m.two_pass(lambda: iter(clip[:9]), FPS, 40))  # padding needs 10
