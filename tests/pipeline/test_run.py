"""Running a job gives exactly what the magnifier gives, reports progress, and cancels cleanly."""

from __future__ import annotations

import tempfile
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
    assert seen["analyse"] == (40, 40) and seen["magnify"] == (40, 40)  # read twice
    seen.clear()
    ideal = {"alpha": 8, "band": (2.0, 4.0), "filter": "ideal"}
    run(_job(clip, tmp_path / "w.mkv", params=ideal), lambda s, d, t: seen.__setitem__(s, (d, t)))
    assert seen["decode"] == (48, 48) and seen["encode"] == (48, 48)  # held in memory
    assert seen["synthesise"] == (48, 48)
    seen.clear()
    run(_job(clip, tmp_path / "s.mkv", stream=True), lambda s, d, t: seen.__setitem__(s, (d, t)))
    assert seen["magnify"] == (48, 48)


@pytest.mark.parametrize("stream", [False, True])
def test_cancel_stops_the_run_and_leaves_nothing(clip, tmp_path, stream, monkeypatch):
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # where a two-pass run keeps states
    cancel = threading.Event()
    calls = []

    def progress(stage: str, done: int, total: int) -> None:
        calls.append(stage)
        if len(calls) == 2:
            cancel.set()

    out = tmp_path / "out.mp4"
    with pytest.raises(Cancelled):
        run(_job(clip, out, stream=stream, compare=tmp_path / "cmp.mp4"), progress, cancel)
    assert len(calls) == 2  # stopped at the next report
    assert list(tmp_path.iterdir()) == [temp]  # no output, no side-by-side, no temporary
    assert list(temp.iterdir()) == []  # nor the two-pass states


def test_a_library_run_leaves_the_allocator_alone(clip, tmp_path, monkeypatch):
    monkeypatch.setattr(_memory, "_tuned", False)
    run(_job(clip, tmp_path / "o.mkv", stream=True))
    assert not _memory._tuned  # only callers that own the process opt in (the CLI does)
