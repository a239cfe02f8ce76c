"""One registry pattern for everything found by name: methods, bench protocols, models.

A :class:`Registry` maps names to classes. Classes register themselves with the
registry's decorator when their module is imported; a registry knows its *provider*
modules and imports them on the first look-up, so a new method (protocol, model) is one
module with one decorator, plus its module's name in the provider list (whose order is
the listing order).

The magnifier registry, which the CLI, ``vmag bench``, the pipeline and every other
front end use:

>>> from vmag.registry import create_magnifier, list_magnifiers
>>> "phase" in list_magnifiers()
True
>>> create_magnifier("linear", alpha=20, band=(0.5, 2.0)).alpha
20.0
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from vmag.errors import VmagError
from vmag.magnifier import Magnifier
from vmag.options import Option

T = TypeVar("T", bound=type)


class Registry(Generic[T]):
    """Classes found by their ``name`` attribute (or the attribute ``key``); ``kind``
    names them in messages (``unknown method 'x'``). ``check(cls)`` runs on each
    registration (e.g. to refuse a class missing a required attribute)."""

    def __init__(
        self,
        kind: str,
        providers: tuple[str, ...],
        check: Callable[[T], None] | None = None,
        key: str = "name",
    ) -> None:
        self.kind = kind
        self.providers = providers
        self._check = check
        self._key = key
        self._classes: dict[str, T] = {}
        self._loaded = False

    def register(self, cls: T) -> T:
        """Class decorator: make ``cls`` available under its ``name`` (or ``key``) attribute."""
        name = getattr(cls, self._key, "")
        if not name:
            raise TypeError(f"{cls.__qualname__} needs a non-empty class attribute `{self._key}`")
        if name in self._classes and self._classes[name] is not cls:
            raise TypeError(f"a {self.kind} named {name!r} is already registered")
        if self._check is not None:
            self._check(cls)
        self._classes[name] = cls
        return cls

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            for module in self.providers:
                importlib.import_module(module)

    def names(self) -> list[str]:
        """Registered names: by provider module, in the order of ``providers``, then in
        registration order."""
        self._load()
        rank = {module: i for i, module in enumerate(self.providers)}
        return sorted(
            self._classes,
            key=lambda n: rank.get(self._classes[n].__module__, len(rank)),
        )

    def get(self, name: str) -> T:
        """The class registered as ``name``; a :class:`VmagError` listing the names otherwise."""
        self._load()
        try:
            return self._classes[name]
        except KeyError:
            raise VmagError(
                f"unknown {self.kind} {name!r}; choose from {', '.join(self.names())}"
            ) from None

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._classes


#: The methods: magnifiers, in listing order of their modules.
MAGNIFIERS: Registry[type[Magnifier]] = Registry(
    "method",
    (
        "vmag.classical.linear",
        "vmag.classical.color",
        "vmag.classical.phase",
        "vmag.classical.riesz",
        "vmag.classical.acceleration",
        "vmag.learned.magnifier",
    ),
)

register_magnifier = MAGNIFIERS.register
magnifier_class = MAGNIFIERS.get


def list_magnifiers(*, unavailable: bool = False) -> list[str]:
    """Names of the registered methods that can run here, in listing order; with
    ``unavailable``, also those that cannot yet (e.g. learned methods whose weights are
    not shipped: they still run with weights given explicitly)."""
    names = MAGNIFIERS.names()
    return [n for n in names if unavailable or MAGNIFIERS.get(n).unavailable() is None]


def method_options(name: str) -> list[Option]:
    """The typed user options of method ``name``."""
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
