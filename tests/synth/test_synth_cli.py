"""``vmag synth motion``: shards and manifest on disk, resuming, a preview, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.cli_run import run
from vmag.synth.motion import MotionConfig, ShardDataset, make_sample


def test_motion_writes_shards_resumes_and_previews(capsys, tmp_path):
    out = tmp_path / "data"
    png = tmp_path / "preview.png"
    args = ["synth", "motion", "--n", "5", "--size", "48", "--seed", "3", "-o", out]
    code, _, err = run(
        capsys, *args, "--shard-size", "2", "--parts", "base,static", "--no-noise", "--preview", png
    )
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json",
        "shard-00000.npz",
        "shard-00001.npz",
        "shard-00002.npz",
    ]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["n"] == 5 and manifest["seed"] == 3 and manifest["complete"]
    assert manifest["config"]["parts"] == ["base", "static"] and not manifest["config"]["noise"]
    summary = [ln for ln in err.splitlines() if ln.startswith("wrote 5 samples")]
    assert len(summary) == 1 and "3 shards" in summary[0] and "samples/s" in summary[0]
    assert png.read_bytes()[:4] == b"\x89PNG"

    config = MotionConfig(size=48, parts=("base", "static"), noise=False)
    ds = ShardDataset(out)
    want = make_sample(3, 4, config)
    assert want.part in ("base", "static")
    got = (ds[4]["y"].numpy().transpose(1, 2, 0) + 1) / 2
    np.testing.assert_allclose(got, want.y, atol=1.01 / 255)

    (out / "shard-00001.npz").unlink()
    stamp = (out / "shard-00000.npz").stat().st_mtime_ns
    code, _, err = run(capsys, *args, "--shard-size", "2", "--parts", "base,static", "--no-noise")
    assert code == 0, err
    assert "(3 already there)" in err
    assert (out / "shard-00001.npz").is_file()
    assert (out / "shard-00000.npz").stat().st_mtime_ns == stamp


@pytest.mark.parametrize(
    ("flags", "needle"),
    [
        (["--n", "0"], "--n"),
        (["--n", "abc"], "--n"),
        (["--n", "2", "--size", "8"], "size"),
        (["--n", "2", "--parts", "base,nope"], "--parts"),
        (["--n", "2", "--shard-size", "0"], "--shard-size"),
        (["--n", "2", "--seed", "-1"], "--seed"),
    ],
)
def test_motion_bad_parameters_give_one_error_line(capsys, tmp_path, flags, needle):
    code, _, err = run(capsys, "synth", "motion", "-o", tmp_path / "d", *flags)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vmag: error:") and needle in lines[0]
    assert not (tmp_path / "d" / "manifest.json").exists()


def test_motion_refuses_a_folder_with_another_data_set(capsys, tmp_path):
    args = ["synth", "motion", "--n", "1", "--size", "32", "-o", tmp_path]
    assert run(capsys, *args)[0] == 0
    code, _, err = run(capsys, *args[:-2], "--seed", "5", "-o", tmp_path)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "different data set" in lines[0]


def test_physio_writes_lossless_clips_and_their_truth(capsys, tmp_path):
    from vmag.io import read_video
    from vmag.synth.physio import PhysioConfig, render_subject

    out = tmp_path / "physio"
    args = ["synth", "physio", "--subjects", "2", "--task", "C", "--size", "48"]
    code, _, err = run(capsys, *args, "--seconds", "3", "--seed", "4", "-o", out)
    assert code == 0, err
    names = sorted(p.name for p in out.iterdir())
    assert names == ["preview.png", "subject-000-C.mkv", "subject-000-C.npz",
                     "subject-001-C.mkv", "subject-001-C.npz"]  # fmt: skip
    want = render_subject(4, 1, PhysioConfig(size=48, seconds=3.0, task="C"))
    frames, info = read_video(out / "subject-001-C.mkv")
    assert info.frames == 90 and np.abs(frames - want.frames).max() <= 0.5 / 255 + 1e-6
    truth = np.load(out / "subject-001-C.npz")
    np.testing.assert_array_equal(truth["pulse"], want.pulse)
    skin = np.unpackbits(truth["skin"], axis=-1)[..., : int(truth["width"])].astype(bool)
    np.testing.assert_array_equal(skin, want.skin)
    assert float(truth["heart_rate"]) == pytest.approx(want.heart_rate)


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["--task", "E"], "task must be one of"), (["--seconds", "1"], "seconds must give")],
)
def test_physio_refuses_bad_settings_in_one_line(capsys, tmp_path, args, needle):
    code, _, err = run(capsys, "synth", "physio", "--subjects", "1", "-o", tmp_path, *args)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1
