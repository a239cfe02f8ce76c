"""Every method on the real clips of the literature, and the published EVM reference outputs.

Needs ../shared/videos (skipped with a reason when absent).
"""

from __future__ import annotations

import numpy as np
import pytest

from vmag.bench import change_agreement
from vmag.cli.main import main
from vmag.io import probe, read_video
from vmag.registry import create_magnifier

CLIPS = [
    "baby.mp4",
    "face.mp4",
    "wrist.mp4",
    "guitar.mp4",
    "crane_crop.mp4",
    "cat_toy.mp4",
    "gun_shot.mp4",
    "eye_raw.mp4",
    "drill.avi",
    "balloon.avi",
]
METHODS = ["linear", "color", "phase", "riesz", "acceleration"]
FRAMES = 24


@pytest.mark.videos
@pytest.mark.parametrize("clip", CLIPS)
def test_every_method_runs_end_to_end(videos, tmp_path, clip):
    """The CLI magnifies the first frames of each clip with each method (offline and streaming)."""
    info = probe(videos / clip)
    band = (info.fps / 10, info.fps / 5)
    for k, method in enumerate(METHODS):
        out = tmp_path / f"{method}.mp4"
        args = [
            "magnify",
            str(videos / clip),
            "-o",
            str(out),
            "--method",
            method,
            "--alpha",
            "10",
            "--band",
            f"{band[0]:.4f}",
            f"{band[1]:.4f}",
            "--stop",
            str(FRAMES),
        ]
        if k % 2:
            args.append("--stream")
        try:
            main(args)
        except SystemExit as e:
            pytest.fail(f"{method} on {clip} exited with status {e.code}")
        got = probe(out)
        assert (got.frames, got.width // 2, got.height // 2) == (
            FRAMES,
            info.width // 2,
            info.height // 2,
        ), method


@pytest.mark.videos
def test_face_colour_matches_published_reference(videos):
    """face.mp4, colour, level 4, ideal 0.833-1 Hz, alpha 50 in the file name (25 two-sided)."""
    ref_path = (
        videos / "mit-reference" / "face-ideal-from-0.83333-to-1-alpha-50-level-4-chromAtn-1.mp4"
    )
    ref, _ = read_video(ref_path)
    inp, info = read_video(videos / "face.mp4", stop=len(ref))
    out = create_magnifier(
        "color", alpha=25, band=(0.83333, 1.0), filter="ideal", levels=4, chrom_atten=1.0
    ).magnify(inp, info.fps)
    agreement = change_agreement(inp, out, ref, info.fps, block=8)
    assert 0.7 < agreement.freqs[0] < 1.1  # the pulse
    assert agreement.correlation >= 0.9
    assert 0.67 <= agreement.amplitude_ratio <= 1.5


@pytest.mark.videos
def test_guitar_linear_matches_published_reference(videos):
    """guitar.mp4 at 600 fps, linear, ideal 72-92 Hz, lambda_c 10, alpha 75 in the name (37.5)."""
    ref_path = (
        videos / "mit-reference" / "guitar-ideal-from-72-to-92-alpha-75-lambda_c-10-chromAtn-0.mp4"
    )
    ref, _ = read_video(ref_path)
    inp, _ = read_video(videos / "guitar.mp4", start=1, stop=1 + len(ref))
    fps = 600.0
    out = create_magnifier(
        "linear", alpha=37.5, band=(72.0, 92.0), filter="ideal", lambda_c=10.0, chrom_atten=0.0
    ).magnify(inp, fps)
    agreement = change_agreement(inp, out, ref, fps, band=(72.0, 92.0), block=8)
    assert agreement.correlation >= 0.6
    assert 0.67 <= agreement.amplitude_ratio <= 1.5
    # Our change is far closer to the reference's than no change at all.
    assert np.abs(out - ref).mean() < np.abs(inp - ref).mean()
