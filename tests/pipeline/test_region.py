"""Magnifying a region: a rectangle, a mask picture or the skin, blended at its edge;
slow-motion output; the size change H.264 forces on odd frames is said."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from vmag.bench import displacement_series, tone_amplitude
from vmag.errors import VmagError
from vmag.io import VideoWriter, probe, read_video
from vmag.pipeline import MagnifyJob, plan, run
from vmag.pipeline.region import MIN_CROP, box_mask, region_from_mask, skin_mask
from vmag.synth import noise_texture, translating_clip

FPS = 30.0


@pytest.fixture(scope="module")
def moving(tmp_path_factory) -> Path:
    """A 96x128 texture moving 0.15 px at 3 Hz everywhere, lossless."""
    t = np.arange(60) / FPS
    frames = translating_clip(
        noise_texture(96, 128, blur=2.0, seed=4), 0.15 * np.sin(2 * np.pi * 3 * t)
    )
    path = tmp_path_factory.mktemp("clips") / "moving.mkv"
    with VideoWriter(path, FPS) as w:
        w.write_many(frames)
    return path


def _motion(frames: np.ndarray, rows: slice, cols: slice) -> float:
    return tone_amplitude(displacement_series(frames[:, rows, cols], border=4)[:, 1], 3.0, FPS)


@pytest.mark.parametrize("stream", [False, True])
def test_only_the_roi_is_magnified(moving, tmp_path, stream):
    out = tmp_path / "out.mkv"
    params = {"alpha": 9, "band": (2.0, 4.0), "filter": "butter" if stream else "ideal"}
    job = MagnifyJob({"video": moving}, "phase", params, out, stream=stream, roi=(8, 8, 56, 48))
    run(job)
    frames, info = read_video(out)
    original, _ = read_video(moving)
    assert (info.width, info.height, info.frames) == (128, 96, 60)
    inside = _motion(frames, slice(12, 52), slice(12, 60))
    assert inside == pytest.approx(1.5, rel=0.25)  # (1 + 9) x 0.15 px
    far = (slice(70, 96), slice(90, 128))  # beyond the feather and the crop
    assert np.abs(frames[:, far[0], far[1]] - original[:, far[0], far[1]]).max() < 1 / 255 + 1e-6


def test_a_mask_picture_limits_the_magnification(moving, tmp_path):
    mask = np.zeros((96, 128), np.uint8)
    cv2.circle(mask, (90, 50), 25, 255, -1)
    png = tmp_path / "mask.png"
    cv2.imwrite(str(png), mask)
    out = tmp_path / "out.mkv"
    params = {"alpha": 9, "band": (2.0, 4.0), "filter": "ideal"}
    run(MagnifyJob({"video": moving}, "phase", params, out, mask=str(png)))
    frames, _ = read_video(out)
    original, _ = read_video(moving)
    assert _motion(frames, slice(38, 62), slice(78, 102)) > 1.0
    np.testing.assert_allclose(frames[:, :10, :30], original[:, :10, :30], atol=1 / 255 + 1e-6)
    small = tmp_path / "small.png"
    cv2.imwrite(str(small), mask[:50])
    with pytest.raises(VmagError, match="the mask must have the video's size"):
        plan(MagnifyJob({"video": moving}, "phase", params, out, mask=str(small)))


@pytest.mark.parametrize(
    ("roi", "message"),
    [((100, 0, 40, 10), "not inside the 128x96 frame"), ((0, 0, 0, 10), "W, H > 0")],
)
def test_a_roi_outside_the_frame_is_refused_before_decoding(moving, tmp_path, roi, message):
    job = MagnifyJob({"video": moving}, "phase", {}, tmp_path / "o.mp4", roi=roi)
    with pytest.raises(VmagError, match=message):
        plan(job)


def test_region_crop_covers_the_feathered_weight():
    mask = box_mask(200, 300, (100, 50, 20, 10))
    region = region_from_mask(mask, feather=3.0, outside=True)
    h, w = region.shape
    assert h >= MIN_CROP and w >= MIN_CROP
    assert region.rows.start <= 50 - 18 and region.rows.stop >= 60 + 18  # grown and blurred 3σ
    weight = region.weight[..., 0]
    inside = weight[50 - region.rows.start : 60 - region.rows.start,
                    100 - region.cols.start : 120 - region.cols.start]  # fmt: skip
    assert inside.min() > 0.99 and weight[0, 0] < 1e-6
    across = region_from_mask(mask, feather=3.0).weight[..., 0]  # a mask: 0.5 on its edge
    assert across.max() < 0.95


def test_skin_is_found_by_its_colour():
    frame = np.zeros((120, 160, 3), np.uint8)
    frame[...] = (40, 60, 140)  # a blue wall
    frame[30:90, 50:110] = (224, 172, 140)  # a patch of light skin
    mask = skin_mask(frame)
    assert mask[40:80, 60:100].all() and not mask[:20].any() and not mask[:, :40].any()
    with pytest.raises(VmagError, match="found no skin"):
        skin_mask(np.zeros((60, 80, 3), np.uint8))


def test_slow_motion_output_and_odd_sizes(tmp_path):
    odd = tmp_path / "odd.mkv"
    with VideoWriter(odd, FPS) as w:
        w.write_many(np.random.default_rng(0).random((40, 77, 101, 3), dtype=np.float32))
    params = {"alpha": 5, "band": (2.0, 4.0)}
    job = MagnifyJob({"video": odd}, "linear", params, tmp_path / "out.mp4", out_fps=7.5)
    p = plan(job)
    assert any("101x77 is written as 102x78" in w for w in p.warnings)
    run(p)
    info = probe(tmp_path / "out.mp4")
    assert info.fps == pytest.approx(7.5) and (info.width, info.height) == (102, 78)
    exact = MagnifyJob({"video": odd}, "linear", params, tmp_path / "out.mkv")
    assert plan(exact).warnings == []
    run(exact)
    assert (probe(tmp_path / "out.mkv").width, probe(tmp_path / "out.mkv").height) == (101, 77)
    with pytest.raises(VmagError, match="out_fps must be"):
        plan(MagnifyJob({"video": odd}, "linear", params, tmp_path / "o.mp4", out_fps=0))
