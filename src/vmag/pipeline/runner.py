"""Run a planned job: read → magnify → write, with progress and cancel.

Every caller (the ``vmag`` command, the web page, the batch runner) runs jobs through
:func:`run`, in the plan's mode: the clip read twice (zero-phase, bounded memory: the
default), a stream, or the whole clip in memory. It reports progress as
``progress(stage, done, total)`` calls (stages ``analyse`` and ``magnify`` when read
twice; ``decode``, the magnifier's own and ``encode`` in memory; ``magnify`` when
streaming) and stops at
the next frame or stage once ``cancel.is_set()``, raising :class:`Cancelled`. Outputs
are written atomically: a failed, interrupted or cancelled run leaves none.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vmag.errors import VmagError
from vmag.io.background import BackgroundWriter, prefetch
from vmag.io.video import VideoInfo, iter_frames
from vmag.magnifier import ProgressFn
from vmag.pipeline.job import MagnifyJob, Plan, plan, region_mask
from vmag.pipeline.region import Region, region_from_mask, skin_mask
from vmag.viz.compose import side_by_side


class Cancelled(Exception):
    """The caller cancelled the job; nothing was written."""


class CancelToken(Protocol):
    """Anything with ``is_set()``, e.g. a :class:`threading.Event`."""

    def is_set(self) -> bool: ...


@dataclass
class Result:
    """What a finished job wrote and how long it took."""

    output: Path
    compare: Path | None
    method: str
    params: dict[str, Any]
    frames: int
    fps: float
    seconds: float
    warnings: list[str] = field(default_factory=list)


def queue_depth(info: VideoInfo) -> int:
    """Frames to queue ahead of and behind the magnifier: ~8 MB of uint8 frames, 1 to 8
    (8 at 640x480, where coding keeps pace with the magnifier; 1 at 1080p, where a frame
    takes a magnifier far longer to make than the codec to decode or encode)."""
    return max(1, min(8, (8 << 20) // (info.width * info.height * 3)))


def clip_spectrum(
    path: Path, info: VideoInfo, start: int, stop: int, roi: tuple[int, int, int, int] | None
) -> tuple[Any, Any]:
    """The temporal spectrum of frames [start, stop) of ``path``, of ``roi`` or all of it
    (what a preset searches for its signal)."""
    from vmag.viz.spectrum import temporal_spectrum

    frames = iter_frames(path, start=start, stop=stop)
    return temporal_spectrum(frames, info.fps, roi=roi, pad=8)  # peaks placed between bins


def prepare(job: MagnifyJob) -> Plan:
    """:func:`~vmag.pipeline.job.plan` with the pipeline's own spectrum search for presets."""
    return plan(job, clip_spectrum)


def _checked(progress: ProgressFn | None, cancel: CancelToken | None) -> ProgressFn:
    """``progress`` that first raises :class:`Cancelled` once ``cancel`` is set."""

    def report(stage: str, done: int, total: int) -> None:
        if cancel is not None and cancel.is_set():
            raise Cancelled("cancelled")
        if progress is not None:
            progress(stage, done, total)

    return report


@contextmanager
def _writers(p: Plan) -> Iterator[tuple[BackgroundWriter, BackgroundWriter | None]]:
    """The output writer and the optional side-by-side writer: atomic, encoding in threads."""
    job = p.job
    opts = dict(crf=job.crf, protect=list(job.inputs.values()), depth=queue_depth(p.info))
    with ExitStack() as stack:
        writer = stack.enter_context(BackgroundWriter(job.output, p.out_fps, **opts))
        cmp = None
        if job.compare is not None:
            cmp = stack.enter_context(BackgroundWriter(job.compare, p.out_fps, **opts))
        yield writer, cmp


def _source(p: Plan) -> Path:
    return next(iter(p.job.inputs.values()))


def _read_all(p: Plan, report: ProgressFn) -> np.ndarray:
    """Decode the plan's frames into one array."""
    frames = np.empty((p.frames, p.info.height, p.info.width, 3), dtype=np.float32)
    n = 0
    decoded = iter_frames(_source(p), start=p.start, stop=p.stop)
    for frame in prefetch(decoded, queue_depth(p.info)):
        frames[n] = frame
        n += 1
        report("decode", n, p.frames)
    return frames[:n]


def _region(p: Plan, first: np.ndarray | None) -> Region | None:
    """The plan's region; with ``--mask skin``, the skin of the ``first`` frame (within
    ``--roi`` and a mask picture, when given)."""
    if p.job.mask != "skin":
        return p.region
    try:
        mask = skin_mask(first)
    except VmagError:
        if p.job.preset is None:
            raise
        return None  # a preset's own skin mask: without skin, the whole frame
    given = region_mask(p.job, p.info)
    if given is not None:
        mask = mask * given
        if not mask.any():
            raise VmagError("--mask skin found no skin inside --roi / the mask picture")
    return region_from_mask(mask)


def _offline(p: Plan, report: ProgressFn) -> int:
    frames = _read_all(p, report)
    region = _region(p, frames[0])
    source = frames if region is None else region.crop(frames)
    out = p.magnifier.magnify(source, p.info.fps, progress=report)
    with _writers(p) as (writer, cmp):
        for i, magnified in enumerate(out):
            frame = magnified if region is None else region.blend(frames[i], magnified)
            writer.write(frame)
            if cmp is not None:
                cmp.write(side_by_side(frames[i], frame))
            report("encode", i + 1, len(out))
    return len(out)


def _write_outputs(
    p: Plan,
    outputs: Iterator[np.ndarray],
    originals: Iterator[np.ndarray] | None,
    region: Region | None,
    report: ProgressFn | None = None,
) -> int:
    """Write each output, blended into its (uint8) original where a region limits the
    magnification, and input | output side by side for ``--compare``; ``report`` each
    frame as ``magnify``. Returns the frames written."""
    n = 0
    with _writers(p) as (writer, cmp):
        for magnified in outputs:
            original = None if originals is None else next(originals)
            frame = magnified if region is None else region.blend(original, magnified)
            writer.write(frame)
            if cmp is not None:
                cmp.write(side_by_side(original * np.float32(1 / 255), frame))
            n += 1
            if report is not None:
                report("magnify", n, p.frames)
    return n


def _streaming(p: Plan, report: ProgressFn) -> int:
    originals: deque[np.ndarray] = deque()  # inputs awaiting their output (the filter's delay)
    # uint8 in the queue (a quarter of the bytes); the magnifier converts block by block
    decoded = prefetch(
        iter_frames(_source(p), start=p.start, stop=p.stop, uint8=True), queue_depth(p.info)
    )
    first = next(decoded)
    region = _region(p, first)
    keep = p.job.compare is not None or region is not None

    def source() -> Iterator[np.ndarray]:
        for frame in itertools.chain([first], decoded):
            if keep:
                originals.append(frame)
            yield frame if region is None else region.crop(frame)

    waiting = (originals.popleft() for _ in itertools.count()) if keep else None
    outputs = p.magnifier.stream(source(), p.info.fps)
    return _write_outputs(p, outputs, waiting, region, report)


def _two_pass(p: Plan, report: ProgressFn) -> int:
    def decoded() -> Iterator[np.ndarray]:
        frames = iter_frames(_source(p), start=p.start, stop=p.stop, uint8=True)
        return prefetch(frames, queue_depth(p.info))

    first = None  # the first frame, where the skin is looked for
    if p.job.mask == "skin":
        first = next(iter_frames(_source(p), start=p.start, stop=p.start + 1, uint8=True))
    region = _region(p, first)

    def clip() -> Iterator[np.ndarray]:
        frames = decoded()
        return frames if region is None else (region.crop(f) for f in frames)

    # the inputs again, beside the outputs, where the output or --compare needs them
    originals = decoded() if p.job.compare is not None or region is not None else None
    outputs = p.magnifier.two_pass(clip, p.info.fps, p.frames, report)
    return _write_outputs(p, outputs, originals, region)


_PATHS = {"two-pass": _two_pass, "stream": _streaming, "whole": _offline}


def run(
    job: MagnifyJob | Plan,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> Result:
    """Run ``job`` (checked first, unless it is already a :class:`Plan`): decode, magnify,
    encode. Raises :class:`VmagError` for bad input, :class:`Cancelled` when ``cancel`` is
    set; either way no output is left behind."""
    p = job if isinstance(job, Plan) else prepare(job)
    report = _checked(progress, cancel)
    began = time.perf_counter()
    n = _PATHS[p.mode](p, report)
    return Result(
        output=p.job.output,
        compare=p.job.compare,
        method=p.method,
        params=p.params,
        frames=n,
        fps=p.info.fps,
        seconds=time.perf_counter() - began,
        warnings=p.warnings,
    )
