"""The command-line program: outputs, pictures, and one-line errors with exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.cli_run import run
from vmag.bench import displacement_series, tone_amplitude
from vmag.io import VideoWriter, probe, read_video
from vmag.synth import noise_texture, translating_clip

FPS = 30.0


@pytest.fixture(scope="module")
def clip_path(tmp_path_factory) -> Path:
    """A 64x64 texture moving by 0.1 px at 3 Hz, stored losslessly."""
    t = np.arange(60) / FPS
    frames = translating_clip(
        noise_texture(64, 64, blur=2.0, seed=11), 0.1 * np.sin(2 * np.pi * 3 * t)
    )
    path = tmp_path_factory.mktemp("clips") / "moving.mkv"
    with VideoWriter(path, FPS) as w:
        w.write_many(frames)
    return path


def test_magnify_offline_magnifies(capsys, clip_path, tmp_path):
    out = tmp_path / "out.mkv"
    cmp = tmp_path / "cmp.mp4"
    code, _, err = run(
        capsys,
        "magnify",
        clip_path,
        "-o",
        out,
        "--method",
        "phase",
        "--alpha",
        "10",
        "--band",
        "2",
        "4",
        "--filter",
        "ideal",
        "--compare",
        cmp,
    )
    assert code == 0, err
    frames, info = read_video(out)
    assert info.frames == 60 and info.fps == pytest.approx(FPS)
    moved = tone_amplitude(displacement_series(frames)[:, 1], 3.0, FPS)
    assert moved == pytest.approx(1.1, rel=0.2)
    assert probe(cmp).width >= 128  # input | output


def test_magnify_stream_and_fps_override(capsys, clip_path, tmp_path):
    out = tmp_path / "out.mkv"
    # At --fps 60 the 3 Hz motion is read as 6 Hz: the band 5-7 Hz now holds it.
    code, _, err = run(
        capsys,
        "magnify",
        clip_path,
        "-o",
        out,
        "--method",
        "linear",
        "--alpha",
        "5",
        "--band",
        "5",
        "7",
        "--filter",
        "iir",
        "--stream",
        "--fps",
        "60",
        "--lambda-c",
        "2",
    )
    assert code == 0, err
    info = probe(out)
    assert info.frames == 60 and info.fps == pytest.approx(60)


def test_vibration_preset_finds_the_band_and_magnifies(capsys, clip_path, tmp_path):
    out = tmp_path / "out.mkv"
    code, _, err = run(capsys, "magnify", clip_path, "-o", out, "--preset", "vibration")
    assert code == 0, err
    assert "most prominent peak 3.00 Hz" in err
    frames, _ = read_video(out)
    moved = tone_amplitude(displacement_series(frames)[:, 1], 3.0, FPS)
    assert moved > 10 * 0.1  # preset alpha 20 on a 0.1 px motion, well above the input


@pytest.mark.parametrize(("preset", "method"), [("pulse", "color"), ("breathing", "linear")])
def test_presets_fill_method_and_explicit_flags_win(capsys, clip_path, tmp_path, preset, method):
    out = tmp_path / "out.mkv"
    code, _, err = run(
        capsys,
        "magnify",
        clip_path,
        "-o",
        out,
        "--preset",
        preset,
        "--band",
        "2",
        "4",
        "--stop",
        "40",
    )
    assert code == 0, err
    assert f"preset {preset}: --band given, used instead of the preset's" in err
    assert any(line.startswith(f"{method}:") for line in err.splitlines())
    assert probe(out).frames == 40


def test_methods_lists_options(capsys):
    code, out, _ = run(capsys, "methods")  # a result: stdout
    assert code == 0
    for name in ("linear", "color", "phase", "riesz", "acceleration", "--lambda-c", "--bandwidth"):
        assert name in out


def test_methods_json_lists_every_option_with_its_range(capsys):
    code, out, _ = run(capsys, "methods", "--json")
    assert code == 0
    listing = {m["name"]: m for m in json.loads(out)["methods"]}
    phase = {o["name"]: o for o in listing["phase"]["options"]}
    assert phase["orientations"]["low"] == 2 and phase["orientations"]["high"] == 16
    assert phase["band"]["kind"] == "pair" and phase["bandwidth"]["choices"][0] == "octave"
    assert listing["magnet"]["needs_weights"] and listing["phase"]["inputs"] == ["video"]


def test_info(capsys, clip_path):
    code, out, _ = run(capsys, "info", clip_path, "--fps", "600")
    assert code == 0
    assert "64x64" in out and "600 fps" in out and "60" in out


def test_info_json(capsys, clip_path):
    code, out, _ = run(capsys, "info", clip_path, "--fps", "600", "--json")
    assert code == 0
    info = json.loads(out)
    assert (info["width"], info["height"], info["frames"], info["fps"]) == (64, 64, 60, 600.0)
    assert info["container_fps"] == pytest.approx(FPS)


def test_spectrum_finds_the_motion_frequency(capsys, clip_path, tmp_path):
    png = tmp_path / "spec.png"
    args = ("spectrum", clip_path, "-o", png, "--peaks", "1", "--min-freq", "1")
    code, out, err = run(capsys, *args)
    assert code == 0, err
    peaks = [ln for ln in out.splitlines() if ln.strip().endswith("dB") and "/min" in ln]
    first_peak = float(peaks[0].split("Hz")[0])
    assert first_peak == pytest.approx(3.0, abs=0.3)
    assert png.stat().st_size > 1000


def test_spectrum_json(capsys, clip_path, tmp_path):
    png = tmp_path / "spec.png"
    args = ("spectrum", clip_path, "-o", png, "--peaks", "2", "--min-freq", "1", "--json")
    code, out, err = run(capsys, *args)
    assert code == 0, err
    doc = json.loads(out)
    assert len(doc["peaks"]) >= 1 and doc["fps"] == pytest.approx(FPS)
    assert doc["peaks"][0]["hz"] == pytest.approx(3.0, abs=0.3)
    assert doc["peaks"][0]["per_min"] == pytest.approx(60 * doc["peaks"][0]["hz"])


def test_slice_writes_png(capsys, clip_path, tmp_path):
    png = tmp_path / "slice.png"
    code, _, err = run(capsys, "slice", clip_path, clip_path, "--x", "32", "-o", png)
    assert code == 0, err
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.fixture()
def not_a_video(tmp_path) -> Path:
    p = tmp_path / "notes.mp4"
    p.write_text("this is not a video\n" * 50)
    return p


@pytest.fixture()
def truncated(tmp_path, clip_path) -> Path:
    p = tmp_path / "cut.mp4"
    frames, _ = read_video(clip_path)
    with VideoWriter(p, FPS) as w:
        w.write_many(frames)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    return p


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["magnify", "{missing}", "-o", "{tmp}/o.mp4"], "missing"),
        (["magnify", "{bad}", "-o", "{tmp}/o.mp4"], "notes.mp4"),
        (["magnify", "{cut}", "-o", "{tmp}/o.mp4"], "cut.mp4"),
        (["magnify", "{clip}", "-o", "{tmp}/o.mp4", "--alpha", "0"], "alpha"),
        (["magnify", "{clip}", "-o", "{tmp}/o.mp4", "--band", "1", "20"], "Nyquist"),
        (
            ["magnify", "{clip}", "-o", "{tmp}/o.mp4", "--method", "phase", "--lambda-c", "4"],
            "--lambda-c",
        ),
        (["magnify", "{clip}", "-o", "{tmp}/o.mp4", "--method", "nope"], "unknown method"),
        (["magnify", "{clip}", "-o", "{clip}"], "input"),
        (["magnify", "{clip}", "-o", "{tmp}/o.mp4", "--alpha", "abc"], "alpha"),
        (["magnify", "{clip}", "-o", "{tmp}/o.mp4", "--filter", "ideal", "--stream"], "whole clip"),
        (["info", "{clip}", "--fps", "-3"], "fps"),
        (["slice", "{clip}", "-o", "{tmp}/s.png"], "--x"),
        (["spectrum", "{clip}", "-o", "{tmp}/s.png", "--roi", "0", "0", "500", "10"], "roi"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    capsys, tmp_path, clip_path, not_a_video, truncated, args, needle
):
    subs = {
        "{missing}": str(tmp_path / "missing.mp4"),
        "{bad}": str(not_a_video),
        "{cut}": str(truncated),
        "{clip}": str(clip_path),
        "{tmp}": str(tmp_path),
    }
    argv = []
    for a in args:
        for k, v in subs.items():
            a = a.replace(k, v)
        argv.append(a)
    before = clip_path.stat().st_mtime_ns
    code, out, err = run(capsys, *argv)
    assert code == 2
    lines = [ln for ln in err.strip().splitlines() if ln.startswith("vmag: error")]
    assert len(lines) == 1, err
    assert needle in lines[0]
    assert "Traceback" not in err + out
    assert clip_path.stat().st_mtime_ns == before  # the input is never touched
    assert not (tmp_path / "o.mp4").exists()


def test_interrupted_run_leaves_no_output(capsys, clip_path, tmp_path, monkeypatch):
    out = tmp_path / "out.mp4"
    calls = {"n": 0}
    original = VideoWriter.write

    def interrupt(self, frame):
        calls["n"] += 1
        if calls["n"] == 10:
            raise KeyboardInterrupt
        original(self, frame)

    monkeypatch.setattr(VideoWriter, "write", interrupt)
    code, _, err = run(capsys, "magnify", clip_path, "-o", out, "--alpha", "5", "--band", "2", "4")
    assert code == 130
    assert "interrupted" in err
    assert list(tmp_path.iterdir()) == []  # neither the output nor a temporary remains


def test_python_m_vmag_bad_input_has_no_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "vmag", "info", str(tmp_path / "nothing.mp4")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("vmag: error:")


def test_demo_writes_and_magnifies(capsys, tmp_path):
    code, _, err = run(capsys, "demo", "-o", tmp_path / "demo")
    assert code == 0, err
    names = {p.name for p in (tmp_path / "demo").iterdir()}
    assert {"input.mp4", "magnified.mp4", "side_by_side.mp4", "slice.png"} <= names
    clip, _ = read_video(tmp_path / "demo" / "input.mp4")
    mag, _ = read_video(tmp_path / "demo" / "magnified.mp4")
    # Motion around the breathing region, input against output.
    region = (slice(None), slice(130, 230), slice(150, 260))
    amp_in = tone_amplitude(displacement_series(clip[region], border=0)[30:, 0], 1.0, 30)
    amp_out = tone_amplitude(displacement_series(mag[region], border=0)[30:, 0], 1.0, 30)
    assert amp_out > 5 * amp_in


def test_learned_method_runs_with_given_weights_and_explains_missing_ones(
    capsys, clip_path, tmp_path, monkeypatch
):
    from vmag.learned import zoo

    weights = tmp_path / "lw.pt"
    zoo.save_weights(zoo.build_model("lightweight"), weights, "lightweight")
    out = tmp_path / "lw.mkv"
    args = ["magnify", clip_path, "-o", out, "--method", "lightweight", "--alpha", "5"]
    code, _, err = run(capsys, *args, "--weights", weights, "--mode", "dynamic", "--tile", "0")
    assert code == 0, err
    assert probe(out).frames == probe(clip_path).frames
    monkeypatch.setattr(zoo, "shipped_weights", lambda name: None)  # as before any ship
    code, _, err = run(capsys, *args[:-4], "--method", "magnet")
    assert code == 2 and "no trained weights for magnet" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("output", ["{tmp}/x.gif", "{clip}", "{tmp}/ok.mp4 --compare={clip}"])
def test_a_doomed_output_is_refused_before_torch_is_imported(clip_path, tmp_path, output):
    words = output.replace("{tmp}", str(tmp_path)).replace("{clip}", str(clip_path)).split()
    argv = ["magnify", str(clip_path), "--alpha", "5", "-o", *words]
    script = (
        "import sys\nfrom vmag.cli import main\n"
        f"try:\n    main({argv!r})\n"
        "except SystemExit as e:\n    print(e.code, 'torch' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.stdout.split() == ["2", "False"], proc.stderr  # refused without the heavy imports
    assert proc.stderr.count("vmag: error:") == 1 and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.gif").exists() and not (tmp_path / "ok.mp4").exists()


def test_roi_and_slow_motion_flags(capsys, clip_path, tmp_path):
    out = tmp_path / "out.mkv"
    args = ("magnify", clip_path, "-o", out, "--alpha", "5", "--band", "2", "4")
    code, _, err = run(capsys, *args, "--roi", "10", "10", "30", "30", "--out-fps", "15")
    assert code == 0, err
    assert probe(out).fps == pytest.approx(15) and probe(out).frames == 60
    code, _, err = run(capsys, *args, "--roi", "50", "50", "30", "30")
    assert code == 2 and "--roi 50 50 30 30 is not inside the 64x64 frame" in err
