"""Layered scenes rendered with exact sub-pixel translation of every layer.

A :class:`Scene` is a stack of :class:`Layer`\\ s, back to front, each with its own
displacement vector. :meth:`Scene.render` moves layer k by ``scale * d_k`` with a
Fourier phase ramp (band-limited, exact for the sampled content) and alpha-composites
the layers. Each layer keeps premultiplied colour and coverage on a canvas whose
margin holds the largest shift it is allowed (its ``reach``), so the periodic
wrap-around of the Fourier shift never reaches the frame: objects are zero-padded,
the background canvas carries real content in its margin and fades to its mean
colour outside it. Canvas sides are odd (no ambiguous Nyquist bin) and FFT-friendly.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.fft

from vmag._lazy import lazy_import
from vmag.errors import VmagError

cv2 = lazy_import("cv2")  # OpenCV on first use: `vmag magnify` never needs it

#: Zero border (px) kept around an object beyond its reach, for the mask's ringing tails.
GUARD = 4


@functools.cache
def _odd_fast_sizes(limit: int) -> tuple[int, ...]:
    """Odd numbers <= limit whose prime factors are 3, 5, 7, 11 (fast for pocketfft)."""
    sizes = {1}
    for p in (3, 5, 7, 11):
        for s in sorted(sizes):
            s *= p
            while s <= limit:
                sizes.add(s)
                s *= p
    return tuple(sorted(sizes))


def odd_fast_len(n: int) -> int:
    """The smallest odd FFT-friendly length >= ``n``.

    >>> odd_fast_len(100), odd_fast_len(441)
    (105, 441)
    """
    limit = 1 << max(8, int(n).bit_length() + 1)
    sizes = _odd_fast_sizes(limit)
    return sizes[bisect.bisect_left(sizes, n)]


def phase_ramp(shape: tuple[int, int], dy: float, dx: float) -> np.ndarray:
    """rfft2-layout (H, W // 2 + 1) complex64 factors that translate by (dy, dx) px.

    On an even side the Nyquist frequency is its own negative, so a shift cannot rotate
    it one way only: it gets the real part of the rotation, cos(π d) (cos(π (dy + dx))
    at the corner), as the real part of a full inverse FFT would give it."""
    h, w = shape
    ey = np.exp(-2j * np.pi * dy * scipy.fft.fftfreq(h))
    ex = np.exp(-2j * np.pi * dx * scipy.fft.rfftfreq(w))
    if h % 2 == 0:
        ey[h // 2] = np.cos(np.pi * dy)
    if w % 2 == 0:
        ex[-1] = np.cos(np.pi * dx)
    ramp = ey[:, None] * ex[None, :]
    if h % 2 == 0 and w % 2 == 0:  # the corner is its own negative as a whole
        ramp[h // 2, -1] = np.cos(np.pi * (dy + dx))
    return ramp.astype(np.complex64)


@dataclass(frozen=True, eq=False)
class Layer:
    """One layer at displacement 0, placed on the frame plane.

    ``content`` is (3, h, w) for the opaque background, whose canvas must cover the
    frame, else (4, h, w): premultiplied colour r·a, g·a, b·a and coverage a, all
    float32. ``(top, left)`` is the frame position of the canvas's first pixel.
    ``reach`` (px) is the largest shift the canvas holds: for the background the real
    content beyond the frame on every side (its outer band is a fade that must never
    enter the frame); for an object the zero border (which must be at least
    ``reach + GUARD`` px, and the canvas sides odd).
    """

    content: np.ndarray
    top: int
    left: int
    displacement: tuple[float, float]
    reach: float = 0.0

    @property
    def opaque(self) -> bool:
        return self.content.shape[0] == 3


class Scene:
    """One sampled scene: layers (back to front) with their displacement vectors.

    Layer 0 is the opaque background. ``render(scale)`` moves layer k by
    ``scale * displacements[k]``; ``|scale| <= max_scale``, the largest scale every
    layer's canvas margin holds.

    >>> import numpy as np
    >>> bg = Layer(np.full((3, 8, 8), 0.5, np.float32), 0, 0, (0.0, 0.0))
    >>> Scene(8, [bg]).render(1.0).shape
    (8, 8, 3)
    """

    def __init__(self, size: int, layers: Sequence[Layer], *, part: str = "base") -> None:
        if not layers or not layers[0].opaque:
            raise VmagError("a scene needs an opaque background as its first layer")
        bg = layers[0]
        h, w = bg.content.shape[1:]
        lo, hi = min(bg.top, bg.left), min(bg.top + h, bg.left + w)
        if lo > -bg.reach or hi < size + bg.reach:
            raise VmagError("the background canvas must cover the frame plus its reach")
        self.size = size
        self.part = part
        self.layers = tuple(layers)
        self._spectra: dict[int, np.ndarray] = {}

    @property
    def displacements(self) -> np.ndarray:
        """(n_layers, 2) displacement (dy, dx) px of each layer; layer 0 = background."""
        return np.array([layer.displacement for layer in self.layers], dtype=np.float64)

    @property
    def max_scale(self) -> float:
        """The largest |scale| :meth:`render` accepts (inf when nothing moves)."""
        norms = np.hypot(*self.displacements.T)
        reach = np.array([layer.reach for layer in self.layers])
        moving = norms > 0
        return float(np.min(reach[moving] / norms[moving])) if moving.any() else math.inf

    def masks(self) -> np.ndarray:
        """(n_layers, S, S) float32 coverage of each layer at displacement 0 (background: 1)."""
        s = self.size
        out = np.zeros((len(self.layers), s, s), dtype=np.float32)
        out[0] = 1.0
        for k, layer in enumerate(self.layers[1:], start=1):
            region = _overlap(layer.top, layer.left, layer.content.shape[1:], s)
            if region is not None:
                frame, patch = region
                out[k][frame] = layer.content[3][patch]
        return out

    def render(self, scale: float) -> np.ndarray:
        """(S, S, 3) float32 in [0, 1]: the scene with layer k moved by ``scale * d_k``."""
        if not math.isfinite(scale) or abs(scale) > self.max_scale * (1 + 1e-9):
            raise VmagError(
                f"scale {scale!r} moves a layer beyond its canvas margin; this scene holds "
                f"|scale| <= {self.max_scale:.6g} (raise max_magnified to render further)"
            )
        s = self.size
        frame = np.empty((3, s, s), dtype=np.float32)
        for k, layer in enumerate(self.layers):
            shift = (scale * layer.displacement[0], scale * layer.displacement[1])
            content, top, left = self._moved(k, shift)
            region = _overlap(top, left, content.shape[1:], s)
            if region is None:
                continue
            where, patch = region
            if layer.opaque:
                frame[(slice(None), *where)] = content[(slice(None), *patch)]
                continue
            under = frame[(slice(None), *where)]
            under *= 1.0 - content[(3, *patch)]
            under += content[(slice(0, 3), *patch)]
        np.clip(frame, 0.0, 1.0, out=frame)
        return cv2.merge(list(frame))

    def _moved(self, k: int, shift: tuple[float, float]) -> tuple[np.ndarray, int, int]:
        """Layer k's canvas translated by ``shift`` and its frame position."""
        layer = self.layers[k]
        if shift == (0.0, 0.0):
            return layer.content, layer.top, layer.left
        spectrum = self._spectra.get(k)
        if spectrum is None:
            spectrum = self._spectra[k] = scipy.fft.rfft2(layer.content)
        shape = layer.content.shape[1:]
        spectrum = spectrum * phase_ramp(shape, *shift)
        moved = scipy.fft.irfft2(spectrum, s=shape, overwrite_x=True)
        # The band-limited shift rings slightly around edges: keep values in [0, 1].
        return np.clip(moved, 0.0, 1.0, out=moved), layer.top, layer.left


def _overlap(
    top: int, left: int, shape: tuple[int, int], size: int
) -> tuple[tuple[slice, slice], tuple[slice, slice]] | None:
    """Slices (frame, patch) where a patch at (top, left) overlaps the size x size frame."""
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + shape[0], size), min(left + shape[1], size)
    if y0 >= y1 or x0 >= x1:
        return None
    frame = (slice(y0, y1), slice(x0, x1))
    patch = (slice(y0 - top, y1 - top), slice(x0 - left, x1 - left))
    return frame, patch
