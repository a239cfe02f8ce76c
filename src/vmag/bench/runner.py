"""Run one ``vmag bench`` protocol over registered methods."""

from __future__ import annotations

from collections.abc import Sequence

from vmag.bench.protocol import BenchResult, protocol_class
from vmag.errors import VmagError
from vmag.magnifier import ProgressFn
from vmag.registry import magnifier_class


def check_methods(methods: Sequence[str]) -> list[str]:
    """``methods`` as a list of registered names, each once; a :class:`VmagError` otherwise.

    >>> check_methods(["linear", "phase"])
    ['linear', 'phase']
    """
    methods = list(methods)
    if not methods:
        raise VmagError("give at least one method to benchmark (see `vmag methods`)")
    for m in methods:
        magnifier_class(m)  # raises listing the registered names
    repeated = sorted({m for m in methods if methods.count(m) > 1})
    if repeated:
        raise VmagError(f"method {', '.join(repeated)} given more than once")
    return methods


def run_protocol(
    name: str,
    methods: Sequence[str],
    *,
    quick: bool = False,
    seed: int = 0,
    progress: ProgressFn | None = None,
) -> BenchResult:
    """Score ``methods`` with protocol ``name`` (its full or ``quick`` size, from ``seed``).

    Protocol and methods are checked before any work. ``progress(stage, done, total)``
    follows the run (for the sweeps: one stage per method, counting clips). The methods
    are recorded in ``result.settings["methods"]``.

    >>> from vmag.bench.runner import run_protocol
    >>> run_protocol("subpixel", ["nope"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vmag.errors.VmagError: unknown method 'nope'; choose from ...
    """
    cls = protocol_class(name)
    methods = check_methods(methods)
    protocol = cls(quick=quick, seed=seed)
    result = protocol.run(methods, progress)
    result.settings = {**result.settings, "methods": methods}
    return result
