"""Write a :class:`~vmag.bench.protocol.BenchResult` as JSON, a Markdown table and a plot.

``write_report(result, DIR)`` writes ``DIR/PROTOCOL.json`` (the result and the machine
it ran on), ``DIR/PROTOCOL.md`` (a table with the best score of each row or column in
bold, and the command that reruns it) and ``DIR/PROTOCOL.png``. Each file is written
to a temporary name and renamed, so a reader never sees half a report.
"""

from __future__ import annotations

import dataclasses
import json
import math
import shlex
from pathlib import Path
from typing import Any

import numpy as np

from vmag.bench.protocol import BenchResult, list_protocols, protocol_class
from vmag.errors import VmagError
from vmag.io.atomic import atomic_write
from vmag.machine import machine_info
from vmag.viz._figure import pyplot

#: What the Markdown table calls the unmagnified input's scores (the sweep baseline).
INPUT = "input"


def jsonable(obj: Any) -> Any:
    """``obj`` with numpy values as Python ones, tuples as lists and NaN/inf as ``None``.

    >>> import numpy as np
    >>> jsonable({"a": (np.float32(0.5), float("nan")), "b": np.arange(2)})
    {'a': [0.5, None], 'b': [0, 1]}
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` (missing, NaN or not a number)."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _cells(values: list[Any], higher_is_better: bool) -> list[str]:
    """Scores as 4-significant-digit cells, the best one(s) in bold, missing ones as '–'."""
    nums = [_number(v) for v in values]
    known = [v for v in nums if v is not None]
    best = (max if higher_is_better else min)(known) if known else None
    out = []
    for v in nums:
        if v is None:
            out.append("–")
        else:
            text = f"{v:#.4g}".rstrip(".")
            out.append(f"**{text}**" if v == best else text)
    return out


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def markdown_table(result: BenchResult) -> str:
    """The scores as a Markdown table.

    A sweep has a row per level and a column for the input baseline and each method,
    the best of each row in bold; a table has a row per method and a column per
    metric, the best of each column in bold.

    >>> from vmag.bench.protocol import BenchResult
    >>> r = BenchResult("demo", "sweep", {}, {"phase": [0.9, 0.5]}, levels=[0.1, 1.0],
    ...                 baseline=[0.7, 0.6], level_name="motion (px)", score_name="SSIM")
    >>> print(markdown_table(r))
    | motion (px) | input | phase |
    | ---: | ---: | ---: |
    | 0.1 | 0.7000 | **0.9000** |
    | 1 | **0.6000** | 0.5000 |
    """
    better = result.higher_is_better
    if result.kind == "sweep":
        methods = list(result.scores)
        lines = [
            _row([result.level_name or "level", INPUT, *methods]),
            _row(["---:"] * (len(methods) + 2)),
        ]
        baseline = result.baseline or [None] * len(result.levels or [])
        for i, level in enumerate(result.levels or []):
            values = [baseline[i], *(result.scores[m][i] for m in methods)]
            lines.append(_row([f"{level:.3g}", *_cells(values, better)]))
        return "\n".join(lines)
    rows = list(result.scores)
    metrics = list(dict.fromkeys(k for r in rows for k in result.scores[r]))
    columns = [_cells([result.scores[r].get(k) for r in rows], better) for k in metrics]
    lines = [_row(["method", *metrics]), _row(["---", *["---:"] * len(metrics)])]
    for i, r in enumerate(rows):
        lines.append(_row([r, *(col[i] for col in columns)]))
    return "\n".join(lines)


def _set_sizes(result: BenchResult) -> dict[str, Any]:
    """The sizes of ``result``'s settings that differ from its protocol's for its seed and
    quick flag: those ``--set`` gave (none for an unregistered protocol)."""
    if result.protocol not in list_protocols():
        return {}
    settings = result.settings
    cls = protocol_class(result.protocol)
    default = cls(seed=settings.get("seed", 0), quick=bool(settings.get("quick", False)))
    plain = default.settings()
    return {
        k: settings[k] for k in cls.size_fields() if k in settings and settings[k] != plain.get(k)
    }


def reproduce_command(result: BenchResult) -> str:
    """The ``vmag bench`` command line that reruns ``result``.

    >>> from vmag.bench.protocol import BenchResult
    >>> r = BenchResult("subpixel", "sweep", {"seed": 3, "quick": True}, {"phase": [1.0]})
    >>> reproduce_command(r)
    'vmag bench subpixel --methods phase --seed 3 --quick'
    >>> r.settings = {"samples": 1, "methods": ["magnet"], "weights": {"magnet": "my w.pt"}}
    >>> reproduce_command(r)
    "vmag bench subpixel --methods magnet --seed 0 --set samples=1 --weights 'magnet=my w.pt'"
    """
    settings = result.settings
    methods = settings.get("methods") or [m for m in result.scores if m != INPUT]
    cmd = f"vmag bench {result.protocol} --methods {','.join(methods)}"
    cmd += f" --seed {settings.get('seed', 0)}"
    cmd += " --quick" if settings.get("quick") else ""
    for key, value in _set_sizes(result).items():
        cmd += f" --set {key}={value}"
    for method, path in settings.get("weights", {}).items():
        cmd += f" --weights {shlex.quote(f'{method}={path}')}"
    return cmd


def _runs_as_cli(result: BenchResult) -> bool:
    """Whether ``vmag bench`` with this seed, quick flag and ``--set`` sizes runs exactly
    ``result``'s settings."""
    if result.protocol not in list_protocols():
        return False
    settings = {k: v for k, v in result.settings.items() if k not in ("methods", "weights")}
    cls = protocol_class(result.protocol)
    try:
        default = cls(
            seed=settings.get("seed", 0),
            quick=bool(settings.get("quick", False)),
            **_set_sizes(result),
        )
    except VmagError:  # sizes no run of the CLI could have
        return False
    return jsonable(default.settings()) == jsonable(settings)


def markdown_report(result: BenchResult) -> str:
    """The Markdown file: title, what is measured, the table, notes, the command to rerun it."""
    lines = [f"# vmag bench: {result.protocol}", ""]
    if result.protocol in list_protocols():
        lines += [protocol_class(result.protocol).summary, ""]
    direction = "higher" if result.higher_is_better else "lower"
    where = "row" if result.kind == "sweep" else "column"
    score = result.score_name or "score"
    lines += [f"{score}, {direction} is better; the best of each {where} in bold.", ""]
    lines += [markdown_table(result), ""]
    lines += [f"- {note}" for note in result.notes]
    if result.notes:
        lines.append("")
    rerun = f"Reproduce: `{reproduce_command(result)}`"
    if not _runs_as_cli(result):
        rerun += " (this run's settings differ from that command's; see the JSON)"
    lines += [rerun, ""]
    return "\n".join(lines)


def _plot(result: BenchResult) -> Any:
    """The figure: score vs level for a sweep, bars per metric for a table."""
    plt = pyplot()
    if result.kind == "sweep":
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        levels = result.levels or []
        # a method's variants (NAME:KEY=VALUE) share its colour, each in its own line style
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        bases: dict[str, int] = {}
        seen: dict[str, int] = {}
        for m, values in result.scores.items():
            base = m.split(":")[0]
            color = colors[bases.setdefault(base, len(bases)) % len(colors)]
            style = ("-", "--", ":", "-.")[seen.get(base, 0) % 4]
            seen[base] = seen.get(base, 0) + 1
            ax.plot(levels, jsonable(values), style, color=color, marker="o", ms=4, label=m)
        if result.baseline is not None:
            ax.plot(levels, jsonable(result.baseline), "k--", label=INPUT)
        ax.set_xscale("log")
        ax.set_xlabel(result.level_name or "level")
        ax.set_ylabel(result.score_name or "score")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="small")
        ax.set_title(f"vmag bench {result.protocol}")
        return fig
    rows = list(result.scores)
    metrics = list(dict.fromkeys(k for r in rows for k in result.scores[r]))
    fig, axes = plt.subplots(
        1,
        max(1, len(metrics)),
        figsize=(2.2 + 1.6 * max(1, len(metrics)) + 0.25 * len(rows), 3.6),
        squeeze=False,
    )
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, k in zip(axes[0], metrics, strict=False):
        values = [_number(result.scores[r].get(k)) for r in rows]
        ax.bar(
            range(len(rows)),
            [np.nan if v is None else v for v in values],
            color=[colors[i % len(colors)] for i in range(len(rows))],
        )
        ax.set_xticks(range(len(rows)), rows, rotation=45, ha="right", fontsize="small")
        ax.set_title(k, fontsize="medium")
        ax.grid(True, axis="y", alpha=0.3)
    fig.suptitle(f"vmag bench {result.protocol}: {result.score_name or 'score'}")
    return fig


def write_report(
    result: BenchResult, out_dir: str | Path, *, wall_s: float | None = None
) -> list[Path]:
    """Write ``PROTOCOL.json``, ``.md`` and ``.png`` into ``out_dir`` (created if needed).

    The JSON is :meth:`BenchResult.to_json` plus ``machine`` (:func:`machine_info`, with
    the run's ``wall_s`` when given). Returns the paths written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    base = out / result.protocol
    doc = jsonable(result.to_json() | {"machine": machine_info(wall_s=wall_s)})
    text = json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    markdown = markdown_report(result)

    def png(tmp: Path) -> None:
        fig = _plot(result)
        try:
            fig.tight_layout()
            fig.savefig(tmp, format="png", dpi=120)
        finally:
            pyplot().close(fig)

    return [
        atomic_write(base.with_suffix(".json"), lambda p: p.write_text(text, encoding="utf-8")),
        atomic_write(base.with_suffix(".md"), lambda p: p.write_text(markdown, encoding="utf-8")),
        atomic_write(base.with_suffix(".png"), png),
    ]


def read_result(path: str | Path) -> BenchResult:
    """The :class:`BenchResult` of a ``PROTOCOL.json`` that :func:`write_report` wrote; a
    :class:`VmagError` naming the file if it is not one."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        kind = doc["kind"]
        return BenchResult(
            protocol=doc["protocol"],
            kind=kind,
            settings=doc["settings"],
            scores=doc["scores"],
            levels=doc["levels"] if kind == "sweep" else None,
            baseline=doc["baseline"] if kind == "sweep" else None,
            level_name=doc.get("level_name", ""),
            score_name=doc.get("score_name", ""),
            higher_is_better=doc.get("higher_is_better", True),
            notes=doc.get("notes", []),
        )
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise VmagError(f"{path}: not a vmag bench report ({exc})") from None


def merge_results(results: list[BenchResult]) -> BenchResult:
    """One result with the methods of ``results``, runs of the same protocol with the same
    settings (seed, sizes: so the same clips) and different methods, in their order.

    A slow method can then be run on its own and reported beside the others: the merged
    table is what one run with all the methods would print, since every method sees the
    same clips. A :class:`VmagError` says what differs otherwise.

    >>> from vmag.bench.protocol import BenchResult
    >>> a = BenchResult("noise", "sweep", {"seed": 0, "methods": ["phase"]}, {"phase": [0.5]},
    ...                 levels=[1.0], baseline=[0.3])
    >>> b = BenchResult("noise", "sweep", {"seed": 0, "methods": ["magnet"]}, {"magnet": [0.6]},
    ...                 levels=[1.0], baseline=[0.3])
    >>> merged = merge_results([a, b])
    >>> merged.scores, merged.settings["methods"]
    ({'phase': [0.5], 'magnet': [0.6]}, ['phase', 'magnet'])
    """
    if not results:
        raise VmagError("give at least one report to merge")
    first = results[0]

    def common(r: BenchResult) -> dict[str, Any]:
        return jsonable({k: v for k, v in r.settings.items() if k not in ("methods", "weights")})

    scores: dict[str, Any] = {}
    weights: dict[str, str] = {}
    notes: list[str] = []
    for r in results:
        if (r.protocol, r.kind) != (first.protocol, first.kind):
            raise VmagError(f"cannot merge a {r.protocol} report with a {first.protocol} one")
        if common(r) != common(first):
            mine, theirs = common(r), common(first)
            differ = sorted(k for k in {*mine, *theirs} if mine.get(k) != theirs.get(k))
            raise VmagError(f"the {r.protocol} reports differ in settings: {', '.join(differ)}")
        if r.kind == "sweep" and not (
            np.allclose(r.levels or [], first.levels or [])
            and np.allclose(r.baseline or [], first.baseline or [])
        ):
            raise VmagError(f"the {r.protocol} reports were measured on different clips")
        for m, s in r.scores.items():
            if m == INPUT and m in scores:  # a table's input row: the same clips, the same row
                if jsonable(s) != jsonable(scores[m]):
                    raise VmagError(f"the {r.protocol} reports were measured on different clips")
                continue
            if m in scores:
                raise VmagError(f"method {m} is in more than one report")
            scores[m] = s
        for m, path in r.settings.get("weights", {}).items():
            if weights.setdefault(m, path) != path:
                raise VmagError(f"the reports give {m} different weights")
        notes += [n for n in r.notes if n not in notes]
    settings = {**first.settings, "methods": [m for m in scores if m != INPUT]}
    settings.pop("weights", None)
    if weights:
        settings["weights"] = weights
    return dataclasses.replace(first, settings=settings, scores=scores, notes=notes)
