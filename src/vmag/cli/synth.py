"""``vmag synth``: write synthetic training data to disk.

``vmag synth motion`` writes the motion-magnification training set of
:mod:`vmag.synth.motion` as resumable .npz shards, with an optional preview picture;
``vmag synth physio`` the subjects of :mod:`vmag.synth.physio` (pulse and breathing
known), a lossless clip and its truth each.
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
from vmag.io.atomic import atomic_write
from vmag.io.video import write_video
from vmag.synth.motion import PARTS, MotionConfig, MotionSample, make_sample, write_shards
from vmag.synth.physio import TASKS, PhysioConfig, PhysioSubject, render_subject

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


def plot_subjects(subjects: list[PhysioSubject], out: Path) -> Path:
    """A row per subject: its first frame, its skin mask there, its pulse and breathing."""
    from vmag.viz._figure import pyplot, save_figure

    plt = pyplot()
    fig, axes = plt.subplots(
        len(subjects), 3, figsize=(10, 2.4 * len(subjects)), squeeze=False,
        gridspec_kw={"width_ratios": [1, 1, 3]},
    )  # fmt: skip
    for row, s in zip(axes, subjects, strict=True):
        row[0].imshow(s.frames[0])
        row[1].imshow(s.skin[0], cmap="gray")
        t = np.arange(len(s.pulse)) / s.fps
        row[2].plot(t, 100 * s.pulse, lw=0.8, label=f"pulse, % ({s.heart_rate:.0f} /min)")
        row[2].plot(t, s.breath, lw=0.8, label=f"breathing, px ({s.breath_rate:.0f} /min)")
        row[2].legend(fontsize=7, loc="upper right")
        row[2].set_xlabel("s", fontsize=8)
        for ax in row[:2]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0][0].set_title("first frame", fontsize=9)
    axes[0][1].set_title("skin", fontsize=9)
    axes[0][2].set_title("truth", fontsize=9)
    return save_figure(fig, out)


def _save_npz(path: Path, arrays: dict[str, Any]) -> None:
    with open(path, "wb") as f:  # a file object: numpy adds no suffix to it
        np.savez_compressed(f, **arrays)


@synth_app.command("physio")
def physio(
    subjects: Annotated[int, typer.Option("--subjects", help="number of subjects")],
    output: Annotated[Path, typer.Option("-o", "--output", help="folder for the clips")],
    task: Annotated[str, typer.Option("--task", help="head motion: " + "; ".join(
        f"{k} {v}" for k, v in TASKS.items()))] = "A",
    seed: Annotated[int, typer.Option("--seed", help="data set seed")] = 0,
    size: Annotated[int, typer.Option("--size", help="frame side (px)")] = 128,
    seconds: Annotated[float, typer.Option("--seconds", help="clip length (s)")] = 10.0,
    fps: Annotated[float, typer.Option("--fps", help="frame rate")] = 30.0,
) -> None:
    """Subjects with a known pulse and breathing (DeepMag's data): per subject a lossless
    clip (.mkv) and its truth (.npz: pulse, breathing, skin masks, rates); preview.png."""
    if subjects < 1 or seed < 0:
        raise VmagError(f"--subjects must be >= 1 and --seed >= 0, got {subjects} and {seed}")
    config = PhysioConfig(size=size, fps=fps, seconds=seconds, task=task)
    if output.exists() and not output.is_dir():
        raise VmagError(f"-o {output} is a file, not a folder")
    output.mkdir(parents=True, exist_ok=True)
    shown = []
    with progress_bar() as bar:
        progress = bar.add_task("subjects", total=subjects, unit="subjects")
        for i in range(subjects):
            s = render_subject(seed, i, config)
            stem = output / f"subject-{i:03d}-{task}"
            write_video(stem.with_suffix(".mkv"), s.frames, fps)
            truth = {
                "pulse": s.pulse, "breath": s.breath, "skin": np.packbits(s.skin, axis=-1),
                "width": size, "heart_rate": s.heart_rate, "breath_rate": s.breath_rate,
                "fps": fps, "task": task, "seed": seed, "index": i,
            }  # fmt: skip
            atomic_write(stem.with_suffix(".npz"), lambda p, t=truth: _save_npz(p, t))
            if len(shown) < 4:
                shown.append(s)
            bar.update(progress, completed=i + 1)
    out = plot_subjects(shown, output / "preview.png")
    console.print(
        f"wrote {subjects} subjects (task {task}, {size}x{size} px, {config.frames} frames "
        f"at {fps:g} fps, seed {seed}) to {output}; preview {out}",
        highlight=False, markup=False, soft_wrap=True,
    )  # fmt: skip


def register(app: typer.Typer) -> None:
    """Add the ``synth`` command group to ``app``."""
    app.add_typer(synth_app, name="synth")
