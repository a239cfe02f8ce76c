"""A magnification job: what to read, which method with which options, what to write.

A :class:`MagnifyJob` is plain data (it round-trips through JSON, so the web page and
the batch runner can queue it), and :func:`plan` checks all of it before any frame is
decoded: the output's suffix and folder, ``compare``, the H.264 quality, writing over an
input, the method's options and capabilities, the band against the clip's Nyquist
frequency and its length. A bad output path never costs a ten-minute run.

>>> from vmag.pipeline import MagnifyJob
>>> job = MagnifyJob({"video": "in.mp4"}, "phase", {"alpha": 10}, "out.mp4")
>>> MagnifyJob.from_dict(job.to_dict()) == job
True
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from vmag.errors import VmagError, check_band, check_positive
from vmag.io.paths import check_output, same_file
from vmag.io.video import FORMATS, VideoInfo, check_crf, iter_frames, probe
from vmag.machine import available_memory
from vmag.magnifier import Magnifier
from vmag.options import Pair
from vmag.pipeline.region import Region, box_mask, read_mask, region_from_mask, skin_mask
from vmag.presets import PRESETS, Preset, choose_band
from vmag.registry import create_magnifier, magnifier_class


@dataclass(frozen=True)
class MagnifyJob:
    """One run of a method over named input videos.

    ``inputs`` maps the method's input names (its :class:`~vmag.magnifier.Capabilities`)
    to files: ``{"video": path}`` for every method so far. ``params`` are the method's
    options (see ``vmag methods``); unset ones take the method's defaults, or the
    ``preset``'s. ``fps`` overrides the container's frame rate; ``start``/``stop`` select
    frames ``[start, stop)``; ``compare`` also writes input | output side by side.
    ``roi`` (x, y, w, h) and ``mask`` (a picture's path, or ``"skin"``) limit the
    magnification to a region (:mod:`vmag.pipeline.region`); ``out_fps`` writes the
    output at another rate than it was filmed (slow motion).
    """

    inputs: dict[str, Path]
    method: str | None
    params: dict[str, Any]
    output: Path
    compare: Path | None = None
    stream: bool = False
    fps: float | None = None
    start: int = 0
    stop: int | None = None
    crf: int = 18
    preset: str | None = None
    roi: tuple[int, int, int, int] | None = None
    mask: str | None = None
    out_fps: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", {k: Path(v) for k, v in self.inputs.items()})
        object.__setattr__(self, "output", Path(self.output))
        if self.compare is not None:
            object.__setattr__(self, "compare", Path(self.compare))
        object.__setattr__(self, "params", dict(self.params))

    def to_dict(self) -> dict[str, Any]:
        """The job as JSON-ready data (paths as strings, pairs as lists)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Path):
                value = str(value)
            elif f.name == "inputs":
                value = {k: str(v) for k, v in value.items()}
            elif f.name == "params":
                value = {k: list(v) if isinstance(v, tuple) else v for k, v in value.items()}
            elif f.name == "roi" and value is not None:
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MagnifyJob:
        """A job from :meth:`to_dict`'s data; pairs come back as tuples."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise VmagError(f"a job has no field {', '.join(unknown)}")
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in data["params"].items()}
        roi = None if data.get("roi") is None else tuple(data["roi"])
        return cls(**{**data, "params": params, "roi": roi})


@dataclass
class Plan:
    """A checked job, ready to run: the clip's description, the frames to use, the built
    magnifier, and what the user should be told before it runs."""

    job: MagnifyJob
    info: VideoInfo
    start: int
    stop: int
    method: str
    params: dict[str, Any]
    magnifier: Magnifier
    messages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: the region magnified (None: the whole frame; with ``mask="skin"``, found when
    #: the run starts, from the first frame)
    region: Region | None = None
    #: how it runs: ``"two-pass"`` (zero-phase, the clip read twice), ``"stream"`` or
    #: ``"whole"`` (the whole clip in memory); see :func:`_default_path`
    mode: str = "stream"

    @property
    def out_fps(self) -> float:
        """The rate the output is written at."""
        return self.job.out_fps or self.info.fps

    @property
    def frames(self) -> int:
        """How many frames the run reads and writes."""
        return self.stop - self.start


def _check_inputs(job: MagnifyJob, method: str) -> None:
    wanted = magnifier_class(method).capabilities.inputs
    if tuple(sorted(job.inputs)) != tuple(sorted(wanted)):
        given = ", ".join(job.inputs) or "none"
        raise VmagError(f"method {method} takes inputs {', '.join(wanted)}; got {given}")
    for name, path in job.inputs.items():
        if not path.is_file():
            what = "is a directory" if path.is_dir() else "does not exist"
            raise VmagError(f"input {name} {path} {what}")


def _frame_range(job: MagnifyJob, info: VideoInfo) -> tuple[int, int]:
    for name in ("start", "stop"):
        value = getattr(job, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise VmagError(f"{name} must be a frame index (an integer), got {value!r}")
    stop = info.frames if job.stop is None else min(job.stop, info.frames)
    if not 0 <= job.start < stop:
        raise VmagError(f"--start {job.start} / --stop {stop} select no frames of {info.frames}")
    return job.start, stop


#: ``spectrum_of(path, info, start, stop, roi) -> (freqs, power)``: the temporal spectrum
#: of frames [start, stop) of the clip, of the region ``roi`` (x, y, w, h) or all of it.
SpectrumSearch = Callable[..., tuple[np.ndarray, np.ndarray]]


def resolve_preset(
    job: MagnifyJob,
    info: VideoInfo,
    start: int,
    stop: int,
    params: dict[str, Any],
    spectrum_of: SpectrumSearch,
) -> tuple[MagnifyJob, str, dict[str, Any], list[str]]:
    """The job, method and options with preset ``job.preset`` filling what was not given
    (explicit values win, and are named); the band from the clip's spectrum (of the
    region magnified: ``--roi``, or the skin of the first frame for ``pulse``); and what
    was chosen, in words."""
    name = job.preset
    assert name is not None
    preset: Preset = PRESETS[name]
    params, messages = dict(params), []
    method = job.method or preset.method
    takes = set(magnifier_class(method).option_names())
    given = sorted(k for k in (*preset.options, "alpha", "band") if k in params)
    if given:
        flags = ", ".join("--" + k.replace("_", "-") for k in given)
        messages.append(f"preset {name}: {flags} given, used instead of the preset's")
    own = job.method in (None, preset.method)  # the options are tuned for its own method
    if not own and preset.options:
        messages.append(
            f"preset {name}: its {preset.method} options ({', '.join(preset.options)}) are "
            f"left out with --method {job.method}; alpha and the band still come from it"
        )
    for key, value in preset.options.items() if own else ():
        params.setdefault(key, value)
    if job.stream and params.get("filter") == "ideal" and "filter" not in given:
        params["filter"] = "butter"
        messages.append(f"preset {name}: streaming, so a causal Butterworth, not the ideal filter")
    params.setdefault("alpha", preset.alpha)
    if preset.mask is not None and job.roi is None and job.mask is None:
        job = replace(job, mask=preset.mask)
    if "band" in takes and "band" not in params:
        roi, where = _search_region(job, info, start, stop)
        freqs, power = spectrum_of(next(iter(job.inputs.values())), info, start, stop, roi)
        band, peaks, (lo, hi) = choose_band(preset, freqs, power, info.fps, stop - start)
        params["band"] = band
        kind = "most prominent" if preset.rank == "prominence" else "strongest"
        others = ", ".join(f"{f:.2f}" for f in peaks[1:])
        messages.append(
            f"preset {name}: {kind} peak {peaks[0]:.2f} Hz ({peaks[0] * 60:.1f} /min) in "
            f"{lo:.2f}-{hi:.2f} Hz of {where} -> band {band[0]:.2f}-{band[1]:.2f} Hz"
            + (f" (next: {others} Hz; --band chooses another)" if others else "")
        )
    described = ", ".join(f"{k} {v}" for k, v in params.items() if k not in ("band",))
    messages.append(f"preset {name}: {method}, {described} ({preset.note})")
    return job, method, params, messages


def _search_region(
    job: MagnifyJob, info: VideoInfo, start: int, stop: int
) -> tuple[tuple[int, int, int, int] | None, str]:
    """Where a preset looks for its signal: the region magnified, as a bounding box."""
    mask = region_mask(job, info)
    if job.mask == "skin":
        first = next(iter_frames(next(iter(job.inputs.values())), start=start, stop=start + 1))
        try:
            skin = skin_mask(first)
        except VmagError:
            skin = None
        if skin is not None:
            mask = skin if mask is None else mask * skin
    if mask is None or not mask.any():
        return None, "the whole frame"
    ys, xs = np.nonzero(mask)
    box = (int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1)
    return box, "the skin" if job.mask == "skin" else "the region"


def plan(job: MagnifyJob, spectrum_of: SpectrumSearch | None = None) -> Plan:
    """Check everything about ``job`` that can be checked before decoding; a
    :class:`VmagError` naming the first problem otherwise. A preset then reads the clip's
    spectrum with ``spectrum_of`` (see :func:`resolve_preset`; the pipeline passes its
    own), the one step that decodes."""
    inputs = list(job.inputs.values())
    check_output(job.output, inputs)
    if job.compare is not None:
        check_output(job.compare, inputs, "--compare")
        if same_file(job.compare, job.output):
            raise VmagError("--compare must name a different file than -o")
    check_crf(job.crf)
    if job.preset is None:
        method = job.method or "phase"
        _check_inputs(job, method)
    else:
        if job.preset not in PRESETS:
            raise VmagError(f"--preset must be one of {', '.join(PRESETS)}; got {job.preset!r}")
        _check_inputs(job, job.method or PRESETS[job.preset].method)
    info = probe(inputs[0], fps=job.fps)
    start, stop = _frame_range(job, info)
    messages: list[str] = []
    params = {k: v for k, v in job.params.items() if v is not None}
    if job.preset is not None:
        if spectrum_of is None:
            raise VmagError(f"preset {job.preset} needs a spectrum search over the clip")
        region_mask(job, info)  # a bad --roi or --mask is refused before the search
        job, method, params, messages = resolve_preset(
            job, info, start, stop, params, spectrum_of
        )
    cls = magnifier_class(method)
    wrong = sorted(set(params) - set(cls.option_names()))
    if wrong:
        flags = ", ".join("--" + k.replace("_", "-") for k in wrong)
        raise VmagError(f"method {method} does not take {flags} (see `vmag methods`)")
    options = {o.name: o for o in cls.options()}
    if "band" in params and options["band"].kind is Pair:
        params["band"] = check_band(options["band"].check(params["band"]), info.fps)
    magnifier = create_magnifier(method, **params)
    region = _region(job, info)
    mode = "stream"
    if not job.stream:
        job, mode, note = _default_path(job, magnifier, info, stop - start, region)
        messages += note
    warnings = magnifier.check_clip(info.fps, stop - start, stream=job.stream)
    warnings += _size_warnings(job, info)
    return Plan(
        job, info, start, stop, method, params, magnifier, messages, warnings, region, mode
    )


#: The share of the memory (or temporary disk) available now that a run may plan to use.
MEMORY_SHARE = 0.8


def _default_path(
    job: MagnifyJob, magnifier: Magnifier, info: VideoInfo, frames: int, region: Region | None
) -> tuple[MagnifyJob, str, list[str]]:
    """How a run without ``--stream`` goes, and what to say about it. In order:

    - ``"two-pass"``: the zero-phase filter over the clip read twice, in bounded memory
      (Butterworth bands), unless the temporary disk it needs is not free;
    - ``"stream"``: the stream gives the same output (``iir``, ``static``, ``accel``);
    - ``"whole"``: the whole clip in memory (``ideal``, learned methods), if it fits;
    - else a stream (a causal filter over the same band), said in one line, or a
      :class:`VmagError` when the method or its filter cannot stream.

    Never a MemoryError (nor a full disk) an hour in."""
    h, w = region.shape if region is not None else (info.height, info.width)
    fps = info.fps
    why = ""
    if magnifier.reads_twice(fps):
        need = magnifier.two_pass_disk_bytes(frames, h, w, fps)
        free = shutil.disk_usage(tempfile.gettempdir()).free
        if need <= MEMORY_SHARE * free:
            return job, "two-pass", []
        why = (
            f"about {need / 2**30:.1f} GB of temporary disk, more than the "
            f"{free / 2**30:.1f} GB free in {tempfile.gettempdir()}"
        )
    elif magnifier.streams_exactly(fps):
        return replace(job, stream=True), "stream", []
    else:
        need = magnifier.offline_bytes(frames, h, w)
        free = available_memory()
        if need <= MEMORY_SHARE * free:
            return job, "whole", []
        why = f"about {need / 2**30:.1f} GB offline, more than the {free / 2**30:.1f} GB available"
    try:
        magnifier.check_clip(fps, frames, stream=True)
    except VmagError as e:
        raise VmagError(f"the clip needs {why}, and it cannot stream: {e}") from None
    return replace(job, stream=True), "stream", [
        f"the clip needs {why}: streaming it instead (a causal filter over the same band, "
        "with O(1) frames in memory)"
    ]


def region_mask(job: MagnifyJob, info: VideoInfo) -> np.ndarray | None:
    """The (H, W) mask of ``--roi`` and a ``--mask`` picture (both: where both are),
    checked against the frame; ``None`` for the whole frame. ``--mask skin`` is not in
    it: the runner multiplies the skin it finds in the first frame in."""
    if job.roi is None and job.mask in (None, "skin"):
        return None
    weight = np.ones((info.height, info.width), np.float32)
    if job.roi is not None:
        roi = tuple(job.roi)
        if len(roi) != 4 or not all(isinstance(v, int) and not isinstance(v, bool) for v in roi):
            raise VmagError(f"--roi takes four integers X Y W H, got {job.roi!r}")
        weight *= box_mask(info.height, info.width, roi)
    if job.mask is not None and job.mask != "skin":
        weight *= read_mask(Path(job.mask), info.height, info.width)
    if not weight.any():
        raise VmagError("--roi and --mask do not overlap: nothing to magnify")
    return weight


def _region(job: MagnifyJob, info: VideoInfo) -> Region | None:
    """The region to magnify, known before decoding (not for ``--mask skin``)."""
    if job.out_fps is not None:
        check_positive("out_fps", job.out_fps)
    mask = region_mask(job, info)
    if mask is None or job.mask == "skin":
        return None
    return region_from_mask(mask, outside=job.mask is None)  # a rectangle: all of it, fully


def _size_warnings(job: MagnifyJob, info: VideoInfo) -> list[str]:
    """Say when the output's size will differ from the input's (H.264 needs even sides)."""
    w, h = info.width, info.height
    paths = [job.output] + ([job.compare] if job.compare is not None else [])
    if (w % 2 or h % 2) and any(FORMATS[p.suffix.lower()][2] == "yuv420p" for p in paths):
        return [
            f"{w}x{h} is written as {w + w % 2}x{h + h % 2} in H.264 (4:2:0 needs even sides: "
            "the last column/row is repeated); write .mkv to keep the size exactly"
        ]
    return []
