"""Magnify only a region of the frame: a rectangle (``--roi``), a mask picture
(``--mask FILE``) or the skin (``--mask skin``), blended smoothly at its edge.

The weight ``w`` is 1 inside the region and falls to 0 across a feathered edge (a
Gaussian of ``feather`` px; outside a rectangle, so all of it is magnified fully; across
a mask's edge); the output is ``in + w (magnified − in)``. The method runs
only on the region's bounding box plus a margin that keeps the crop's own border effects
out of the weighted area, so a small region costs a fraction of the whole frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vmag.errors import VmagError

#: The smallest crop side a method is given (pyramids need room for a few levels).
MIN_CROP = 32
#: Extra pixels of context around the weighted area, beyond the feather's reach.
MARGIN = 16


@dataclass(frozen=True)
class Region:
    """Where to magnify: the crop of the frame the method sees (``rows``, ``cols``) and
    the blending weight on it, (h, w, 1) float32 in [0, 1]."""

    rows: slice
    cols: slice
    weight: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.weight.shape[0], self.weight.shape[1]

    def crop(self, frames: np.ndarray) -> np.ndarray:
        """The crop of frames ``(..., H, W, 3)``, as a contiguous copy."""
        return np.ascontiguousarray(frames[..., self.rows, self.cols, :])

    def blend(self, frame: np.ndarray, magnified: np.ndarray) -> np.ndarray:
        """``frame`` (H, W, 3), in [0, 1], with its crop moved toward ``magnified`` by the
        weight; a new array."""
        scale = np.float32(1 / 255) if frame.dtype == np.uint8 else np.float32(1)
        out = frame.astype(np.float32) * scale  # a new array
        inside = out[self.rows, self.cols]
        inside += self.weight * (magnified - inside)
        return out


def box_mask(height: int, width: int, roi: tuple[int, int, int, int]) -> np.ndarray:
    """A (height, width) float32 mask, 1 inside ``roi`` = (x, y, w, h); a
    :class:`VmagError` when the rectangle is not inside the frame."""
    x, y, w, h = roi
    if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > width or y + h > height:
        raise VmagError(
            f"--roi {x} {y} {w} {h} is not inside the {width}x{height} frame "
            "(X Y W H: left, top, width, height, with W, H > 0)"
        )
    mask = np.zeros((height, width), np.float32)
    mask[y : y + h, x : x + w] = 1.0
    return mask


def read_mask(path: Path, height: int, width: int) -> np.ndarray:
    """A mask picture as (height, width) float32 in [0, 1] (grey levels, or the alpha
    channel when it has one); a :class:`VmagError` naming the problem otherwise."""
    import cv2

    if not path.is_file():
        raise VmagError(f"--mask {path}: no such file")
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise VmagError(f"--mask {path}: not a picture OpenCV can read (use a PNG)")
    if image.ndim == 3:
        image = image[..., 3] if image.shape[2] == 4 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if image.shape != (height, width):
        raise VmagError(
            f"--mask {path} is {image.shape[1]}x{image.shape[0]}, the video {width}x{height}: "
            "the mask must have the video's size"
        )
    top = np.iinfo(image.dtype).max if np.issubdtype(image.dtype, np.integer) else 1.0
    mask = image.astype(np.float32) / np.float32(top)
    if not mask.any():
        raise VmagError(f"--mask {path} is empty: nothing to magnify")
    return mask


def skin_mask(frame: np.ndarray) -> np.ndarray:
    """Where ``frame`` (H, W, 3, RGB in [0, 1] or uint8) shows skin: (H, W) float32 0/1.

    Skin chrominance in YCrCb (Cr 133-173, Cb 77-127; Chai & Ngan 1999), cleaned by a
    morphological opening and closing, keeping the connected parts of at least 0.5 % of
    the frame. Brightness is not used, so shading does not matter; skin-coloured things
    (wood, some fabrics) are taken for skin.
    """
    import cv2

    rgb = frame if frame.dtype == np.uint8 else (np.clip(frame, 0, 1) * 255 + 0.5)
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    mask = cv2.inRange(ycrcb, (0, 133, 77), (255, 173, 127))
    side = max(3, round(min(mask.shape) / 100)) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
    keep = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= 0.005 * mask.size]
    out = np.isin(labels, keep).astype(np.float32)
    if not out.any():
        raise VmagError("--mask skin found no skin in the first frame; give --roi or --mask FILE")
    return out


def feather_edges(mask: np.ndarray, feather: float, outside: bool = False) -> np.ndarray:
    """``mask`` with its edges softened by a Gaussian of ``feather`` px (0 keeps them):
    across the edge (0.5 on it), or with ``outside`` wholly outside it (the mask grown
    by 3 ``feather`` first, so it stays above 0.99 up to its edge and corners)."""
    if feather <= 0:
        return mask.astype(np.float32)
    import cv2

    if outside:
        side = 2 * round(3 * feather) + 1
        grow = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
        mask = cv2.dilate(mask.astype(np.float32), grow)
    soft = cv2.GaussianBlur(
        mask.astype(np.float32), (0, 0), feather, borderType=cv2.BORDER_REPLICATE
    )
    return np.maximum(soft, 0.0)


def region_from_mask(
    mask: np.ndarray, feather: float | None = None, *, outside: bool = False
) -> Region:
    """The :class:`Region` of a (H, W) mask in [0, 1]: feathered over ``feather`` px (by
    default 1 % of the frame's shorter side, at least 2 px; ``outside``: beyond the
    mask's edge, see :func:`feather_edges`), cropped to where it is not 0 plus a margin."""
    height, width = mask.shape
    feather = max(2.0, 0.01 * min(height, width)) if feather is None else feather
    weight = feather_edges(mask, feather, outside)
    ys, xs = np.nonzero(weight > 1e-3)
    reach = MARGIN
    top, bottom = _span(ys.min(), ys.max() + 1, reach, height)
    left, right = _span(xs.min(), xs.max() + 1, reach, width)
    rows, cols = slice(top, bottom), slice(left, right)
    return Region(rows, cols, np.ascontiguousarray(weight[rows, cols, None]))


def _span(lo: int, hi: int, reach: int, size: int) -> tuple[int, int]:
    """[lo, hi) widened by ``reach`` on both sides, to at least :data:`MIN_CROP`, within
    [0, size)."""
    lo, hi = max(0, int(lo) - reach), min(size, int(hi) + reach)
    short = MIN_CROP - (hi - lo)
    if short > 0:
        lo = max(0, lo - (short + 1) // 2)
        hi = min(size, max(hi + short // 2, lo + MIN_CROP))
        lo = max(0, min(lo, hi - MIN_CROP))
    return lo, hi
