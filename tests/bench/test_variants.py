"""Method variants ``NAME:KEY=VALUE``: one bench run compares a method in two settings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.cli_run import run
from vmag.bench.protocol import magnify_clip, split_method
from vmag.bench.protocols._common import periodic_clip
from vmag.bench.protocols.noise import NoiseProtocol
from vmag.bench.runner import run_protocol
from vmag.errors import VmagError
from vmag.synth.motion import sample_scene


def test_values_take_the_kind_of_the_option() -> None:
    assert split_method("phase:filter=static:sigma=2:orientations=2:luminance_only=no") == (
        "phase",
        {"filter": "static", "sigma": 2.0, "orientations": 2, "luminance_only": False},
    )
    assert split_method(" lightweight : mode = temporal ") == ("lightweight", {"mode": "temporal"})
    # an option whose default is None takes a number, or else the string (a path)
    assert split_method("phase:levels=3") == ("phase", {"levels": 3})
    assert split_method("magnet:weights=run/m.pt") == ("magnet", {"weights": "run/m.pt"})


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nope:mode=static", "unknown method 'nope'"),
        ("phase:mode=static", "phase has no option 'mode'; choose from filter, order,"),
        ("phase:alpha=3", "alpha is set by the protocol"),
        ("phase:band=1", "band is set by the protocol"),
        ("phase:filter=median", "filter must be one of ideal, butter, iir, accel, static"),
        ("phase:sigma=wide", "sigma must be a number >= 0, got 'wide'"),
        ("phase:luminance_only=maybe", "luminance_only must be true or false"),
        ("phase:filter", "'filter' is not KEY=VALUE"),
        ("phase:order=1:order=2", "order given more than once"),
    ],
)
def test_bad_variants_are_named(spec: str, message: str) -> None:
    with pytest.raises(VmagError, match=message):
        split_method(spec)


def test_a_variant_runs_its_method_with_its_options() -> None:
    scene = sample_scene(np.random.default_rng(0), 32, part="base", motion=0.2)
    clip = periodic_clip(scene.render, 9.0)
    protocol = NoiseProtocol(size=32, samples=1, levels=1)
    np.testing.assert_array_equal(
        protocol.magnify("phase:filter=static", clip),
        magnify_clip("phase", clip, filter="static"),
    )
    # and not as the plain method does (the ideal band-pass)
    static = magnify_clip("phase", clip, filter="static")
    assert not np.array_equal(protocol.magnify("phase", clip), static)


def test_variants_are_scored_under_their_spec() -> None:
    methods = ["phase", "phase:filter=static"]
    result = run_protocol("noise", methods, quick=True, sizes={"levels": 2})
    assert list(result.scores) == ["phase", "phase:filter=static"]
    assert result.settings["methods"] == ["phase", "phase:filter=static"]
    # at 30 grey levels of noise and alpha = 199 the two-frame setting magnifies the noise
    # that the ideal band-pass removes: it must score lower
    assert result.scores["phase:filter=static"][1] < result.scores["phase"][1]


def test_weights_apply_to_every_variant_of_the_method(magnify_calls, tmp_path) -> None:
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"")
    run_protocol(
        "noise",
        ["lightweight", "lightweight:mode=temporal", "linear"],
        quick=True,
        sizes={"samples": 1, "levels": 1},
        weights={"lightweight": weights},
    )
    assert magnify_calls == [
        ("lightweight", {"weights": str(weights)}),
        ("lightweight", {"mode": "temporal", "weights": str(weights)}),
        ("linear", {}),
    ]


def test_cli_compares_variants_in_one_run(capsys, tmp_path) -> None:
    args = ["--methods", "linear,linear:filter=static", "--quick", "--set", "levels=1"]
    code, out, err = run(capsys, "bench", "noise", *args, "--out", tmp_path)
    assert code == 0, err
    doc = json.loads((tmp_path / "noise.json").read_text())
    assert list(doc["scores"]) == ["linear", "linear:filter=static"]
    assert out.startswith("| noise σ (8-bit grey levels) | input | linear | linear:filter=static |")


@pytest.mark.parametrize(
    ("methods", "message"),
    [
        ("phase:filter=median", "filter must be one of"),
        ("phase:filter=static,phase:filter=static", "phase:filter=static given more than once"),
        ("lightweight:weights=missing.pt", "no such weights file 'missing.pt'"),
    ],
)
def test_bad_variant_on_the_cli_is_one_line_and_exit_2(capsys, tmp_path, methods, message):
    code, _, err = run(capsys, "bench", "noise", "--methods", methods, "--out", tmp_path / "o")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert message in err
    assert not (tmp_path / "o").exists()


def _report(capsys, tmp_path, name: str, methods: str) -> Path:
    args = ["--methods", methods, "--quick", "--set", "levels=2", "--out", tmp_path / name]
    code, _, err = run(capsys, "bench", "noise", *args)
    assert code == 0, err
    return tmp_path / name / "noise.json"


def test_merged_reports_equal_one_run_of_all_their_methods(capsys, tmp_path) -> None:
    a = _report(capsys, tmp_path, "a", "linear")
    b = _report(capsys, tmp_path, "b", "linear:filter=static")
    both = _report(capsys, tmp_path, "both", "linear,linear:filter=static")
    code, out, err = run(capsys, "bench", "--merge", a, "--merge", b, "--out", tmp_path / "m")
    assert code == 0, err
    merged = json.loads((tmp_path / "m" / "noise.json").read_text())
    whole = json.loads(both.read_text())
    assert merged["scores"] == whole["scores"] and merged["baseline"] == whole["baseline"]
    assert merged["settings"]["methods"] == ["linear", "linear:filter=static"]
    assert out.startswith("| noise σ (8-bit grey levels) | input | linear | linear:filter=static |")
    assert "--methods linear,linear:filter=static --seed 0 --quick --set levels=2`" in (
        (tmp_path / "m" / "noise.md").read_text()
    )


def test_merge_refuses_reports_of_other_clips_or_the_same_method(capsys, tmp_path) -> None:
    a = _report(capsys, tmp_path, "a", "linear")
    code, _, err = run(capsys, "bench", "--merge", a, "--merge", a, "--out", tmp_path / "m")
    assert code == 2 and "method linear is in more than one report" in err
    doc = json.loads(a.read_text())
    doc["settings"]["seed"] = 5
    (tmp_path / "c.json").write_text(json.dumps(doc | {"scores": {"phase": [0.5, 0.4]}}))
    code, _, err = run(capsys, "bench", "--merge", a, "--merge", tmp_path / "c.json")
    assert code == 2 and "the noise reports differ in settings: seed" in err
    (tmp_path / "bad.json").write_text("{}")
    code, _, err = run(capsys, "bench", "--merge", tmp_path / "bad.json")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "not a vmag bench report" in err
    code, _, err = run(capsys, "bench", "noise", "--merge", a)
    assert code == 2 and "--merge takes only report files" in err
    assert not (tmp_path / "m").exists()
