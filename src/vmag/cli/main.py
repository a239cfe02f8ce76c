"""``vmag``: magnify, inspect and picture subtle changes in video.

Every command takes ``--fps`` to override the container's frame rate. Bad input ends
with one ``vmag: error: ...`` line on stderr and exit status 2.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

try:  # typer >= 0.29 vendors click; older releases use click itself
    from typer.exceptions import TyperException as UsageProblem
except ImportError:  # pragma: no cover - depends on the installed typer
    from click.exceptions import ClickException as UsageProblem

from vmag.cli.progress import console, progress_bar, say
from vmag.errors import VmagError
from vmag.io import VideoWriter, iter_frames, probe
from vmag.io.background import prefetch
from vmag.pipeline import queue_depth
from vmag.registry import create_magnifier
from vmag.viz import plot_slices, plot_spectrum, side_by_side, spatiotemporal_slice
from vmag.viz.spectrum import strongest_peaks, temporal_spectrum

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="vmag: reveal changes in video too small to see.",
    pretty_exceptions_enable=False,
)

# `magnify` and `methods` first: what a user runs first is listed first.
importlib.import_module("vmag.cli.magnify").register(app)

FpsOpt = Annotated[
    float | None,
    typer.Option(
        "--fps", help="frame rate to use instead of the container's (e.g. 600 for guitar.mp4)"
    ),
]


def _frames_with_progress(
    path: Path, info: Any, label: str, start: int = 0, stop: int | None = None
):
    """Decode frames [start, stop) of ``path`` (in a thread) while a progress bar counts."""
    stop = info.frames if stop is None else stop
    with progress_bar() as bar:
        task = bar.add_task(label, total=max(0, stop - start))
        for frame in prefetch(iter_frames(path, start=start, stop=stop), queue_depth(info)):
            yield frame
            bar.advance(task)


def _result(text: str) -> None:
    """A result a script reads: stdout."""
    print(text, flush=True)


def _check_png(output: Path, what: str) -> None:
    if output.suffix.lower() != ".png":
        raise VmagError(f"cannot write {output}: {what} is a picture; use a .png name")


def _one_rate(infos: list[Any]) -> float:
    """The frame rate videos share (for one time axis); a :class:`VmagError` otherwise."""
    if len({round(i.fps, 6) for i in infos}) > 1:
        raise VmagError(
            "the videos have different frame rates ("
            + ", ".join(f"{i.fps:g}" for i in infos)
            + "): give --fps to put them on one time axis"
        )
    return infos[0].fps


def _peak_row(p: Any) -> dict[str, float]:
    return {"hz": p.freq, "per_min": p.freq * 60, "db": p.db}


def _peak_line(p: Any) -> str:
    return f"{p.freq:8.3f} Hz  {p.freq * 60:8.1f} /min  {p.db:6.1f} dB"


@app.command("slice")
def slice_(
    inputs: Annotated[list[Path], typer.Argument(help="one or more videos of the same size")],
    output: Annotated[Path, typer.Option("-o", "--output", help="PNG to write")],
    x: Annotated[int | None, typer.Option("--x", help="column: a vertical slice")] = None,
    y: Annotated[int | None, typer.Option("--y", help="row: a horizontal slice")] = None,
    fps: FpsOpt = None,
    start: Annotated[float, typer.Option(help="first second to show")] = 0.0,
    stop: Annotated[float | None, typer.Option(help="second to stop before")] = None,
    zoom: Annotated[float, typer.Option(help="widen the time axis (short high-fps clips)")] = 1.0,
) -> None:
    """Spatio-temporal slices of videos on one time axis (how papers show magnification)."""
    if (x is None) == (y is None):
        raise VmagError("give exactly one of --x (a column) or --y (a row)")
    _check_png(output, "a slice")
    infos = [probe(path, fps=fps) for path in inputs]
    sizes = {(i.width, i.height) for i in infos}
    if len(sizes) > 1:
        listed = ", ".join(
            f"{p.name} {i.width}x{i.height}" for p, i in zip(inputs, infos, strict=True)
        )
        raise VmagError(f"slices compare one line of videos of one size; got {listed}")
    rate = _one_rate(infos)
    if start < 0 or (stop is not None and stop <= start):
        raise VmagError(f"--start {start:g} / --stop {stop} select no time: need 0 <= start < stop")
    first = round(start * rate)
    last = None if stop is None else round(stop * rate)
    if first >= max(i.frames for i in infos):
        raise VmagError(f"--start {start:g} s is past the end of every clip")
    slices, labels = [], []
    for path, info in zip(inputs, infos, strict=True):
        end = info.frames if last is None else min(last, info.frames)
        if end <= first:
            raise VmagError(f"{path.name} has no frames from {start:g} s on")
        frames = _frames_with_progress(path, info, "slice", first, end)
        slices.append(spatiotemporal_slice(frames, x=x, y=y))
        labels.append(f"{path.name} ({info.fps:g} fps)")
    out = plot_slices(
        slices, labels, rate, output, vertical=x is not None, start=first / rate, zoom=zoom
    )
    say(f"wrote {out}")


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
    as_json: Annotated[bool, typer.Option("--json", help="print the peaks as JSON")] = False,
) -> None:
    """Temporal power spectrum of a clip or region, with its strongest peaks (stdout)."""
    _check_png(output, "the spectrum")
    info = probe(input, fps=fps)
    freqs, power = temporal_spectrum(
        _frames_with_progress(input, info, "spectrum"), info.fps, roi=roi
    )
    found = strongest_peaks(freqs, power, n=peaks, min_freq=min_freq)
    where = f" roi {roi}" if roi else ""
    out = plot_spectrum(freqs, power, found, output, title=f"{input.name}{where}, {info.fps:g} fps")
    if as_json:
        rows = [_peak_row(p) for p in found]
        _result(json.dumps({"input": str(input), "fps": info.fps, "roi": roi, "peaks": rows}))
    else:
        for p in found:
            _result(_peak_line(p))
    say(f"wrote {out}")


@app.command()
def trace(
    inputs: Annotated[list[Path], typer.Argument(help="videos of one size (input, magnified)")],
    output: Annotated[Path, typer.Option("-o", "--output", help="PNG to write")],
    point: Annotated[
        tuple[int, int] | None, typer.Option(help="a pixel X Y to follow")
    ] = None,
    roi: Annotated[
        tuple[int, int, int, int] | None, typer.Option(help="a region X Y W H to follow")
    ] = None,
    channel: Annotated[str, typer.Option(help="y (luminance) | r | g | b")] = "y",
    fps: FpsOpt = None,
    peaks: Annotated[int, typer.Option(help="strongest spectral peaks to print per video")] = 3,
    min_freq: Annotated[float, typer.Option(help="ignore peaks below this (Hz)")] = 0.1,
    as_json: Annotated[bool, typer.Option("--json", help="print the peaks as JSON")] = False,
) -> None:
    """A pixel's or region's value over time in each video, with its spectrum (stdout)."""
    from vmag.viz.trace import check_roi, plot_traces, region_trace, trace_peaks

    if (point is None) == (roi is None):
        raise VmagError("give exactly one of --point X Y or --roi X Y W H")
    _check_png(output, "a trace")
    area = (point[0], point[1], 1, 1) if point is not None else roi
    infos = [probe(path, fps=fps) for path in inputs]
    for info in infos:
        check_roi(area, info.width, info.height)
    rate = _one_rate(infos)
    traces, found = [], []
    for path, info in zip(inputs, infos, strict=True):
        series = region_trace(_frames_with_progress(path, info, "trace"), area, channel)
        traces.append(series)
        found.append(trace_peaks(series, rate, n=peaks, min_freq=min_freq))
    where = " ".join(map(str, area[:2] if point is not None else area))
    where = f"{'pixel' if point is not None else 'region'} {where}"
    out = plot_traces(
        traces, [p.name for p in inputs], rate, output, peaks=found,
        title=f"{where}, channel {channel}, {rate:g} fps",
    )  # fmt: skip
    if as_json:
        rows = {str(path): [_peak_row(p) for p in f] for path, f in zip(inputs, found, strict=True)}
        _result(json.dumps({"fps": rate, "region": list(area), "channel": channel, "peaks": rows}))
    else:
        for path, f in zip(inputs, found, strict=True):
            for p in f:
                _result(f"{path.name}  {_peak_line(p)}")
    say(f"wrote {out}")


@app.command()
def info(
    input: Annotated[Path, typer.Argument(help="input video")],
    fps: FpsOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the description as JSON")] = False,
) -> None:
    """Size, frame rate, frame count, duration and codec of a video (stdout)."""
    i = probe(input, fps=fps)
    if as_json:
        fields = {**dataclasses.asdict(i), "path": str(i.path)}
        _result(json.dumps(fields))
        return
    rate = f"{i.fps:g} fps" + (f" (container says {i.container_fps:g})" if fps else "")
    _result(
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
    say(f"phase magnification, alpha {alpha:g}, band 0.7-1.4 Hz, of a {freq:g} Hz 0.25 px motion:")
    for p in [*paths.values(), png]:
        say(f"  wrote {p}")


#: Modules defining further commands; each has ``register(app)``, which adds them to ``app``.
_COMMAND_MODULES: tuple[str, ...] = (
    "vmag.cli.bench",
    "vmag.cli.synth",
    "vmag.cli.train",
)
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
