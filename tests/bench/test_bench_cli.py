"""``vmag bench``: runs a protocol, prints the table, writes three files; ``--set`` sizes a
run, ``--weights`` scores trained networks that are not shipped; bad input -> exit 2."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.cli_run import run
from vmag.learned import zoo
from vmag.learned.train import parse_config, train

TINY = Path(__file__).resolve().parents[2] / "configs" / "tiny.toml"


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """Weights of a tiny lightweight network trained for 4 iterations (seconds on a CPU)."""
    out = tmp_path_factory.mktemp("tiny-lightweight")
    config = parse_config(TINY.read_text(), model="lightweight", source="tiny.toml")
    return train(config, out, device="cpu").weights


def test_bench_quick_writes_json_markdown_and_plot(capsys, tmp_path):
    code, out, err = run(
        capsys, "bench", "noise", "--methods", "linear", "--quick", "--seed", "3", "--out", tmp_path
    )
    assert code == 0, err
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["noise.json", "noise.md", "noise.png"]
    doc = json.loads((tmp_path / "noise.json").read_text())
    assert doc["settings"]["seed"] == 3 and doc["settings"]["quick"] is True
    assert list(doc["scores"]) == ["linear"] and len(doc["scores"]["linear"]) == 3
    assert doc["machine"]["wall_s"] > 0
    assert out.startswith("| noise σ (8-bit grey levels) | input | linear |")
    assert len(out.splitlines()) == 2 + 3
    assert "Reproduce: `vmag bench noise --methods linear --seed 3 --quick`" in (
        (tmp_path / "noise.md").read_text()
    )
    assert f"wrote {tmp_path / 'noise.png'}" in " ".join(err.split())


def test_bench_list_names_every_protocol(capsys):
    code, _, err = run(capsys, "bench", "--list")
    assert code == 0
    names = [line.split()[0] for line in err.strip().splitlines()]
    assert {"subpixel", "noise"} <= set(names)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bench", "nope"], "unknown protocol 'nope'; choose from subpixel, noise"),
        (["bench", "subpixel", "--methods", "phase,nope"], "unknown method 'nope'"),
        (["bench"], "give a PROTOCOL"),
        (["bench", "subpixel", "--seed", "-1"], "--seed"),
        (
            ["bench", "subpixel", "--set", "clips=2"],
            "subpixel has no setting 'clips'; set one of size, samples, levels",
        ),
        (["bench", "circles", "--set", "clips=x"], "--set clips must be an integer, got 'x'"),
        (["bench", "circles", "--set", "nope=x"], "no setting 'nope'; set one of clips, size"),
        (["bench", "noise", "--set", "samples"], "--set takes KEY=VALUE, got 'samples'"),
        (["bench", "noise", "--set", "samples=0", "--quick"], "samples must be an integer >= 1"),
        (["bench", "noise", "--set", "size=40", "--set", "size=48"], "size given more than once"),
        (
            ["bench", "subpixel", "--methods", "phase", "--weights", "lightweight=w.pt"],
            "--weights for 'lightweight', which is not benchmarked (methods: phase)",
        ),
        (["bench", "subpixel", "--weights", "phase=w.pt"], "'phase': it takes no weights"),
        (
            ["bench", "subpixel", "--weights", "lightweight=missing.pt"],
            "--weights for 'lightweight': no such file 'missing.pt'",
        ),
        (["bench", "subpixel", "--weights", "lightweight"], "--weights takes KEY=VALUE"),
    ],
)
def test_bad_input_is_one_error_line_and_exit_2(capsys, tmp_path, args, message):
    code, _, err = run(capsys, *args, "--out", tmp_path / "o")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("vmag: error:")
    assert message in err
    assert not (tmp_path / "o").exists()


def test_set_sizes_a_quick_run(capsys, tmp_path):
    args = ["--methods", "linear", "--quick", "--set", "samples=1", "--set", "levels=2"]
    code, out, err = run(capsys, "bench", "subpixel", *args, "--out", tmp_path)
    assert code == 0, err
    doc = json.loads((tmp_path / "subpixel.json").read_text())
    assert (doc["settings"]["samples"], doc["settings"]["levels"]) == (1, 2)
    assert doc["settings"]["size"] == 64  # the quick default, not set
    assert len(doc["levels"]) == len(doc["scores"]["linear"]) == 2
    assert len(out.splitlines()) == 2 + 2
    md = (tmp_path / "subpixel.md").read_text()
    assert "--seed 0 --quick --set samples=1 --set levels=2`\n" in md  # reruns exactly this


def test_weights_score_a_trained_network_that_is_not_shipped(capsys, tmp_path, trained):
    args = ["--quick", "--set", "samples=1", "--set", "levels=1", "--methods", "lightweight"]
    code, _, err = run(
        capsys, "bench", "subpixel", *args, "--weights", f"lightweight={trained}", "--out", tmp_path
    )
    assert code == 0, err
    doc = json.loads((tmp_path / "subpixel.json").read_text())
    [score] = doc["scores"]["lightweight"]
    assert math.isfinite(score) and -1 <= score <= 1
    assert doc["settings"]["weights"] == {"lightweight": str(trained)}
    assert f"--weights lightweight={trained}" in (tmp_path / "subpixel.md").read_text()


def test_a_learned_method_without_shipped_weights_needs_weights(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(zoo, "shipped_weights", lambda name: None)  # as before any ship
    code, _, err = run(capsys, "bench", "subpixel", "--methods", "lightweight", "--out", tmp_path)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "lightweight has no shipped weights yet; give --weights lightweight=PATH" in err
    assert not any(tmp_path.iterdir())
