"""One registry of magnifiers: the CLI, ``vmag bench`` and every other front end find methods here.

A new method is one module that defines a :class:`~vmag.magnifier.Magnifier` subclass
decorated with :func:`register_magnifier`, plus its module's name in ``_PROVIDERS``
(whose order is the order methods are listed in).

>>> from vmag.registry import create_magnifier, list_magnifiers
>>> "phase" in list_magnifiers()
True
>>> create_magnifier("linear", alpha=20, band=(0.5, 2.0)).alpha
20.0
"""

from __future__ import annotations

import importlib
from typing import Any, TypeVar

from vmag.errors import VmagError
from vmag.magnifier import Magnifier, Option

#: Modules whose import registers their methods (imported on first look-up), in listing order.
_PROVIDERS = (
    "vmag.classical.linear",
    "vmag.classical.color",
    "vmag.classical.phase",
    "vmag.classical.riesz",
    "vmag.classical.acceleration",
    "vmag.learned.magnifier",
)

M = TypeVar("M", bound=type[Magnifier])

_REGISTRY: dict[str, type[Magnifier]] = {}
_loaded = False


def register_magnifier(cls: M) -> M:
    """Class decorator: make ``cls`` available under ``cls.name``."""
    if not cls.name:
        raise TypeError(f"{cls.__qualname__} needs a non-empty class attribute `name`")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise TypeError(f"a magnifier named {cls.name!r} is already registered")
    _REGISTRY[cls.name] = cls
    return cls


def _load() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in _PROVIDERS:
            importlib.import_module(module)


def list_magnifiers(*, unavailable: bool = False) -> list[str]:
    """Names of the registered methods that can run here, in the order of ``_PROVIDERS``;
    with ``unavailable``, also those that cannot yet (e.g. learned methods whose weights
    are not shipped: they still run with weights given explicitly)."""
    _load()
    rank = {module: i for i, module in enumerate(_PROVIDERS)}
    names = sorted(_REGISTRY, key=lambda n: rank.get(_REGISTRY[n].__module__, len(rank)))
    return [n for n in names if unavailable or _REGISTRY[n].unavailable() is None]


def magnifier_class(name: str) -> type[Magnifier]:
    """The class registered as ``name``; a :class:`VmagError` listing the names otherwise."""
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise VmagError(f"unknown method {name!r}; choose from {', '.join(_REGISTRY)}") from None


def method_options(name: str) -> list[Option]:
    """The user options of method ``name`` with defaults and help."""
    return magnifier_class(name).options()


def create_magnifier(name: str, **params: Any) -> Magnifier:
    """Build method ``name`` with ``params``; unknown parameters raise :class:`VmagError`."""
    cls = magnifier_class(name)
    known = {o.name for o in cls.options()}
    unknown = sorted(set(params) - known)
    if unknown:
        raise VmagError(
            f"method {name!r} takes no option {', '.join(unknown)}; "
            f"it takes {', '.join(sorted(known))}"
        )
    return cls(**params)
