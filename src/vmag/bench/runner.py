"""Run one ``vmag bench`` protocol over registered methods."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from vmag.bench.protocol import BenchResult, Protocol, protocol_class, split_method
from vmag.errors import VmagError
from vmag.magnifier import ProgressFn
from vmag.registry import magnifier_class


def _takes_weights(method: str) -> bool:
    """Whether ``method`` has a ``weights`` option (the learned ones)."""
    return any(o.name == "weights" for o in magnifier_class(method).options())


def check_methods(methods: Sequence[str], *, weighted: Sequence[str] = ()) -> list[str]:
    """``methods`` as a list of registered names or variants (:func:`split_method`), each
    once, that can run here; a :class:`VmagError` otherwise. Methods in ``weighted`` are
    given weights, so a learned method whose weights are not shipped runs too.

    >>> check_methods(["linear", "phase", "phase:filter=static"])
    ['linear', 'phase', 'phase:filter=static']
    """
    methods = list(methods)
    if not methods:
        raise VmagError("give at least one method to benchmark (see `vmag methods`)")
    for spec in methods:
        m, variant = split_method(spec)  # raises listing the registered names
        if "weights" in variant and not Path(variant["weights"]).is_file():
            raise VmagError(f"method {spec}: no such weights file {variant['weights']!r}")
        reason = magnifier_class(m).unavailable()
        if reason is None or m in weighted or "weights" in variant:
            continue
        if _takes_weights(m):
            raise VmagError(
                f"method {m} has no shipped weights yet; give --weights {m}=PATH (from vmag train)"
            )
        raise VmagError(f"method {m} cannot run here: {reason}")
    repeated = sorted({m for m in methods if methods.count(m) > 1})
    if repeated:
        raise VmagError(f"method {', '.join(repeated)} given more than once")
    return methods


def check_sizes(cls: type[Protocol], sizes: Mapping[str, object]) -> dict[str, int]:
    """``sizes`` if each key is one of ``cls``'s :meth:`~Protocol.size_fields` and each
    value an integer; a :class:`VmagError` naming the key and the allowed ones otherwise.

    >>> check_sizes(protocol_class("subpixel"), {"samples": 10})
    {'samples': 10}
    >>> check_sizes(protocol_class("subpixel"), {"clips": 3})
    Traceback (most recent call last):
    ...
    vmag.errors.VmagError: subpixel has no setting 'clips'; set one of size, samples, levels
    """
    allowed = cls.size_fields()
    for key, value in sizes.items():
        if key not in allowed:
            raise VmagError(f"{cls.name} has no setting {key!r}; set one of {', '.join(allowed)}")
        if isinstance(value, bool) or not isinstance(value, int):
            raise VmagError(f"{cls.name} setting {key} must be an integer, got {value!r}")
    return dict(sizes)


def check_weights(methods: Sequence[str], weights: Mapping[str, str | Path]) -> dict[str, str]:
    """``weights`` ({method: file}) as strings, if each method is among ``methods`` (as a
    name or a variant's name), takes a ``weights`` option and its file exists; a
    :class:`VmagError` otherwise."""
    variants = [split_method(spec) for spec in methods]
    names = {name for name, _ in variants}
    for name, variant in variants:
        if name in weights and "weights" in variant:
            raise VmagError(f"--weights for {name!r} and a variant of it that sets weights too")
    for m, path in weights.items():
        if m not in names:
            raise VmagError(
                f"--weights for {m!r}, which is not benchmarked (methods: {', '.join(methods)})"
            )
        if not _takes_weights(m):
            raise VmagError(f"--weights for {m!r}: it takes no weights (see `vmag methods`)")
        if not Path(path).is_file():
            raise VmagError(f"--weights for {m!r}: no such file {str(path)!r}")
    return {m: str(path) for m, path in weights.items()}


def run_protocol(
    name: str,
    methods: Sequence[str],
    *,
    quick: bool = False,
    seed: int = 0,
    sizes: Mapping[str, int] | None = None,
    weights: Mapping[str, str | Path] | None = None,
    progress: ProgressFn | None = None,
) -> BenchResult:
    """Score ``methods`` with protocol ``name`` (its full or ``quick`` size, from ``seed``).

    A method may be a variant ``NAME:KEY=VALUE...`` (:func:`split_method`), scored under
    that spec; weights given for NAME apply to all of its variants.
    ``sizes`` sets the protocol's integer fields (:func:`check_sizes`), over the quick
    defaults too: e.g. ``{"samples": 10}`` sizes a run to a slow method. ``weights``
    ({method: file from ``vmag train``}) runs learned methods with trained weights,
    shipped or not (:func:`check_weights`). Everything is checked before any work.
    ``progress(stage, done, total)`` follows the run (for the sweeps: one stage per
    method, counting clips). The methods are recorded in ``result.settings["methods"]``
    and, when given, the weights in ``result.settings["weights"]``.

    >>> from vmag.bench.runner import run_protocol
    >>> run_protocol("subpixel", ["nope"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vmag.errors.VmagError: unknown method 'nope'; choose from ...
    """
    cls = protocol_class(name)
    sizes = check_sizes(cls, sizes or {})
    weights = weights or {}
    methods = check_methods(methods, weighted=list(weights))
    files = check_weights(methods, weights)
    params = {
        spec: {"weights": files[name]}
        for spec in methods
        if (name := split_method(spec)[0]) in files
    }
    protocol = cls(quick=quick, seed=seed, method_params=params, **sizes)
    result = protocol.run(methods, progress)
    result.settings = {**result.settings, "methods": methods}
    if files:
        result.settings["weights"] = files
    return result
