"""``large-motion``: magnify subtle changes on an object that also moves a lot.

In the manner of DeepMag's evaluation (Chen and McDuff 2020): a textured square
translates by tens of pixels and rotates by tens of degrees, periodically, while a
region of it "breathes" (a smooth radial expansion of 0.2 px) and another region
brightens by 0.5 %, at other frequencies. The ground truth magnifies only the subtle
breathing and brightening by (1 + α) and keeps the large motion as it is, so a method
that amplifies the large motion (or the harmonics it puts into the band) strays from it.

Both clips are rendered from the same continuous scene: each output pixel is the mean
of ``supersample``² samples, each mapped back through the rigid motion and then through
the exact inverse of the subtle deformation (fixed-point iteration) into the texture,
which is interpolated with cubic splines. Truth and input differ only in the subtle
signals' amplitude (identical when it is the same).

Every motion has whole cycles over the clip (the ideal filter is exact); the scores
average over the frames at least the acceleration filter's half-width from either end
(its edge-replicated padding distorts the rest).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy import ndimage
from skimage.metrics import structural_similarity

from vmag.bench.protocol import BenchResult, Protocol, TestClip, register_protocol
from vmag.bench.protocols._common import acceleration_lead, check_count, quick_default
from vmag.bench.protocols._render import PICTURES, SOURCES, texture
from vmag.errors import VmagError, check_alpha, check_positive
from vmag.magnifier import ProgressFn

METRICS = ("psnr_truth", "ssim_truth", "psnr_input", "ssim_input")
#: Scale ρ of the breathing and colour regions (Gaussian windows), as a fraction of the side.
REGION = 1 / 6
#: PSNR of identical frames (MSE 0) is reported as this, so every score is finite.
PSNR_CAP = 100.0


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR (dB) of two images in [0, 1], capped at :data:`PSNR_CAP` for identical ones.

    >>> psnr(np.zeros((2, 2)), np.full((2, 2), 0.1))
    20.0
    """
    mse = float(np.mean((np.asarray(a, np.float64) - b) ** 2))
    return min(PSNR_CAP, 10 * math.log10(1 / mse)) if mse > 0 else PSNR_CAP


def clip_scores(out: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    """(PSNR, SSIM) of clip ``out`` against ``ref``, each averaged over frames."""
    p = [psnr(a, b) for a, b in zip(out, ref, strict=True)]
    s = [
        structural_similarity(a, b, data_range=1.0, channel_axis=-1)
        for a, b in zip(out, ref, strict=True)
    ]
    return float(np.mean(p)), float(np.mean(s))


def peak_strain(displacement: float, region: float) -> float:
    """Strain ε of a radial displacement ε·r·exp(−r²/2ρ²) whose largest value, at r = ρ,
    is ``displacement`` px (ρ = ``region``); the deformation is invertible for |ε| < 1.

    >>> round(peak_strain(0.2, 10.0), 4)
    0.033
    """
    return displacement / (region * math.exp(-0.5))


@dataclass(frozen=True)
class Scene:
    """A textured square on a background, with its large and subtle motions.

    Object coordinates are pixels from the square's centre, (y, x). ``subtle`` in
    :meth:`render` scales both subtle signals: 1 gives the input, 1 + α the truth.
    """

    background: np.ndarray  # (size, size, 3)
    coeffs: np.ndarray  # (3, S, S) cubic-spline coefficients of the square's texture
    side: float  # the square's side, px
    fps: float
    frames: int
    large_hz: float
    translation: float  # px, amplitude of the large translation
    rotation: float  # degrees, amplitude of the large rotation
    motion_hz: float
    motion_px: float  # largest displacement of the breathing region, px
    colour_hz: float
    colour: float  # relative brightness change of the colour region
    supersample: int

    @property
    def region(self) -> float:
        """Scale ρ (px) of the breathing and colour regions (Gaussian windows)."""
        return REGION * self.side

    @property
    def breath_centre(self) -> tuple[float, float]:
        return -self.side / 5, -self.side / 5

    @property
    def colour_centre(self) -> tuple[float, float]:
        return self.side / 5, self.side / 5

    def strain(self, subtle: float) -> float:
        """Peak strain ε of the breathing with the subtle signals scaled by ``subtle``."""
        return peak_strain(subtle * self.motion_px, self.region)

    def _undeform(self, u: np.ndarray, eps: float) -> np.ndarray:
        """Points x (2, N) with x + d(x) = u, d(x) = eps·(x − c)·exp(−|x − c|²/2ρ²)."""
        c = np.array(self.breath_centre)[:, None]
        x = u.copy()
        if eps == 0:
            return x
        for _ in range(100):  # a contraction: |∇d| <= |eps| < 1
            r = x - c
            step = u - eps * r * np.exp(-(r * r).sum(0) / (2 * self.region**2)) - x
            x += step
            if np.abs(step).max() < 1e-7:
                break
        return x

    def frame(self, t: int, subtle: float) -> np.ndarray:
        """Frame ``t`` (H, W, 3) float32 with the subtle signals scaled by ``subtle``."""
        size = self.background.shape[0]
        ss = self.supersample
        time = t / self.fps
        wave = math.sin(2 * math.pi * self.large_hz * time)
        theta = math.radians(self.rotation) * wave
        ty = self.translation * wave
        tx = self.translation * math.sin(2 * math.pi * self.large_hz * time + math.pi / 3)
        # sample points (pixel centres of the supersampled grid), from the square's centre
        g = (np.arange(size * ss) + 0.5) / ss - 0.5 - (size - 1) / 2
        py = np.repeat(g - ty, size * ss)  # row-major: y varies slowest
        px = np.tile(g - tx, size * ss)
        cos, sin = math.cos(theta), math.sin(theta)
        u = np.stack([cos * py - sin * px, sin * py + cos * px])  # rotate by −θ
        eps = self.strain(subtle) * math.sin(2 * math.pi * self.motion_hz * time)
        x = self._undeform(u, eps)
        half = self.side / 2
        cover = np.clip(half + 0.5 - np.abs(x).max(axis=0), 0.0, 1.0)
        cc = np.array(self.colour_centre)[:, None]
        window = np.exp(-((x - cc) ** 2).sum(0) / (2 * self.region**2))
        gain = 1 + subtle * self.colour * math.sin(2 * math.pi * self.colour_hz * time) * window
        centre = (self.coeffs.shape[1] - 1) / 2
        colour = np.stack(
            [
                ndimage.map_coordinates(c, x + centre, order=3, prefilter=False, mode="mirror")
                for c in self.coeffs
            ],
            axis=-1,
        )
        layer = np.concatenate([colour * (gain * cover)[:, None], cover[:, None]], axis=1)
        layer = layer.reshape(size, ss, size, ss, 4).mean(axis=(1, 3))  # box filter
        out = self.background * (1 - layer[..., 3:]) + layer[..., :3]
        return out.clip(0.0, 1.0).astype(np.float32)

    def render(self, subtle: float) -> np.ndarray:
        """The clip (T, H, W, 3) with the subtle signals scaled by ``subtle``."""
        return np.stack([self.frame(t, subtle) for t in range(self.frames)])


@register_protocol
@dataclass(kw_only=True)
class LargeMotion(Protocol):
    """Subtle breathing and brightening on a square that moves and turns a lot."""

    name: ClassVar[str] = "large-motion"
    kind: ClassVar[str] = "table"
    summary: ClassVar[str] = (
        "subtle motion and colour on a largely moving object: PSNR/SSIM vs truth that "
        "magnifies only the subtle signals (DeepMag-style)"
    )

    clips: int | None = None  # default 3 full, 1 quick
    size: int | None = None  # frame side in px; default 256 full, 128 quick
    frames: int = 60
    fps: float = 30.0
    alpha: float = 15.0
    large_hz: float = 1.0
    rotation_deg: float = 20.0
    translation_frac: float = 0.12  # large translation amplitude, as a fraction of size
    motion_hz: float = 2.0
    motion_px: float = 0.2
    colour_hz: float = 3.0
    colour: float = 0.005
    supersample: int = 2

    def __post_init__(self) -> None:
        self.clips = check_count("clips", quick_default(self.clips, 3, 1, self.quick))
        self.size = check_count("size", quick_default(self.size, 256, 128, self.quick), least=48)
        self.frames = check_count("frames", self.frames)
        self.supersample = check_count("supersample", self.supersample)
        self.seed = check_count("seed", self.seed, least=0)
        check_positive("fps", self.fps)
        self.alpha = check_alpha(self.alpha)
        for name in ("large_hz", "motion_hz", "colour_hz", "motion_px", "colour"):
            check_positive(name, getattr(self, name))
        for name in ("large_hz", "motion_hz", "colour_hz"):
            cycles = getattr(self, name) * self.frames / self.fps
            if abs(cycles - round(cycles)) > 1e-9:
                raise VmagError(
                    f"large-motion: {name}={getattr(self, name):g} Hz makes {cycles:g} cycles "
                    f"over {self.frames} frames at {self.fps:g} fps; it must be a whole number"
                )
        lo, hi = self.band
        if not lo > self.large_hz or hi >= self.fps / 2:
            raise VmagError(
                f"large-motion: the band {lo:g}-{hi:g} Hz around the subtle signals must lie "
                f"above large_hz={self.large_hz:g} and below Nyquist ({self.fps / 2:g} Hz)"
            )
        if not 0 <= self.translation_frac <= 0.2:
            raise VmagError(
                f"large-motion: translation_frac must be in [0, 0.2] (the square stays in the "
                f"frame), got {self.translation_frac!r}"
            )
        if len(self.scored) < 2:
            raise VmagError(
                f"large-motion: {self.frames} frames leave {len(self.scored)} to score after "
                f"{self.lead} at either end; give more frames"
            )
        # the subtle deformation must stay invertible (a contraction) in the truth
        if peak_strain((1 + self.alpha) * self.motion_px, REGION * self.side) >= 0.9:
            raise VmagError(
                f"large-motion: (1 + alpha) x motion_px = {(1 + self.alpha) * self.motion_px:g} px "
                "is too large a deformation for the breathing region; lower alpha or motion_px"
            )

    @property
    def band(self) -> tuple[float, float]:
        """Pass band (Hz) around the subtle signals: 3/4 of the lower to 7/6 of the higher."""
        return (
            0.75 * min(self.motion_hz, self.colour_hz),
            7 / 6 * max(self.motion_hz, self.colour_hz),
        )

    @property
    def lead(self) -> int:
        """Frames left unscored at either end (see :func:`acceleration_lead`)."""
        return acceleration_lead(self.band, self.fps)

    @property
    def scored(self) -> tuple[int, ...]:
        return tuple(range(self.lead, self.frames - self.lead))

    @property
    def side(self) -> float:
        """The square's side in px: 0.4 of the frame."""
        return 0.4 * self.size

    def scene(self, index: int) -> Scene:
        """Scene ``index``: background and texture drawn from ``(seed, index)``."""
        rng = np.random.default_rng([self.seed, index])
        n = self.size
        tile = math.ceil(self.side * math.sqrt(2)) + 8
        background = texture(SOURCES[int(rng.integers(len(SOURCES)))], n, rng)
        tex = texture(str(rng.choice(PICTURES)), tile, rng, tries=8)
        coeffs = np.stack(
            [
                ndimage.spline_filter(tex[..., c].astype(np.float64), order=3, mode="mirror")
                for c in range(3)
            ]
        )
        return Scene(
            background=background,
            coeffs=coeffs,
            side=self.side,
            fps=self.fps,
            frames=self.frames,
            large_hz=self.large_hz,
            translation=self.translation_frac * n,
            rotation=self.rotation_deg,
            motion_hz=self.motion_hz,
            motion_px=self.motion_px,
            colour_hz=self.colour_hz,
            colour=self.colour,
            supersample=self.supersample,
        )

    def clip(self, index: int) -> TestClip:
        """Clip ``index``: the input and its truth with the subtle signals (1 + α)x."""
        scene = self.scene(index)
        return TestClip(
            frames=scene.render(1.0),
            truth=scene.render(1 + self.alpha),
            fps=self.fps,
            band=self.band,
            alpha=self.alpha,
            scored=self.scored,
        )

    def settings(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "quick": self.quick,
            "clips": self.clips,
            "size": self.size,
            "frames": self.frames,
            "fps": self.fps,
            "alpha": self.alpha,
            "band_hz": list(self.band),
            "scored_frames": [self.scored[0], self.scored[-1]],
            "large_hz": self.large_hz,
            "rotation_deg": self.rotation_deg,
            "translation_px": self.translation_frac * self.size,
            "square_side_px": self.side,
            "motion_hz": self.motion_hz,
            "motion_px": self.motion_px,
            "colour_hz": self.colour_hz,
            "colour_change": self.colour,
            "supersample": self.supersample,
            "psnr_cap_db": PSNR_CAP,
        }

    def run(self, methods: list[str], progress: ProgressFn | None = None) -> BenchResult:
        report = progress or (lambda stage, done, total: None)
        rows = ["input", *methods]
        sums = {row: dict.fromkeys(METRICS, 0.0) for row in rows}
        truth_vs_input = np.zeros(2)
        for i in range(self.clips):
            clip = self.clip(i)
            idx = list(clip.scored)
            truth_vs_input += clip_scores(clip.truth[idx], clip.frames[idx])
            for row in rows:
                out = clip.frames if row == "input" else self.magnify(row, clip)
                out = out[idx]
                scores = (
                    *clip_scores(out, clip.truth[idx]),
                    *clip_scores(out, clip.frames[idx]),
                )
                for k, v in zip(METRICS, scores, strict=True):
                    sums[row][k] += v
                if row != "input":
                    report(row, i + 1, self.clips)
        return BenchResult(
            protocol=self.name,
            kind="table",
            settings=self.settings(),
            scores={row: {k: v / self.clips for k, v in s.items()} for row, s in sums.items()},
            score_name="PSNR (dB) / SSIM",
            higher_is_better=True,
            notes=[
                "Mean over the scored frames and clips. *_truth: against the truth, which "
                "magnifies only the subtle breathing and brightening (higher is better).",
                "*_input: against the unmagnified input, i.e. how far a method strays from it "
                "(the truth itself scores psnr_input "
                f"{truth_vs_input[0] / self.clips:.1f} dB, ssim_input "
                f"{truth_vs_input[1] / self.clips:.3f}; much lower values mean the large motion "
                "was magnified or smeared). The input's own *_input scores compare identical "
                f"frames (PSNR capped at {PSNR_CAP:g} dB).",
            ],
        )
