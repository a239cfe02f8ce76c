"""``vmag magnify`` and ``vmag methods``: flags and listings generated from the registry.

The method flags of ``vmag magnify`` are not written here: they are the union of every
registered method's typed options (:mod:`vmag.options`), so a new method's options are
flags as soon as it registers. The command builds a :class:`~vmag.pipeline.MagnifyJob`
and runs it through :mod:`vmag.pipeline`, showing progress on stderr.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from vmag import _memory
from vmag.cli.progress import progress_bar, say
from vmag.options import Option, Pair
from vmag.pipeline import MagnifyJob, prepare, run
from vmag.presets import PRESET_NAMES, PRESETS
from vmag.registry import list_magnifiers, magnifier_class

#: The job's own flags, which no method option may reuse.
JOB_FLAGS = (
    "input", "output", "method", "preset", "stream", "fps", "start", "stop", "crf", "compare",
    "roi", "mask", "out_fps",
)  # fmt: skip


def method_flags() -> dict[str, tuple[Option, list[str]]]:
    """Every option of every registered method, by name: (its first declaration, the
    methods that take it). A :class:`TypeError` if two methods give one name two kinds."""
    out: dict[str, tuple[Option, list[str]]] = {}
    for name in list_magnifiers(unavailable=True):
        for o in magnifier_class(name).options():
            if o.name in JOB_FLAGS:
                raise TypeError(f"method {name}: option {o.name} would shadow a job flag")
            if o.name in out:
                first, users = out[o.name]
                if first.kind is not o.kind:
                    raise TypeError(
                        f"option {o.name}: {users[0]} declares {first.kind}, {name} {o.kind}"
                    )
                users.append(name)
            else:
                out[o.name] = (o, [name])
    return out


def _cli_type(o: Option) -> Any:
    return (tuple[float, float] if o.kind is Pair else o.kind) | None


def _flag(o: Option, users: list[str], everyone: int) -> Any:
    who = "" if len(users) == everyone else f"; methods: {', '.join(users)}"
    words = o.help + (f" ({' | '.join(o.choices)})" if o.choices else "") + who
    names = [f"{o.flag}/--no-{o.flag[2:]}"] if o.kind is bool else [o.flag]
    return Annotated[_cli_type(o), typer.Option(*names, help=words, show_default=False)]


def _job_parameters() -> list[inspect.Parameter]:
    P = inspect.Parameter

    def opt(name: str, kind: Any, default: Any, *names: str, help: str) -> inspect.Parameter:
        info = typer.Option(*names, help=help) if names else typer.Option(help=help)
        return P(name, P.KEYWORD_ONLY, default=default, annotation=Annotated[kind, info])

    presets = " | ".join(PRESET_NAMES)
    return [
        P("input", P.KEYWORD_ONLY, annotation=Annotated[Path, typer.Argument(help="input video")]),
        opt("output", Path, P.empty, "-o", "--output", help="output video (.mp4, .mov or .mkv)"),
        opt("method", str | None, None, "--method", "-m", help="see `vmag methods`"),
        opt("preset", str | None, None, help=f"fills method, band, alpha: {presets}"),
        opt("stream", bool, False, help="causal streaming, reading the clip once (live use)"),
        opt("fps", float | None, None, "--fps", help="frame rate instead of the container's"),
        opt("start", int, 0, help="first frame to use"),
        opt("stop", int | None, None, help="frame to stop before"),
        opt("crf", int, 18, help="H.264 quality (0-51, lower is better)"),
        opt("compare", Path | None, None, help="also write input | output side by side here"),
        opt("roi", tuple[int, int, int, int] | None, None,
            help="magnify only this rectangle X Y W H (px), blended smoothly at its edge"),
        opt("mask", str | None, None,
            help="magnify only where this picture (PNG, video-sized) is white, or: skin"),
        opt("out_fps", float | None, None, "--out-fps",
            help="write the output at this rate (slow motion: below --fps)"),
    ]  # fmt: skip


def _show_progress(bar: Any) -> Any:
    """A pipeline progress callback drawing one rich task per stage."""
    tasks: dict[str, Any] = {}

    def report(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            unit = "bands" if stage == "filter" else "frames"
            tasks[stage] = bar.add_task(stage, total=total or None, unit=unit)
        bar.update(tasks[stage], completed=done)

    return report


def magnify_command(**kwargs: Any) -> None:
    """Magnify subtle motion or colour change in a video."""
    job_args = {k: kwargs.pop(k) for k in JOB_FLAGS}
    params = {k: v for k, v in kwargs.items() if v is not None}
    job = MagnifyJob(
        inputs={"video": job_args["input"]},
        method=job_args["method"],
        params=params,
        output=job_args["output"],
        compare=job_args["compare"],
        stream=job_args["stream"],
        fps=job_args["fps"],
        start=job_args["start"],
        stop=job_args["stop"],
        crf=job_args["crf"],
        preset=job_args["preset"],
        roi=job_args["roi"],
        mask=job_args["mask"],
        out_fps=job_args["out_fps"],
    )
    plan = prepare(job)
    for line in plan.messages:
        say(line)
    for line in plan.warnings:
        say(f"vmag: warning: {line}")
    info = plan.info
    say(
        f"{plan.method}: {info.width}x{info.height}, {info.fps:g} fps, "
        f"{_MODES[plan.mode]} -> {job.output}"
    )
    _memory.tune()  # this process is the command's own: let long runs give memory back
    with progress_bar() as bar:
        result = run(plan, _show_progress(bar))
    say(f"wrote {result.output}" + (f" and {result.compare}" if result.compare else ""))


#: How each way of running is named to the user.
_MODES = {
    "two-pass": "zero-phase, reading the clip twice",
    "stream": "streaming",
    "whole": "whole clip in memory",
}


def _build_magnify() -> Any:
    flags = method_flags()
    everyone = len(list_magnifiers(unavailable=True))
    params = _job_parameters()
    for o, users in flags.values():
        params.append(
            inspect.Parameter(
                o.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=_flag(o, users, everyone),
            )
        )

    def magnify(**kwargs: Any) -> None:
        magnify_command(**kwargs)

    magnify.__doc__ = magnify_command.__doc__
    magnify.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    magnify.__annotations__ = {p.name: p.annotation for p in params}
    return magnify


def describe_methods() -> list[dict[str, Any]]:
    """Every registered method as plain data: name, summary, capabilities, options."""
    out = []
    for name in list_magnifiers(unavailable=True):
        cls = magnifier_class(name)
        caps = cls.capabilities
        out.append(
            {
                "name": name,
                "summary": cls.summary,
                "unavailable": cls.unavailable(),
                "inputs": list(caps.inputs),
                "streams": caps.streams,
                "needs_weights": caps.needs_weights,
                "devices": list(caps.devices),
                "options": [o.describe() for o in cls.options()],
            }
        )
    return out


def methods(
    as_json: Annotated[bool, typer.Option("--json", help="print the listing as JSON")] = False,
) -> None:
    """List the registered methods with their options, defaults and accepted values."""
    from rich.console import Console
    from rich.table import Table

    listing = describe_methods()
    if as_json:
        presets = {
            k: {"method": v.method, "alpha": v.alpha, "search_hz": list(v.search),
                "band_width": v.width, "options": v.options, "mask": v.mask, "note": v.note}
            for k, v in PRESETS.items()
        }  # fmt: skip
        print(json.dumps({"methods": listing, "presets": presets}, indent=2))
        return
    out = Console(soft_wrap=False)  # a listing is a result: stdout
    for m in listing:
        reason = f"\n  [yellow]{m['unavailable']}[/yellow]" if m["unavailable"] else ""
        caps = ", ".join(
            [f"inputs: {' + '.join(m['inputs'])}", "streams" if m["streams"] else "offline only"]
            + (["needs weights"] if m["needs_weights"] else [])
        )
        table = Table(
            title=f"[bold]{m['name']}[/bold] — {m['summary']} ({caps}){reason}",
            title_justify="left",
            show_edge=False,
            pad_edge=False,
        )
        for column in ("option", "default", "accepts", "meaning"):
            table.add_column(column)
        for o in m["options"]:
            default = o["default"]
            shown = " ".join(map(str, default)) if isinstance(default, list) else str(default)
            table.add_row(o["flag"], shown, o["accepts"], o["help"])
        out.print(table)
        out.print()
    out.print("presets: " + "; ".join(f"{k}: {v.method}, {v.note}" for k, v in PRESETS.items()))


def register(app: typer.Typer) -> None:
    """Add ``magnify`` and ``methods`` to ``app``."""
    app.command("magnify")(_build_magnify())
    app.command("methods")(methods)

