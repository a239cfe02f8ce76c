"""Configs are read by their dataclasses' types: every key checked and named."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from vmag.errors import VmagError
from vmag.training.config import Table, read, setting


@dataclass(frozen=True)
class Inner:
    k: int = setting(2, low=1, high=5)


@dataclass(frozen=True)
class Section:
    name: str = setting("a", choices=("a", "b"))
    rate: float = setting(0.5, low=0, high=1, high_open=True)
    count: int = setting(1, low=1)
    flag: bool = False
    span: tuple[float, float] = (1.0, 2.0)
    ends: tuple[int, int] = (0, 3)
    tags: tuple[str, ...] = ()
    weights: dict[str, float] = field(default_factory=dict)
    path: Path | None = None
    inner: Inner = field(default_factory=Inner)


def t(data: dict) -> Table:
    return Table(data, "sec.", "run.toml")


def test_values_are_converted_by_type(tmp_path):
    got = read(
        Section,
        t({"name": "b", "rate": 0, "span": [1, 3], "ends": [1, 2], "tags": "x",
           "weights": {"a": 2}, "path": "w.pt", "inner": {"k": 5}}),
        tmp_path,
    )  # fmt: skip
    assert got.rate == 0.0 and isinstance(got.rate, float) and got.span == (1.0, 3.0)
    assert got.ends == (1, 2) and got.tags == ("x",) and got.weights == {"a": 2.0}
    assert got.path == tmp_path / "w.pt" and got.inner == Inner(5)
    assert read(Section, t({})) == Section()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "c"}, "sec.name must be one of a, b; got 'c'"),
        ({"rate": 1}, "sec.rate must be a number in [0, 1), got 1"),
        ({"count": 0}, "sec.count must be an integer >= 1, got 0"),
        ({"count": 1.5}, "sec.count must be an integer >= 1, got 1.5"),
        ({"flag": 1}, "sec.flag must be true or false, got 1"),
        ({"span": [1]}, "sec.span must be two numbers [low, high]"),
        ({"ends": [1.5, 2]}, "sec.ends must be two integers [low, high]"),
        ({"weights": {"a": -1}}, "sec.weights a must be a number >= 0"),
        ({"inner": {"k": 9}}, "sec.inner.k must be an integer in [1, 5], got 9"),
        ({"inner": {"j": 1}}, "unknown key 'sec.inner.j' (allowed: k)"),
        ({"colour": 1}, "unknown key 'sec.colour' (allowed: name, rate, count"),
    ],
)
def test_bad_values_are_named_with_their_table(data, message):
    with pytest.raises(VmagError, match=re.escape(message)):
        read(Section, t(data))
