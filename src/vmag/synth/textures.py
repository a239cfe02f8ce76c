"""Textures and shapes for the synthetic motion scenes of :mod:`vmag.synth.motion`.

Textures are random crops of scikit-image's bundled photos (scaled, rotated, flipped,
recoloured; grey ones tinted) or procedural patterns (filtered noise, gratings,
checkers, blobs). Shapes are polygons, ellipses and smooth blobs with anti-aliased
masks: rendered at 4x, box-averaged down, then slightly blurred so that shifting them
in the Fourier domain hardly rings. Every function draws from the ``rng`` it is given,
so a scene is a pure function of its generator.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import scipy.fft

from vmag._lazy import lazy_import

cv2 = lazy_import("cv2")  # OpenCV on first use: `vmag magnify` never needs it

#: Colour photos bundled with scikit-image (no download needed).
COLOR_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry", "hubble")
#: Grey photos, tinted with random colours when used.
GREY_PHOTOS = (
    "camera",
    "brick",
    "grass",
    "gravel",
    "moon",
    "text",
    "coins",
    "page",
    "clock",
    "cell",
)

#: Textures span [HEADROOM, 1 - HEADROOM]: room for the ringing of sub-pixel shifts.
HEADROOM = 0.04
#: Supersampling factor of the shape masks.
_SUPERSAMPLE = 4
#: Gaussian sigma (px) of a mask after box-averaging: Fourier shifts then ring by ~0.02 %.
_MASK_BLUR = 1.0


def _load(name: str) -> np.ndarray:
    import skimage.data

    if name == "hubble":
        img = skimage.data.hubble_deep_field()[:800, :800]  # square-ish crop of the 872x1000 field
    else:
        img = getattr(skimage.data, name)()
    img = np.asarray(img, dtype=np.float32) / 255.0
    return np.ascontiguousarray(img[..., :3] if img.ndim == 3 else img)


@functools.cache
def photos() -> tuple[np.ndarray, ...]:
    """The bundled photos, colour ones (H, W, 3) then grey ones (H, W), float32 in [0, 1].

    Loaded once per process (about 0.1 s) and never modified.

    >>> len(photos()) == len(COLOR_PHOTOS) + len(GREY_PHOTOS)
    True
    """
    return tuple(_load(name) for name in COLOR_PHOTOS + GREY_PHOTOS)


def _recolor(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random colour change: grey -> a random duotone; colour -> gains, saturation, contrast.

    Both are affine maps of the colour, applied in one pass by ``cv2.transform``.
    """
    if img.ndim == 2:
        dark = rng.uniform(0.0, 0.35, 3)
        light = rng.uniform(0.65, 1.0, 3)
        affine = np.stack(
            [light - dark, dark], axis=1
        )  # (3, 2): grey -> dark + grey * (light - dark)
    else:
        gains = rng.uniform(0.8, 1.2, 3)
        saturation = rng.uniform(0.4, 1.3)
        contrast = rng.uniform(0.7, 1.2)
        bright = rng.uniform(-0.1, 0.1)
        # contrast * (gains * (grey + saturation * (x - grey)) - 0.5) + 0.5 + bright
        mix = saturation * np.eye(3) + (1 - saturation) / 3
        affine = np.concatenate(
            [contrast * gains[:, None] * mix, np.full((3, 1), 0.5 - 0.5 * contrast + bright)],
            axis=1,
        )
    out = cv2.transform(img, affine.astype(np.float32))
    return np.clip(out, 0.0, 1.0, out=out)


def _photo_crop(
    rng: np.random.Generator, src: np.ndarray, h: int, w: int, zoom: tuple[float, float]
) -> np.ndarray:
    """An (h, w) view of ``src`` at a random zoom, angle, flip and position (reflected at edges)."""
    H, W = src.shape[:2]
    z = math.exp(rng.uniform(math.log(zoom[0]), math.log(zoom[1])))
    angle = rng.uniform(0.0, 2 * math.pi) if rng.random() < 0.5 else 0.0
    flip = -1.0 if rng.random() < 0.5 else 1.0
    half = 0.5 * max(h, w) / z  # half the output's extent, in source pixels
    cy = rng.uniform(min(half, H / 2), max(H - half, H / 2))
    cx = rng.uniform(min(half, W / 2), max(W - half, W / 2))
    c, s = math.cos(angle) / z, math.sin(angle) / z
    # Output (x, y) -> source: rotate and scale about the output centre, x mirrored by `flip`.
    m = np.array([[c * flip, -s, 0.0], [s * flip, c, 0.0]])
    m[:, 2] = [cx, cy] - m[:, :2] @ [(w - 1) / 2, (h - 1) / 2]
    return cv2.warpAffine(
        src,
        m,
        (w, h),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REFLECT_101,
    )


def _smooth_noise(
    rng: np.random.Generator, channels: int, h: int, w: int, gain: np.ndarray
) -> np.ndarray:
    """Periodic white noise (channels, h, w) filtered by ``gain`` (h, w // 2 + 1), unit std."""
    noise = rng.standard_normal((channels, h, w), dtype=np.float32)
    out = scipy.fft.irfft2(scipy.fft.rfft2(noise) * gain, s=(h, w))
    out -= out.mean(axis=(1, 2), keepdims=True)
    return out / (out.std(axis=(1, 2), keepdims=True) + 1e-6)


def _radial_freq(h: int, w: int) -> np.ndarray:
    """|f| in cycles/px on the rfft2 grid (h, w // 2 + 1)."""
    fy = scipy.fft.fftfreq(h).astype(np.float32)[:, None]
    fx = scipy.fft.rfftfreq(w).astype(np.float32)[None, :]
    return np.sqrt(fy * fy + fx * fx)


def _noise_texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """1/f^beta noise mapped into colour along two random colour directions."""
    beta = rng.uniform(1.5, 3.0)
    f = _radial_freq(h, w)
    gain = np.where(f > 0, np.maximum(f, 1.0 / max(h, w)) ** (-beta / 2), 0.0).astype(np.float32)
    n = _smooth_noise(rng, 2, h, w, gain)
    base = rng.uniform(0.3, 0.7, 3)
    dirs = rng.normal(0.0, 0.12, (2, 3))
    affine = np.concatenate([dirs.T, base[:, None]], axis=1).astype(np.float32)
    return cv2.transform(np.ascontiguousarray(n.transpose(1, 2, 0)), affine)


def _grating_texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A sum of one to three sinusoidal (or squarish) gratings of random period and angle."""
    yy = np.arange(h, dtype=np.float32)[:, None]
    xx = np.arange(w, dtype=np.float32)[None, :]
    out = np.broadcast_to(rng.uniform(0.3, 0.7, 3).astype(np.float32), (h, w, 3)).copy()
    count = int(rng.integers(1, 4))
    for _ in range(count):
        period = math.exp(rng.uniform(math.log(4.0), math.log(64.0)))
        angle = rng.uniform(0.0, math.pi)
        k = 2 * math.pi / period
        wave = np.sin(k * math.cos(angle) * xx + k * math.sin(angle) * yy + rng.uniform(0, 6.3))
        sharp = rng.uniform(0.5, 4.0)
        wave = np.tanh(sharp * wave) / math.tanh(sharp)
        out += wave[..., None] * rng.normal(0.0, 0.25 / count, 3).astype(np.float32)
    return out


def _two_tone(rng: np.random.Generator, field: np.ndarray, edge: float) -> np.ndarray:
    """Two random colours, switching where ``field`` crosses 0 over about ``edge`` units."""
    t = 0.5 + 0.5 * np.tanh(field / edge)
    c0 = rng.uniform(0.0, 1.0, 3).astype(np.float32)
    c1 = rng.uniform(0.0, 1.0, 3).astype(np.float32)
    return c0 + t[..., None] * (c1 - c0)


def _checker_texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A rotated checkerboard with soft (about 1 px) edges."""
    cell = rng.uniform(5.0, 40.0)
    angle = rng.uniform(0.0, math.pi)
    yy = np.arange(h, dtype=np.float32)[:, None]
    xx = np.arange(w, dtype=np.float32)[None, :]
    u = math.cos(angle) * xx + math.sin(angle) * yy
    v = -math.sin(angle) * xx + math.cos(angle) * yy
    field = np.sin(np.pi * u / cell) * np.sin(np.pi * v / cell)
    return _two_tone(rng, field, np.pi / cell)


def _blob_texture(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """Random blobs: Gaussian-filtered noise thresholded at 0 with soft edges."""
    sigma = rng.uniform(3.0, 20.0)
    gain = np.exp(-2 * (np.pi * sigma * _radial_freq(h, w)) ** 2).astype(np.float32)
    field = _smooth_noise(rng, 1, h, w, gain)[0]
    return _two_tone(rng, field, 1.5 / sigma)


_PROCEDURAL = (_noise_texture, _grating_texture, _checker_texture, _blob_texture)


def texture(
    rng: np.random.Generator,
    h: int,
    w: int,
    *,
    exclude: int = -1,
    photo_share: float = 0.75,
    zoom: tuple[float, float] = (0.8, 2.5),
) -> tuple[np.ndarray, int]:
    """A random (h, w, 3) float32 texture and the index of its photo (-1: procedural).

    Values lie in [HEADROOM, 1 - HEADROOM].

    A photo (other than ``exclude``) with probability ``photo_share``, else a procedural
    pattern; ``zoom`` is the range of magnification applied to photos.

    >>> tex, source = texture(np.random.default_rng(0), 24, 40)
    >>> tex.shape, bool(HEADROOM <= tex.min() and tex.max() <= 1 - HEADROOM)
    ((24, 40, 3), True)
    """
    if rng.random() < photo_share:
        pool = photos()
        index = int(rng.integers(len(pool) - (0 <= exclude < len(pool))))
        if 0 <= exclude <= index:
            index += 1
        tex = _recolor(_photo_crop(rng, pool[index], h, w, zoom), rng)
    else:
        index = -1
        tex = np.clip(_PROCEDURAL[int(rng.integers(len(_PROCEDURAL)))](rng, h, w), 0.0, 1.0)
    # Keep clear of 0 and 1: a band-limited shift rings slightly around sharp edges and
    # saturated plateaus, and clipping that ringing would bias the motion of the layer.
    tex *= np.float32(1 - 2 * HEADROOM)
    tex += np.float32(HEADROOM)
    return tex.astype(np.float32, copy=False), index


def _outline(rng: np.random.Generator, radius: float) -> np.ndarray:
    """Vertices (n, 2) as (x, y) around the origin of a random polygon, ellipse or smooth blob."""
    kind = int(rng.integers(3))
    if kind == 0:  # a star-shaped polygon with 3 to 8 corners
        n = int(rng.integers(3, 9))
        theta = np.sort(rng.uniform(0.0, 2 * math.pi, n))
        r = radius * rng.uniform(0.55, 1.0, n)
    else:
        theta = np.linspace(0.0, 2 * math.pi, 96, endpoint=False)
        if kind == 1:  # an ellipse
            e = rng.uniform(0.35, 1.0)
            r = radius * e / np.sqrt((e * np.cos(theta)) ** 2 + np.sin(theta) ** 2)
        else:  # a blob: a radius with a few smooth harmonics
            r = np.ones_like(theta)
            for k in range(2, 6):
                r += rng.uniform(0.0, 0.3 / k) * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
            r *= radius / r.max()
    phase = rng.uniform(0.0, 2 * math.pi)
    return np.stack([r * np.cos(theta + phase), r * np.sin(theta + phase)], axis=1)


def shape_mask(
    rng: np.random.Generator, center: tuple[float, float], radius: float
) -> tuple[np.ndarray, int, int]:
    """An anti-aliased random shape of about ``radius`` px centred at ``center`` (y, x).

    Returns ``(mask, top, left)``: the (h, w) float32 coverage in [0, 1] of the shape's
    bounding box and the frame position of that box's first pixel (pixel i covers
    [i - 0.5, i + 0.5]).

    >>> mask, top, left = shape_mask(np.random.default_rng(0), (20.0, 30.0), 8.0)
    >>> top <= 20 < top + mask.shape[0], left <= 30 < left + mask.shape[1]
    (True, True)
    """
    pts = _outline(rng, radius) + np.array([center[1], center[0]])
    pad = 3  # room for the blur
    left = math.floor(pts[:, 0].min()) - pad
    top = math.floor(pts[:, 1].min()) - pad
    w = math.ceil(pts[:, 0].max()) + pad + 1 - left
    h = math.ceil(pts[:, 1].max()) + pad + 1 - top
    ss = _SUPERSAMPLE
    # Sub-sample centres: pixel p of the 4x grid sits at (p + 0.5) / 4 - 0.5 on the 1x grid.
    fine = ((pts - [left, top] + 0.5) * ss - 0.5) * 16  # 4 fractional bits for cv2
    canvas = np.zeros((h * ss, w * ss), np.uint8)
    cv2.fillPoly(canvas, [np.round(fine).astype(np.int32)], 255, lineType=cv2.LINE_8, shift=4)
    canvas = canvas.astype(np.float32) * np.float32(1 / 255)
    mask = cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)
    mask = cv2.GaussianBlur(mask, (0, 0), _MASK_BLUR, borderType=cv2.BORDER_CONSTANT)
    return mask, top, left
