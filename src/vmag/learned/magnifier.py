"""Learned motion magnification as a :class:`~vmag.magnifier.Magnifier`, in three modes.

A :class:`~vmag.learned.net.MotionNet` magnifies the motion between a reference frame and
the current frame by ``amp = 1 + alpha`` (output motion = (1 + alpha) x the input's, the
project's convention). The mode picks the reference and what is magnified:

- ``static`` (default): reference = the first frame; ``out_t = net(frame_0, frame_t, amp)``.
  Every displacement since the first frame is magnified, whatever its frequency: best for
  small motions about a rest position (a vibrating structure, a breathing baby) filmed
  from a fixed camera. Large or drifting motion (a walking person, a panning camera) is
  magnified too, and quickly breaks the result.
- ``dynamic``: reference = the previous frame; ``out_t = net(frame_{t-1}, frame_t, amp)``,
  ``out_0 = frame_0`` (Oh et al.'s dynamic mode). Each output frame is the current one
  moved on by ``alpha`` times the motion since the previous frame: it magnifies
  *velocity*. Magnified displacements do not accumulate, so large motions do not break
  it, but the gain depends on frequency: a vibration of frequency f gets amplitude gain
  ``|1 + alpha (1 - exp(-2 pi i f / fps))|``, about ``1 + alpha 2 pi f / fps`` for slow
  ones, so slow motions are barely magnified and fast ones (and camera shake) strongly.
- ``temporal``: the motion since the first frame, ``m_t = analyse(frame_0, frame_t)``, is
  band-passed over time (``filter``, ``band``) into ``f_t``, and only that part is
  magnified (see :func:`temporal_motion` for how): out-of-band motion
  and noise pass unchanged, as in the Eulerian methods.

Frames are processed in tiles (:mod:`vmag.learned.tiling`), so memory stays bounded at any
resolution; ``tile = 0`` runs whole frames.

The methods register as ``magnet``, ``lightweight`` and ``lightweight-base``; each loads
its model's shipped weights (:func:`vmag.learned.zoo.create_model`) or ``weights``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch

from vmag.device import DEVICES, resolve_device
from vmag.errors import VmagError, check_band, check_positive
from vmag.learned import zoo
from vmag.learned.net import MotionNet
from vmag.learned.tiling import Tile, check_tiling, pad_to, plan_tiles, tiled
from vmag.magnifier import (
    Capabilities,
    Magnifier,
    ProgressFn,
    batched,
    check_frames,
    check_temporal,
    chunk_frames,
)
from vmag.options import option
from vmag.registry import register_magnifier
from vmag.temporal import FILTER_KINDS, StreamingFilter, TemporalFilter, make_filter

MODES: tuple[str, ...] = ("static", "dynamic", "temporal")

#: Pixels per network call (frames x tile area): 4 tiles of 512 x 512, or one 1024 x 1024.
BATCH_PIXELS = 2**20

#: Offline temporal mode holds one tile's motion features for every frame of the clip
#: (filtering needs about as much again). It refuses, suggesting a smaller tile or
#: streaming, when they would take more than this or than the clip itself (float32), the
#: larger of the two: the clip and its output are in memory anyway.
TEMPORAL_BYTES = 2 * 2**30


def to_net(frames: np.ndarray, device: torch.device) -> torch.Tensor:
    """Frames (B, h, w, 3) in [0, 1] -> network input (B, 3, h, w) in [-1, 1] on ``device``."""
    x = torch.from_numpy(np.ascontiguousarray(frames, dtype=np.float32)).to(device)
    return x.permute(0, 3, 1, 2).mul(2.0).sub_(1.0)


def from_net(y: torch.Tensor) -> np.ndarray:
    """Network output (B, 3, h, w) in [-1, 1] -> frames (B, h, w, 3) float32, not clipped."""
    return y.add(1.0).mul_(0.5).permute(0, 2, 3, 1).float().cpu().numpy()


def temporal_motion(motion: torch.Tensor, filtered: torch.Tensor, amp: float) -> torch.Tensor:
    """The motion temporal mode synthesises with at ``amp``: ``m / amp + (1 - 1 / amp) f``.

    ``m`` is the motion since the first frame, ``f`` its band-passed part. The networks'
    contract (:class:`~vmag.learned.net.MotionNet`): ``synthesise(context, x, amp)``
    decodes the shape ``M_ref + amp x``, the frame whose motion from the reference is
    ``amp`` times ``x`` (magnet: ``M_ref + h(amp g(x))``). Temporal mode wants the current
    shape plus ``alpha`` times the band-passed motion, ``M_cur + (amp - 1) f = M_ref + m +
    (amp - 1) f``, hence ``x`` above. Then

    - ``amp = 1`` gives ``x = m``: exactly ``net(frame_0, frame_t, 1)``, the network's
      reconstruction of the frame, whatever the filter;
    - ``f = m`` (all motion in band) gives exactly static mode, ``net(frame_0, frame_t,
      amp)``; ``f = 0`` gives the shape ``M_ref + m``: the frame itself;
    - the manipulator sees motions no larger than ``m`` and ``f`` and scales them by the
      ``amp`` it was trained with, as in static mode. (Decoding ``m + (amp - 1) f`` at
      ``amp = 1`` would give the same shape for a linear manipulator, but feed it motions
      ``amp`` times larger than any it was trained on.)

    >>> temporal_motion(torch.tensor([4.0]), torch.tensor([1.0]), amp=4.0)
    tensor([1.7500])
    """
    return motion / amp + (1.0 - 1.0 / amp) * filtered


@dataclass(kw_only=True)
class LearnedMagnifier(Magnifier):
    """A learned network's motion magnification in ``static``, ``dynamic`` or ``temporal``
    mode (see the module docstring).

    ``net`` (not a user option) runs a network already in memory, e.g. one being trained,
    instead of loading ``weights``; it is moved to ``device`` and set to eval mode.
    Subclasses set the zoo model name :attr:`model`.
    """

    #: the :data:`vmag.learned.zoo.MODELS` name whose weights this method loads
    model: ClassVar[str] = ""
    capabilities: ClassVar[Capabilities] = Capabilities(
        streams=True, needs_weights=True, devices=("cpu", "cuda")
    )

    mode: str = option(
        "static",
        "static: motion since the first frame; dynamic: since the previous frame "
        "(velocity); temporal: band-passed motion only",
        MODES,
    )
    band: tuple[float, float] = option(
        (0.5, 3.0), "temporal pass band LO HI in Hz (temporal)", low=0
    )
    filter: str = option("butter", "temporal filter (temporal)", FILTER_KINDS)
    order: int = option(1, "Butterworth order (temporal, filter=butter)", low=1, high=10)
    weights: str | None = option(None, "trained weights file (from vmag train); default: shipped")
    tile: int = option(
        512, "tile size in px, bounds memory at any resolution; 0 = whole frame", low=0
    )
    overlap: int = option(32, "overlap of neighbouring tiles in px, blended without seams", low=0)
    device: str = option("auto", "where the network runs (auto: cuda when available)", DEVICES)
    net: MotionNet | None = field(default=None, repr=False, compare=False)

    @classmethod
    def unavailable(cls) -> str | None:
        if zoo.shipped_weights(cls.model) is None:
            return "no trained weights are shipped yet: give --weights PATH (from vmag train)"
        return None

    def __post_init__(self) -> None:
        super().__post_init__()
        self._device = resolve_device(self.device)
        if self.net is not None and self.weights is not None:
            raise VmagError("give either weights (a file) or net (a network), not both")
        net = self.net if self.net is not None else zoo.create_model(self.model, self.weights)
        multiple = net.multiple
        self.tile, self.overlap = check_tiling(self.tile, self.overlap, multiple)
        if 0 < self.tile < 2 * multiple:
            raise VmagError(
                f"tile must be 0 (whole frame) or at least {2 * multiple} px for this network, "
                f"got {self.tile}"
            )
        self.net = net.to(self._device).eval()

    def check_clip(self, fps: float, frames: int, *, stream: bool = False) -> list[str]:
        warnings = super().check_clip(fps, frames, stream=stream)
        if self.mode != "temporal":
            return warnings
        filt = self._temporal_filter(fps)
        return warnings + check_temporal(filt, self.filter, self.band, fps, frames, stream=stream)

    @property
    def amp(self) -> float:
        """The magnification factor ``m = 1 + alpha`` the network takes."""
        return 1.0 + self.alpha

    # -- building blocks -------------------------------------------------------------------
    def _network(self) -> MotionNet:
        assert self.net is not None  # set by __post_init__
        return self.net

    def _amp(self, n: int) -> torch.Tensor:
        return torch.full((n,), self.amp, device=self._device)

    def _tiles(self, height: int, width: int) -> list[Tile]:
        return plan_tiles(height, width, self.tile, self.overlap, self._network().multiple)

    @staticmethod
    def _batch(tiles: list[Tile]) -> int:
        """Tiles per network call: :data:`BATCH_PIXELS` worth."""
        return max(1, BATCH_PIXELS // (tiles[0].height * tiles[0].width))

    def _frames_per_call(self, height: int, width: int) -> int:
        """Whole frames per :func:`tiled` call in the two-frame modes: a block of
        :func:`~vmag.magnifier.chunk_frames`, at most :data:`BATCH_PIXELS` of tiles."""
        return min(chunk_frames(height, width), self._batch(self._tiles(height, width)))

    def _synthesise(
        self, context: Any, motion: torch.Tensor, filtered: torch.Tensor
    ) -> torch.Tensor:
        x = temporal_motion(motion, filtered.to(motion.device, motion.dtype), self.amp)
        return self._network().synthesise(context, x, self._amp(len(motion)))

    @torch.inference_mode()
    def _pairs(self, ref: np.ndarray, cur: np.ndarray) -> np.ndarray:
        """``net(ref_i, cur_i, amp)`` for frames (B, H, W, 3), ``ref`` (B or 1, H, W, 3);
        the magnified frames, clipped to [0, 1]."""
        net, dev = self._network(), self._device
        tiles = self._tiles(*cur.shape[1:3])
        step = self._frames_per_call(*cur.shape[1:3])
        out = np.empty(cur.shape, np.float32)
        for i in range(0, len(cur), step):
            c = to_net(cur[i : i + step], dev)
            r = to_net(ref[i : i + step] if len(ref) > 1 else ref, dev).expand_as(c)
            y = tiled(
                lambda a, b: net(a, b, self._amp(len(a))),
                r,
                c,
                tile=self.tile,
                overlap=self.overlap,
                multiple=net.multiple,
                group=max(1, self._batch(tiles) // len(c)),
            )
            out[i : i + step] = from_net(y)
        return np.clip(out, 0.0, 1.0, out=out)

    def _analysed(
        self, ref: torch.Tensor, frames: np.ndarray, tile: Tile, step: int
    ) -> Iterator[tuple[slice, Any, torch.Tensor]]:
        """``(frames slice, context, motion)`` of ``tile`` for consecutive batches of
        ``frames`` (B, H, W, 3) against ``ref``, the tile of the reference (1, 3, h, w)."""
        rows, cols = tile.window(*frames.shape[1:3])
        for i in range(0, len(frames), step):
            cur = pad_to(to_net(frames[i : i + step, rows, cols], self._device), *ref.shape[-2:])
            context, motion = self._network().analyse(ref.expand_as(cur), cur)
            yield slice(i, i + len(cur)), context, motion

    @staticmethod
    def _add(out: np.ndarray, span: slice, tile: Tile, y: torch.Tensor) -> None:
        """Blend the synthesised tile ``y`` into frames ``out[span]``."""
        rows, cols = tile.window(*out.shape[1:3])
        h, w = rows.stop - rows.start, cols.stop - cols.start
        weight = tile.weight[:h, :w].numpy()[..., None]
        out[span, rows, cols] += from_net(y)[:, :h, :w] * weight

    def _temporal_filter(self, fps: float) -> TemporalFilter:
        fps = check_positive("fps", fps)
        return make_filter(self.filter, check_band(self.band, fps), fps, order=self.order)

    def _check_series(self, frames: np.ndarray, motion: torch.Tensor, tile: Tile) -> None:
        """Refuse a tile whose motion series would exceed :data:`TEMPORAL_BYTES` and the
        clip's size."""
        size = len(frames) * motion[0].numel() * motion.element_size()
        limit = max(TEMPORAL_BYTES, frames.nbytes)
        if size <= limit:
            return
        per_px = size / (tile.height * tile.width)
        multiple = self._network().multiple
        side = int(math.sqrt(limit / per_px)) // multiple * multiple
        hint = (
            f"use tile={side} or less, or stream"
            if side >= max(2 * multiple, 2 * self.overlap + multiple)
            else "stream the clip (causal filter)"
        )
        raise VmagError(
            f"temporal mode would hold {size / 2**30:.1f} GiB of motion features "
            f"({len(frames)} frames of a {tile.height}x{tile.width} tile; limit "
            f"{limit / 2**30:.1f} GiB): {hint}"
        )

    # -- offline ---------------------------------------------------------------------------
    def magnify(
        self, frames: np.ndarray, fps: float, progress: ProgressFn | None = None
    ) -> np.ndarray:
        frames = check_frames(frames)
        report = progress or (lambda stage, done, total: None)
        if self.mode == "temporal":
            return self._magnify_temporal(frames, fps, report)
        check_positive("fps", fps)
        n = len(frames)
        out = np.empty_like(frames)
        step = self._frames_per_call(*frames.shape[1:3])
        first = 0 if self.mode == "static" else 1
        if n and first:
            out[0] = frames[0]
        for i in range(first, n, step):
            cur = frames[i : i + step]
            ref = frames[:1] if self.mode == "static" else frames[i - 1 : i - 1 + len(cur)]
            out[i : i + step] = self._pairs(ref, cur)
            report("magnify", min(i + step, n), n)
        return out

    @torch.inference_mode()
    def _magnify_temporal(self, frames: np.ndarray, fps: float, report: ProgressFn) -> np.ndarray:
        """Temporal mode offline: analyse, filter over time, synthesise, one tile at a time."""
        n = len(frames)
        filt = self._temporal_filter(fps)
        check_temporal(filt, self.filter, self.band, fps, n)
        tiles = self._tiles(*frames.shape[1:3])
        step = self._batch(tiles)
        reference = to_net(frames[:1], self._device)
        out = np.zeros_like(frames)
        total = n * len(tiles)
        for k, tile in enumerate(tiles):
            ref = tile.crop(reference)
            series: torch.Tensor | None = None
            for span, _, motion in self._analysed(ref, frames, tile, step):
                if series is None:
                    self._check_series(frames, motion, tile)
                    series = torch.empty((n, *motion.shape[1:]), dtype=motion.dtype)
                series[span] = motion.cpu()
                report("analyse", k * n + span.stop, total)
            assert series is not None
            filtered = filt.apply(series)
            del series
            for span, context, motion in self._analysed(ref, frames, tile, step):
                self._add(out, span, tile, self._synthesise(context, motion, filtered[span]))
                report("synthesise", k * n + span.stop, total)
        return np.clip(out, 0.0, 1.0, out=out)

    # -- streaming -------------------------------------------------------------------------
    def stream(self, frames: Iterable[np.ndarray], fps: float) -> Iterator[np.ndarray]:
        """Magnify frames causally, holding O(1) of them (see the module docstring).

        ``static`` and ``dynamic`` give exactly :meth:`magnify`'s frames. ``temporal``
        needs a causal filter (butter, iir, accel): with it, the motion series is filtered
        forward only, so after the filter settles the result matches :meth:`magnify` at
        the band's centre (where a Butterworth band-pass has gain 1 and phase 0 both ways).
        """
        if self.mode == "temporal":
            return self._stream_temporal(frames, fps)
        check_positive("fps", fps)
        return self._stream_pairs(frames)

    def _stream_pairs(self, frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        ref: np.ndarray | None = None  # static: the first frame; dynamic: the previous one
        for block in batched(frames):
            if self.mode == "static":
                if ref is None:
                    ref = block[:1].copy()
                yield from self._pairs(ref, block)
                continue
            if ref is None:
                yield block[0]
                pairs = (block[:-1], block[1:])
            else:
                pairs = (np.concatenate([ref, block[:-1]]), block)
            if len(pairs[1]):
                yield from self._pairs(*pairs)
            ref = block[-1:].copy()

    def _stream_temporal(self, frames: Iterable[np.ndarray], fps: float) -> Iterator[np.ndarray]:
        filt = self._temporal_filter(fps)
        check_temporal(filt, self.filter, self.band, fps, 0, stream=True)
        delay = filt.delay
        state: _TemporalState | None = None
        pending: deque[np.ndarray] = deque()  # frames whose filtered motion has not come yet
        to_skip = delay  # the filter's first `delay` outputs belong to times before the clip
        for block in batched(frames):
            if state is None:
                state = self._temporal_state(block[0], filt)
            if delay == 0:
                yield from self._temporal_block(state, block)
                continue
            pending.extend(block)
            filtered = self._temporal_step(state, block)
            drop = min(to_skip, len(block))
            to_skip -= drop
            yield from self._temporal_emit(state, pending, [f[drop:] for f in filtered])
        if state is not None and delay > 0:
            flushed = [s.flush() for s in state.streams]
            drop = min(to_skip, len(flushed[0]))
            yield from self._temporal_emit(state, pending, [f[drop:] for f in flushed])

    @torch.inference_mode()
    def _temporal_state(self, first: np.ndarray, filt: TemporalFilter) -> _TemporalState:
        tiles = self._tiles(*first.shape[:2])
        reference = to_net(first[None], self._device)
        return _TemporalState(
            tiles=tiles,
            refs=[t.crop(reference) for t in tiles],
            streams=[filt.stream() for _ in tiles],
            step=self._batch(tiles),
        )

    @torch.inference_mode()
    def _temporal_block(self, state: _TemporalState, block: np.ndarray) -> np.ndarray:
        """A block through a filter without delay: analyse, filter, synthesise per tile."""
        out = np.zeros_like(block)
        for tile, ref, stream in zip(state.tiles, state.refs, state.streams, strict=True):
            for span, context, motion in self._analysed(ref, block, tile, state.step):
                filtered = stream.step(motion)
                self._add(out, span, tile, self._synthesise(context, motion, filtered))
        return np.clip(out, 0.0, 1.0, out=out)

    @torch.inference_mode()
    def _temporal_step(self, state: _TemporalState, block: np.ndarray) -> list[torch.Tensor]:
        """Each tile's filtered motion for a block, ``delay`` frames behind it."""
        return [
            torch.cat([stream.step(m) for _, _, m in self._analysed(ref, block, tile, state.step)])
            for tile, ref, stream in zip(state.tiles, state.refs, state.streams, strict=True)
        ]

    @torch.inference_mode()
    def _temporal_emit(
        self, state: _TemporalState, pending: deque[np.ndarray], filtered: list[torch.Tensor]
    ) -> np.ndarray:
        """Synthesise the oldest pending frames with their filtered motion (re-analysed)."""
        count = len(filtered[0])
        if count == 0:
            return np.empty((0, 0, 0, 3), np.float32)
        cur = np.stack([pending.popleft() for _ in range(count)])
        out = np.zeros_like(cur)
        for tile, ref, f in zip(state.tiles, state.refs, filtered, strict=True):
            for span, context, motion in self._analysed(ref, cur, tile, state.step):
                self._add(out, span, tile, self._synthesise(context, motion, f[span]))
        return np.clip(out, 0.0, 1.0, out=out)


@dataclass
class _TemporalState:
    """What temporal streaming keeps: per tile, the reference and the filter's state."""

    tiles: list[Tile]
    refs: list[torch.Tensor]
    streams: list[StreamingFilter]
    step: int


@register_magnifier
@dataclass(kw_only=True)
class MagnetMagnifier(LearnedMagnifier):
    """Oh et al.'s learned motion magnification (:class:`vmag.learned.magnet.Magnet`).

    >>> import numpy as np
    >>> from vmag.learned.zoo import build_model
    >>> clip = np.random.default_rng(0).random((3, 32, 48, 3), dtype=np.float32)
    >>> MagnetMagnifier(net=build_model("magnet", channels=4)).magnify(clip, fps=30).shape
    (3, 32, 48, 3)
    """

    name: ClassVar[str] = "magnet"
    summary: ClassVar[str] = "learned motion magnification, texture/shape network (Oh 2018)"
    model: ClassVar[str] = "magnet"


@register_magnifier
@dataclass(kw_only=True)
class LightweightMagnifier(LearnedMagnifier):
    """The lightweight network of Singh et al. with 8 channels (fast)."""

    name: ClassVar[str] = "lightweight"
    summary: ClassVar[str] = "learned motion magnification, lightweight network (Singh 2023)"
    model: ClassVar[str] = "lightweight"


@register_magnifier
@dataclass(kw_only=True)
class LightweightBaseMagnifier(LearnedMagnifier):
    """The lightweight network of Singh et al. with 24 channels."""

    name: ClassVar[str] = "lightweight-base"
    summary: ClassVar[str] = (
        "learned motion magnification, lightweight network, 24 channels (Singh 2023)"
    )
    model: ClassVar[str] = "lightweight-base"
