"""Typed options: one declaration checks values, parses text and describes the option."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from vmag.errors import VmagError
from vmag.options import Option, Pair, check_options, option, options_of
from vmag.registry import list_magnifiers, magnifier_class


@dataclass(kw_only=True)
class Example:
    alpha: float = option(10.0, "gain", low=0, low_open=True)
    levels: int | None = option(None, "scales", low=1, high=8)
    band: tuple[float, float] = option((1.0, 2.0), "band", low=0)
    kind: str = option("a", "which", ("a", "b"))
    fast: bool = option(True, "hurry")
    name: str | None = option(None, "a file")


def test_kinds_come_from_the_annotations():
    got = {o.name: (o.kind, o.optional) for o in options_of(Example)}
    assert got == {
        "alpha": (float, False),
        "levels": (int, True),
        "band": (Pair, False),
        "kind": (str, False),
        "fast": (bool, False),
        "name": (str, True),
    }


@pytest.mark.parametrize(
    ("name", "value", "want"),
    [
        ("alpha", 3, 3.0),
        ("alpha", 1e-9, 1e-9),
        ("levels", None, None),
        ("levels", 8, 8),
        ("levels", 4.0, 4),
        ("band", [0, 2], (0.0, 2.0)),
        ("kind", "b", "b"),
        ("fast", False, False),
    ],
)
def test_good_values_are_converted(name, value, want):
    o = {o.name: o for o in options_of(Example)}[name]
    got = o.check(value)
    assert got == want and type(got) is type(want)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("alpha", 0, "alpha must be a number > 0, got 0"),
        ("alpha", float("nan"), "alpha must be a number > 0"),
        ("alpha", True, "alpha must be a number > 0, got True"),
        ("alpha", "3", "alpha must be a number > 0, got '3'"),
        ("levels", 9, "levels must be an integer in 1..8, got 9"),
        ("levels", 2.5, "levels must be an integer in 1..8"),
        ("band", (2, 1), "band must be two numbers LO < HI >= 0"),
        ("band", (-1, 1), "band must be two numbers"),
        ("band", 3, "band must be two numbers"),
        ("kind", "c", "kind must be one of a, b, got 'c'"),
        ("fast", 1, "fast must be true or false, got 1"),
    ],
)
def test_bad_values_name_the_option_and_what_it_accepts(name, value, message):
    o = {o.name: o for o in options_of(Example)}[name]
    with pytest.raises(VmagError, match=message.replace("(", r"\(")):
        o.check(value)


def test_parse_reads_text_as_the_kind():
    o = {o.name: o for o in options_of(Example)}
    assert o["alpha"].parse("2.5") == 2.5
    assert o["levels"].parse("3") == 3 and o["levels"].parse("auto") is None
    assert o["band"].parse("0.5 3") == (0.5, 3.0) and o["band"].parse(["1", "2"]) == (1.0, 2.0)
    assert o["fast"].parse("no") is False and o["fast"].parse("YES") is True
    for key, text in [("alpha", "big"), ("levels", "1.5"), ("band", "1"), ("fast", "maybe")]:
        with pytest.raises(VmagError, match=key):
            o[key].parse(text)


def test_check_options_converts_in_place():
    e = Example(alpha=2, levels=3, band=[0, 1])
    check_options(e, options_of(Example))
    assert e.alpha == 2.0 and isinstance(e.alpha, float) and e.band == (0.0, 1.0)
    e.kind = "z"
    with pytest.raises(VmagError, match="kind must be one of a, b"):
        check_options(e, options_of(Example))


def test_describe_is_json_and_says_what_is_accepted():
    described = [o.describe() for o in options_of(Example)]
    json.dumps(described)
    levels = next(d for d in described if d["name"] == "levels")
    assert levels["accepts"] == "an integer in 1..8" and levels["optional"]
    assert Option("x", 1.0, "", float, low=0).range_text() == "a number >= 0"


@pytest.mark.parametrize("method", list_magnifiers(unavailable=True))
def test_every_methods_defaults_pass_its_own_checks(method):
    for o in magnifier_class(method).options():
        assert o.check(o.default) == o.default, o.name
