"""``vmag bench``: score methods on clips with known truth; write JSON, Markdown and a plot."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from vmag.bench.protocol import list_protocols, protocol_class
from vmag.bench.report import markdown_table, write_report
from vmag.bench.runner import check_methods, run_protocol
from vmag.cli.progress import console, progress_bar
from vmag.errors import VmagError
from vmag.registry import list_magnifiers


def _say(msg: str) -> None:
    console.print(msg, highlight=False, markup=False, soft_wrap=True)


def parse_methods(text: str | None) -> list[str]:
    """``"linear, phase"`` -> ``["linear", "phase"]``; ``None`` -> every registered method.

    >>> parse_methods("linear, phase")
    ['linear', 'phase']
    """
    if text is None:
        return list_magnifiers()
    return [m.strip() for m in text.split(",") if m.strip()]


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
        typer.Option(help="comma-separated methods (default: all of `vmag methods`)"),
    ] = None,
    quick: Annotated[bool, typer.Option(help="a reduced run (seconds to a minute per method)")] = (
        False
    ),
    seed: Annotated[int, typer.Option(help="seed of every scene and noise draw", min=0)] = 0,
    out: Annotated[Path, typer.Option(help="folder for PROTOCOL.json, .md and .png")] = Path(
        "bench-out"
    ),
    list_: Annotated[bool, typer.Option("--list", help="list the protocols and exit")] = False,
) -> None:
    """Benchmark methods on clips whose true magnification is known.

    E.g. `vmag bench subpixel --methods linear,phase --quick`: prints the table of
    scores and writes PROTOCOL.json, .md and .png into --out.
    """
    if list_:
        for name in list_protocols():
            cls = protocol_class(name)
            _say(f"{name:<13} {cls.kind:<6} {cls.summary}")
        return
    if protocol is None:
        raise VmagError(f"give a PROTOCOL: {', '.join(list_protocols())}")
    protocol_class(protocol)  # check protocol and methods before saying anything
    chosen = check_methods(parse_methods(methods))
    _say(f"bench {protocol}{' (quick)' if quick else ''}: {', '.join(chosen)}; seed {seed}")
    start = time.perf_counter()
    with progress_bar() as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total or None, unit="clips")
            bar.update(tasks[stage], completed=done)

        result = run_protocol(protocol, chosen, quick=quick, seed=seed, progress=report)
    paths = write_report(result, out, wall_s=time.perf_counter() - start)
    typer.echo(markdown_table(result))
    for path in paths:
        _say(f"wrote {path}")


def register(app: typer.Typer) -> None:
    """Add ``vmag bench`` to ``app``."""
    app.command("bench")(bench)
