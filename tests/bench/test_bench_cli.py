"""``vmag bench``: runs a protocol, prints the table, writes three files; bad input -> exit 2."""

from __future__ import annotations

import json

import pytest

from tests.cli_run import run


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
    ],
)
def test_bad_input_is_one_error_line_and_exit_2(capsys, tmp_path, args, message):
    code, _, err = run(capsys, *args, "--out", tmp_path / "o")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("vmag: error:")
    assert message in err
    assert not (tmp_path / "o").exists()
