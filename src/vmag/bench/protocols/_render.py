"""Rendering for the table protocols (circles, physical): textures and exact sub-pixel sprites.

Textures are crops of scikit-image's bundled pictures (no download) or procedural
patterns. A :class:`Sprite` is a textured, anti-aliased disc stored as the spectrum of
its premultiplied colour and coverage on a tile with an empty border; a Fourier phase
ramp moves it by any offset smaller than the border (exact band-limited interpolation;
the disc never reaches the tile's edge), so a clip that moves a sprite by 0.1 px and its
ground truth that moves it by 10 px show the same scene.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from skimage.transform import resize

from vmag.synth import noise_texture, sample_image

#: Pictures bundled with scikit-image that load offline, in colour or grey.
PICTURES = (
    "astronaut",
    "brick",
    "camera",
    "chelsea",
    "clock",
    "coffee",
    "coins",
    "colorwheel",
    "grass",
    "gravel",
    "hubble_deep_field",
    "immunohistochemistry",
    "moon",
    "page",
    "rocket",
    "text",
)
#: Procedural textures: smooth and fine periodic noise, and oriented gratings.
PATTERNS = ("noise_smooth", "noise_fine", "grating")
SOURCES = PICTURES + PATTERNS


@functools.cache
def _picture(name: str, short: int) -> np.ndarray:
    """Picture ``name`` resized (anti-aliased) so that its short side is ``short`` px."""
    img = sample_image(name)
    h, w = img.shape[:2]
    scale = short / min(h, w)
    shape = (max(short, round(h * scale)), max(short, round(w * scale)))
    return resize(img, shape, order=3, anti_aliasing=scale < 1).clip(0, 1).astype(np.float32)


def texture(
    name: str, size: int, rng: np.random.Generator, *, span: float = 2.0, tries: int = 1
) -> np.ndarray:
    """A (size, size, 3) float32 texture in [0, 1] from source ``name`` (one of :data:`SOURCES`).

    Pictures are resized so that their short side is ``span`` x ``size`` (so a crop
    shows a part of the picture, not a featureless patch of it), then cropped at random:
    the crop with the most detail (mean gradient magnitude) of ``tries`` random ones.
    Patterns are drawn from ``rng``.

    >>> texture("brick", 32, np.random.default_rng(0)).shape
    (32, 32, 3)
    """
    if name == "noise_smooth":
        return noise_texture(size, size, blur=3.0, seed=int(rng.integers(2**31)))
    if name == "noise_fine":
        return noise_texture(size, size, blur=1.0, seed=int(rng.integers(2**31)))
    if name == "grating":
        yy, xx = np.mgrid[0:size, 0:size] / size
        out = np.zeros((size, size, 3))
        for _ in range(3):
            theta = rng.uniform(0, np.pi)
            cycles = rng.uniform(4, 16)  # over the texture's width
            colour = rng.uniform(0.2, 1.0, 3)
            wave = np.cos(2 * np.pi * cycles * (xx * np.cos(theta) + yy * np.sin(theta)))
            out += wave[..., None] * colour
        return (0.5 + 0.12 * out).clip(0, 1).astype(np.float32)
    img = _picture(name, max(size, round(span * size)))
    h, w = img.shape[:2]
    crops = [
        img[top : top + size, left : left + size]
        for top, left in zip(
            rng.integers(h - size + 1, size=tries),
            rng.integers(w - size + 1, size=tries),
            strict=True,
        )
    ]
    best = max(crops, key=lambda c: float(np.mean(np.abs(np.gradient(c.mean(axis=2))))))
    return best.copy()  # not a view of the cached picture


def disc_coverage(size: int, radius: float) -> np.ndarray:
    """(size, size) coverage of a disc of ``radius`` px centred on the middle pixel, with a
    one-pixel linear ramp at its edge (anti-aliased, so its Fourier shifts barely ring)."""
    c = (size - 1) / 2
    yy, xx = np.mgrid[0:size, 0:size]
    dist = np.hypot(yy - c, xx - c)
    return np.clip(radius + 0.5 - dist, 0.0, 1.0)


@dataclass(frozen=True)
class Sprite:
    """A textured disc to paste at sub-pixel offsets from its rest place.

    ``spectrum`` is the 2-D FFT of [colour × coverage, coverage] (S, S, 4) on an odd
    tile of side S = 2·(radius + margin) + 1 (odd: no Nyquist bin, so every shift is a
    pure phase ramp); ``top``/``left`` place the tile in the frame.
    """

    spectrum: np.ndarray
    top: int
    left: int

    @classmethod
    def disc(cls, tex: np.ndarray, radius: int, center: tuple[int, int], margin: int) -> Sprite:
        """The disc of ``radius`` px cut from the middle of ``tex`` (at least the tile's
        size), centred at pixel ``center``. Moves must stay a few px under ``margin``, room
        for the interpolation's ringing."""
        side = 2 * (radius + margin) + 1
        cov = disc_coverage(side, radius)
        t0 = (tex.shape[0] - side) // 2
        t1 = (tex.shape[1] - side) // 2
        colour = tex[t0 : t0 + side, t1 : t1 + side].astype(np.float64)
        layer = np.concatenate([colour * cov[..., None], cov[..., None]], axis=2)
        spectrum = np.fft.fft2(layer, axes=(0, 1))
        half = side // 2
        return cls(spectrum, center[0] - half, center[1] - half)

    def layers(self, shifts: np.ndarray) -> np.ndarray:
        """The tile moved by each (dy, dx) of ``shifts`` (T, 2) px: (T, S, S, 4), premultiplied
        colour and coverage."""
        side = self.spectrum.shape[0]
        f = np.fft.fftfreq(side)
        dy, dx = np.asarray(shifts, dtype=np.float64).T[:, :, None, None]
        ramp = np.exp(-2j * np.pi * (f[:, None] * dy + f[None, :] * dx))
        return np.fft.ifft2(self.spectrum * ramp[..., None], axes=(1, 2)).real


def compose(background: np.ndarray, sprites: list[Sprite], shifts: list[np.ndarray]) -> np.ndarray:
    """A clip (T, H, W, 3): still ``background`` (H, W, 3) with each sprite pasted over it,
    moved by its (dy, dx) per frame (``shifts``: one (T, 2) array per sprite).

    >>> bg = np.zeros((40, 40, 3), np.float32)
    >>> disc = Sprite.disc(np.ones((31, 31, 3)), 5, (20, 20), margin=10)
    >>> out = compose(bg, [disc], [np.array([[0.0, 0.0], [0.0, 3.0]])])
    >>> out.shape, round(float(out[1, 20, 23, 0]), 3), round(float(out[1, 20, 13, 0]), 3)
    ((2, 40, 40, 3), 1.0, 0.0)
    """
    frames = len(shifts[0])
    out = np.repeat(background.astype(np.float64)[None], frames, axis=0)
    for sprite, moves in zip(sprites, shifts, strict=True):
        layer = sprite.layers(moves)
        cov = layer[..., 3:].clip(0.0, 1.0)
        side = layer.shape[1]
        region = out[:, sprite.top : sprite.top + side, sprite.left : sprite.left + side]
        region *= 1.0 - cov
        region += layer[..., :3]
    return out.clip(0.0, 1.0).astype(np.float32)


def add_noise(frames: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """``frames`` plus white Gaussian noise of ``sigma`` grey levels (8-bit scale), clipped."""
    if sigma == 0:
        return frames
    noisy = frames + rng.standard_normal(frames.shape, dtype=np.float32) * np.float32(sigma / 255)
    return noisy.clip(0.0, 1.0)
