"""What the sweep protocols share: the periodic test clip, SSIM on its scored frames, the loop.

A test clip is ``CYCLES`` periods of ``PERIOD`` frames at ``FPS``: frame k shows the
scene with every moving layer at s(k)·δ, s(k) = sin(2π k / PERIOD), so the motion is a
pure tone at ``FREQ`` = FPS / PERIOD = 1 Hz. The pass band ``BAND`` = (FREQ/√2, √2·FREQ)
holds that tone and none of its harmonics 2·FREQ, 3·FREQ, ... (where the rest of a
clip periodic in PERIOD frames lies), and its geometric centre is FREQ, the frequency
the acceleration method tunes its temporal Laplacian-of-Gaussian to.

Why three cycles: the ideal filter needs ``ceil(FPS / band width)`` = 12 frames, and the
acceleration filter (an FIR of 2K + 1 = 13 taps, K = ceil(PERIOD / √2) = 6, with
edge-replicated padding) is exact only on frames at least K from either end. The scored
frames are the motion's two extremes in the middle cycle (k = 10 and 14 of 24), where
|s(k)| = 1: the input motion there is exactly δ and the true output exactly (1 + α)·δ,
and every classical method runs in its exact regime.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from skimage.metrics import structural_similarity

from vmag.bench.protocol import BenchResult, Protocol, TestClip
from vmag.errors import check_count
from vmag.magnifier import ProgressFn
from vmag.temporal import AccelerationFilter

PERIOD = 8  # frames per cycle of the motion
CYCLES = 3  # cycles per clip
FPS = 8.0  # frames per second, so the motion is at 1 Hz
FREQ = FPS / PERIOD
BAND = (FREQ / math.sqrt(2), FREQ * math.sqrt(2))
#: The scored frames: the extremes of the middle cycle, |s(k)| = 1.
SCORED = (PERIOD + PERIOD // 4, PERIOD + 3 * PERIOD // 4)


def clip_settings() -> dict[str, object]:
    """The clip's timing, as protocols record it in their settings."""
    return {
        "frames": PERIOD * CYCLES,
        "fps": FPS,
        "motion": f"s(k) = sin(2π k / {PERIOD}), {CYCLES} cycles ({FREQ:g} Hz)",
        "band_hz": [round(BAND[0], 6), round(BAND[1], 6)],
        "scored_frames": list(SCORED),
        "filter": "ideal for band-pass methods; acceleration keeps its own",
        "ssim": "skimage structural_similarity, 7x7 window, data_range 1, RGB",
    }


def motion_scales() -> np.ndarray:
    """s(k) for the clip's frames, rounded so equal phases give equal scales (0 exactly at 0)."""
    k = np.arange(PERIOD * CYCLES) % PERIOD
    return np.round(np.sin(2 * np.pi * k / PERIOD), 12)


def periodic_clip(render: Callable[[float], np.ndarray], alpha: float) -> TestClip:
    """The test clip of a scene and its truth: frame k = ``render(s(k))``, truth k =
    ``render((1 + alpha) s(k))``. ``render(scale)`` draws the scene with every moving
    layer at ``scale`` times its displacement, (H, W, 3) in [0, 1]; each distinct
    scale is rendered once.

    >>> import numpy as np
    >>> clip = periodic_clip(lambda s: np.full((4, 4, 3), 0.5 + 0.01 * s, np.float32), 9.0)
    >>> clip.frames.shape, clip.scored, round(float(clip.truth[10, 0, 0, 0]), 3)
    ((24, 4, 4, 3), (10, 14), 0.6)
    """
    cache: dict[float, np.ndarray] = {}

    def draw(scale: float) -> np.ndarray:
        if scale not in cache:
            cache[scale] = np.asarray(render(scale), dtype=np.float32)
        return cache[scale]

    scales = motion_scales()
    frames = np.stack([draw(float(s)) for s in scales])
    truth = np.stack([draw(float(s * (1 + alpha))) for s in scales])
    return TestClip(frames, truth, FPS, BAND, float(alpha), SCORED)


def scored_ssim(frames: np.ndarray, clip: TestClip) -> float:
    """Mean SSIM of ``frames`` against ``clip.truth`` over ``clip.scored`` (higher is better).

    >>> import numpy as np
    >>> clip = periodic_clip(lambda s: np.full((8, 8, 3), 0.5, np.float32), 9.0)
    >>> scored_ssim(clip.frames, clip)
    1.0
    """
    return float(
        np.mean(
            [
                structural_similarity(frames[k], clip.truth[k], channel_axis=-1, data_range=1.0)
                for k in clip.scored
            ]
        )
    )


def log_levels(lo: float, hi: float, n: int) -> list[float]:
    """``n`` log-spaced values from ``lo`` to ``hi`` (just ``lo`` when n = 1).

    >>> log_levels(0.1, 10.0, 3)
    [0.1, 1.0, 10.0]
    """
    return [float(v) for v in np.geomspace(lo, hi, n)]


def sweep_scores(
    methods: Sequence[str],
    clips: Iterable[tuple[int, TestClip]],
    n_levels: int,
    total: int,
    magnify: Callable[[str, TestClip], np.ndarray],
    progress: ProgressFn | None = None,
) -> tuple[dict[str, list[float]], list[float]]:
    """Mean SSIM per level of each method's output, and of the input (the baseline).

    ``clips`` yields ``total`` pairs (level index < ``n_levels``, clip); each method
    magnifies each clip (``magnify(method, clip)``, a protocol's :meth:`~Protocol.magnify`).
    ``progress(method, clips done, total)`` follows every method.
    """
    report = progress or (lambda stage, done, total: None)
    sums = {m: np.zeros(n_levels) for m in methods}
    base = np.zeros(n_levels)
    counts = np.zeros(n_levels)
    for done, (level, clip) in enumerate(clips, start=1):
        base[level] += scored_ssim(clip.frames, clip)
        counts[level] += 1
        for m in methods:
            sums[m][level] += scored_ssim(magnify(m, clip), clip)
            report(m, done, total)
    scores = {m: (s / counts).tolist() for m, s in sums.items()}
    return scores, (base / counts).tolist()


def quick_default(value: int | None, full: int, quick: int, is_quick: bool) -> int:
    """``value`` if given, else the full run's or the quick run's default.

    >>> quick_default(None, 100, 2, True), quick_default(5, 100, 2, True)
    (2, 5)
    """
    if value is not None:
        return value
    return quick if is_quick else full


def acceleration_lead(band: tuple[float, float], fps: float) -> int:
    """Frames to leave unscored at either end of a clip magnified offline: the half-width
    of the acceleration filter for ``band`` (tuned, as that method does, to the band's
    geometric centre), within which it repeats the clip's edge frames.

    >>> acceleration_lead((1.0, 4.0), 30.0) > 0
    True
    """
    return AccelerationFilter(math.sqrt(band[0] * band[1]), fps).delay


@dataclass(kw_only=True)
class SweepProtocol(Protocol):
    """A protocol that sweeps one setting over ``levels`` log-spaced values and scores each
    method's mean SSIM against the truth per level, over ``samples`` scenes of ``size`` px
    (full run: 256 px, 100 scenes, :attr:`full_levels` levels; ``quick``: 64 px, 2
    scenes, 3 levels); the unmagnified input is the baseline.

    Subclasses give :attr:`level_name`, :meth:`level_values`, :meth:`_clips` (``(level
    index, clip)`` pairs, ``samples`` per level), :meth:`_settings` (their own settings)
    and :meth:`_note`, and check their own fields after ``super().__post_init__()``.
    """

    kind: ClassVar[str] = "sweep"
    #: levels of a full run
    full_levels: ClassVar[int] = 10
    #: the swept setting, with units (the x axis)
    level_name: ClassVar[str] = ""

    size: int | None = None
    samples: int | None = None
    levels: int | None = None

    def __post_init__(self) -> None:
        self.size = check_count("size", quick_default(self.size, 256, 64, self.quick), least=32)
        self.samples = check_count("samples", quick_default(self.samples, 100, 2, self.quick))
        levels = quick_default(self.levels, self.full_levels, 3, self.quick)
        self.levels = check_count("levels", levels)
        self.seed = check_count("seed", self.seed, least=0)

    @abstractmethod
    def level_values(self) -> list[float]:
        """The swept values, one per level."""

    @abstractmethod
    def _clips(self) -> Iterator[tuple[int, TestClip]]: ...

    @abstractmethod
    def _settings(self) -> dict[str, Any]: ...

    @abstractmethod
    def _note(self) -> str: ...

    def settings(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "quick": self.quick,
            "size": self.size,
            "samples": self.samples,
            "levels": self.levels,
            **self._settings(),
            "scene": "vmag.synth.motion.sample_scene(part='base'), seed [seed, sample]",
            **clip_settings(),
        }

    def run(self, methods: list[str], progress: ProgressFn | None = None) -> BenchResult:
        values = self.level_values()
        assert self.samples is not None  # set by __post_init__
        scores, baseline = sweep_scores(
            methods, self._clips(), len(values), len(values) * self.samples, self.magnify, progress
        )
        return BenchResult(
            protocol=self.name,
            kind=self.kind,
            settings=self.settings(),
            scores=scores,
            levels=values,
            baseline=baseline,
            level_name=self.level_name,
            score_name="SSIM",
            higher_is_better=True,
            notes=[self._note()],
        )
