"""Tiled inference: run a network over overlapping tiles and blend them without seams.

A frame of any size is cut into tiles of at most ``tile`` x ``tile`` px (each side a
multiple of the network's ``multiple``, starting at multiples of it, so that strided
layers see the same sampling grid as on the whole frame). Neighbouring tiles overlap by at
least ``overlap`` px. Each tile's output is weighted by a separable window that is

- 0 within a quarter of the overlap of an interior tile edge (where the tile's own border
  handling makes its output differ from the whole-frame run),
- a half-Hann ramp over the middle half of the overlap, and 1 elsewhere,

and the windows are normalised to sum 1 at every pixel. So a network whose receptive field
radius is at most ``overlap / 4`` gives exactly the untiled result, and one with a larger
receptive field changes smoothly from one tile to the next: no seams.

The frame is first padded at the bottom and right (by reflection) to a multiple of
``multiple``; outputs are cropped back.

:func:`tiled` runs a function of whole images tile by tile; :func:`plan_tiles` gives the
tiles themselves, for callers that run a longer chain per tile (the temporal mode of
:class:`vmag.learned.magnifier.LearnedMagnifier` analyses, filters over time and
synthesises every frame of a clip one tile at a time).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import torch
import torch.nn.functional as F

from vmag.errors import VmagError


@dataclass(frozen=True)
class Tile:
    """One tile, in the coordinates of the frame padded to a multiple of ``multiple``.

    ``weight`` (height, width) is the tile's blending weight: the weights of all tiles of
    a plan sum to 1 at every pixel.
    """

    top: int
    left: int
    height: int
    width: int
    weight: torch.Tensor

    def window(self, height: int, width: int) -> tuple[slice, slice]:
        """The rows and columns of an unpadded ``height`` x ``width`` frame this tile covers."""
        return (
            slice(self.top, min(self.top + self.height, height)),
            slice(self.left, min(self.left + self.width, width)),
        )

    def crop(self, x: torch.Tensor) -> torch.Tensor:
        """This tile of images ``x`` (..., H, W), padded to (..., height, width)."""
        rows, cols = self.window(x.shape[-2], x.shape[-1])
        return pad_to(x[..., rows, cols], self.height, self.width)


def pad_to(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Images ``x`` (..., h, w) padded at the bottom and right to (..., height, width).

    Padding reflects the image (no new edges for the network to respond to); where the
    image is too small to reflect, it repeats the last row or column.

    >>> pad_to(torch.arange(3.0).reshape(1, 1, 3), 1, 5)
    tensor([[[0., 1., 2., 1., 0.]]])
    """
    h, w = x.shape[-2:]
    if (h, w) == (height, width):
        return x
    if h > height or w > width:
        raise ValueError(f"cannot pad {h}x{w} images to the smaller size {height}x{width}")
    flat = x.reshape(-1, h, w)
    mode = "reflect" if height - h < h and width - w < w else "replicate"
    out = F.pad(flat, (0, width - w, 0, height - h), mode=mode)
    return out.reshape(*x.shape[:-2], height, width)


def check_tiling(tile: int, overlap: int, multiple: int) -> tuple[int, int]:
    """``(tile, overlap)`` checked; ``tile`` rounded down to a multiple of ``multiple``.

    ``tile = 0`` means the whole frame in one piece (``overlap`` is then unused);
    otherwise ``tile >= multiple`` and ``0 <= overlap < tile / 2``.

    >>> check_tiling(250, 32, 8)
    (248, 32)
    """
    if isinstance(tile, bool) or not isinstance(tile, int) or tile < 0:
        raise VmagError(f"tile must be an integer >= 0 px (0 = whole frame), got {tile!r}")
    if isinstance(overlap, bool) or not isinstance(overlap, int) or overlap < 0:
        raise VmagError(f"overlap must be an integer >= 0 px, got {overlap!r}")
    if tile == 0:
        return 0, overlap
    if tile < multiple:
        raise VmagError(
            f"tile must be 0 (whole frame) or at least {multiple} px (the network's size "
            f"multiple), got {tile}"
        )
    tile -= tile % multiple
    if 2 * overlap >= tile:
        raise VmagError(f"overlap must be less than half the tile ({tile} px), got {overlap}")
    if _round_up(overlap, multiple) >= tile:
        raise VmagError(
            f"tile {tile} px leaves no room to step by multiples of {multiple} px with overlap "
            f"{overlap} px; use a larger tile or overlap 0"
        )
    return tile, overlap


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _size(length: int, tile: int, overlap: int, multiple: int) -> int:
    """The tile size along one axis: as many tiles as ``tile`` needs to cover ``length``
    with the overlap, each shrunk to the least size that still does (less recomputed
    overlap: 1080 rows take three 384-row tiles rather than three of 512)."""
    if tile == 0 or tile >= length:
        return length
    reach = _round_up(overlap, multiple)
    count = math.ceil((length - reach) / (tile - reach))
    return min(tile, _round_up(math.ceil((length + (count - 1) * reach) / count), multiple))


def _starts(length: int, tile: int, overlap: int, multiple: int) -> list[int]:
    """Tile starts along one axis: multiples of ``multiple``, spread evenly from 0 to
    ``length - tile``, consecutive tiles overlapping by at least ``overlap``."""
    if tile >= length:
        return [0]
    step = tile - _round_up(overlap, multiple)  # the largest step that keeps the overlap
    count = math.ceil((length - tile) / step) + 1
    while True:
        spread = (length - tile) / (count - 1)
        starts = [multiple * round(i * spread / multiple) for i in range(count)]
        if all(b - a <= step for a, b in pairwise(starts)):
            return starts
        count += 1


def _ramp(n: int, overlap: int) -> np.ndarray:
    """Weights of the first ``n`` px from a tile edge that overlaps its neighbour by
    ``overlap`` px: 0, then half a Hann window over the overlap's middle half, then 1."""
    if overlap == 0:
        return np.ones(n)
    u = (np.arange(n) + 0.5 - overlap / 4) / (overlap / 2)
    return np.sin(np.pi / 2 * np.clip(u, 0.0, 1.0)) ** 2


def _axis_weights(length: int, size: int, starts: list[int]) -> list[np.ndarray]:
    """Each tile's normalised 1-D weights along one axis (tiles of ``size`` at ``starts``)."""
    weights = []
    for i, start in enumerate(starts):
        before = starts[i - 1] + size - start if i > 0 else 0
        after = start + size - starts[i + 1] if i + 1 < len(starts) else 0
        weights.append(_ramp(size, before) * _ramp(size, after)[::-1])
    total = np.zeros(length)
    for start, w in zip(starts, weights, strict=True):
        total[start : start + size] += w
    return [w / total[start : start + size] for start, w in zip(starts, weights, strict=True)]


def plan_tiles(height: int, width: int, tile: int, overlap: int, multiple: int = 1) -> list[Tile]:
    """The tiles that cover a ``height`` x ``width`` frame, with their blending weights.

    The frame is taken as padded to multiples of ``multiple`` (see :func:`pad_to`). All
    tiles have the same size, at most ``tile`` px a side: along each axis, the least
    multiple of ``multiple`` that covers the frame with as many tiles as ``tile`` px would
    need. ``tile = 0`` gives one tile, the whole padded frame, of weight 1.

    >>> tiles = plan_tiles(100, 70, tile=64, overlap=16, multiple=4)
    >>> [(t.top, t.left, t.height, t.width) for t in tiles]
    [(0, 0, 60, 44), (40, 0, 60, 44), (0, 28, 60, 44), (40, 28, 60, 44)]
    >>> round(float(sum(t.weight[50 - t.top, 30 - t.left] for t in tiles)), 6)
    1.0
    """
    tile, overlap = check_tiling(tile, overlap, multiple)
    padded_h, padded_w = _round_up(height, multiple), _round_up(width, multiple)
    size_h = _size(padded_h, tile, overlap, multiple)
    size_w = _size(padded_w, tile, overlap, multiple)
    rows = _starts(padded_h, size_h, overlap, multiple)
    cols = _starts(padded_w, size_w, overlap, multiple)
    row_w = _axis_weights(padded_h, size_h, rows)
    col_w = _axis_weights(padded_w, size_w, cols)
    return [
        Tile(top, left, size_h, size_w, torch.from_numpy(np.outer(wy, wx)).float())
        for left, wx in zip(cols, col_w, strict=True)
        for top, wy in zip(rows, row_w, strict=True)
    ]


def tiled(
    fn: Callable[..., torch.Tensor],
    *images: torch.Tensor,
    tile: int,
    overlap: int,
    multiple: int = 1,
    group: int = 1,
) -> torch.Tensor:
    """``fn(*images)`` computed tile by tile and blended (see the module docstring).

    ``images`` are (B, ..., C, H, W) tensors of equal H, W; ``fn`` maps tiles of them
    (B', ..., C, h, w), h and w multiples of ``multiple``, to an output (B', ..., C', h, w).
    ``group`` tiles go through ``fn`` at once, concatenated on dim 0 (``B' = group * B``;
    all tiles of a plan have the same size), so that small tiles still make big batches.
    The result (B, ..., C', H, W) equals ``fn`` on the padded whole frame, cropped, where
    ``fn``'s receptive field radius is at most ``overlap / 4``.

    >>> conv = torch.nn.Conv2d(3, 2, 3, padding=1)
    >>> x = torch.rand(1, 3, 50, 70)
    >>> with torch.no_grad():
    ...     y = tiled(conv, x, tile=32, overlap=8, group=2)
    ...     bool(torch.allclose(y, conv(x), atol=1e-6))
    True
    """
    height, width = images[0].shape[-2:]
    if any(x.shape[-2:] != (height, width) for x in images):
        raise VmagError(f"images must share H, W; got {[tuple(x.shape) for x in images]}")
    if isinstance(group, bool) or not isinstance(group, int) or group < 1:
        raise VmagError(f"group must be an integer >= 1, got {group!r}")
    tiles = plan_tiles(height, width, tile, overlap, multiple)
    out = None
    for g in range(0, len(tiles), group):
        chunk = tiles[g : g + group]
        if len(chunk) == 1:
            y = fn(*(chunk[0].crop(x) for x in images))
        else:
            y = fn(*(torch.cat([t.crop(x) for t in chunk]) for x in images))
        for t, part in zip(chunk, y.split(len(y) // len(chunk)), strict=True):
            rows, cols = t.window(height, width)
            h, w = rows.stop - rows.start, cols.stop - cols.start
            weight = t.weight[:h, :w].to(device=part.device, dtype=part.dtype)
            if out is None:
                out = part.new_zeros((*part.shape[:-2], height, width))
            out[..., rows, cols] += part[..., :h, :w] * weight
    assert out is not None
    return out
