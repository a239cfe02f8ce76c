"""Running a job gives exactly what the magnifier gives, reports progress, and cancels cleanly."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from vmag import _memory
from vmag.io import VideoWriter, read_video
from vmag.pipeline import Cancelled, MagnifyJob, run
from vmag.registry import create_magnifier
from vmag.synth import noise_texture, translating_clip

FPS = 30.0


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    t = np.arange(48) / FPS
    frames = translating_clip(noise_texture(48, 48, blur=2.0, seed=3), 0.2 * np.sin(6 * np.pi * t))
    path = tmp_path_factory.mktemp("clips") / "moving.mkv"
    with VideoWriter(path, FPS) as w:
        w.write_many(frames)
    return path


def _job(clip: Path, out: Path, **kw) -> MagnifyJob:
    params = {"alpha": 8, "band": (2.0, 4.0), **kw.pop("params", {})}
    return MagnifyJob({"video": clip}, "riesz", params, out, **kw)


@pytest.mark.parametrize("stream", [False, True])
def test_run_writes_what_the_magnifier_returns(clip, tmp_path, stream):
    out = tmp_path / "out.mkv"  # lossless: the file holds the magnifier's frames, rounded
    result = run(_job(clip, out, stream=stream))
    frames, _ = read_video(clip)
    m = create_magnifier("riesz", alpha=8, band=(2.0, 4.0))
    want = np.stack(list(m.stream(frames, FPS))) if stream else m.magnify(frames, FPS)
    got, info = read_video(out)
    assert result.frames == info.frames == 48 and result.output == out
    assert np.abs(got - np.round(want * 255) / 255).max() <= 1 / 255 + 1e-6


def test_progress_reaches_every_frame(clip, tmp_path):
    seen: dict[str, tuple[int, int]] = {}
    run(_job(clip, tmp_path / "o.mkv", start=8), lambda s, d, t: seen.__setitem__(s, (d, t)))
    assert seen["decode"] == (40, 40) and seen["encode"] == (40, 40)
    assert seen["synthesise"] == (40, 40)
    seen.clear()
    run(_job(clip, tmp_path / "s.mkv", stream=True), lambda s, d, t: seen.__setitem__(s, (d, t)))
    assert seen["magnify"] == (48, 48)


@pytest.mark.parametrize("stream", [False, True])
def test_cancel_stops_the_run_and_leaves_nothing(clip, tmp_path, stream):
    cancel = threading.Event()
    calls = []

    def progress(stage: str, done: int, total: int) -> None:
        calls.append(stage)
        if len(calls) == 20:
            cancel.set()

    out = tmp_path / "out.mp4"
    with pytest.raises(Cancelled):
        run(_job(clip, out, stream=stream, compare=tmp_path / "cmp.mp4"), progress, cancel)
    assert len(calls) == 20  # stopped at the next report
    assert list(tmp_path.iterdir()) == []  # no output, no side-by-side, no temporary


def test_a_library_run_leaves_the_allocator_alone(clip, tmp_path, monkeypatch):
    monkeypatch.setattr(_memory, "_tuned", False)
    run(_job(clip, tmp_path / "o.mkv", stream=True))
    assert not _memory._tuned  # only callers that own the process opt in (the CLI does)
