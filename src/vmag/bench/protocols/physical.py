"""``physical``: does the magnified motion follow the true motion's shape over time?

After Singh, Murala and Kosuru (WACV 2023), Table 2: a textured disc on a background
moves along a fixed direction by a known signal — sinusoids of different frequencies
and sub-pixel amplitudes, and a chirp sweeping across the band and back. Each method magnifies
the clip; dense optical flow (OpenCV's Farneback) of every frame against the first,
averaged over a patch inside the disc and projected on the motion's direction,
recovers the displacement over time. The recovered and the true signal are each
rescaled to [0, 1] (min-max) and compared by their mean absolute error: a magnifier
that amplifies faithfully makes the motion measurable, one that distorts it (or leaves
it buried in noise, like the input) does not.

Every signal has whole cycles over the clip (the chirp sweeps up and back down, so it
too is periodic), which keeps the ideal filter exact; the scores cover the frames at
least the acceleration filter's half-width from either end (its edge-replicated padding
distorts the rest), with the flow taken against the scored frame nearest rest (so the
magnified displacements stay within the flow's reach).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from vmag.bench.protocol import BenchResult, Protocol, TestClip, register_protocol
from vmag.bench.protocols._common import acceleration_lead, check_count, quick_default
from vmag.bench.protocols._render import PICTURES, SOURCES, Sprite, add_noise, compose, texture
from vmag.errors import VmagError, check_alpha, check_positive
from vmag.magnifier import ProgressFn

#: The motion signals: (kind, cycles over the clip (chirp: the sweep's rate at the ends and
#: in the middle), amplitude in px).
SIGNALS: dict[str, tuple[str, tuple[float, ...], float]] = {
    "sine_1": ("sine", (3,), 0.3),
    "sine_2": ("sine", (6,), 0.1),
    "sine_3": ("sine", (9,), 0.05),
    "chirp": ("chirp", (3, 9), 0.2),
}
METRICS = ("mae", *(f"mae_{name}" for name in SIGNALS))


def signal(name: str, frames: int) -> np.ndarray:
    """Displacement (px) of signal ``name`` of :data:`SIGNALS` at each of ``frames`` frames.

    Sines have whole cycles over the clip; the chirp's frequency sweeps linearly from its
    first rate to its second at mid-clip and back, (c0 + c1) / 2 whole cycles in all.

    >>> signal("sine_1", 60)[[0, 5]].round(3).tolist()
    [0.0, 0.3]
    """
    kind, cycles, amplitude = SIGNALS[name]
    u = np.arange(frames) / frames  # time as a fraction of the clip
    if kind == "sine":
        return amplitude * np.sin(2 * np.pi * cycles[0] * u)
    c0, c1 = cycles
    # the phase (in cycles) integrates the rate c0 + (c1 - c0)(1 - |2u - 1|)
    sweep = np.where(u < 0.5, u**2, 0.5 - (1 - u) ** 2)
    return amplitude * np.sin(2 * np.pi * (c0 * u + (c1 - c0) * sweep))


def minmax(x: np.ndarray) -> np.ndarray:
    """``x`` rescaled to [0, 1]; a constant series becomes zeros."""
    x = np.asarray(x, dtype=np.float64)
    span = x.max() - x.min()
    return (x - x.min()) / span if span > 0 else np.zeros_like(x)


def flow_displacement(
    frames: np.ndarray,
    patch: tuple[slice, slice],
    direction: tuple[float, float],
    reference: int = 0,
) -> np.ndarray:
    """Displacement (px) of ``patch`` in each frame relative to frame ``reference``, along
    ``direction``.

    Farneback dense flow (OpenCV) from the reference to frame t on luminance (8-bit scale,
    float), averaged over the patch and projected on the unit vector (dy, dx).

    >>> from vmag.synth import noise_texture, translating_clip
    >>> clip = translating_clip(noise_texture(64, 64, seed=1), [0.0, 1.0])
    >>> round(float(flow_displacement(clip, (slice(16, 48), slice(16, 48)), (0.0, 1.0))[1]), 1)
    1.0
    """
    try:
        import cv2
    except ImportError:
        raise VmagError(
            "the physical protocol measures motion with OpenCV's optical flow: "
            "pip install opencv-python-headless"
        ) from None

    luma = np.asarray(frames, dtype=np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    luma *= 255.0
    ref = luma[reference]
    out = np.zeros(len(luma))
    for t in range(len(luma)):
        if t == reference:
            continue
        flow = cv2.calcOpticalFlowFarneback(
            ref,
            luma[t],
            None,
            pyr_scale=0.5,
            levels=3,
            winsize=15,
            iterations=3,
            poly_n=5,
            poly_sigma=1.1,
            flags=0,
        )
        dx, dy = flow[patch].reshape(-1, 2).mean(axis=0)
        out[t] = dy * direction[0] + dx * direction[1]
    return out


@register_protocol
@dataclass(kw_only=True)
class Physical(Protocol):
    """A disc moving by known sinusoids and a chirp; MAE of the motion recovered by flow."""

    name: ClassVar[str] = "physical"
    kind: ClassVar[str] = "table"
    summary: ClassVar[str] = (
        "known sine and chirp motions: MAE of the optical-flow-recovered signal, min-max "
        "scaled (Singh et al. 2023, Table 2)"
    )

    scenes: int | None = None  # backgrounds/objects averaged over; default 4 full, 1 quick
    size: int | None = None  # frame side in px; default 192 full, 96 quick
    frames: int = 60
    fps: float = 30.0
    alpha: float = 20.0
    noise: float = 2.0  # σ of the input's Gaussian noise, in 8-bit grey levels
    direction_deg: float = 30.0  # motion direction, counter-clockwise from +x

    def __post_init__(self) -> None:
        self.scenes = check_count("scenes", quick_default(self.scenes, 4, 1, self.quick))
        self.size = check_count("size", quick_default(self.size, 192, 96, self.quick), least=48)
        self.frames = check_count("frames", self.frames)
        self.seed = check_count("seed", self.seed, least=0)
        check_positive("fps", self.fps)
        self.alpha = check_alpha(self.alpha)
        if not (
            isinstance(self.noise, int | float) and math.isfinite(self.noise) and self.noise >= 0
        ):
            raise VmagError(f"noise must be >= 0 grey levels, got {self.noise!r}")
        if not math.isfinite(self.direction_deg):
            raise VmagError(f"direction_deg must be finite, got {self.direction_deg!r}")
        if self.band[1] >= self.fps / 2:
            raise VmagError(
                f"physical: {self.frames} frames are too few for signals of up to "
                f"{max(c for _, cs, _ in SIGNALS.values() for c in cs)} cycles (Nyquist)"
            )
        if len(self.scored) < 10:
            raise VmagError(
                f"physical: {self.frames} frames leave {len(self.scored)} to score after "
                f"{self.lead} at either end; give more frames"
            )

    @property
    def band(self) -> tuple[float, float]:
        """Pass band (Hz) around the signals: 2/3 of the lowest to 10/9 of the highest frequency."""
        cycles = [c for _, cs, _ in SIGNALS.values() for c in cs]
        unit = self.fps / self.frames
        return min(cycles) * unit * 2 / 3, max(cycles) * unit * 10 / 9

    @property
    def lead(self) -> int:
        """Frames left unscored at either end (see :func:`acceleration_lead`)."""
        return acceleration_lead(self.band, self.fps)

    @property
    def scored(self) -> tuple[int, ...]:
        return tuple(range(self.lead, self.frames - self.lead))

    @property
    def direction(self) -> tuple[float, float]:
        """Unit motion vector (dy, dx); rows grow downwards, so +angle points up-right."""
        a = math.radians(self.direction_deg)
        return -math.sin(a), math.cos(a)

    @property
    def radius(self) -> int:
        """The disc's radius: a quarter of the frame."""
        return self.size // 4

    @property
    def patch(self) -> tuple[slice, slice]:
        """The flow is averaged over this square inside the disc (side = radius)."""
        c, h = self.size // 2, self.radius // 2
        return slice(c - h, c + h), slice(c - h, c + h)

    def clip(self, scene: int, name: str) -> TestClip:
        """Scene ``scene`` (background and disc texture from ``(seed, scene)``) moving by
        signal ``name``; the truth moves (1 + α) times as far, without noise."""
        rng = np.random.default_rng([self.seed, scene])
        n, r = self.size, self.radius
        background = texture(SOURCES[int(rng.integers(len(SOURCES)))], n, rng)
        amplitude = max(a for _, _, a in SIGNALS.values())
        margin = math.ceil((1 + self.alpha) * amplitude) + 4
        tex = texture(str(rng.choice(PICTURES)), 2 * (r + margin) + 1, rng, span=3.0, tries=8)
        disc = Sprite.disc(tex, r, (n // 2, n // 2), margin)
        s = signal(name, self.frames)
        path = np.outer(s, self.direction)  # (T, 2) displacement (dy, dx)
        noise_rng = np.random.default_rng([self.seed, scene, list(SIGNALS).index(name)])
        return TestClip(
            frames=add_noise(compose(background, [disc], [path]), self.noise, noise_rng),
            truth=compose(background, [disc], [(1 + self.alpha) * path]),
            fps=self.fps,
            band=self.band,
            alpha=self.alpha,
            scored=self.scored,
            meta={"signal": name, "displacement": s},
        )

    def mae(self, out: np.ndarray, clip: TestClip) -> float:
        """MAE between the min-max scaled displacement recovered from ``out`` and the true
        one, over the scored frames (flow against the one nearest rest)."""
        idx = list(clip.scored)
        truth = clip.meta["displacement"][idx]
        ref = int(np.argmin(np.abs(truth)))
        recovered = flow_displacement(out[idx], self.patch, self.direction, ref)
        return float(np.mean(np.abs(minmax(recovered) - minmax(truth))))

    def settings(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "quick": self.quick,
            "scenes": self.scenes,
            "size": self.size,
            "frames": self.frames,
            "fps": self.fps,
            "alpha": self.alpha,
            "noise_8bit": self.noise,
            "direction_deg": self.direction_deg,
            "band_hz": list(self.band),
            "scored_frames": [self.scored[0], self.scored[-1]],
            "signals": {
                name: {
                    "kind": kind,
                    "freq_hz": [c * self.fps / self.frames for c in cycles],
                    "amplitude_px": amp,
                }
                for name, (kind, cycles, amp) in SIGNALS.items()
            },
            "chirp_sweep": "linear, from the first frequency to the second at mid-clip and back",
            "disc_radius_px": self.radius,
            "flow": (
                "OpenCV Farneback (levels 3, window 15), each scored frame vs the scored "
                "frame nearest rest, mean over the patch"
            ),
        }

    def run(self, methods: list[str], progress: ProgressFn | None = None) -> BenchResult:
        report = progress or (lambda stage, done, total: None)
        rows = ["input", *methods]
        total = self.scenes * len(SIGNALS)
        sums = {row: dict.fromkeys(SIGNALS, 0.0) for row in [*rows, "truth"]}
        for scene in range(self.scenes):
            for k, name in enumerate(SIGNALS):
                clip = self.clip(scene, name)
                sums["truth"][name] += self.mae(clip.truth, clip)
                for row in rows:
                    out = clip.frames if row == "input" else self.magnify(row, clip)
                    sums[row][name] += self.mae(out, clip)
                    if row != "input":
                        report(row, scene * len(SIGNALS) + k + 1, total)
        scores: dict[str, dict[str, float]] = {}
        for row, per_signal in sums.items():
            means = {f"mae_{k}": v / self.scenes for k, v in per_signal.items()}
            scores[row] = {"mae": float(np.mean(list(means.values()))), **means}
        floor = scores.pop("truth")
        return BenchResult(
            protocol=self.name,
            kind="table",
            settings=self.settings(),
            scores=scores,
            score_name="MAE (min-max scaled)",
            higher_is_better=False,
            notes=[
                "Displacement recovered by optical flow over a patch of the disc, min-max "
                "scaled, against the true signal likewise scaled; mean absolute error over "
                "the scored frames, mean over scenes; mae is the mean over signals.",
                f"The same measurement on the exact magnified truth gives mae "
                f"{floor['mae']:.4f}: the floor the flow itself sets.",
                "input: flow on the unmagnified clip. Magnification adds no information "
                "about the motion: a method beats the input by removing noise outside the "
                "band and lifting the motion above the flow's precision (see the truth's "
                "floor); a method worse than the input distorted the motion's shape.",
            ],
        )
