"""``vmag slice`` on one time axis and ``vmag trace``: a region's signal and spectrum."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.cli_run import run
from vmag.io import VideoWriter
from vmag.viz.trace import region_trace

FPS = 30.0


def _write(path: Path, frames: np.ndarray, fps: float = FPS) -> Path:
    with VideoWriter(path, fps) as w:
        w.write_many(frames)
    return path


@pytest.fixture(scope="module")
def flicker(tmp_path_factory) -> Path:
    """A grey 48x64 clip whose patch (20, 10, 16, 12) flickers in green at 2 Hz."""
    t = np.arange(90) / FPS
    frames = np.full((90, 48, 64, 3), 0.5, np.float32)
    frames[:, 10:22, 20:36, 1] += 0.05 * np.sin(2 * np.pi * 2.0 * t)[:, None, None]
    return _write(tmp_path_factory.mktemp("clips") / "flicker.mkv", frames)


def test_trace_finds_the_flicker_in_its_region(capsys, flicker, tmp_path):
    png = tmp_path / "t.png"
    args = ("trace", flicker, "--roi", "20", "10", "16", "12", "--channel", "g", "-o", png)
    code, out, err = run(capsys, *args, "--json", "--peaks", "1")
    assert code == 0, err
    doc = json.loads(out)
    (peaks,) = doc["peaks"].values()
    assert peaks[0]["hz"] == pytest.approx(2.0, abs=0.1) and doc["channel"] == "g"
    assert png.read_bytes()[:4] == b"\x89PNG"
    code, out, _ = run(capsys, "trace", flicker, "--point", "25", "15", "-o", png, "--peaks", "1")
    assert code == 0 and "2.000 Hz" in out and "120.0 /min" in out


def test_region_trace_is_the_mean_of_the_channel(flicker):
    frames = np.zeros((2, 4, 4, 3), np.float32)
    frames[1, :2, :2] = 1.0
    assert region_trace(frames, (0, 0, 2, 2), "y").tolist() == pytest.approx([0.0, 1.0])
    assert region_trace(frames, (0, 0, 4, 4), "r").tolist() == pytest.approx([0.0, 0.25])


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--roi", "60", "0", "10", "10"], "must lie inside the 64x48 frame"),
        (["--roi", "0", "0", "4", "4", "--point", "1", "1"], "exactly one of --point"),
        (["--point", "1", "1", "--channel", "ir"], "channel must be one of y, r, g, b"),
    ],
)
def test_trace_bad_input_exits_2_with_one_line(capsys, flicker, tmp_path, args, needle):
    code, _, err = run(capsys, "trace", flicker, "-o", tmp_path / "t.png", *args)
    assert code == 2 and err.count("vmag: error:") == 1 and needle in err


def test_slice_shares_one_time_axis_and_refuses_mismatches(capsys, flicker, tmp_path):
    png = tmp_path / "s.png"
    code, _, err = run(capsys, "slice", flicker, flicker, "--x", "25", "--start", "0.5",
                       "--stop", "2", "--zoom", "2", "-o", png)  # fmt: skip
    assert code == 0, err
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "45/45" in err  # 0.5-2 s at 30 fps: 45 frames of each clip
    other = _write(tmp_path / "other.mkv", np.zeros((10, 32, 32, 3), np.float32))
    code, _, err = run(capsys, "slice", flicker, other, "--x", "5", "-o", png)
    assert code == 2 and "flicker.mkv 64x48, other.mkv 32x32" in err
    fast = _write(tmp_path / "fast.mkv", np.zeros((10, 48, 64, 3), np.float32), fps=60)
    code, _, err = run(capsys, "slice", flicker, fast, "--x", "5", "-o", png)
    assert code == 2 and "different frame rates" in err
    args = ("slice", flicker, "--x", "5", "--start", "2", "--stop", "1", "-o", png)
    code, _, err = run(capsys, *args)
    assert code == 2 and "select no time" in err
