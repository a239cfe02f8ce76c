"""What every ``vmag bench`` protocol is: test clips with known ground truth, and a score.

A protocol renders short clips whose true magnified version is known exactly
(:class:`TestClip`), runs each method on them through the registry
(:meth:`Protocol.magnify`: :func:`magnify_clip` with the run's own parameters of the
method, such as trained weights), and scores the outputs. It returns a
:class:`BenchResult`, which :mod:`vmag.bench.report` writes as JSON, a Markdown table
and a plot.

Two shapes of result:

- ``sweep``: ``levels`` (the swept values), ``scores`` = {method: [score per level]} and
  ``baseline`` = [the input's score per level];
- ``table``: ``scores`` = {method: {metric: value}} (the input may appear as ``"input"``).

Clips are periodic with a whole number of cycles and magnified offline, so each method
runs in its natural setting for such clips: band-pass methods with the ideal filter
(exact for periodic clips), methods with their own temporal filter (acceleration) with
that one.
"""

from __future__ import annotations

import dataclasses
import typing
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from vmag.errors import VmagError
from vmag.magnifier import ProgressFn
from vmag.registry import Registry, create_magnifier, magnifier_class

#: Filters that band-pass around the chosen band; the bench swaps them for the ideal one.
BANDPASS_FILTERS = frozenset({"ideal", "butter", "iir"})


@dataclass(frozen=True)
class TestClip:
    """A clip to magnify and what a perfect magnifier would return.

    ``frames`` and ``truth`` are (T, H, W, 3) float32 in [0, 1]; ``scored`` are the
    indices of the frames a protocol scores (e.g. those at the motion's extremes).
    """

    __test__: ClassVar[bool] = False  # not a pytest class despite the name

    frames: np.ndarray
    truth: np.ndarray
    fps: float
    band: tuple[float, float]
    alpha: float
    scored: tuple[int, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


#: Options a method variant may not set: the protocol sets them from each clip.
_CLIP_OPTIONS = frozenset({"alpha", "band"})


def split_method(spec: str) -> tuple[str, dict[str, Any]]:
    """A bench method ``NAME`` or a variant ``NAME:KEY=VALUE[:KEY=VALUE...]`` as the
    registered name and the options the variant sets (checked against the method's
    options, values converted to their kind). A variant runs the method with those
    options on every clip and is scored under the whole spec, so one run can compare
    e.g. ``magnet`` with ``magnet:mode=temporal`` or ``phase`` with ``phase:filter=static``.
    ``alpha`` and ``band`` come from the protocol's clips and cannot be set.

    >>> split_method("phase:filter=static:sigma=2")
    ('phase', {'filter': 'static', 'sigma': 2.0})
    >>> split_method("linear")
    ('linear', {})
    """
    name, *items = (part.strip() for part in spec.split(":"))
    options = {o.name: o for o in magnifier_class(name).options()}  # raises for a bad name
    params: dict[str, Any] = {}
    for item in items:
        key, eq, text = (part.strip() for part in item.partition("="))
        if not eq or not key or not text:
            raise VmagError(f"method variant {spec!r}: {item!r} is not KEY=VALUE")
        if key in _CLIP_OPTIONS:
            raise VmagError(f"method variant {spec!r}: {key} is set by the protocol, not here")
        if key not in options:
            raise VmagError(
                f"method variant {spec!r}: {name} has no option {key!r}; "
                f"choose from {', '.join(k for k in options if k not in _CLIP_OPTIONS)}"
            )
        if key in params:
            raise VmagError(f"method variant {spec!r}: {key} given more than once")
        try:
            params[key] = options[key].parse(text)
        except VmagError as e:
            raise VmagError(f"method variant {spec!r}: {e}") from None
    return name, params


def bench_params(method: str, clip: TestClip) -> dict[str, Any]:
    """The parameters ``method`` runs with on ``clip``: its defaults, with the clip's
    alpha and band, and the ideal filter in place of a band-pass one."""
    params: dict[str, Any] = {"alpha": clip.alpha}
    options = {o.name: o for o in magnifier_class(method).options()}
    if "band" in options:
        params["band"] = clip.band
    filt = options.get("filter")
    if filt is not None and filt.default in BANDPASS_FILTERS and "ideal" in (filt.choices or ()):
        params["filter"] = "ideal"
    return params


def magnify_clip(method: str, clip: TestClip, **overrides: Any) -> np.ndarray:
    """Run registered ``method`` on ``clip`` (offline); returns (T, H, W, 3) float32."""
    params = {**bench_params(method, clip), **overrides}
    return create_magnifier(method, **params).magnify(clip.frames, clip.fps)


@dataclass
class BenchResult:
    """What a protocol measured; :meth:`to_json` is the file ``vmag bench`` writes."""

    protocol: str
    kind: str  # "sweep" or "table"
    settings: dict[str, Any]
    scores: dict[str, Any]
    levels: list[float] | None = None
    baseline: list[float] | None = None
    level_name: str = ""  # axis label for sweep levels, with units
    score_name: str = ""  # e.g. "SSIM" or "MSE (8-bit)"
    higher_is_better: bool = True
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "protocol": self.protocol,
            "kind": self.kind,
            "settings": self.settings,
            "score_name": self.score_name,
            "higher_is_better": self.higher_is_better,
            "scores": self.scores,
        }
        if self.kind == "sweep":
            out |= {"levels": self.levels, "level_name": self.level_name, "baseline": self.baseline}
        if self.notes:
            out["notes"] = self.notes
        return out


@dataclass(kw_only=True)
class Protocol(ABC):
    """One evaluation protocol. Subclasses set ``name``, ``kind`` and ``summary`` and
    implement :meth:`settings` (everything needed to rerun it) and :meth:`run`, which
    magnifies through :meth:`magnify`.

    Deterministic from ``seed``; ``quick`` is a reduced size that runs in well under a
    minute per method, for CI. ``method_params`` adds parameters to a method's bench
    defaults on every clip, e.g. ``{"lightweight": {"weights": "run/lightweight.pt"}}``
    to score a trained network that is not shipped; its keys are the methods as given
    to :meth:`run` (variants included).
    """

    name: ClassVar[str] = ""
    kind: ClassVar[str] = "table"
    summary: ClassVar[str] = ""

    seed: int = 0
    quick: bool = False
    method_params: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def size_fields(cls) -> list[str]:
        """The integer fields a run may set (``vmag bench --set``): every one but ``seed``.

        >>> protocol_class("subpixel").size_fields()
        ['size', 'samples', 'levels']
        """
        hints = typing.get_type_hints(cls)
        return [
            f.name
            for f in dataclasses.fields(cls)
            if f.name != "seed" and hints[f.name] in (int, int | None)
        ]

    def magnify(self, method: str, clip: TestClip) -> np.ndarray:
        """Run ``method`` (a name or a variant, :func:`split_method`) on ``clip`` with its
        bench parameters, the variant's options and ``method_params``."""
        name, variant = split_method(method)
        return magnify_clip(name, clip, **variant, **self.method_params.get(method, {}))

    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """Every parameter of this run, JSON-serialisable (seed and quick included)."""

    @abstractmethod
    def run(self, methods: list[str], progress: ProgressFn | None = None) -> BenchResult:
        """Score ``methods`` (registry names); ``progress(stage, done, total)`` as work advances."""


def _check_protocol(cls: type[Protocol]) -> None:
    if cls.kind not in ("sweep", "table"):
        raise TypeError(f"{cls.__qualname__} needs kind 'sweep' or 'table'")


#: The ``vmag bench`` protocols, in the order of the built-in package's modules.
PROTOCOLS: Registry[type[Protocol]] = Registry(
    "protocol", ("vmag.bench.protocols",), check=_check_protocol
)

register_protocol = PROTOCOLS.register
protocol_class = PROTOCOLS.get


def list_protocols() -> list[str]:
    """Names of the registered protocols."""
    return PROTOCOLS.names()
