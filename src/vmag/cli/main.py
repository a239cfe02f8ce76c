"""``vmag``: magnify, inspect and picture subtle changes in video.

Every command takes ``--fps`` to override the container's frame rate. Bad input ends
with one ``vmag: error: ...`` line on stderr and exit status 2.
"""

from __future__ import annotations

import importlib
import sys
from collections import deque
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

try:  # typer >= 0.29 vendors click; older releases use click itself
    from typer.exceptions import TyperException as UsageProblem
except ImportError:  # pragma: no cover - depends on the installed typer
    from click.exceptions import ClickException as UsageProblem

from vmag.cli.progress import console, progress_bar
from vmag.errors import VmagError
from vmag.io import VideoWriter, iter_frames, probe
from vmag.io.background import BackgroundWriter, prefetch
from vmag.magnifier import Magnifier
from vmag.presets import PRESET_NAMES, PRESETS, band_around
from vmag.registry import create_magnifier, list_magnifiers, magnifier_class
from vmag.viz import plot_slices, plot_spectrum, side_by_side, spatiotemporal_slice
from vmag.viz.spectrum import strongest_peaks, temporal_spectrum

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="vmag: reveal changes in video too small to see.",
    pretty_exceptions_enable=False,
)

FpsOpt = Annotated[
    float | None,
    typer.Option(
        "--fps", help="frame rate to use instead of the container's (e.g. 600 for guitar.mp4)"
    ),
]


def _depth(info: Any) -> int:
    """Frames to queue ahead of and behind the magnifier: ~8 MB of uint8 frames, 1 to 8
    (8 at 640x480, where coding keeps pace with the magnifier; 1 at 1080p, where a frame
    takes a magnifier far longer to make than the codec to decode or encode)."""
    return max(1, min(8, (8 << 20) // (info.width * info.height * 3)))


def _say(msg: str) -> None:
    console.print(msg, highlight=False, markup=False, soft_wrap=True)


def _read_all(path: Path, fps: float | None, start: int, stop: int | None):
    """Decode frames [start, stop) into one array, with a progress bar."""
    info = probe(path, fps=fps)
    stop = info.frames if stop is None else min(stop, info.frames)
    if not 0 <= start < stop:
        raise VmagError(f"--start {start} / --stop {stop} select no frames of {info.frames}")
    frames = np.empty((stop - start, info.height, info.width, 3), dtype=np.float32)
    n = 0
    with progress_bar() as bar:
        task = bar.add_task("decode", total=len(frames))
        for frame in prefetch(iter_frames(path, start=start, stop=stop), _depth(info)):
            frames[n] = frame
            n += 1
            bar.advance(task)
    return frames[:n], info


def _frames_with_progress(path: Path, info: Any, label: str):
    """Decode ``path`` (in a thread) while a progress bar counts the frames."""
    with progress_bar() as bar:
        task = bar.add_task(label, total=info.frames)
        for frame in prefetch(iter_frames(path), _depth(info)):
            yield frame
            bar.advance(task)


def _method_params(method: str, explicit: dict[str, Any]) -> dict[str, Any]:
    """The options the user set, checked against what ``method`` takes."""
    takes = {o.name for o in magnifier_class(method).options()}
    given = {k: v for k, v in explicit.items() if v is not None}
    wrong = sorted(k for k in given if k not in takes)
    if wrong:
        flags = ", ".join("--" + k.replace("_", "-") for k in wrong)
        raise VmagError(f"method {method} does not take {flags} (see `vmag methods`)")
    return given


@app.command()
def magnify(
    input: Annotated[Path, typer.Argument(help="input video")],
    output: Annotated[Path, typer.Option("-o", "--output", help="output video (.mp4 or .mkv)")],
    method: Annotated[str | None, typer.Option("--method", "-m", help="see `vmag methods`")] = None,
    alpha: Annotated[float | None, typer.Option(help="output change = (1+alpha) x input")] = None,
    band: Annotated[
        tuple[float, float] | None, typer.Option(help="temporal pass band LO HI in Hz")
    ] = None,
    filter: Annotated[
        str | None, typer.Option(help="ideal | butter | iir | static (| accel)")
    ] = None,
    order: Annotated[int | None, typer.Option(help="Butterworth order")] = None,
    stream: Annotated[bool, typer.Option(help="causal streaming: O(1) frames in memory")] = False,
    fps: FpsOpt = None,
    preset: Annotated[
        str | None, typer.Option(help=f"fills method, band, alpha: {' | '.join(PRESET_NAMES)}")
    ] = None,
    levels: Annotated[
        int | None, typer.Option(help="pyramid levels (color: level filtered)")
    ] = None,
    lambda_c: Annotated[float | None, typer.Option(help="linear: spatial cutoff λc (px)")] = None,
    chrom_atten: Annotated[float | None, typer.Option(help="chromatic attenuation")] = None,
    sigma: Annotated[float | None, typer.Option(help="phase smoothing σ (px)")] = None,
    orientations: Annotated[int | None, typer.Option(help="steerable orientations")] = None,
    bandwidth: Annotated[str | None, typer.Option(help="octave | half | quarter")] = None,
    mode: Annotated[
        str | None, typer.Option(help="learned: static | dynamic | temporal (reference frame)")
    ] = None,
    weights: Annotated[
        Path | None, typer.Option(help="learned: weights file (default: the shipped ones)")
    ] = None,
    tile: Annotated[int | None, typer.Option(help="learned: tile size px (0 = whole)")] = None,
    overlap: Annotated[int | None, typer.Option(help="learned: tile overlap px")] = None,
    device: Annotated[str | None, typer.Option(help="learned: cpu | cuda | auto")] = None,
    start: Annotated[int, typer.Option(help="first frame to use")] = 0,
    stop: Annotated[int | None, typer.Option(help="frame to stop before")] = None,
    crf: Annotated[int, typer.Option(help="H.264 quality (0-51, lower is better)")] = 18,
    compare: Annotated[
        Path | None, typer.Option(help="also write input | output side by side to this video")
    ] = None,
) -> None:
    """Magnify subtle motion or colour change in a video."""
    info = probe(input, fps=fps)
    if preset is not None:
        if preset not in PRESETS:
            raise VmagError(f"--preset must be one of {', '.join(PRESET_NAMES)}; got {preset!r}")
        p = PRESETS[preset]
        method = method or p.method
        alpha = alpha if alpha is not None else p.alpha
        if band is None and p.band is None:
            freqs, power = temporal_spectrum(iter_frames(input, start=start, stop=stop), info.fps)
            peaks = strongest_peaks(freqs, power, n=1, min_freq=1.0)
            if not peaks:
                raise VmagError("--preset vibration found no spectral peak above 1 Hz; give --band")
            band = band_around(peaks[0].freq, info.fps)
            _say(
                f"preset {preset}: strongest peak {peaks[0].freq:.2f} Hz -> band "
                f"{band[0]:.2f}-{band[1]:.2f} Hz"
            )
        band = band if band is not None else p.band
    method = method or "phase"
    params = _method_params(
        method,
        dict(
            alpha=alpha,
            band=band,
            filter=filter,
            order=order,
            levels=levels,
            lambda_c=lambda_c,
            chrom_atten=chrom_atten,
            sigma=sigma,
            orientations=orientations,
            bandwidth=bandwidth,
            mode=mode,
            weights=None if weights is None else str(weights),
            tile=tile,
            overlap=overlap,
            device=device,
        ),
    )
    magnifier = create_magnifier(method, **params)
    if compare is not None and compare.resolve() == output.resolve():
        raise VmagError("--compare must name a different file than -o")
    _say(
        f"{method}: {info.width}x{info.height}, {info.fps:g} fps, "
        f"{'streaming' if stream else 'offline'} -> {output}"
    )
    job = _Job(input, output, compare, info, start, stop, crf)
    (_magnify_stream if stream else _magnify_offline)(magnifier, job)
    _say(f"wrote {output}" + (f" and {compare}" if compare else ""))


@contextmanager
def _writers(output: Path, compare: Path | None, info: Any, crf: int, protect: list[Path]):
    """The output writer and the optional side-by-side writer: atomic, encoding in threads."""
    opts = dict(crf=crf, protect=protect, depth=_depth(info))
    with ExitStack() as stack:
        writer = stack.enter_context(BackgroundWriter(output, info.fps, **opts))
        cmp = None
        if compare is not None:
            cmp = stack.enter_context(BackgroundWriter(compare, info.fps, **opts))
        yield writer, cmp


@dataclass(frozen=True)
class _Job:
    """What one ``vmag magnify`` run reads and writes."""

    input: Path
    output: Path
    compare: Path | None
    info: Any
    start: int
    stop: int | None
    crf: int

    def writers(self):
        """Atomic background writers for the output and the optional side-by-side video."""
        return _writers(self.output, self.compare, self.info, self.crf, [self.input])


def _magnify_offline(magnifier: Magnifier, job: _Job) -> None:
    info = job.info
    override = info.fps if info.fps != info.container_fps else None
    frames, _ = _read_all(job.input, override, job.start, job.stop)
    with progress_bar() as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                unit = "bands" if stage == "filter" else "frames"
                tasks[stage] = bar.add_task(stage, total=total or None, unit=unit)
            bar.update(tasks[stage], completed=done)

        out = magnifier.magnify(frames, info.fps, progress=report)
        task = bar.add_task("encode", total=len(out))
        with job.writers() as (writer, cmp):
            for i, frame in enumerate(out):
                writer.write(frame)
                if cmp is not None:
                    cmp.write(side_by_side(frames[i], frame))
                bar.advance(task)


def _magnify_stream(magnifier: Magnifier, job: _Job) -> None:
    info, start = job.info, job.start
    stop = info.frames if job.stop is None else min(job.stop, info.frames)
    originals: deque[np.ndarray] = deque()  # inputs awaiting their output (the filter's delay)

    def source():
        # uint8 in the queue (a quarter of the bytes); the magnifier converts block by block
        frames = iter_frames(job.input, start=start, stop=stop, uint8=True)
        for frame in prefetch(frames, _depth(info)):
            if job.compare is not None:
                originals.append(frame)
            yield frame

    with progress_bar() as bar:
        task = bar.add_task("magnify", total=max(0, stop - start))
        with job.writers() as (writer, cmp):
            for frame in magnifier.stream(source(), info.fps):
                writer.write(frame)
                if cmp is not None:
                    cmp.write(side_by_side(originals.popleft() * np.float32(1 / 255), frame))
                bar.advance(task)


@app.command()
def methods() -> None:
    """List the registered methods with their options and defaults."""
    from rich.table import Table

    for name in list_magnifiers(unavailable=True):
        cls = magnifier_class(name)
        reason = cls.unavailable()
        table = Table(
            title=f"[bold]{name}[/bold] — {cls.summary}"
            + (f"\n  [yellow]{reason}[/yellow]" if reason else ""),
            title_justify="left",
            show_edge=False,
            pad_edge=False,
        )
        table.add_column("option")
        table.add_column("default")
        table.add_column("meaning")
        for opt in cls.options():
            flag = "--" + opt.name.replace("_", "-")
            default = (
                " ".join(map(str, opt.default))
                if isinstance(opt.default, tuple)
                else str(opt.default)
            )
            meaning = opt.help + (f" ({' | '.join(opt.choices)})" if opt.choices else "")
            table.add_row(flag, default, meaning)
        console.print(table)
        console.print()
    console.print("presets: " + "; ".join(f"{k}: {v.method}, {v.note}" for k, v in PRESETS.items()))


@app.command("slice")
def slice_(
    inputs: Annotated[list[Path], typer.Argument(help="one or more videos of the same size")],
    output: Annotated[Path, typer.Option("-o", "--output", help="PNG to write")],
    x: Annotated[int | None, typer.Option("--x", help="column: a vertical slice")] = None,
    y: Annotated[int | None, typer.Option("--y", help="row: a horizontal slice")] = None,
    fps: FpsOpt = None,
) -> None:
    """Spatio-temporal slices of videos side by side (how papers show magnification)."""
    if (x is None) == (y is None):
        raise VmagError("give exactly one of --x (a column) or --y (a row)")
    slices, labels, rate = [], [], None
    for path in inputs:
        info = probe(path, fps=fps)
        rate = rate or info.fps
        frames = _frames_with_progress(path, info, "slice")
        slices.append(spatiotemporal_slice(frames, x=x, y=y))
        labels.append(path.name)
    out = plot_slices(slices, labels, rate, output, vertical=x is not None)
    _say(f"wrote {out}")


@app.command()
def spectrum(
    input: Annotated[Path, typer.Argument(help="input video")],
    output: Annotated[Path, typer.Option("-o", "--output", help="PNG to write")],
    roi: Annotated[
        tuple[int, int, int, int] | None, typer.Option(help="region X Y W H (px)")
    ] = None,
    fps: FpsOpt = None,
    peaks: Annotated[int, typer.Option(help="how many peaks to print")] = 5,
    min_freq: Annotated[float, typer.Option(help="ignore peaks below this (Hz)")] = 0.1,
) -> None:
    """Temporal power spectrum of a clip or region, with its strongest peaks."""
    info = probe(input, fps=fps)
    freqs, power = temporal_spectrum(
        _frames_with_progress(input, info, "spectrum"), info.fps, roi=roi
    )
    found = strongest_peaks(freqs, power, n=peaks, min_freq=min_freq)
    for p in found:
        _say(f"{p.freq:8.3f} Hz  {p.freq * 60:8.1f} /min  {p.db:6.1f} dB")
    where = f" roi {roi}" if roi else ""
    out = plot_spectrum(freqs, power, found, output, title=f"{input.name}{where}, {info.fps:g} fps")
    _say(f"wrote {out}")


@app.command()
def info(
    input: Annotated[Path, typer.Argument(help="input video")],
    fps: FpsOpt = None,
) -> None:
    """Size, frame rate, frame count, duration and codec of a video."""
    i = probe(input, fps=fps)
    rate = f"{i.fps:g} fps" + (f" (container says {i.container_fps:g})" if fps else "")
    _say(
        f"{i.path}\n  size     {i.width}x{i.height}\n  fps      {rate}\n  frames   {i.frames}\n"
        f"  duration {i.duration:.3f} s\n  codec    {i.codec} ({i.pix_fmt})"
    )


@app.command()
def demo(
    output: Annotated[Path, typer.Option("-o", "--output", help="folder to write")] = Path(
        "demo-out"
    ),
) -> None:
    """Make a sample clip (a cat breathing by 0.25 px), magnify it and picture the result."""
    from vmag.synth import breathing_clip
    from vmag.viz.slices import plot_slices as plot

    fps, freq, alpha = 30.0, 1.0, 20.0
    clip = breathing_clip(frames=150, fps=fps, freq=freq, amplitude=0.25)
    output.mkdir(parents=True, exist_ok=True)
    paths = {k: output / f"{k}.mp4" for k in ("input", "magnified", "side_by_side")}
    with VideoWriter(paths["input"], fps) as w:
        w.write_many(clip)
    magnifier = create_magnifier("phase", alpha=alpha, band=(0.7, 1.4), filter="butter", order=2)
    with progress_bar() as bar:
        task = bar.add_task("magnify", total=len(clip))
        out = np.empty_like(clip)
        for i, frame in enumerate(magnifier.stream(clip, fps)):
            out[i] = frame
            bar.advance(task)
    with VideoWriter(paths["magnified"], fps) as w:
        w.write_many(out)
    with VideoWriter(paths["side_by_side"], fps) as w:
        w.write_many(side_by_side(a, b) for a, b in zip(clip, out, strict=True))
    x = int(0.45 * clip.shape[2])
    png = plot(
        [spatiotemporal_slice(clip, x=x), spatiotemporal_slice(out, x=x)],
        ["input (0.25 px breathing)", f"phase, alpha={alpha:g}"],
        fps,
        output / "slice.png",
    )
    _say(f"phase magnification, alpha {alpha:g}, band 0.7-1.4 Hz, of a {freq:g} Hz 0.25 px motion:")
    for p in [*paths.values(), png]:
        _say(f"  wrote {p}")


#: Modules defining further commands; each has ``register(app)``, which adds them to ``app``.
_COMMAND_MODULES: tuple[str, ...] = ("vmag.cli.bench", "vmag.cli.synth", "vmag.cli.train")
for _module in _COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; bad input -> one error line and exit status 2."""
    import av

    try:
        status = app(args=argv, prog_name="vmag", standalone_mode=False)
    except VmagError as e:
        _fail(str(e))
    except UsageProblem as e:
        _fail(e.format_message())
    except (typer.Abort, KeyboardInterrupt):
        status = 130
    except av.error.FFmpegError as e:
        _fail(f"cannot decode video: {e}")
    except typer.Exit as e:
        status = e.exit_code
    if status == 130:
        console.print("vmag: interrupted; no output was written", highlight=False)
    if isinstance(status, int) and status:
        sys.exit(status)


def _fail(message: str) -> None:
    print(f"vmag: error: {' '.join(message.split())}", file=sys.stderr, flush=True)
    sys.exit(2)
