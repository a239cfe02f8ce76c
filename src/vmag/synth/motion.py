"""Synthetic training data for learned motion magnification, after Oh et al. (2018).

A sample is ``(A, B, C, Y, Y', alpha)``: a layered scene (a background and 7-15
textured foreground objects, :mod:`vmag.synth.textures`) in which every layer has its
own displacement d. ``A`` is the scene at rest, ``B`` has every layer moved by d,
``Y`` (the ground-truth magnified frame) by ``(1 + alpha) d``; ``C`` and ``Y'`` are
``B`` and ``Y`` under one random colour perturbation. Layers move by exact sub-pixel
Fourier shifts (:mod:`vmag.synth.scene`). Only the inputs ``A``, ``B``, ``C`` get
sensor noise (shot noise and read noise); their clean versions are kept too.

The five parts of Oh et al.'s data set are :data:`PARTS`: ``base`` (everything moves),
``blurred-background`` (the background is blurred: low contrast), ``background-only``,
``static`` (nothing moves) and ``foreground-only``.

Sample i of seed K is a pure function of ``(K, i, config)``: the same alone, in a
:class:`MotionDataset`, in shards, in any order or process.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy.special
import torch

from vmag._lazy import lazy_import
from vmag.data import shards
from vmag.data.shards import Field
from vmag.errors import VmagError, check_choice, check_count
from vmag.synth.scene import GUARD, Layer, Scene, odd_fast_len
from vmag.synth.textures import shape_mask, texture

cv2 = lazy_import("cv2")  # OpenCV on first use: `vmag magnify` never needs it

PARTS = ("base", "blurred-background", "background-only", "static", "foreground-only")

#: Image fields of a sample; all (S, S, 3) float32 in [0, 1].
IMAGE_KEYS = ("a", "b", "c", "y", "y_prime", "a_clean", "b_clean", "c_clean")

#: Width (px) of the background canvas's fade to its mean colour, beyond its margin.
_FADE = 12
#: Gaussian sigma (px) on object textures: an object is cut off at its edge, and detail at
#: the Nyquist rate there would ring into its surroundings when it is shifted (6x less).
_TEXTURE_BLUR = 0.7

#: The :mod:`vmag.data.shards` kind of the motion data.
KIND = "motion"


def _pair(name: str, value: Any, kind: type) -> tuple:
    try:
        lo, hi = (kind(v) for v in value)
    except (TypeError, ValueError):
        raise VmagError(f"{name} must be two numbers (low, high), got {value!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        raise VmagError(f"{name} must satisfy low <= high, got {value!r}")
    return lo, hi


@dataclass(frozen=True)
class MotionConfig:
    """Every knob of the generator; the defaults follow Oh et al. (2018).

    ``parts`` are drawn with equal probability (list a part twice to double its share).
    ``alpha`` is log-uniform in [``min_alpha``, ``max_alpha``]; the magnified motion is
    capped, (1 + alpha) * max|d| <= ``max_magnified``, by drawing displacements up to
    m = min(``max_motion``, ``max_magnified`` / (1 + alpha)): a share
    ``subpixel_share`` of moving layers get a length log-uniform in [``min_motion``,
    min(1, m)] px, the rest uniform in [``min_motion``, m]; directions are uniform.
    Noise (inputs only, when ``noise``): a share ``noise_free`` of samples stays clean;
    the others get shot noise with ``photons`` (log-uniform range) photons at intensity
    1 and Gaussian read noise of sigma uniform in [0, ``read_noise``].
    ``color_perturbation`` is the strength of the C / Y' colour change; ``blur`` the
    range of the background's Gaussian sigma (px) in ``blurred-background``;
    ``object_size`` the range of an object's radius as a fraction of ``size``
    (log-uniform).

    >>> MotionConfig(size=128).objects
    (7, 15)
    """

    size: int = 384
    objects: tuple[int, int] = (7, 15)
    max_motion: float = 10.0
    max_alpha: float = 100.0
    max_magnified: float = 30.0
    parts: tuple[str, ...] = PARTS
    noise: bool = True
    min_motion: float = 0.01
    subpixel_share: float = 0.5
    min_alpha: float = 1.0
    photons: tuple[float, float] = (2000.0, 100000.0)
    read_noise: float = 0.015
    noise_free: float = 0.2
    color_perturbation: float = 0.2
    blur: tuple[float, float] = (2.0, 6.0)
    object_size: tuple[float, float] = (0.04, 0.18)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise lists (e.g. from JSON) to tuples
        if not isinstance(self.size, int) or isinstance(self.size, bool) or self.size < 32:
            raise VmagError(f"size must be an integer >= 32 px, got {self.size!r}")
        lo, hi = _pair("objects", self.objects, int)
        if lo < 0 or hi > 100:
            raise VmagError(f"objects must be a range within 0..100, got {self.objects!r}")
        set_(self, "objects", (lo, hi))
        parts = (self.parts,) if isinstance(self.parts, str) else tuple(self.parts)
        if not parts:
            raise VmagError(f"parts must name at least one of {', '.join(PARTS)}")
        for p in parts:
            check_choice("part", p, PARTS)
        set_(self, "parts", parts)
        set_(self, "photons", _pair("photons", self.photons, float))
        set_(self, "blur", _pair("blur", self.blur, float))
        set_(self, "object_size", _pair("object_size", self.object_size, float))
        if not 0 < self.object_size[0] <= self.object_size[1] <= 1:
            raise VmagError(f"object_size must be a range within (0, 1], got {self.object_size!r}")
        numbers = {f.name: getattr(self, f.name) for f in fields(self) if f.type == "float"}
        for name, value in numbers.items():
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise VmagError(f"{name} must be a finite number >= 0, got {value!r}")
        if not 0 < self.min_motion < 1 or self.min_motion >= self.max_motion:
            raise VmagError(
                f"need 0 < min_motion < 1 and min_motion < max_motion, got "
                f"{self.min_motion!r} and {self.max_motion!r}"
            )
        if self.max_magnified <= self.max_motion:
            raise VmagError(
                f"max_magnified ({self.max_magnified!r} px) must exceed max_motion "
                f"({self.max_motion!r} px)"
            )
        if not 0 < self.min_alpha <= self.max_alpha:
            raise VmagError(f"need 0 < min_alpha <= max_alpha, got {self.min_alpha!r}")
        if self.max_magnified / (1 + self.max_alpha) <= self.min_motion:
            raise VmagError(
                f"max_magnified / (1 + max_alpha) = "
                f"{self.max_magnified / (1 + self.max_alpha):g} px must exceed min_motion "
                f"({self.min_motion:g} px): the largest alpha leaves no room for motion"
            )
        for name in ("subpixel_share", "noise_free"):
            if getattr(self, name) > 1:
                raise VmagError(f"{name} is a share in [0, 1], got {getattr(self, name)!r}")
        if self.color_perturbation > 0.5:
            raise VmagError(f"color_perturbation must be <= 0.5, got {self.color_perturbation}")
        if self.photons[0] <= 0 or self.blur[0] <= 0:
            raise VmagError("photons and blur ranges must be > 0")


# ---------------------------------------------------------------------------------- scenes


def _magnitude(rng: np.random.Generator, config: MotionConfig) -> float:
    """A displacement length: log-uniform below 1 px for a share of layers, else uniform."""
    if rng.random() < config.subpixel_share:
        top = min(1.0, config.max_motion)
        return math.exp(rng.uniform(math.log(config.min_motion), math.log(top)))
    return rng.uniform(config.min_motion, config.max_motion)


def _fade(n: int, lo: int, hi: int) -> np.ndarray:
    """1 on [lo, hi), a raised cosine down to 0 at both ends of [0, n): smooth when periodic."""
    i = np.arange(n, dtype=np.float32)
    rise = 0.5 - 0.5 * np.cos(np.pi * np.clip(i / max(lo, 1), 0, 1))
    fall = 0.5 - 0.5 * np.cos(np.pi * np.clip((n - 1 - i) / max(n - hi, 1), 0, 1))
    return np.minimum(rise, fall)


def _planes(image: np.ndarray) -> np.ndarray:
    """(H, W, C) -> contiguous (C, H, W)."""
    return np.stack(cv2.split(image))


def _background(canvas: np.ndarray, size: int, d: tuple[float, float], reach: float) -> Layer:
    """The background layer: the frame plus ``reach`` px of content, faded beyond."""
    full = canvas.shape[0]
    if reach == 0:
        off = (full - size) // 2
        return Layer(_planes(canvas[off : off + size, off : off + size]), 0, 0, d)
    margin = math.ceil(reach) + 1
    side = odd_fast_len(size + 2 * (margin + _FADE))
    off = (full - side) // 2
    crop = _planes(canvas[off : off + side, off : off + side])
    first = (side - size) // 2  # the frame's first row/column in the canvas
    fade = _fade(side, first - margin, first + size + margin)
    fade2d = fade[:, None] * fade[None, :]
    for plane in crop:
        mean = np.float32(plane.mean())
        plane -= mean
        plane *= fade2d
        plane += mean
    return Layer(crop, -first, -first, d, reach)


def _object(
    mask: np.ndarray, tex: np.ndarray, top: int, left: int, d: tuple[float, float], reach: float
) -> Layer:
    """An object layer: premultiplied colour and coverage, zero-padded for its reach."""
    content = np.concatenate([tex.transpose(2, 0, 1) * mask, mask[None]])
    if reach == 0:
        return Layer(content, top, left, d)
    h, w = mask.shape
    pad = math.ceil(reach) + GUARD
    hh, ww = odd_fast_len(h + 2 * pad), odd_fast_len(w + 2 * pad)
    py, px = (hh - h) // 2, (ww - w) // 2
    padded = np.zeros((4, hh, ww), dtype=np.float32)
    padded[:, py : py + h, px : px + w] = content
    return Layer(padded, top - py, left - px, d, reach)


def sample_scene(
    rng: np.random.Generator,
    size: int = 384,
    *,
    part: str = "base",
    motion: float | None = None,
    config: MotionConfig | None = None,
) -> Scene:
    """A random scene of ``size`` x ``size`` px for one of the :data:`PARTS`.

    Which layers move follows ``part``; each moving layer's displacement has length
    ``motion`` px when given (in a random direction), else a random length (see
    :class:`MotionConfig`). The appearance is drawn before the motion, so one generator
    state gives the same picture for every ``motion``. The scene renders at any
    ``|scale| <= config.max_magnified / max|d|``. ``config`` supplies the other knobs
    (its ``size`` is replaced by ``size``).

    >>> scene = sample_scene(np.random.default_rng(0), 64, motion=0.5)
    >>> scene.render(0.0).shape, bool(np.allclose(np.hypot(*scene.displacements.T), 0.5))
    ((64, 64, 3), True)
    """
    config = MotionConfig(size=size) if config is None else config
    if config.size != size:
        config = replace(config, size=size)
    check_choice("part", part, PARTS)
    if motion is not None and not (
        isinstance(motion, int | float) and 0 <= motion < config.max_magnified
    ):
        raise VmagError(
            f"motion must be a number in [0, max_magnified={config.max_magnified:g}) px, "
            f"got {motion!r}"
        )
    # Appearance: a background canvas large enough for the largest reach, then objects.
    side = odd_fast_len(size + 2 * (math.ceil(config.max_magnified) + 1 + _FADE))
    canvas, source = texture(rng, side, side)
    if part == "blurred-background":
        sigma = rng.uniform(*config.blur)
        canvas = cv2.GaussianBlur(canvas, (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101)
    shapes = []
    for _ in range(int(rng.integers(config.objects[0], config.objects[1] + 1))):
        lo, hi = config.object_size
        radius = max(3.0, size * math.exp(rng.uniform(math.log(lo), math.log(hi))))
        mask, top, left = shape_mask(rng, tuple(rng.uniform(0, size, 2)), radius)
        tex, _ = texture(rng, *mask.shape, exclude=source, photo_share=0.7)
        tex = cv2.GaussianBlur(tex, (0, 0), _TEXTURE_BLUR, borderType=cv2.BORDER_REFLECT_101)
        shapes.append((mask, tex, top, left))
    # Motion: one displacement per layer, zero for the layers this part keeps still.
    moves_bg = part in ("base", "blurred-background", "background-only")
    moves_fg = part in ("base", "blurred-background", "foreground-only")
    d = np.zeros((1 + len(shapes), 2))
    for k in range(len(d)):
        if moves_bg if k == 0 else moves_fg:
            length = _magnitude(rng, config) if motion is None else float(motion)
            angle = rng.uniform(0.0, 2 * math.pi)
            d[k] = length * math.sin(angle), length * math.cos(angle)
    norms = np.hypot(d[:, 0], d[:, 1])
    largest = norms.max()
    # norms / largest first: max_magnified * n / n can round above max_magnified and
    # overflow the canvas sized for it
    reach = config.max_magnified * (norms / largest) if largest > 0 else norms
    reach = np.minimum(reach, config.max_magnified)
    layers = [_background(canvas, size, tuple(d[0]), float(reach[0]))]
    for k, (mask, tex, top, left) in enumerate(shapes, start=1):
        layers.append(_object(mask, tex, top, left, tuple(d[k]), float(reach[k])))
    return Scene(size, layers, part=part)


def scene_for_sample(seed: int, index: int, config: MotionConfig) -> tuple[Scene, float]:
    """The scene and magnification ``alpha`` of sample ``index`` of ``seed``.

    ``alpha`` is drawn first (log-uniform in [min_alpha, max_alpha]) and the layers'
    displacements are then drawn up to ``min(max_motion, max_magnified / (1 + alpha))``,
    so (1 + alpha) * max|d| <= max_magnified holds and alpha keeps its spread. (Capping
    alpha after drawing 8-16 independent displacements would leave alpha ~ 2 in nearly
    every sample: the largest of them is almost always close to max_motion.)

    >>> scene, alpha = scene_for_sample(0, 3, MotionConfig(size=64))
    >>> bool((1 + alpha) * np.hypot(*scene.displacements.T).max() <= 30 + 1e-9)
    True
    """
    rng = np.random.default_rng(_streams(seed, index)[0])
    part = config.parts[int(rng.integers(len(config.parts)))]
    alpha = math.exp(rng.uniform(math.log(config.min_alpha), math.log(config.max_alpha)))
    bound = config.max_magnified / (1.0 + alpha)
    layout = config if bound >= config.max_motion else replace(config, max_motion=bound)
    scene = sample_scene(rng, config.size, part=part, config=layout)
    largest = float(np.hypot(*scene.displacements.T).max())
    if largest > 0:  # guards against rounding only
        alpha = min(alpha, config.max_magnified / largest - 1.0)
    return scene, alpha


def _streams(seed: int, index: int) -> list[np.random.SeedSequence]:
    """Independent seed sequences (scene, colour, noise) of sample ``index`` of ``seed``."""
    for name, value in (("seed", seed), ("index", index)):
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 0:
            raise VmagError(f"{name} must be an integer >= 0, got {value!r}")
    return np.random.SeedSequence([int(seed), int(index)]).spawn(3)


# --------------------------------------------------------------------------------- samples


@dataclass(frozen=True)
class ColorPerturbation:
    """A pointwise colour change: ``clip(x @ matrix.T + offset) ** gamma`` per channel.

    >>> p = ColorPerturbation.draw(np.random.default_rng(0), 0.2)
    >>> p(np.full((2, 2, 3), 0.5, np.float32)).shape
    (2, 2, 3)
    """

    matrix: np.ndarray
    offset: np.ndarray
    gamma: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, strength: float) -> ColorPerturbation:
        """A random perturbation; ``strength`` 0 is the identity."""
        s = strength
        matrix = np.diag(rng.uniform(1 - s, 1 + s, 3)) + rng.uniform(-s / 2, s / 2, (3, 3)) * (
            1 - np.eye(3)
        )
        offset = rng.uniform(-s / 2, s / 2, 3)
        gamma = np.exp(rng.uniform(-s, s, 3))
        return cls(matrix.astype(np.float32), offset.astype(np.float32), gamma.astype(np.float32))

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """``image`` (H, W, 3) float32 in [0, 1] perturbed (a new array)."""
        affine = np.concatenate([self.matrix, self.offset[:, None]], axis=1)
        out = cv2.transform(image, affine)
        np.clip(out, 0.0, 1.0, out=out)
        channels = [cv2.pow(out[..., i].copy(), float(g)) for i, g in enumerate(self.gamma)]
        return cv2.merge(channels)


@dataclass(frozen=True)
class MotionSample:
    """One training sample; images are (S, S, 3) float32 in [0, 1].

    ``a``, ``b``, ``c`` carry the input noise, ``*_clean`` are the same frames without
    it; ``y`` and ``y_prime`` are always clean. ``displacements`` is (n_layers, 2)
    (dy, dx) px, layer 0 = background.
    """

    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    y: np.ndarray
    y_prime: np.ndarray
    a_clean: np.ndarray
    b_clean: np.ndarray
    c_clean: np.ndarray
    alpha: float
    part: str
    displacements: np.ndarray


@functools.cache
def _normal_table() -> np.ndarray:
    """Standard normal quantiles at the 65,536 midpoints (k + 0.5) / 65536: a sampling table."""
    return scipy.special.ndtri((np.arange(65536) + 0.5) / 65536).astype(np.float32)


def _noisy(image: np.ndarray, rng: np.random.Generator, photons: float, sigma: float) -> np.ndarray:
    """Shot noise (Gaussian approximation of Poisson) plus read noise, clipped to [0, 1].

    Standard normal draws come from a quantile table indexed by uniform 16-bit integers
    (3x faster than ``standard_normal``; tails end at 4.2 sigma).
    """
    normal = _normal_table()[rng.integers(0, 65536, image.shape, dtype=np.uint16)]
    std = image * np.float32(1 / photons)
    std += np.float32(sigma * sigma)
    normal *= np.sqrt(std, out=std)
    normal += image
    return np.clip(normal, 0.0, 1.0, out=normal)


def make_sample(seed: int, index: int, config: MotionConfig = MotionConfig()) -> MotionSample:
    """Sample ``index`` of the data set with ``seed``: deterministic, order-independent.

    >>> s = make_sample(0, 0, MotionConfig(size=64))
    >>> s.a.shape, s.part in PARTS, bool((s.y == make_sample(0, 0, MotionConfig(size=64)).y).all())
    ((64, 64, 3), True, True)
    """
    scene, alpha = scene_for_sample(seed, index, config)
    _, color_seq, noise_seq = _streams(seed, index)
    a, b, y = scene.render(0.0), scene.render(1.0), scene.render(1.0 + alpha)
    perturb = ColorPerturbation.draw(np.random.default_rng(color_seq), config.color_perturbation)
    c, y_prime = perturb(b), perturb(y)
    noisy = (a, b, c)
    rng = np.random.default_rng(noise_seq)
    if config.noise and rng.random() >= config.noise_free:
        lo, hi = config.photons
        photons = math.exp(rng.uniform(math.log(lo), math.log(hi)))
        sigma = rng.uniform(0.0, config.read_noise)
        noisy = tuple(_noisy(x, rng, photons, sigma) for x in (a, b, c))
    return MotionSample(
        *noisy, y, y_prime, a, b, c, alpha=alpha, part=scene.part, displacements=scene.displacements
    )


def _to_tensor(image: np.ndarray) -> torch.Tensor:
    """(S, S, 3) in [0, 1] -> (3, S, S) float32 in [-1, 1]."""
    t = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))
    return t.to(torch.float32).mul_(2.0).sub_(1.0)


def _item(images: dict[str, np.ndarray], alpha: float) -> dict[str, torch.Tensor]:
    item = {k: _to_tensor(images[k]) for k in IMAGE_KEYS}
    item["amp"] = torch.tensor(1.0 + alpha, dtype=torch.float32)
    return item


def _check_index(i: int, n: int) -> int:
    i = int(i)
    if not -n <= i < n:
        raise IndexError(f"sample {i} out of range for {n} samples")
    return i % n


class MotionDataset(torch.utils.data.Dataset):
    """``n`` samples generated on the fly as the networks' batches want them.

    Items are dicts: the :data:`IMAGE_KEYS` as (3, S, S) float32 tensors in [-1, 1] and
    ``"amp"`` = 1 + alpha (0-dim float32). Picklable, no global state: safe with
    ``DataLoader(num_workers > 0)``.

    >>> ds = MotionDataset(4, MotionConfig(size=64), seed=1)
    >>> item = ds[2]
    >>> tuple(item["y"].shape), bool(item["amp"] >= 1)
    ((3, 64, 64), True)
    """

    def __init__(self, n: int, config: MotionConfig = MotionConfig(), seed: int = 0) -> None:
        check_count("n", n)
        _streams(seed, 0)  # validates the seed
        self.n, self.config, self.seed = int(n), config, int(seed)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        s = make_sample(self.seed, _check_index(i, self.n), self.config)
        return _item({k: getattr(s, k) for k in IMAGE_KEYS}, s.alpha)


# ---------------------------------------------------------------------------------- shards


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def shard_fields(config: MotionConfig) -> dict[str, Field]:
    """The arrays of one sample on disk: uint8 images, alpha, part, index and the layers'
    displacements (NaN-padded to the most layers a sample can have)."""
    s, rows = config.size, config.objects[1] + 1
    images = {k: Field(np.uint8, (s, s, 3)) for k in IMAGE_KEYS}
    return {
        **images,
        "index": Field(np.int64, ()),
        "alpha": Field(np.float32, ()),
        "part": Field(f"<U{max(map(len, PARTS))}", ()),
        "displacements": Field(np.float32, (rows, 2), np.nan),
    }


def write_shards(
    out_dir: str | Path,
    n: int,
    config: MotionConfig,
    seed: int,
    shard_size: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write samples 0..n-1 of ``seed`` to ``out_dir`` as :mod:`vmag.data.shards` of kind
    ``motion`` (:func:`shard_fields`). Re-running resumes; a folder holding a different
    data set (other n, seed, shard size or config) is an error. ``progress(done, total)``
    is called as samples complete.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [p.name for p in write_shards(d, 3, MotionConfig(size=32), seed=0, shard_size=2)]
    ['shard-00000.npz', 'shard-00001.npz']
    """
    check_count("n", n)
    _streams(seed, 0)  # validates the seed

    def make(i: int) -> dict[str, Any]:
        sample = make_sample(seed, i, config)
        images = {k: _to_uint8(getattr(sample, k)) for k in IMAGE_KEYS}
        return {
            **images,
            "index": i,
            "alpha": sample.alpha,
            "part": sample.part,
            "displacements": sample.displacements,
        }

    meta = {"seed": seed, "config": asdict(config)}
    return shards.write_shards(
        out_dir, n, shard_fields(config), make, kind=KIND, meta=meta,
        shard_size=shard_size, progress=progress,
    )  # fmt: skip


class ShardDataset(torch.utils.data.Dataset):
    """The samples of a :func:`write_shards` folder, as :class:`MotionDataset` items.

    Shards are memory-mapped on first use in each process (picklable for DataLoader
    workers); images come back within uint8 quantisation (1/255) of the generator's.
    """

    def __init__(self, root: str | Path) -> None:
        self.data = shards.Shards(root, kind=KIND)
        self.root, self.manifest, self.n = self.data.root, self.data.manifest, self.data.n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        row = self.data[_check_index(i, self.n)]
        images = {k: row[k].astype(np.float32) * np.float32(1 / 255) for k in IMAGE_KEYS}
        return _item(images, float(row["alpha"]))
