"""``circles``: textured discs moving 0.1 px, magnified 100x, against exactly rendered truth.

After Singh, Murala and Kosuru (WACV 2023), Table 3: each clip shows a background
(a crop of a scikit-image picture or a procedural texture) with three discs textured
from other pictures, of radius 1/8 of the frame, oscillating horizontally, vertically
and diagonally with an amplitude of 0.1 px, with mild sensor noise added. The ground
truth moves the discs 10 px (α = 99), noiseless. Both are rendered by Fourier shifts of
the discs' tiles (:mod:`._render`), so they show the same scene. The clip's timing is
the sweeps' (:mod:`._common`: three cycles, scored at the middle cycle's extremes, where
the truth differs most from rest and every classical method is in its exact regime).
Score: mean squared error on the 8-bit scale over the whole frame and over each disc's
swept region.

The noise, σ = 2 grey levels by default, is that of a clean 8-bit camera: enough that
a method's noise amplification counts (at α = 99 every bit of noise in the band is
multiplied by 100), small beside what the discs' 0.1 px motion changes at their edges.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from vmag.bench.protocol import BenchResult, Protocol, TestClip, register_protocol
from vmag.bench.protocols._common import check_count, clip_settings, periodic_clip, quick_default
from vmag.bench.protocols._render import PICTURES, SOURCES, Sprite, add_noise, compose, texture
from vmag.errors import VmagError, check_alpha, check_positive
from vmag.magnifier import ProgressFn

#: The discs' motion directions (dy, dx), unit length, in the order they are placed.
DIRECTIONS = {
    "horizontal": (0.0, 1.0),
    "vertical": (1.0, 0.0),
    "diagonal": (math.sqrt(0.5), math.sqrt(0.5)),
}
METRICS = ("mse", *(f"mse_{d}" for d in DIRECTIONS))


def mse8(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean squared difference of two clips (T, H, W, 3) on the 8-bit scale (x255), over
    the pixels of ``mask`` (H, W) when given.

    >>> mse8(np.zeros((1, 2, 2, 3)), np.full((1, 2, 2, 3), 2 / 255))
    4.0
    """
    d2 = ((np.asarray(a, np.float64) - b) * 255.0) ** 2
    if mask is None:
        return float(d2.mean())
    return float(d2[:, mask].mean())


@register_protocol
@dataclass(kw_only=True)
class Circles(Protocol):
    """Three textured discs moving 0.1 px in three directions; MSE against 100x truth."""

    name: ClassVar[str] = "circles"
    kind: ClassVar[str] = "table"
    summary: ClassVar[str] = (
        "discs moving 0.1 px on 25 backgrounds, alpha 99: MSE (8-bit) vs exact truth "
        "(Singh et al. 2023, Table 3)"
    )

    clips: int | None = None  # default: 25 full, 5 quick
    size: int | None = None  # frame side in px; default: 256 full, 128 quick
    amplitude: float = 0.1  # px, of the input's motion
    alpha: float = 99.0
    noise: float = 2.0  # σ of the input's Gaussian noise, in 8-bit grey levels

    def __post_init__(self) -> None:
        self.clips = check_count("clips", quick_default(self.clips, 25, 5, self.quick))
        self.size = check_count("size", quick_default(self.size, 256, 128, self.quick))
        self.seed = check_count("seed", self.seed, least=0)
        check_positive("amplitude", self.amplitude)
        self.alpha = check_alpha(self.alpha)
        if not (
            isinstance(self.noise, int | float) and math.isfinite(self.noise) and self.noise >= 0
        ):
            raise VmagError(f"noise must be >= 0 grey levels, got {self.noise!r}")
        self._layout()  # raises if the discs do not fit

    # -- geometry ----------------------------------------------------------------------
    @property
    def radius(self) -> int:
        """Disc radius in px: 1/8 of the frame."""
        return self.size // 8

    @property
    def truth_amplitude(self) -> float:
        """The truth's motion amplitude in px: (1 + α) × the input's."""
        return (1 + self.alpha) * self.amplitude

    @property
    def margin(self) -> int:
        """Empty border of each disc's tile: room for the truth's motion plus ringing."""
        return math.ceil(self.truth_amplitude) + 4

    def _layout(self) -> list[tuple[int, int]]:
        """Disc centres (row, col), in the order of :data:`DIRECTIONS`."""
        n, r = self.size, self.radius
        q = max(r + self.margin, n // 4)
        centres = [(q, q), (q, n - 1 - q), (n - 1 - q, n // 2)]
        reach = r + self.truth_amplitude + 1  # a disc's swept region, from its centre
        apart = min(math.dist(a, b) for i, a in enumerate(centres) for b in centres[i + 1 :])
        if n - 1 - 2 * q < 0 or r < 4 or apart <= 2 * reach:
            raise VmagError(
                f"circles: a {n}-px frame cannot hold three discs of radius {r} px moving "
                f"{self.truth_amplitude:g} px apart; use a larger size or smaller alpha x amplitude"
            )
        return centres

    def regions(self) -> dict[str, np.ndarray]:
        """Each disc's swept region (H, W) bool: within radius + 1 px of its truth's path."""
        yy, xx = np.mgrid[0 : self.size, 0 : self.size].astype(np.float64)
        out = {}
        for (cy, cx), (name, (uy, ux)) in zip(self._layout(), DIRECTIONS.items(), strict=True):
            # distance to the segment c + s·u, |s| <= truth amplitude
            s = np.clip(
                (yy - cy) * uy + (xx - cx) * ux, -self.truth_amplitude, self.truth_amplitude
            )
            dist = np.hypot(yy - cy - s * uy, xx - cx - s * ux)
            out[name] = dist <= self.radius + 1
        return out

    # -- clips -------------------------------------------------------------------------
    def clip(self, index: int) -> TestClip:
        """Clip ``index``: noisy input with 0.1 px motion and its noiseless (1 + α)x truth.

        Its background cycles through :data:`~._render.SOURCES`; the discs' textures are
        three other pictures; crops and noise are drawn from ``(seed, index)``.
        """
        rng = np.random.default_rng([self.seed, index])
        r = self.radius
        bg_name = SOURCES[index % len(SOURCES)]
        background = texture(bg_name, self.size, rng)
        names = [str(p) for p in rng.choice([p for p in PICTURES if p != bg_name], 3, False)]
        side = 2 * (r + self.margin) + 1
        sprites = [
            Sprite.disc(texture(p, side, rng, span=3.0, tries=8), r, c, self.margin)
            for p, c in zip(names, self._layout(), strict=True)
        ]

        def render(scale: float) -> np.ndarray:
            shifts = [np.array([u]) * scale * self.amplitude for u in DIRECTIONS.values()]
            return compose(background, sprites, shifts)[0]

        clip = periodic_clip(render, self.alpha)
        noisy = add_noise(clip.frames, self.noise, np.random.default_rng([self.seed, index, 1]))
        meta = {"background": bg_name, "textures": dict(zip(DIRECTIONS, names, strict=True))}
        return dataclasses.replace(clip, frames=noisy, meta=meta)

    def score(
        self, out: np.ndarray, clip: TestClip, regions: dict[str, np.ndarray]
    ) -> dict[str, float]:
        """Every metric of output ``out`` of ``clip``, over its scored frames."""
        idx = list(clip.scored)
        a, b = out[idx], clip.truth[idx]
        scores = {"mse": mse8(a, b)}
        for name, mask in regions.items():
            scores[f"mse_{name}"] = mse8(a, b, mask)
        return scores

    # -- protocol ----------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "quick": self.quick,
            "clips": self.clips,
            "size": self.size,
            "amplitude_px": self.amplitude,
            "alpha": self.alpha,
            "truth_amplitude_px": self.truth_amplitude,
            "noise_8bit": self.noise,
            "radius_px": self.radius,
            "backgrounds": [SOURCES[i % len(SOURCES)] for i in range(self.clips)],
            "disc_textures": "other bundled pictures, drawn from [seed, clip]",
            **{k: v for k, v in clip_settings().items() if k != "ssim"},
        }

    def run(self, methods: list[str], progress: ProgressFn | None = None) -> BenchResult:
        report = progress or (lambda stage, done, total: None)
        regions = self.regions()
        rows = ["input", *methods]
        sums = {row: dict.fromkeys(METRICS, 0.0) for row in rows}
        for i in range(self.clips):
            clip = self.clip(i)
            for row in rows:
                out = clip.frames if row == "input" else self.magnify(row, clip)
                for k, v in self.score(out, clip, regions).items():
                    sums[row][k] += v
                if row != "input":
                    report(row, i + 1, self.clips)
        scores = {row: {k: v / self.clips for k, v in s.items()} for row, s in sums.items()}
        return BenchResult(
            protocol=self.name,
            kind="table",
            settings=self.settings(),
            scores=scores,
            score_name="MSE (8-bit)",
            higher_is_better=False,
            notes=[
                "MSE on the 8-bit scale at the motion's extremes, mean over clips; mse_<dir> "
                "is over the region the disc moving in that direction sweeps in the truth.",
                f"input: the unmagnified clip, whose noise (σ = {self.noise:g} grey levels) "
                f"alone contributes {self.noise**2:g} to its MSE.",
                "For reference, Singh et al. (2023) report MSE 23-39 for learned methods on "
                "their version of this test.",
            ],
        )
