"""Bench reports: the JSON, the Markdown table with the best in bold, the plot, atomic writes."""

from __future__ import annotations

import doctest
import json

import pytest

from vmag.bench import report, runner
from vmag.bench.protocol import BenchResult
from vmag.bench.protocols.subpixel import SubpixelProtocol
from vmag.bench.report import (
    jsonable,
    markdown_report,
    markdown_table,
    reproduce_command,
    write_report,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def sweep(settings: dict | None = None) -> BenchResult:
    return BenchResult(
        protocol="subpixel",
        kind="sweep",
        settings=settings or {"seed": 2, "quick": True, "methods": ["linear", "phase"]},
        scores={"linear": [0.5, 0.2, float("nan")], "phase": [0.8, 0.1, 0.3]},
        levels=[0.04, 0.2, 1.0],
        baseline=[0.6, 0.15, 0.25],
        level_name="input motion (px)",
        score_name="SSIM",
        notes=["a note"],
    )


def table(higher_is_better: bool) -> BenchResult:
    return BenchResult(
        protocol="demo-table",
        kind="table",
        settings={"seed": 0, "quick": False},
        scores={
            "input": {"mse": 4.0, "bias": 1.0},
            "linear": {"mse": 2.0, "bias": 3.0},
            "phase": {"mse": 1.0},
        },
        score_name="MSE (8-bit)",
        higher_is_better=higher_is_better,
    )


def test_sweep_table_bolds_the_best_of_each_row():
    lines = markdown_table(sweep()).splitlines()
    assert lines[0] == "| input motion (px) | input | linear | phase |"
    assert lines[2] == "| 0.04 | 0.6000 | 0.5000 | **0.8000** |"
    assert lines[3] == "| 0.2 | 0.1500 | **0.2000** | 0.1000 |"
    assert lines[4] == "| 1 | 0.2500 | – | **0.3000** |"  # NaN shows as missing
    assert len(lines) == 5


@pytest.mark.parametrize("higher", [True, False])
def test_table_bolds_the_best_of_each_column(higher):
    lines = markdown_table(table(higher)).splitlines()
    assert lines[0] == "| method | mse | bias |"
    rows = {line.split(" | ")[0][2:]: line.split(" | ")[1:] for line in lines[2:]}
    if higher:
        assert rows["input"] == ["**4.000**", "1.000 |"] and rows["linear"][1] == "**3.000** |"
    else:
        assert rows["phase"] == ["**1.000**", "– |"] and rows["input"][1] == "**1.000** |"


def test_reproduce_command_and_whether_it_reruns_the_same_settings():
    default = SubpixelProtocol(seed=2, quick=True).settings()
    same = sweep({**default, "methods": ["linear", "phase"]})
    assert reproduce_command(same) == "vmag bench subpixel --methods linear,phase --seed 2 --quick"
    assert "Reproduce: `vmag bench subpixel --methods linear,phase --seed 2 --quick`\n" in (
        markdown_report(same)
    )
    smaller = sweep({**default, "size": 32, "methods": ["linear", "phase"]})
    assert reproduce_command(smaller).endswith(" --quick --set size=32")  # what --set gave
    assert "settings differ" not in markdown_report(smaller)
    tiny = sweep({**default, "size": 8, "methods": ["linear", "phase"]})
    assert "settings differ" in markdown_report(tiny)  # below the least size
    moved = sweep({**default, "min_motion": 0.1, "methods": ["linear", "phase"]})
    assert "settings differ" in markdown_report(moved)  # not a size: no flag sets it
    assert "settings differ" in markdown_report(table(True))  # not a registered protocol
    weighted = sweep({**default, "methods": ["lightweight"], "weights": {"lightweight": "a b.pt"}})
    assert reproduce_command(weighted).endswith(" --quick --weights 'lightweight=a b.pt'")
    assert "settings differ" not in markdown_report(weighted)


def test_write_report_writes_json_markdown_and_png(tmp_path):
    paths = write_report(sweep(), tmp_path / "out", wall_s=1.23456)
    names = [p.name for p in paths]
    assert names == ["subpixel.json", "subpixel.md", "subpixel.png"]
    doc = json.loads(paths[0].read_text())
    assert doc["protocol"] == "subpixel" and doc["kind"] == "sweep"
    assert doc["settings"] == {"seed": 2, "quick": True, "methods": ["linear", "phase"]}
    assert doc["levels"] == [0.04, 0.2, 1.0] and doc["baseline"] == [0.6, 0.15, 0.25]
    assert doc["scores"]["linear"] == [0.5, 0.2, None]  # NaN is not JSON
    machine = doc["machine"]
    assert machine["wall_s"] == 1.235 and machine["cpu_count"] >= 1
    assert {"platform", "torch", "vmag", "date"} <= set(machine)
    md = paths[1].read_text()
    assert md.startswith("# vmag bench: subpixel\n") and markdown_table(sweep()) in md
    assert "- a note" in md
    assert paths[2].read_bytes().startswith(PNG_MAGIC) and paths[2].stat().st_size > 5000
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(names)


def test_table_report_plots_bars(tmp_path):
    paths = write_report(table(False), tmp_path)
    assert paths[2].read_bytes().startswith(PNG_MAGIC)
    assert json.loads(paths[0].read_text())["scores"]["phase"] == {"mse": 1.0}


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    write_report(sweep(), tmp_path)
    old = (tmp_path / "subpixel.png").read_bytes()

    def broken(result):
        raise RuntimeError("plot failed")

    monkeypatch.setattr(report, "_plot", broken)
    with pytest.raises(RuntimeError, match="plot failed"):
        write_report(sweep(), tmp_path)
    assert (tmp_path / "subpixel.png").read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "subpixel.json",
        "subpixel.md",
        "subpixel.png",
    ]


def test_jsonable_converts_tuples_numpy_and_nonfinite():
    import numpy as np

    assert jsonable({"a": (1, np.float64(2.5)), 3: [np.inf, np.int64(4)]}) == {
        "a": [1, 2.5],
        "3": [None, 4],
    }


@pytest.mark.parametrize("module", [report, runner])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
