"""``vmag synth``: write synthetic training data to disk.

``vmag synth motion`` writes the motion-magnification training set of
:mod:`vmag.synth.motion` as resumable .npz shards, with an optional preview picture.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from vmag.cli.progress import console, progress_bar
from vmag.errors import VmagError
from vmag.synth.motion import PARTS, MotionConfig, MotionSample, make_sample, write_shards

synth_app = typer.Typer(
    no_args_is_help=True, help="Synthetic training data (see `vmag synth motion --help`)."
)


def _parse_parts(parts: str | None) -> tuple[str, ...]:
    if parts is None:
        return PARTS
    names = tuple(p.strip() for p in parts.split(",") if p.strip())
    wrong = [p for p in names if p not in PARTS]
    if not names or wrong:
        raise VmagError(
            f"--parts takes a comma-separated list of {', '.join(PARTS)}; got {parts!r}"
        )
    return names


def plot_samples(samples: list[MotionSample], out: Path, gain: float = 4.0) -> Path:
    """A grid: one row per sample with A, B, Y, |B - A| and |Y - A| (x ``gain``, clean frames)."""
    from vmag.viz._figure import pyplot, save_figure

    plt = pyplot()
    cols = ("A", "B", "Y (magnified)", f"|B - A| x{gain:g}", f"|Y - A| x{gain:g}")
    fig, axes = plt.subplots(
        len(samples), len(cols), figsize=(2.2 * len(cols), 2.3 * len(samples)), squeeze=False
    )
    for row, s in zip(axes, samples, strict=True):
        diff_b = np.clip(gain * np.abs(s.b_clean - s.a_clean), 0, 1)
        diff_y = np.clip(gain * np.abs(s.y - s.a_clean), 0, 1)
        for ax, img in zip(row, (s.a, s.b, s.y, diff_b, diff_y), strict=True):
            ax.imshow(img, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
        largest = float(np.hypot(*s.displacements.T).max())
        row[0].set_ylabel(f"{s.part}\nalpha {s.alpha:.1f}, |d| <= {largest:.2f}", fontsize=8)
    for ax, title in zip(axes[0], cols, strict=True):
        ax.set_title(title, fontsize=9)
    return save_figure(fig, out)


@synth_app.command("motion")
def motion(
    n: Annotated[int, typer.Option("--n", help="number of samples")],
    output: Annotated[Path, typer.Option("-o", "--output", help="folder for the shards")],
    size: Annotated[int, typer.Option("--size", help="image side (px)")] = 384,
    seed: Annotated[int, typer.Option("--seed", help="data set seed")] = 0,
    parts: Annotated[
        str | None, typer.Option("--parts", help=f"comma-separated subset of {', '.join(PARTS)}")
    ] = None,
    noise: Annotated[bool, typer.Option("--noise/--no-noise", help="noise on A, B, C")] = True,
    shard_size: Annotated[int, typer.Option("--shard-size", help="samples per shard")] = 1000,
    preview: Annotated[
        Path | None, typer.Option("--preview", help="also draw the first samples to this PNG")
    ] = None,
) -> None:
    """Motion-magnification training samples (A, B, C, Y, Y', alpha) as .npz shards."""
    for flag, value, least in (("--n", n, 1), ("--shard-size", shard_size, 1), ("--seed", seed, 0)):
        if value < least:
            raise VmagError(f"{flag} must be >= {least}, got {value}")
    config = MotionConfig(size=size, parts=_parse_parts(parts), noise=noise)
    start = time.perf_counter()
    resumed: list[int] = []  # samples already on disk: the first progress report
    with ExitStack() as stack:
        bar: Any = None  # opened on the first report: a refused folder prints one line only

        def report(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                resumed.append(done)
                bar = stack.enter_context(progress_bar())
                # Start at the samples already there, so the rate counts new ones only.
                bar.add_task("synth", total=total, completed=done, unit="samples")
            bar.update(bar.task_ids[0], completed=done)

        paths = write_shards(output, n, config, seed, shard_size, progress=report)
    elapsed = time.perf_counter() - start
    made = n - resumed[0]
    rate = f", {made / elapsed:.1f} samples/s" if made else ""
    kept = f" ({resumed[0]} already there)" if resumed[0] else ""
    console.print(
        f"wrote {n} samples{kept} of {size}x{size} px in {len(paths)} shards to {output}"
        f" (seed {seed}, parts {','.join(config.parts)}{rate})",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    if preview is not None:
        shown = [make_sample(seed, i, config) for i in range(min(n, 4))]
        out = plot_samples(shown, preview)
        console.print(f"wrote {out}", highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the ``synth`` command group to ``app``."""
    app.add_typer(synth_app, name="synth")
