"""``vmag bench``: score methods on clips with known truth; write JSON, Markdown and a plot."""

from __future__ import annotations

import time
from collections.abc import Collection
from pathlib import Path
from typing import Annotated, Any

import typer

from vmag.bench.protocol import BenchResult, list_protocols, protocol_class
from vmag.bench.report import markdown_table, merge_results, read_result, write_report
from vmag.bench.runner import check_methods, check_sizes, check_weights, run_protocol
from vmag.cli.progress import console, progress_bar
from vmag.errors import VmagError
from vmag.registry import list_magnifiers


def _say(msg: str) -> None:
    console.print(msg, highlight=False, markup=False, soft_wrap=True)


def _publish(result: BenchResult, out: Path, wall_s: float | None = None) -> None:
    """Write ``result``'s report into ``out``, print its table and the files written."""
    paths = write_report(result, out, wall_s=wall_s)
    typer.echo(markdown_table(result))
    for path in paths:
        _say(f"wrote {path}")


def parse_methods(text: str | None, weighted: Collection[str] = ()) -> list[str]:
    """``"linear, phase"`` -> ``["linear", "phase"]``; ``None`` -> every registered method
    that can run here, those in ``weighted`` (given weights) included.

    >>> parse_methods("linear, phase")
    ['linear', 'phase']
    """
    if text is None:
        runnable = {*list_magnifiers(), *weighted}
        return [m for m in list_magnifiers(unavailable=True) if m in runnable]
    return [m.strip() for m in text.split(",") if m.strip()]


def parse_pairs(items: list[str] | None, flag: str) -> dict[str, str]:
    """``["samples=10", "levels=5"]`` -> ``{"samples": "10", "levels": "5"}``; a
    :class:`VmagError` naming ``flag`` for an item without ``=`` or given twice.

    >>> parse_pairs(["samples=10", "levels = 5"], "--set")
    {'samples': '10', 'levels': '5'}
    """
    pairs: dict[str, str] = {}
    for item in items or []:
        key, eq, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not eq or not key or not value:
            raise VmagError(f"{flag} takes KEY=VALUE, got {item!r}")
        if key in pairs:
            raise VmagError(f"{flag} {key} given more than once")
        pairs[key] = value
    return pairs


def parse_sizes(items: list[str] | None, protocol: str) -> dict[str, int]:
    """``--set`` items as integer sizes of ``protocol``, keys checked first so that an
    unknown one is named with the allowed ones, whatever its value.

    >>> parse_sizes(["samples=10"], "subpixel")
    {'samples': 10}
    """
    cls = protocol_class(protocol)
    pairs = parse_pairs(items, "--set")
    check_sizes(cls, dict.fromkeys(pairs, 0))  # unknown keys first, whatever their values
    sizes = {}
    for key, value in pairs.items():
        try:
            sizes[key] = int(value)
        except ValueError:
            raise VmagError(f"--set {key} must be an integer, got {value!r}") from None
    return sizes


def bench(
    protocol: Annotated[
        str | None,
        typer.Argument(
            help=f"protocol to run: {' | '.join(list_protocols())} (--list describes them)",
            metavar="PROTOCOL",
            show_default=False,
        ),
    ] = None,
    methods: Annotated[
        str | None,
        typer.Option(
            help="comma-separated methods (default: every runnable one of `vmag methods`, "
            "and those given --weights); NAME:KEY=VALUE runs a variant, e.g. "
            "magnet:mode=temporal or phase:filter=static"
        ),
    ] = None,
    quick: Annotated[bool, typer.Option(help="a reduced run (seconds to a minute per method)")] = (
        False
    ),
    seed: Annotated[int, typer.Option(help="seed of every scene and noise draw", min=0)] = 0,
    out: Annotated[Path, typer.Option(help="folder for PROTOCOL.json, .md and .png")] = Path(
        "bench-out"
    ),
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="KEY=VALUE",
            help="set a size of the protocol, e.g. samples=10 (repeatable; over --quick's)",
            show_default=False,
        ),
    ] = None,
    weights: Annotated[
        list[str] | None,
        typer.Option(
            metavar="METHOD=PATH",
            help="run a learned method with weights from vmag train (repeatable)",
            show_default=False,
        ),
    ] = None,
    merge: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="instead of running, write one report of earlier runs' PROTOCOL.json files "
            "(same protocol and settings, other methods; repeatable)",
            show_default=False,
        ),
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="list the protocols and exit")] = False,
) -> None:
    """Benchmark methods on clips whose true magnification is known.

    E.g. `vmag bench subpixel --methods linear,phase --quick`: prints the table of
    scores and writes PROTOCOL.json, .md and .png into --out.

    `--set samples=10` sizes the run, e.g. to a slow method (a wrong KEY is
    named with the protocol's); `--weights lightweight=run/lightweight.pt`
    scores weights from `vmag train` that are not shipped; `--merge a/noise.json
    --merge b/noise.json` reports separate runs on the same clips as one. A method may be a
    variant with options of its own, scored under that name:
    `--methods phase,phase:filter=static` compares the temporal band-pass with the
    two-frame setting (each frame against the first) in one run.
    """
    if list_:
        for name in list_protocols():
            cls = protocol_class(name)
            _say(f"{name:<13} {cls.kind:<6} {cls.summary}")
        return
    if merge:
        if protocol is not None or methods is not None or set_ or weights or quick:
            raise VmagError("--merge takes only report files (and --out): it runs nothing")
        _publish(merge_results([read_result(path) for path in merge]), out)
        return
    if protocol is None:
        raise VmagError(f"give a PROTOCOL: {', '.join(list_protocols())}")
    # check everything before saying anything
    sizes = parse_sizes(set_, protocol)
    protocol_class(protocol)(quick=quick, seed=seed, **sizes)  # raises for a bad size
    files = parse_pairs(weights, "--weights")
    chosen = check_methods(parse_methods(methods, files), weighted=list(files))
    check_weights(chosen, files)
    _say(f"bench {protocol}{' (quick)' if quick else ''}: {', '.join(chosen)}; seed {seed}")
    start = time.perf_counter()
    with progress_bar() as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or None, unit="clips")
            bar.update(tasks[stage], completed=done)

        result = run_protocol(
            protocol,
            chosen,
            quick=quick,
            seed=seed,
            sizes=sizes,
            weights=files,
            progress=report,
        )
    _publish(result, out, wall_s=time.perf_counter() - start)


def register(app: typer.Typer) -> None:
    """Add ``vmag bench`` to ``app``."""
    app.command("bench")(bench)
