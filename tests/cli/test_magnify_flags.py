"""``vmag magnify``'s method flags are generated from the registry: every option that
``vmag methods`` lists is a flag of ``magnify`` and reaches the method as its value."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.main import get_command

from tests.cli_run import run
from vmag.cli.magnify import JOB_FLAGS, method_flags
from vmag.cli.main import app
from vmag.io import VideoWriter
from vmag.registry import list_magnifiers, magnifier_class


def _sample(o: dict) -> tuple[list[str], object]:
    """Command-line words setting option ``o`` (as listed) to a value other than its
    default where one exists, and that value."""
    if o["kind"] == "bool":
        return ([f"--no-{o['flag'][2:]}"], False) if o["default"] else ([o["flag"]], True)
    if o["choices"]:
        value = o["choices"][-1]
        return [o["flag"], value], value
    if o["kind"] == "pair":
        lo, hi = (o["low"] or 0) + 0.5, (o["low"] or 0) + 1.5
        return [o["flag"], str(lo), str(hi)], (lo, hi)
    if o["kind"] == "str":
        return [o["flag"], "w.pt"], "w.pt"
    base = o["low"] if o["low"] is not None else 1
    value = int(base) + 1 if o["kind"] == "int" else float(base) + 0.25
    return [o["flag"], str(value)], value


def test_every_listed_option_is_accepted_by_magnify(capsys):
    code, out, _ = run(capsys, "methods", "--json")
    assert code == 0
    command = get_command(app).commands["magnify"]
    checked = 0
    for m in json.loads(out)["methods"]:
        options = {o.name: o for o in magnifier_class(m["name"]).options()}
        for o in m["options"]:
            words, value = _sample(o)
            args = ["in.mp4", "-o", "out.mp4", "--method", m["name"], *words]
            ctx = command.make_context("magnify", args)
            got = ctx.params[o["name"]]
            assert options[o["name"]].check(got) == value, (m["name"], o["name"])
            unset = {k: v for k, v in ctx.params.items() if k not in JOB_FLAGS and k != o["name"]}
            assert all(v is None for v in unset.values())  # nothing else was set
            checked += 1
    assert checked >= 40


def test_one_flag_has_one_kind_across_methods():
    flags = method_flags()  # raises TypeError on a conflict
    assert set(flags) >= {"alpha", "band", "lambda_c", "orientations", "mode", "weights"}
    assert flags["lambda_c"][1] == ["linear"]
    assert set(flags["mode"][1]) == {n for n in list_magnifiers(unavailable=True)
                                     if "mode" in magnifier_class(n).option_names()}  # fmt: skip


def test_a_flag_of_another_method_is_refused_with_one_line(capsys, tmp_path):
    clip = tmp_path / "in.mkv"
    with VideoWriter(clip, 30) as w:
        w.write_many(np.zeros((20, 16, 16, 3), np.float32))
    code, _, err = run(capsys, "magnify", clip, "-o", tmp_path / "o.mp4",
                       "--method", "linear", "--orientations", "4")  # fmt: skip
    assert code == 2 and err.count("vmag: error:") == 1
    assert "method linear does not take --orientations" in err


@pytest.mark.parametrize("flag", ["--luminance-only", "--no-luminance-only"])
def test_boolean_options_have_both_flags(flag):
    ctx = get_command(app).commands["magnify"].make_context(
        "magnify", ["in.mp4", "-o", "o.mp4", flag]
    )
    assert ctx.params["luminance_only"] is (flag == "--luminance-only")
