"""The interface every magnifier implements, and the Eulerian pipeline the classical ones share.

Data path of an Eulerian magnifier, top to bottom::

    frames --decompose--> representation --signals--> per-band time series
           --temporal filter--> filtered series --amplify + reconstruct--> frames

Three ways to run it:

- ``two_pass`` reads a clip twice, in chunks, and gives the zero-phase filter's output
  holding one chunk and a few numbers per coefficient and chunk (on disk): memory that
  does not grow with the clip (:mod:`vmag.temporal.zerophase`). The default for a
  Butterworth band (with or without a notch); ``magnify`` uses it too.
- ``magnify`` over a clip in memory: with other whole-clip filters (ideal), every band's
  series is held and filtered at once.
- ``stream`` runs it causally over an iterable of frames, holding O(1) frames (a block of
  :func:`chunk_frames` frames plus the filter's delay). Filters whose offline output is
  their causal one (:meth:`EulerianMagnifier.streams_exactly`) need nothing more.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any, ClassVar

import numpy as np
import torch

from vmag import _memory
from vmag.errors import VmagError, check_band, check_positive
from vmag.options import Option, check_options, option, options_of
from vmag.temporal import FILTER_KINDS, TemporalFilter, make_filter
from vmag.temporal.base import StreamingFilter
from vmag.temporal.zerophase import StateStore, TwoPassZeroPhase, plan_chunks

#: ``progress(stage, done, total)``: called as work advances; ``total`` is 0 when unknown.
ProgressFn = Callable[[str, int, int], None]

#: ``step(k, series)``: band ``k``'s series for a block through its causal filter -> output.
FilterStep = Callable[[int, torch.Tensor], torch.Tensor]
#: ``feed(k, series)``: band ``k``'s series for a block, to a filter's first pass.
Feed = Callable[[int, torch.Tensor], None]

#: Frames a two-pass chunk spans at most, and the working memory its frames may take.
TWO_PASS_FRAMES = 8
TWO_PASS_BYTES = 450 * 2**20


class ShortClip(VmagError):
    """The clip gave ``frames`` frames, fewer than its container lists."""

    def __init__(self, frames: int, listed: int) -> None:
        super().__init__(f"the clip has {frames} decodable frames, its container lists {listed}")
        self.frames = frames


def _memory_care(large: bool) -> Callable[[], None]:
    """For blocks of large frames (1080p): their temporaries mapped on their own and given
    back to the OS after each block (where the caller opted in, :mod:`vmag._memory`), so
    the footprint does not drift up by hundreds of MB; returns what to call after a block."""
    if not large:
        return lambda: None
    _memory.map_large_allocations()
    return _memory.release_memory


def chunks_of(frames: Iterable[np.ndarray], bounds: list[tuple[int, int]]) -> Iterator[np.ndarray]:
    """The frames as (B, H, W, 3) float32 blocks of the ``[start, stop)`` spans ``bounds``
    (consecutive from frame 0); :class:`ShortClip` when they run out first."""
    it = iter(frames)
    seen = 0
    for a, b in bounds:
        block = list(islice(it, b - a))
        seen += len(block)
        if len(block) < b - a:
            raise ShortClip(seen, bounds[-1][1])
        yield check_frames(np.stack(block))


@dataclass(frozen=True)
class Capabilities:
    """What a method needs and can do, declared instead of discovered by duck-typing:
    its named inputs (one ``video``, or e.g. a ``query`` and a ``reference``), whether it
    streams (causal, O(1) frames), whether it needs trained weights, and where it runs."""

    inputs: tuple[str, ...] = ("video",)
    streams: bool = True
    needs_weights: bool = False
    devices: tuple[str, ...] = ("cpu",)


def check_frames(frames: np.ndarray) -> np.ndarray:
    """A clip as (T, H, W, 3) float32 in [0, 1]."""
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise VmagError(f"frames must have shape (T, H, W, 3), got {frames.shape}")
    if frames.dtype == np.uint8:  # in torch: in both threads, no second float copy
        return torch.from_numpy(frames).to(torch.float32).div_(255).numpy()
    return frames.astype(np.float32, copy=False)


def to_tensor(frames: np.ndarray) -> torch.Tensor:
    """(B, H, W, 3) float32 array -> the same data as a channels-last tensor (no copy)."""
    return torch.from_numpy(np.ascontiguousarray(frames))


def to_frames(x: torch.Tensor) -> np.ndarray:
    """(B, H, W, 3) tensor -> float32 array clipped to [0, 1] (in place)."""
    return x.clamp_(0.0, 1.0).numpy()


#: Frames are processed in blocks of about this many bytes: 8 frames at 640x480, 1 at 1080p,
#: so that batching pays at small sizes and memory stays bounded at large ones.
CHUNK_BYTES = 32 * 2**20


def chunk_frames(height: int, width: int, most: int = 8) -> int:
    """How many (height, width) float32 RGB frames make one processing block."""
    return max(1, min(most, CHUNK_BYTES // (height * width * 3 * 4)))


def batched(frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """Consecutive blocks of frames as (B, H, W, 3) arrays, B from :func:`chunk_frames`."""
    it = iter(frames)
    first = next(it, None)
    if first is None:
        return
    n = chunk_frames(*np.shape(first)[:2])
    block = [first, *islice(it, n - 1)]
    while block:
        yield check_frames(np.stack(block))
        block = list(islice(it, n))


#: Filters whose band starting at 0 Hz also passes what does not change (a warning).
_BANDPASS = ("ideal", "butter")


def check_temporal(
    filt: TemporalFilter,
    kind: str,
    band: tuple[float, float],
    fps: float,
    frames: int,
    *,
    stream: bool = False,
) -> list[str]:
    """Refuse a temporal filter that cannot run on a clip of ``frames`` frames (offline)
    or on a stream; returns warnings about the band."""
    if stream and not filt.causal:
        raise VmagError(
            f"filter={kind} needs the whole clip; streaming needs a causal filter "
            "(e.g. butter or iir)"
        )
    if not stream and frames < filt.min_frames:
        raise VmagError(
            f"the clip has {frames} frames; the {kind} filter for band "
            f"{band[0]:g}-{band[1]:g} Hz at {fps:g} fps needs at least {filt.min_frames}"
        )
    if kind in _BANDPASS and band[0] == 0:
        return [
            f"band starts at 0 Hz: the {kind} filter then passes the clip's static content "
            "and slow drift as well, which get magnified too; give LO > 0 to magnify only "
            "changes within the band"
        ]
    return []


def clip_filter(
    kind: str, band: tuple[float, float], fps: float, order: int, frames: int, causal: bool
) -> Callable[[torch.Tensor], torch.Tensor]:
    """The temporal filter a functional core applies to a whole series of ``frames``
    frames: zero-phase (``apply``) or, with ``causal``, forward only as a stream filters
    (``causal_apply``); checked against the clip first."""
    temporal = make_filter(kind, check_band(band, fps), fps, order=order)
    check_temporal(temporal, kind, band, fps, frames, stream=causal)
    return temporal.causal_apply if causal else temporal.apply


@dataclass(kw_only=True)
class Magnifier(ABC):
    """A video magnifier: output motion (or colour change) = (1 + alpha) x the input's.

    Subclasses are dataclasses whose fields made with :func:`option` are the method's
    parameters; :func:`vmag.registry.register_magnifier` makes them findable by name.
    """

    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    capabilities: ClassVar[Capabilities] = Capabilities()

    alpha: float = option(
        10.0, "magnification: output change = (1 + alpha) x input change", low=0, low_open=True
    )

    def __post_init__(self) -> None:
        check_options(self, self.options())

    @classmethod
    def options(cls) -> list[Option]:
        """The method's typed parameters (:mod:`vmag.options`), in declaration order."""
        if "_options" not in cls.__dict__:
            cls._options = options_of(cls)
        return list(cls._options)

    @classmethod
    def option_names(cls) -> list[str]:
        """The names of :meth:`options`."""
        return [o.name for o in cls.options()]

    @classmethod
    def unavailable(cls) -> str | None:
        """Why the method cannot run with its defaults here (e.g. no trained weights are
        shipped), or None when it can; listings leave such methods out unless asked."""
        return None

    def offline_bytes(self, frames: int, height: int, width: int) -> int:
        """About how much memory :meth:`magnify` needs for such a clip: the clip and its
        output in float32, and what the method holds for every frame besides."""
        return frames * height * width * (2 * 3 * 4 + self._bytes_per_pixel())

    def _bytes_per_pixel(self) -> float:
        """Bytes per pixel and frame the offline path holds beyond the clip and output."""
        return 0.0

    def check_clip(self, fps: float, frames: int, *, stream: bool = False) -> list[str]:
        """Refuse (:class:`VmagError`) what cannot run on a clip of ``frames`` frames at
        ``fps``, streamed or not, before any frame is decoded; returns warnings to show."""
        check_positive("fps", fps)
        if stream and not self.capabilities.streams:
            raise VmagError(f"method {self.name} does not stream: run it without --stream")
        return []

    @abstractmethod
    def magnify(
        self, frames: np.ndarray, fps: float, progress: ProgressFn | None = None
    ) -> np.ndarray:
        """Magnify a whole clip (T, H, W, 3) in [0, 1]; returns the same shape, float32."""

    def stream(self, frames: Iterable[np.ndarray], fps: float) -> Iterator[np.ndarray]:
        """Magnify frames one by one, causally, holding O(1) frames; yields (H, W, 3).
        Only methods whose :attr:`capabilities` say they stream implement it."""
        raise VmagError(f"method {self.name} does not stream: run it without --stream")

    def streams_exactly(self, fps: float) -> bool:
        """Whether :meth:`stream` gives what :meth:`magnify` does (nothing is lost by
        streaming), for a clip at ``fps``."""
        return False

    def reads_twice(self, fps: float) -> bool:
        """Whether :meth:`two_pass` gives what :meth:`magnify` does, reading the clip twice
        in bounded memory, for a clip at ``fps``."""
        return False

    def two_pass_disk_bytes(self, frames: int, height: int, width: int, fps: float) -> int:
        """About how much temporary disk :meth:`two_pass` takes for such a clip."""
        return 0

    def two_pass(
        self,
        clip: Callable[[], Iterable[np.ndarray]],
        fps: float,
        frames: int,
        progress: ProgressFn | None = None,
        directory: str | None = None,
    ) -> Iterator[np.ndarray]:
        """Magnify a clip that ``clip()`` gives anew at each call, reading it twice; only
        methods whose :meth:`reads_twice` is true implement it."""
        raise VmagError(f"method {self.name} does not read a clip twice")


@dataclass(kw_only=True)
class EulerianMagnifier(Magnifier):
    """Decompose each frame, filter each band over time, amplify, reconstruct.

    Frames travel as channels-last tensors (B, H, W, 3), views of the caller's arrays:
    hooks must not modify ``x`` in place. Subclasses implement four hooks:

    - ``_setup(height, width)``: precompute per-size data (pyramid masks, ...).
    - ``_decompose(x)``: a chunk (B, H, W, 3) -> its representation (any object).
    - ``_signals(rep)``: the real per-band series to filter over time, each (B, ...).
      Called on consecutive chunks in time order, so it may keep state (a reference frame).
    - ``_synthesise(x, filtered, rep)``: the magnified chunk (B, H, W, 3), a new tensor,
      from the frames, the filtered series and the chunk's representation (``None``:
      recompute it if needed).
    """

    alpha: float = option(
        10.0,
        "output change = (1 + alpha) x input change; -1 <= alpha < 0 attenuates (-1 removes "
        "the in-band motion, e.g. camera shake)",
        low=-1,
    )
    band: tuple[float, float] = option((0.5, 3.0), "temporal pass band LO HI in Hz", low=0)
    filter: str = option("butter", "temporal filter", FILTER_KINDS)
    order: int = option(1, "Butterworth order (filter=butter)", low=1, high=10)
    notch: float | None = option(
        None,
        "also cut this frequency in Hz, e.g. mains flicker (above fps / 2: where it aliases)",
        low=0,
        low_open=True,
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.alpha == 0:
            raise VmagError(
                "alpha 0 changes nothing: give alpha > 0 to magnify, or -1 <= alpha < 0 to "
                "attenuate (output change = (1 + alpha) x input change)"
            )

    # -- hooks -----------------------------------------------------------------------------
    def _setup(self, height: int, width: int) -> None:
        """Precompute what depends on the frame size (default: nothing)."""

    @abstractmethod
    def _decompose(self, x: torch.Tensor) -> Any: ...

    @abstractmethod
    def _signals(self, rep: Any) -> list[torch.Tensor]: ...

    @abstractmethod
    def _synthesise(
        self, x: torch.Tensor, filtered: list[torch.Tensor], rep: Any
    ) -> torch.Tensor: ...

    def _reset(self) -> None:
        """Forget the state ``_signals`` keeps between chunks (a new clip starts)."""

    #: Whether :meth:`_analyse_block` and :meth:`_magnify_block` feed each band's
    #: increments ``x_t - x_t-1`` (0 at the clip's first frame) rather than its values.
    feeds_increments: ClassVar[bool] = False

    def _analyse_block(self, x: torch.Tensor, feed: Feed) -> None:
        """Feed block ``x``'s series to a two-pass filter's first pass, ``feed(k, series)``
        (the same series, in the same order, as :meth:`_magnify_block` gives its ``step``).
        Subclasses may go band by band, as there."""
        for k, series in enumerate(self._signals(self._decompose(x))):
            feed(k, series)

    def _block_bytes_per_pixel(self) -> float:
        """Working bytes per pixel of a block in :meth:`_magnify_block` (the frames, their
        output and the method's temporaries): it sizes the two-pass chunks."""
        return 64.0

    # -- pipeline --------------------------------------------------------------------------
    def make_temporal_filter(self, fps: float) -> TemporalFilter:
        """The temporal filter this magnifier applies, for a clip at ``fps``."""
        fps = check_positive("fps", fps)
        band = check_band(self.band, fps)
        return make_filter(self.filter, band, fps, order=self.order, notch=self.notch)

    def _start(self, height: int, width: int) -> None:
        self._setup(height, width)
        self._reset()

    def check_clip(self, fps: float, frames: int, *, stream: bool = False) -> list[str]:
        warnings = super().check_clip(fps, frames, stream=stream)
        return warnings + check_temporal(
            self.make_temporal_filter(fps), self.filter, self.band, fps, frames, stream=stream
        )

    def magnify(
        self, frames: np.ndarray, fps: float, progress: ProgressFn | None = None
    ) -> np.ndarray:
        frames = check_frames(frames)
        n, h, w, _ = frames.shape
        filt = self.make_temporal_filter(fps)
        check_temporal(filt, self.filter, self.band, fps, n)
        report = progress or (lambda stage, done, total: None)
        if filt.zero_phase_sections() is not None:  # the same in two passes, in less memory
            out = np.empty_like(frames)
            for i, frame in enumerate(self.two_pass(lambda: iter(frames), fps, n, progress)):
                out[i] = frame
            return out
        chunk = chunk_frames(h, w)
        self._start(h, w)
        series: list[list[torch.Tensor]] = []
        for i in range(0, n, chunk):
            sig = self._signals(self._decompose(to_tensor(frames[i : i + chunk])))
            if not series:
                series = [[] for _ in sig]
            for store, s in zip(series, sig, strict=True):
                store.append(s)
            report("analyse", min(i + chunk, n), n)
        filtered = []
        for k, store in enumerate(series):
            filtered.append(filt.apply(torch.cat(store)))
            store.clear()
            report("filter", k + 1, len(series))
        out = np.empty_like(frames)
        for i in range(0, n, chunk):
            x = to_tensor(frames[i : i + chunk])
            y = self._synthesise(x, [f[i : i + chunk] for f in filtered], None)
            out[i : i + chunk] = to_frames(y)
            report("synthesise", min(i + chunk, n), n)
        return out

    def _magnify_block(self, x: torch.Tensor, step: FilterStep) -> torch.Tensor:
        """The magnified block (B, H, W, 3) of a stream whose filter has no delay:
        ``step(k, series)`` feeds block ``x``'s series of band ``k`` to that band's causal
        filter and returns its output. Subclasses may override this to go band by band,
        so that one band's data is alive at a time. ``x`` is the stream's own copy of the
        block (unlike the other hooks' ``x``), so an override may write the result into it."""
        rep = self._decompose(x)
        sig = self._signals(rep)
        return self._synthesise(x, [step(k, v) for k, v in enumerate(sig)], rep)

    def _block_stream(self, filt: TemporalFilter) -> StreamingFilter:
        """The stream of each band that :meth:`_magnify_block`'s ``step`` feeds: the
        filter's own, or its :meth:`~TemporalFilter.increment_stream` for a magnifier
        that feeds increments."""
        return filt.increment_stream() if self.feeds_increments else filt.stream()

    # -- the default path: zero-phase over a clip read twice --------------------------------
    def streams_exactly(self, fps: float) -> bool:
        """Whether :meth:`stream` gives what :meth:`magnify` does (a filter whose offline
        output is its causal one, delay compensated: ``iir``, ``static``, ``accel``)."""
        return self.make_temporal_filter(fps).offline_is_causal

    def reads_twice(self, fps: float) -> bool:
        """Whether :meth:`two_pass` runs this magnifier's filter (a zero-phase IIR)."""
        return self.make_temporal_filter(fps).zero_phase_sections() is not None

    def two_pass_disk_bytes(self, frames: int, height: int, width: int, fps: float) -> int:
        # per chunk, S numbers (2 per section) per coefficient, float32
        sections = self.make_temporal_filter(fps).zero_phase_sections()
        if sections is None:
            return 0
        chunks = -(-frames // self.two_pass_chunk(height, width)) + 2  # + the end's cut, z0
        coefficients = height * width * self._bytes_per_pixel() / 8  # a series and its output
        return int(chunks * 2 * len(sections[0]) * coefficients * 4)

    def two_pass_chunk(self, height: int, width: int) -> int:
        """Frames per chunk of :meth:`two_pass` at this size: what fits
        :data:`TWO_PASS_BYTES` of working memory, 1 to :data:`TWO_PASS_FRAMES`."""
        per_frame = height * width * self._block_bytes_per_pixel()
        return int(max(1, min(TWO_PASS_FRAMES, TWO_PASS_BYTES // per_frame)))

    def two_pass(
        self,
        clip: Callable[[], Iterable[np.ndarray]],
        fps: float,
        frames: int,
        progress: ProgressFn | None = None,
        directory: str | None = None,
    ) -> Iterator[np.ndarray]:
        """Magnify a clip with the zero-phase filter, reading it twice: ``clip()`` gives its
        ``frames`` frames (H, W, 3), uint8 or float in [0, 1], anew at each call. Yields the
        outputs (H, W, 3) float32 in order, equal to :meth:`magnify`'s; holds one chunk of
        frames and per coefficient a few numbers per chunk in a temporary file (in
        ``directory``). If the clip has fewer frames than ``frames`` (a container listing
        more than it holds), the first pass starts again with the true count."""
        filt = self.make_temporal_filter(fps)
        sections = filt.zero_phase_sections()
        if sections is None:
            raise VmagError(f"filter={self.filter} does not run in two passes (it is not an IIR)")
        report = progress or (lambda stage, done, total: None)
        frames_in = iter(clip())
        first = next(frames_in, None)
        if first is None:
            raise VmagError("the clip has no frames")
        self._start(*np.shape(first)[:2])
        chunk = self.two_pass_chunk(*np.shape(first)[:2])
        source: Iterator[np.ndarray] = chain([first], frames_in)
        tidy = _memory_care(chunk * np.shape(first)[0] * np.shape(first)[1] * 12 > CHUNK_BYTES)
        sos, padlen = sections
        with StateStore(directory) as store:
            while True:
                check_temporal(filt, self.filter, self.band, fps, frames)
                bounds = plan_chunks(frames, chunk, padlen + 1)
                zero_phase = TwoPassZeroPhase(
                    sos, padlen, bounds, store, increments=self.feeds_increments
                )
                try:
                    self._first_pass(source, zero_phase, chunk, report, tidy)
                    break
                except ShortClip as short:
                    frames = short.frames  # the container listed more than it holds
                    source = iter(clip())
            zero_phase.settle()
            self._reset()
            for (_, stop), block in zip(bounds, chunks_of(clip(), bounds), strict=True):
                yield from to_frames(self._magnify_block(to_tensor(block), zero_phase.filtered))
                report("magnify", stop, frames)
                tidy()

    def _first_pass(
        self,
        source: Iterator[np.ndarray],
        zero_phase: TwoPassZeroPhase,
        chunk: int,
        report: ProgressFn,
        tidy: Callable[[], None],
    ) -> None:
        """Steps 0 and 1 of the two-pass filter over the frames of ``source``: the clip's
        first frames, then all of it (those first frames kept and given again, so the
        clip is decoded once per pass)."""
        head = list(islice(source, zero_phase.padlen + 1))
        if len(head) < zero_phase.padlen + 1:
            raise ShortClip(len(head), zero_phase.total)
        spans = plan_chunks(len(head), chunk, 0)
        self._reset()
        for (start, _), block in zip(spans, chunks_of(head, spans), strict=True):
            self._analyse_block(
                to_tensor(block), lambda k, s, at=start: zero_phase.start(k, s, at)
            )
        self._reset()

        def again() -> Iterator[np.ndarray]:  # the first frames, each let go once given
            while head:
                yield head.pop(0)
            yield from source

        total = zero_phase.total
        for (_, stop), block in zip(zero_phase.bounds, chunks_of(again(), zero_phase.bounds),
                                    strict=True):  # fmt: skip
            self._analyse_block(to_tensor(block), zero_phase.analyse)
            report("analyse", stop, total)
            tidy()

    def stream(self, frames: Iterable[np.ndarray], fps: float) -> Iterator[np.ndarray]:
        filt = self.make_temporal_filter(fps)
        check_temporal(filt, self.filter, self.band, fps, 0, stream=True)
        streams: dict[int, StreamingFilter] = {}  # one causal filter per band, made when first fed
        # what _magnify_block feeds (delay 0), or the series of _signals (delayed filters)
        make = self._block_stream if filt.delay == 0 else (lambda f: f.stream())

        def step(k: int, series: torch.Tensor) -> torch.Tensor:
            if k not in streams:
                streams[k] = make(filt)
            return streams[k].step(series)

        blocks = batched(frames)
        first = next(blocks, None)
        if first is None:
            return
        tidy = _memory_care(len(first) == 1)
        self._start(first.shape[1], first.shape[2])
        tidy()
        blocks = chain([first], blocks)
        if filt.delay == 0:
            for block in blocks:
                yield from to_frames(self._magnify_block(to_tensor(block), step))
                tidy()
            return

        # A delayed filter: each block's outputs belong to frames `delay` behind it.
        pending: deque[torch.Tensor] = deque()  # frames whose output the filter has not given yet
        to_skip = filt.delay  # the filter's first `delay` outputs belong to times before the clip

        def emit(outputs: list[torch.Tensor]) -> Iterator[np.ndarray]:
            nonlocal to_skip
            drop = min(to_skip, len(outputs[0]))
            to_skip -= drop
            count = len(outputs[0]) - drop
            # At most one block at a time: the flush hands over `delay` outputs at once.
            size = chunk_frames(*pending[0].shape[:2]) if count else 1
            for s in range(drop, drop + count, size):
                n = min(size, drop + count - s)
                x = torch.stack([pending.popleft() for _ in range(n)])
                yield from to_frames(self._synthesise(x, [o[s : s + n] for o in outputs], None))

        for block in blocks:
            x = to_tensor(block)
            sig = self._signals(self._decompose(x))
            outputs = [step(k, v) for k, v in enumerate(sig)]
            pending.extend(x.unbind(0))
            yield from emit(outputs)
            tidy()
        yield from emit([streams[k].flush() for k in range(len(streams))])
