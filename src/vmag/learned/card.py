"""What a finished motion-network run writes beside its weights: the model card and the
loss plot, both made from the weights' meta and the run's ``log.jsonl``."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

from vmag.learned.net import MotionNet

#: The stages of a motion-network run, in order (the lightweight proxy first).
STAGES = ("proxy", "main")


def plot_losses(records: list[dict[str, Any]], path: str | Path) -> Path:
    """``loss.png``: the training loss (left) and validation SSIM (right) of each stage
    against the iteration, from the records of ``log.jsonl``."""
    from vmag.viz._figure import pyplot, save_figure

    plt = pyplot()
    fig, (ax_loss, ax_ssim) = plt.subplots(1, 2, figsize=(10, 3.8))
    for stage in STAGES:
        train = [r for r in records if r["event"] == "train" and r["stage"] == stage]
        val = [r for r in records if r["event"] == "validation" and r["stage"] == stage]
        label = "proxy (noise-free inputs)" if stage == "proxy" else "main"
        if train:
            ax_loss.plot([r["iteration"] for r in train], [r["total"] for r in train], label=label)
        if val:
            ax_ssim.plot([r["iteration"] for r in val], [r["ssim"] for r in val], "o-", label=label)
    if any(r["event"] == "train" and r["total"] > 0 for r in records):
        ax_loss.set_yscale("log")
    ax_loss.set(xlabel="iteration", ylabel="training loss (total)", title="training loss")
    ax_ssim.set(xlabel="iteration", ylabel="SSIM vs ground truth Y", title="validation SSIM")
    for ax in (ax_loss, ax_ssim):
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
    path = Path(path)
    save_figure(fig, path)
    return path


def _duration(seconds: float) -> str:
    """``3725`` -> ``'1 h 02 min 05 s'``."""
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min {s:02d} s" if h else f"{m} min {s:02d} s" if m else f"{s} s"


def _curve_summary(records: list[dict[str, Any]]) -> list[str]:
    lines = []
    for stage in STAGES:
        train = [r for r in records if r["event"] == "train" and r["stage"] == stage]
        val = [r for r in records if r["event"] == "validation" and r["stage"] == stage]
        if not train:
            continue
        best = min(train, key=lambda r: r["total"])
        lines.append(
            f"- {stage}: total loss {train[0]['total']:.4g} (iteration {train[0]['iteration']})"
            f" -> {train[-1]['total']:.4g} (iteration {train[-1]['iteration']}); lowest "
            f"{best['total']:.4g} at iteration {best['iteration']}"
        )
        if val:
            step = max(1, math.ceil(len(val) / 8))
            shown = val[::step] if val[::step][-1] is val[-1] else [*val[::step], val[-1]]
            pts = ", ".join(f"{r['iteration']}: {r['ssim']:.4f}" for r in shown)
            lines.append(f"  - validation SSIM by iteration: {pts}")
    return lines


def _loss_line(net: MotionNet, weights: dict[str, float] | None) -> list[str]:
    """The card's line on the loss weights: each term, marking those not the paper's."""
    if not weights:
        return []
    paper = type(net).LOSS_WEIGHTS
    terms = [
        f"{k} {w:g}" + (f" (paper {paper[k]:g})" if paper.get(k) != w else "")
        for k, w in weights.items()
    ]
    return [f"- Loss weights: {', '.join(terms)}"]


def model_card(net: MotionNet, meta: dict[str, Any], records: list[dict[str, Any]]) -> str:
    """The Markdown model card of a trained network (``model-card.md``)."""
    from vmag.learned.complexity import count_parameters

    data, hw, opt, val = meta["data"], meta["hardware"], meta["optimizer"], meta["validation"]
    motion = data["motion"]
    module = sys.modules[type(net).__module__].__doc__ or ""
    doc = " ".join(module.strip().split("\n\n")[0].split()).replace("``", "`")
    args = ", ".join(f"{k}={v!r}" for k, v in net.architecture_config().items())
    source = (
        f"the shards in `{data['shards']}`" if data["shards"] else "samples generated on the fly"
    )
    schedule = opt["schedule"] + {
        "step": f" (x{opt['gamma']} every {opt['step_size']} iterations)",
        "cosine": f" (down to {opt['min_lr']:g})",
    }.get(opt["schedule"], "")
    gpu = f", GPU {hw['gpu']}" if hw["gpu"] else ""
    rows = []
    for s in meta["stages"]:
        v = s.get("validation") or {}
        scores = f"{v['ssim']:.4f} | {v['l1']:.4f}" if "ssim" in v else "- | -"
        if "weights" in s:
            rows.append(f"| proxy | from `{s['weights']}` | {s['iterations']} | - | - | {scores} |")
        else:
            rows.append(
                f"| {s['stage']} | {s['inputs']} | {s['iterations']} | "
                f"{s['samples_seen']} | {_duration(s['wall_s'])} | {scores} |"
            )
    epochs = meta["samples_seen"] / data["n"]
    lines = [
        f"# {meta['model']}: learned motion magnification",
        "",
        f"Trained with `vmag train {meta['model']}`, finished {meta['finished']}.",
        "",
        "## Architecture",
        "",
        f"- {doc}",
        f"- Class `{type(net).__module__}.{type(net).__name__}` (arch `{net.arch}`)",
        f"- Constructor: `{type(net).__name__}({args})`",
        f"- Parameters: {count_parameters(net):,}",
        "",
        "## Training data",
        "",
        f"- Synthetic generator `vmag.synth.motion` (after Oh et al. 2018), {source}: "
        f"{data['n']:,} samples of {motion['size']}x{motion['size']} px, seed {data['seed']}",
        f"- Parts: {', '.join(motion['parts'])}; input noise: "
        f"{'on' if motion['noise'] else 'off'}; alpha {motion['min_alpha']:g}-"
        f"{motion['max_alpha']:g}; magnified motion <= {motion['max_magnified']:g} px",
        f"- Samples seen: {meta['samples_seen']:,} ({epochs:.2f} passes over the data)",
        "",
        "## Training",
        "",
        "| stage | inputs | iterations | samples seen | wall time | val SSIM | val L1 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        f"- Batch: {meta['batch_size']}; iterations (main stage): {meta['iterations']:,}",
        f"- Optimiser: Adam, lr {opt['lr']:g}, betas ({opt['betas'][0]:g}, {opt['betas'][1]:g})"
        f", weight decay {opt['weight_decay']:g}, schedule {schedule}"
        + (f", linear warm-up over the first {opt['warmup']} iterations" if opt["warmup"] else ""),
        *([f"- Started from the weights `{meta['init']}`"] if meta.get("init") else []),
        *(
            [f"- Held fixed in the main stage: {', '.join(meta['freeze'])}"]
            if meta.get("freeze")
            else []
        ),
        *_loss_line(net, meta.get("loss_weights")),
        f"- Hardware: {hw['device']}{gpu}; CPU {hw['cpu']} ({hw['cpu_count']} cores); "
        f"torch {hw['torch']}; {hw['platform']}",
        f"- Wall time: {_duration(meta['wall_s'])}",
        "",
        "## Validation",
        "",
        f"{val['n']} held-out samples (seed {val['seed']}); the magnified output against the "
        "ground truth Y, RGB in [0, 1]: SSIM (scikit-image, Gaussian window sigma 1.5) "
        f"**{val.get('ssim', float('nan')):.4f}**, mean absolute error (L1) "
        f"**{val.get('l1', float('nan')):.4f}**.",
        "",
        "## Loss curve",
        "",
        "Logged in `log.jsonl` (means over each logging interval); plotted in `loss.png`.",
        "",
        *_curve_summary(records),
        "",
        "![loss and validation SSIM](loss.png)",
        "",
        "## Config",
        "",
        "```toml",
        meta["config"].rstrip(),
        "```",
        "",
    ]
    return "\n".join(lines)
