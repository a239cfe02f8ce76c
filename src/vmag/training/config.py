"""Training configs from TOML, read by the dataclasses' own types.

A config section is a frozen dataclass. :func:`read` fills one from a TOML table by
each field's type annotation (``int``, ``float``, ``bool``, ``str``, ``Path``, pairs
``tuple[float, float]`` / ``tuple[int, int]``, ``tuple[str, ...]``, ``dict[str, float]``,
``dict[str, Any]``, a nested dataclass, any of them ``| None``) and its metadata
(:func:`setting`: ``low``/``high`` bounds, ``choices``). Every key is checked, and an
error names it with its table (``optimizer.lr must be a number > 0, got -1``); keys a
table does not know are named with the ones it does. Rules that tie fields together stay
with the task that owns the config.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Opt:
...     lr: float = setting(1e-4, low=0, low_open=True)
...     betas: tuple[float, float] = setting((0.9, 0.999), low=0, high=1, high_open=True)
>>> read(Opt, Table({"lr": 0.01}, "optimizer.", "run.toml"))
Opt(lr=0.01, betas=(0.9, 0.999))
>>> read(Opt, Table({"lr": -1}, "optimizer.", "run.toml"))
Traceback (most recent call last):
...
vmag.errors.VmagError: run.toml: optimizer.lr must be a number > 0, got -1
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from pathlib import Path
from typing import Any

from vmag.errors import VmagError

_MISSING: Any = dataclasses.MISSING


def setting(
    default: Any = _MISSING,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    choices: tuple[str, ...] = (),
) -> Any:
    """A config field with bounds or choices (checked by :func:`read`)."""
    meta = {"low": low, "high": high, "low_open": low_open, "high_open": high_open}
    meta["choices"] = tuple(choices)
    if isinstance(default, list | dict):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


class Table:
    """One table of a TOML document: its data, where it sits (``"data."``), the file.
    Values are taken out as they are read, so what is left at the end is unknown."""

    def __init__(self, data: Any, where: str, source: str) -> None:
        if not isinstance(data, dict):
            raise VmagError(f"{source}: {where.rstrip('.') or 'the file'} must be a table")
        self.data, self.where, self.source = dict(data), where, source

    def error(self, key: str, message: str) -> VmagError:
        return VmagError(f"{self.source}: {self.where}{key} {message}")

    def take(self, key: str, default: Any = _MISSING) -> Any:
        """The value of ``key`` (removed from the table), or ``default`` when absent."""
        if key not in self.data:
            if default is _MISSING:
                raise self.error(key, "is missing")
            return default
        return self.data.pop(key)

    def table(self, key: str) -> Table:
        """The sub-table ``key`` (empty when absent)."""
        return Table(self.take(key, {}), f"{self.where}{key}.", self.source)

    def finish(self, allowed: list[str] | tuple[str, ...] = ()) -> None:
        """Raise naming the first key no look-up took (and the ``allowed`` ones)."""
        if self.data:
            key = next(iter(self.data))
            hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
            raise VmagError(f"{self.source}: unknown key '{self.where}{key}'{hint}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _bounds_text(meta: dict[str, Any]) -> str:
    low, high = meta.get("low"), meta.get("high")
    if low is not None and high is not None:
        left, right = "(" if meta["low_open"] else "[", ")" if meta["high_open"] else "]"
        return f" in {left}{low:g}, {high:g}{right}"
    if low is not None:
        return f" {'>' if meta['low_open'] else '>='} {low:g}"
    if high is not None:
        return f" {'<' if meta['high_open'] else '<='} {high:g}"
    return ""


def _within(v: float, meta: dict[str, Any]) -> bool:
    low, high = meta.get("low"), meta.get("high")
    if low is not None and (v <= low if meta["low_open"] else v < low):
        return False
    return not (high is not None and (v >= high if meta["high_open"] else v > high))


def _optional(kind: Any) -> tuple[Any, bool]:
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        rest = [a for a in typing.get_args(kind) if a is not type(None)]
        return rest[0], True
    return kind, False


def convert(kind: Any, value: Any, meta: dict[str, Any], say: Any, base: Path) -> Any:
    """``value`` (from TOML) as ``kind``; ``say(message)`` makes the error to raise."""
    kind, optional = _optional(kind)
    if value is None and optional:
        return None
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    bounds = _bounds_text(meta)
    if kind is bool:
        if not isinstance(value, bool):
            raise say(f"must be true or false, got {value!r}")
        return value
    if kind is int:
        if not (_is_int(value) and _within(value, meta)):
            raise say(f"must be an integer{bounds}, got {value!r}")
        return value
    if kind is float:
        if not (_is_number(value) and _within(value, meta)):
            raise say(f"must be a number{bounds}, got {value!r}")
        return float(value)
    if kind is str:
        if not isinstance(value, str):
            raise say(f"must be a string, got {value!r}")
        if meta.get("choices") and value not in meta["choices"]:
            raise say(f"must be one of {', '.join(meta['choices'])}; got {value!r}")
        return value
    if kind is Path:
        if not isinstance(value, str):
            raise say(f"must be a path (a string), got {value!r}")
        path = Path(value).expanduser()
        return path if path.is_absolute() else base / path
    if origin is tuple and args[-1:] == (Ellipsis,):
        value = [value] if isinstance(value, str) else value
        if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise say(f"must be a list of strings, got {value!r}")
        return tuple(value)
    if origin is tuple:
        integer = args[0] is int
        noun = "two integers [low, high]" if integer else f"two numbers{bounds or ' [low, high]'}"
        check = _is_int if integer else _is_number
        if not (isinstance(value, list) and len(value) == 2 and all(map(check, value))):
            raise say(f"must be {noun}, got {value!r}")
        if not all(_within(v, meta) for v in value):
            raise say(f"must be {noun}, got {value!r}")
        return tuple(value) if integer else (float(value[0]), float(value[1]))
    if origin is dict:
        if not isinstance(value, dict):
            raise say("must be a table")
        if args and args[1] is float:
            bad = [k for k, v in value.items() if not (_is_number(v) and v >= 0)]
            if bad:
                raise say(f"{bad[0]} must be a number >= 0, got {value[bad[0]]!r}")
            return {k: float(v) for k, v in value.items()}
        return dict(value)
    raise TypeError(f"config fields cannot be of type {kind}")


def field_names(cls: type) -> list[str]:
    """The keys a dataclass section reads."""
    return [f.name for f in dataclasses.fields(cls) if f.init]


def read_fields(
    cls: type, t: Table, names: tuple[str, ...] | list[str], base: Path | str = "."
) -> dict[str, Any]:
    """The values of the fields ``names`` of dataclass ``cls`` that table ``t`` gives
    (taken out of it), each checked by its type and metadata; nested dataclasses are read
    from sub-tables. A required field that is absent is an error."""
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if f.name not in names:
            continue
        kind = _optional(hints[f.name])[0]
        if dataclasses.is_dataclass(kind):
            if f.name in t.data:
                values[f.name] = read(kind, t.table(f.name), base)
            continue
        if f.name not in t.data:
            if f.default is _MISSING and f.default_factory is _MISSING:
                raise t.error(f.name, "is missing")
            continue

        def say(message: str, key: str = f.name) -> VmagError:
            return t.error(key, message)

        values[f.name] = convert(hints[f.name], t.take(f.name), dict(f.metadata), say, Path(base))
    return values


def read(cls: type, t: Table, base: Path | str = ".", *, finish: bool = True) -> Any:
    """The dataclass ``cls`` from table ``t``: every field by its type and metadata,
    defaults for absent keys; with ``finish``, keys left over are refused by name."""
    values = read_fields(cls, t, field_names(cls), base)
    if finish:
        t.finish(field_names(cls))
    try:
        return cls(**values)
    except VmagError as e:
        where = t.where.rstrip(".")
        raise VmagError(f"{t.source}: {where + ': ' if where else ''}{e}") from None
