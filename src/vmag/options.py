"""Typed method options, declared once: they check values and generate every front end.

A method declares each parameter as a dataclass field made with :func:`option`: its
default, help, and the values it accepts (``choices``, or ``low``/``high`` bounds). The
field's type annotation gives its kind. From that one declaration come the checks a
method runs on construction (:meth:`Option.check`), the ``vmag magnify`` flags, the
``vmag methods`` listing, the values of ``vmag bench`` variants (:meth:`Option.parse`)
and the web form (:meth:`Option.describe`), so none of them can drift from another.

>>> from vmag.options import Option
>>> o = Option("orientations", 4, "orientations per scale", int, low=1, high=16)
>>> o.check(8), o.parse("6"), o.flag
(8, 6, '--orientations')
>>> o.check(20)
Traceback (most recent call last):
...
vmag.errors.VmagError: orientations must be an integer in 1..16, got 20
"""

from __future__ import annotations

import dataclasses
import math
import os
import types
import typing
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vmag.errors import VmagError

#: The kind of a two-number option ``LO HI`` (a temporal band in Hz).
Pair = tuple[float, float]

_TRUE, _FALSE = frozenset({"true", "yes", "on", "1"}), frozenset({"false", "no", "off", "0"})


@dataclass(frozen=True)
class Option:
    """One user-facing parameter of a method.

    ``kind`` is ``bool``, ``int``, ``float``, ``str`` or :data:`Pair`; ``optional``
    options also take ``None`` (meaning "chosen from the input", e.g. pyramid levels).
    Bounds apply to numbers (to both numbers of a pair); ``low_open`` makes ``low``
    exclusive (``alpha > 0``).
    """

    name: str
    default: Any
    help: str
    kind: Any = float
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    optional: bool = False

    @property
    def flag(self) -> str:
        """The command-line flag, e.g. ``--lambda-c``."""
        return "--" + self.name.replace("_", "-")

    @property
    def nargs(self) -> int:
        """How many values the flag takes (2 for a pair)."""
        return 2 if self.kind is Pair else 1

    def range_text(self) -> str:
        """What the option accepts, in words: ``an integer in 1..16``, ``a number > 0``."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.kind is bool:
            return "true or false"
        if self.kind is str:
            return "text"
        noun = {int: "an integer", float: "a number", Pair: "two numbers LO < HI"}[self.kind]
        low = "" if self.low is None else f"{self.low:g}"
        high = "" if self.high is None else f"{self.high:g}"
        if low and high and not self.low_open:
            return f"{noun} in {low}..{high}"
        parts = []
        if low:
            parts.append(f"{'>' if self.low_open else '>='} {low}")
        if high:
            parts.append(f"<= {high}")
        return " ".join([noun, " and ".join(parts)]).strip()

    def _fail(self, value: Any) -> typing.NoReturn:
        raise VmagError(f"{self.name} must be {self.range_text()}, got {value!r}")

    def _number(self, value: Any, integer: bool) -> float | int:
        if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
            self._fail(value)
        if integer and not float(value).is_integer():
            self._fail(value)
        if not math.isfinite(value):
            self._fail(value)
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            self._fail(value)
        if self.high is not None and value > self.high:
            self._fail(value)
        return int(value) if integer else float(value)

    def check(self, value: Any) -> Any:
        """``value`` in the option's kind if it is acceptable; a :class:`VmagError` saying
        what is accepted otherwise."""
        if value is None:
            if self.optional:
                return None
            self._fail(value)
        if self.kind is bool:
            if not isinstance(value, bool | np.bool_):
                self._fail(value)
            return bool(value)
        if self.kind is str:
            if isinstance(value, os.PathLike):  # a file option given as a Path
                value = os.fspath(value)
            if not isinstance(value, str) or (self.choices and value not in self.choices):
                self._fail(value)
            return value
        if self.kind is Pair:
            try:
                lo, hi = value
                lo, hi = self._number(lo, False), self._number(hi, False)
            except (TypeError, ValueError, VmagError):
                self._fail(value)
            if not hi > lo:
                self._fail(value)
            return (lo, hi)
        return self._number(value, self.kind is int)

    def parse(self, text: str | list[str] | tuple[str, ...]) -> Any:
        """The value written as ``text`` (a bench variant, a form field), checked; a pair
        is two numbers, as a list or one string ``"LO HI"``."""
        if self.kind is Pair:
            words = text.replace(",", " ").split() if isinstance(text, str) else list(text)
            if len(words) != 2:
                self._fail(text)
            try:
                return self.check((float(words[0]), float(words[1])))
            except ValueError:
                self._fail(text)
        assert isinstance(text, str)
        word = text.strip()
        if self.optional and word.lower() in ("", "none", "auto"):
            return None
        if self.kind is bool:
            if word.lower() not in _TRUE | _FALSE:
                self._fail(text)
            return word.lower() in _TRUE
        if self.kind in (int, float):
            try:
                number = float(word)
            except ValueError:
                self._fail(text)
            return self.check(int(number) if self.kind is int and number.is_integer() else number)
        return self.check(word)

    def describe(self) -> dict[str, Any]:
        """The option as plain data (JSON): what a form or a script needs to offer it."""
        kind = {bool: "bool", int: "int", float: "float", str: "str", Pair: "pair"}[self.kind]
        default = list(self.default) if isinstance(self.default, tuple) else self.default
        return {
            "name": self.name,
            "flag": self.flag,
            "kind": kind,
            "default": default,
            "help": self.help,
            "choices": list(self.choices),
            "low": self.low,
            "high": self.high,
            "low_open": self.low_open,
            "optional": self.optional,
            "accepts": self.range_text(),
        }


def option(
    default: Any,
    help: str,
    choices: tuple[str, ...] = (),
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> Any:
    """A dataclass field that is also a typed user option (see :func:`options_of`)."""
    meta = {"help": help, "choices": tuple(choices), "low": low, "high": high, "open": low_open}
    return field(default=default, metadata=meta)


def _kind(annotation: Any) -> tuple[Any, bool]:
    """(kind, optional) of a field's type: ``int | None`` -> (int, True)."""
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"an option's type must be one kind (or None), got {annotation}")
        return _kind(rest[0])[0], True
    if typing.get_origin(annotation) is tuple:
        if args != (float, float):
            raise TypeError(f"a tuple option must be tuple[float, float], got {annotation}")
        return Pair, False
    if annotation not in (bool, int, float, str):
        raise TypeError(f"an option's type must be bool, int, float, str or a pair: {annotation}")
    return annotation, False


def options_of(cls: type) -> list[Option]:
    """The options a dataclass declares with :func:`option`, in declaration order."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if "help" not in f.metadata:
            continue
        kind, optional = _kind(hints[f.name])
        m = f.metadata
        out.append(
            Option(
                f.name,
                f.default,
                m["help"],
                kind,
                m["choices"],
                m["low"],
                m["high"],
                m["open"],
                optional or f.default is None,
            )
        )
    return out


def check_options(obj: Any, options: list[Option]) -> None:
    """Check (and convert in place) every option's value on ``obj``."""
    for o in options:
        setattr(obj, o.name, o.check(getattr(obj, o.name)))
