"""Jobs are checked completely before any frame is decoded, and round-trip as data."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from vmag import registry
from vmag.errors import VmagError
from vmag.io import VideoWriter
from vmag.magnifier import Capabilities, Magnifier
from vmag.pipeline import MagnifyJob, plan, prepare

FPS = 30.0


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """Two seconds of a 32x32 noise clip, lossless."""
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("clips") / "in.mkv"
    with VideoWriter(path, FPS) as w:
        w.write_many(rng.random((60, 32, 32, 3), dtype=np.float32))
    return path


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any frame is decoded."""

    def refuse(*args, **kwargs):
        raise AssertionError("a frame was decoded before the job was checked")

    import vmag.io.video
    import vmag.pipeline.runner

    monkeypatch.setattr(vmag.io.video, "iter_frames", refuse)
    monkeypatch.setattr(vmag.pipeline.runner, "iter_frames", refuse)


def job(clip: Path, out: Path, **kw) -> MagnifyJob:
    params = kw.pop("params", {"alpha": 10, "band": (2.0, 4.0)})
    return MagnifyJob({"video": clip}, kw.pop("method", "phase"), params, out, **kw)


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"output": "out.gif"}, "unsupported suffix '.gif'"),
        ({"output": "out"}, r"unsupported suffix '\(none\)'"),
        ({"compare": "cmp.avi"}, "--compare"),
        ({"compare": "out.mp4"}, "different file"),
        ({"crf": 60}, "crf must be an integer from 0"),
        ({"crf": 1.5}, "crf"),
        ({"params": {"alpha": 10, "band": (2.0, 20.0)}}, "Nyquist"),
        ({"params": {"alpha": -3}}, "alpha must be a number >= -1"),
        ({"params": {"alpha": 0}}, "alpha 0 changes nothing"),
        ({"params": {"alpha": 10, "orientations": 40}}, "orientations must be an integer in 2..16"),
        ({"params": {"alpha": 10, "lambda_c": 4}}, "does not take --lambda-c"),
        ({"params": {"alpha": 10, "filter": "ideal"}, "stream": True}, "needs the whole clip"),
        ({"params": {"alpha": 10, "band": (0.2, 0.4), "filter": "ideal"}}, "needs at least"),
        ({"method": "nope"}, "unknown method 'nope'"),
        ({"start": 70}, "select no frames"),
        ({"preset": "sparkle"}, "--preset must be one of"),
    ],
)
def test_bad_jobs_are_refused_before_decoding(clip, tmp_path, no_decoding, change, needle):
    change = dict(change)
    for key in ("output", "compare"):
        if key in change:
            change[key] = tmp_path / change[key]
    out = change.pop("output", tmp_path / "out.mp4")
    with pytest.raises(VmagError, match=needle):
        plan(job(clip, out, **change))
    assert list(tmp_path.iterdir()) == []


def test_gif_and_overwrite_are_refused_in_under_a_second(clip, tmp_path, no_decoding):
    for out in (tmp_path / "out.gif", clip):
        began = time.perf_counter()
        with pytest.raises(VmagError, match=r"unsupported suffix|refusing to overwrite the input"):
            plan(job(clip, out))
        assert time.perf_counter() - began < 1.0


def test_overwriting_the_input_is_refused_through_a_link(clip, tmp_path, no_decoding):
    link = tmp_path / "link.mkv"
    os.link(clip, link)
    with pytest.raises(VmagError, match="refusing to overwrite the input"):
        plan(job(clip, link))
    with pytest.raises(VmagError, match="refusing to overwrite the input"):
        plan(job(clip, tmp_path / "o.mp4", compare=link))


def test_an_unwritable_folder_is_refused(clip, tmp_path, no_decoding):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(VmagError, match="not a writable folder"):
        plan(job(clip, blocker / "out.mp4"))


def test_a_band_from_0_hz_is_warned_about(clip, tmp_path):
    p = plan(job(clip, tmp_path / "o.mp4", params={"alpha": 5, "band": (0.0, 4.0)}))
    assert any("band starts at 0 Hz" in w for w in p.warnings)
    assert plan(job(clip, tmp_path / "o.mp4")).warnings == []


def test_plan_fills_defaults_and_counts_frames(clip, tmp_path):
    p = plan(job(clip, tmp_path / "o.mp4", start=5, stop=50))
    assert (p.start, p.stop, p.frames) == (5, 50, 45)
    assert p.method == "phase" and p.magnifier.alpha == 10.0 and p.magnifier.orientations == 4
    assert p.info.fps == pytest.approx(FPS)


def test_explicit_values_win_over_a_preset(clip, tmp_path):
    p = prepare(job(clip, tmp_path / "o.mp4", method=None, params={"band": (2.0, 4.0)},
                    preset="pulse"))  # fmt: skip
    assert p.method == "color" and p.params["band"] == (2.0, 4.0) and p.params["alpha"] == 25
    assert p.params["levels"] == 4 and p.job.mask == "skin"  # the preset's, not given
    assert any("--band given" in m for m in p.messages)


def test_job_round_trips_through_json(clip, tmp_path):
    j = job(clip, tmp_path / "o.mp4", compare=tmp_path / "c.mp4", stream=True, fps=60.0)
    again = MagnifyJob.from_dict(json.loads(json.dumps(j.to_dict())))
    assert again == j and isinstance(again.params["band"], tuple)
    with pytest.raises(VmagError, match="no field colour"):
        MagnifyJob.from_dict({**j.to_dict(), "colour": 1})


@dataclass(kw_only=True)
class PairMagnifier(Magnifier):
    """A method of two videos (as posture magnification will be)."""

    name: ClassVar[str] = "pair-test"
    capabilities: ClassVar[Capabilities] = Capabilities(
        inputs=("query", "reference"), streams=False
    )

    def magnify(self, frames, fps, progress=None):
        return frames


def test_inputs_must_match_the_methods_declared_inputs(clip, tmp_path, monkeypatch):
    registry.list_magnifiers()
    monkeypatch.setitem(registry.MAGNIFIERS._classes, PairMagnifier.name, PairMagnifier)
    with pytest.raises(VmagError, match="takes inputs query, reference; got video"):
        plan(job(clip, tmp_path / "o.mp4", method="pair-test", params={}))
    two = MagnifyJob({"query": clip, "reference": clip}, "pair-test", {}, tmp_path / "o.mp4")
    assert plan(two).magnifier.name == "pair-test"
    with pytest.raises(VmagError, match="does not stream"):
        plan(MagnifyJob(two.inputs, "pair-test", {}, tmp_path / "o.mp4", stream=True))
    missing = MagnifyJob({"query": clip, "reference": tmp_path / "x.mp4"}, "pair-test", {},
                         tmp_path / "o.mp4")  # fmt: skip
    with pytest.raises(VmagError, match=r"input reference .* does not exist"):
        plan(missing)


def test_a_preset_with_another_method_keeps_only_alpha_and_band(clip, tmp_path):
    job = MagnifyJob({"video": clip}, "phase", {"band": (2.0, 4.0)}, tmp_path / "o.mp4",
                     preset="pulse")  # fmt: skip
    p = prepare(job)
    assert p.method == "phase" and "levels" not in p.params and p.params["alpha"] == 25
    assert p.magnifier.levels is None  # the colour level 4 is not taken for pyramid scales
    assert any("left out with --method phase" in m for m in p.messages)


def test_the_default_path_reads_twice_streams_exactly_or_holds_the_clip(clip, tmp_path):
    p = plan(job(clip, tmp_path / "o.mp4"))  # phase, Butterworth: zero-phase in two passes
    assert p.mode == "two-pass" and not p.job.stream and not p.messages
    p = plan(job(clip, tmp_path / "o.mp4", params={"alpha": 5, "band": (2.0, 4.0),
                                                    "filter": "iir"}))  # fmt: skip
    assert p.mode == "stream" and p.job.stream and not p.messages  # the same output anyway
    p = plan(job(clip, tmp_path / "o.mp4", params={"alpha": 5, "band": (2.0, 4.0),
                                                    "filter": "ideal"}))  # fmt: skip
    assert p.mode == "whole"
    assert plan(job(clip, tmp_path / "o.mp4", stream=True)).mode == "stream"


def test_without_room_the_default_path_streams_instead_or_is_refused(clip, tmp_path, monkeypatch):
    import vmag.pipeline.job as job_module

    p = plan(job(clip, tmp_path / "o.mp4"))
    disk = p.magnifier.two_pass_disk_bytes(p.frames, p.info.height, p.info.width, p.info.fps)
    assert disk > 2 * 32 * 32 * 4  # states per coefficient and chunk
    full = type("Usage", (), {"free": disk})  # 80 % of it is allowed
    monkeypatch.setattr(job_module.shutil, "disk_usage", lambda path: full)
    p = plan(job(clip, tmp_path / "o.mp4"))
    assert p.mode == "stream" and any("temporary disk" in m for m in p.messages)

    ideal = {"alpha": 5, "band": (2.0, 4.0), "filter": "ideal"}
    p = plan(job(clip, tmp_path / "o.mp4", params=ideal))
    need = p.magnifier.offline_bytes(p.frames, p.info.height, p.info.width)
    assert need > 60 * 32 * 32 * 24  # at least the clip and its output in float32
    monkeypatch.setattr(job_module, "available_memory", lambda: need)
    with pytest.raises(VmagError, match="cannot stream: filter=ideal needs the whole clip"):
        plan(job(clip, tmp_path / "o.mp4", params=ideal))
    monkeypatch.setattr(job_module, "available_memory", lambda: 10 * need)
    assert plan(job(clip, tmp_path / "o.mp4", params=ideal)).mode == "whole"  # fits


def test_the_offline_estimate_follows_the_method():
    from vmag.registry import create_magnifier

    phase = create_magnifier("phase", alpha=5, band=(1.0, 2.0))
    color = create_magnifier("color", alpha=5, band=(1.0, 2.0))
    assert phase.offline_bytes(300, 480, 640) > 2 * color.offline_bytes(300, 480, 640)
    assert color.offline_bytes(300, 480, 640) == 300 * 480 * 640 * 24
