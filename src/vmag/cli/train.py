"""``vmag train``: train a learned network on the synthetic generator (:mod:`vmag.learned.train`).

``vmag train magnet --config configs/magnet.toml --out runs/magnet`` writes the log,
checkpoints, the weights ``runs/magnet/magnet.pt``, a model card and a loss plot. Ctrl-C
writes a checkpoint and exits with status 130; the same command then resumes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    Progress,
    TextColumn,
)

from vmag.cli.progress import console, progress_bar
from vmag.device import resolve_device
from vmag.errors import VmagError, check_choice
from vmag.learned.train import Interrupted, Monitor, load_config, train
from vmag.learned.zoo import blend, list_models, load_weights, save_weights, widen


def _say(msg: str) -> None:
    console.print(msg, highlight=False, markup=False, soft_wrap=True)


class _BarMonitor(Monitor):
    """A progress bar per stage (iterations, it/s, elapsed, ETA, last logged loss)."""

    def __init__(self, bar: Progress) -> None:
        self.bar, self.tasks = bar, {}

    def message(self, text: str) -> None:
        self.bar.console.print(text, highlight=False, markup=False, soft_wrap=True)

    def stage(self, name: str, done: int, total: int) -> None:
        self.tasks[name] = self.bar.add_task(
            name, total=total, completed=done, unit="it", loss="loss -"
        )

    def step(self, name: str, done: int, total: int, loss: float | None) -> None:
        text = "loss -" if loss is None else f"loss {loss:.4g}"
        self.bar.update(self.tasks[name], completed=done, loss=text)


def train_command(
    model: Annotated[
        str, typer.Argument(help=" | ".join(list_models()), metavar="MODEL", show_default=False)
    ],
    config: Annotated[
        Path, typer.Option("--config", help="TOML training config (see configs/*.toml)")
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="output folder (default: train-out/MODEL)")
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(help="continue from OUT/checkpoint.pt if there is one (else start over)"),
    ] = True,
    device: Annotated[str, typer.Option(help="cpu | cuda | auto")] = "auto",
    iterations: Annotated[
        int | None, typer.Option(help="iterations of the main stage instead of the config's")
    ] = None,
) -> None:
    """Train a learned motion-magnification network on the synthetic generator.

    E.g. `vmag train lightweight --config configs/lightweight.toml --out runs/lw`: writes
    log.jsonl, checkpoint.pt, MODEL.pt, model-card.md and loss.png into --out. Ctrl-C
    saves a checkpoint (exit status 130); run the same command again to resume.
    """
    check_choice("MODEL", model, tuple(list_models()))
    cfg = load_config(config, model=model, iterations=iterations)
    out = out if out is not None else Path("train-out") / model
    dev = resolve_device(device)
    size = cfg.data.motion.size
    plan = " + ".join(f"{stage} {n}" for stage, n in cfg.stages())
    _say(
        f"train {model}: {plan} iterations, batch {cfg.batch_size}, {size}x{size} px, "
        f"device {dev.type} -> {out}"
    )
    try:
        with progress_bar(TextColumn("{task.fields[loss]}"), label=6) as bar:
            result = train(cfg, out, resume=resume, device=device, monitor=_BarMonitor(bar))
    except Interrupted as e:
        _say(f"interrupted at {e.stage} iteration {e.iteration}: saved {e.checkpoint}")
        _say("run the same command again to resume")
        # SystemExit, not typer.Exit: the caller's "no output was written" would be wrong here
        raise SystemExit(130) from None
    scores: dict[str, Any] = result.meta["validation"]
    _say(
        f"trained {model}: {result.meta['samples_seen']} samples in "
        f"{result.meta['wall_s']:.1f} s; validation SSIM {scores.get('ssim', float('nan')):.4f}, "
        f"L1 {scores.get('l1', float('nan')):.4f}"
    )
    _say(f"wrote {result.weights}, {result.card}, {result.plot}")


#: what a derived weights file (blend, widen) keeps of each parent's meta
_PARENT_KEYS = ("model", "iterations", "samples_seen", "wall_s", "validation", "finished", "blend")


def _parent(path: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """The summary of a parent weights file recorded in a derived file's meta."""
    return {"file": path.name, **{k: meta[k] for k in _PARENT_KEYS if k in meta}}


def blend_command(
    a: Annotated[
        Path, typer.Argument(help="weights file (from vmag train)", metavar="A", show_default=False)
    ],
    b: Annotated[
        Path,
        typer.Argument(help="weights file of the same network", metavar="B", show_default=False),
    ],
    share: Annotated[float, typer.Option(help="share of A in the blend, in [0, 1]")],
    out: Annotated[Path, typer.Option("--out", "-o", help="the blended weights file")],
) -> None:
    """Blend two trainings of one network in weight space: SHARE * A + (1 - SHARE) * B.

    E.g. `vmag blend runs/lw/proxy.pt runs/lw/lightweight.pt --share 0.35 -o lw.pt`: a
    network fine-tuned on noisy inputs (B) from a noise-free one (A) keeps more of A's
    magnification of small motions (Wortsman et al. 2022, WiSE-FT).
    """
    resolved = out.resolve()
    if resolved in (a.resolve(), b.resolve()):
        raise VmagError(f"--out {out} is one of the inputs; write the blend elsewhere")
    net_a, meta_a = load_weights(a)
    net_b, meta_b = load_weights(b)
    names = {meta_a.get("model"), meta_b.get("model")} - {None}
    if len(names) != 1:
        raise VmagError(f"{a} and {b} must be weights of one model (found {sorted(names)})")
    (name,) = names
    net = blend(net_a, net_b, share)
    meta = {
        "model": name,
        "blend": {"share": share, "a": _parent(a, meta_a), "b": _parent(b, meta_b)},
    }
    save_weights(net, out, name, meta)
    _say(f"wrote {out}: {share:g} x {a} + {1 - share:g} x {b} ({name})")


def widen_command(
    weights: Annotated[
        Path,
        typer.Argument(help="weights file (from vmag train)", metavar="IN", show_default=False),
    ],
    model: Annotated[str, typer.Option(help="the wider model: " + " | ".join(list_models()))],
    out: Annotated[Path, typer.Option("--out", "-o", help="the widened weights file")],
    seed: Annotated[int, typer.Option(help="seed of the random weight shares")] = 0,
) -> None:
    """Grow trained weights into a wider model computing the same function (Net2Net).

    E.g. `vmag widen runs/lightweight/proxy.pt --model lightweight-base -o lwb-init.pt`,
    then `init = "lwb-init.pt"` in a training config: the wider network starts where the
    narrow one ended instead of from random weights.
    """
    if out.resolve() == weights.resolve():
        raise VmagError(f"--out {out} is the input; write the widened weights elsewhere")
    check_choice("model", model, tuple(list_models()))
    net, meta = load_weights(weights)
    big = widen(net, model, seed=seed)
    info = _parent(weights, meta)
    save_weights(big, out, model, {"model": model, "widened": {"seed": seed, "from": info}})
    _say(f"wrote {out}: {weights} ({meta.get('model', net.arch)}) widened into {model}")


def register(app: typer.Typer) -> None:
    """Add ``vmag train``, ``vmag blend`` and ``vmag widen`` to ``app``."""
    app.command("train")(train_command)
    app.command("blend")(blend_command)
    app.command("widen")(widen_command)
