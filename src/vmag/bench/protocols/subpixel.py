"""``subpixel``: how small an input motion each method can still magnify into the right picture.

Oh et al., "Learning-based Video Motion Magnification", ECCV 2018, sub-pixel test: the
input motion δ shrinks from 1 px to 0.04 px while α = 10 / δ − 1 keeps the output
motion at 10 px; the score is the SSIM of the output against the scene rendered with
every moving layer at 10 px, at the motion's extremes (see :mod:`._common`). The input
itself (no magnification) is the baseline: a method below it did harm.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from vmag.bench.protocol import BenchResult, Protocol, TestClip, register_protocol
from vmag.bench.protocols._common import (
    check_count,
    clip_settings,
    log_levels,
    periodic_clip,
    quick_default,
    sweep_scores,
)
from vmag.errors import VmagError, check_positive
from vmag.magnifier import ProgressFn
from vmag.synth.motion import sample_scene


@register_protocol
@dataclass(kw_only=True)
class SubpixelProtocol(Protocol):
    """SSIM against the truth vs input motion, the output motion fixed at ``output_motion`` px.

    ``size``, ``samples`` and ``levels`` default to 256 px, 100 scenes per level and 15
    levels (``quick``: 64 px, 2 scenes, 3 levels). Scene j is drawn from the seed
    ``[seed, j]`` at every level, so the levels differ only in the motion. A full run
    of one method magnifies 1500 clips of 24 frames: about 5 CPU-minutes for linear, 16
    for phase and 25 for acceleration (measured on this project's 2-core machine).

    >>> from vmag.bench.protocols.subpixel import SubpixelProtocol
    >>> result = SubpixelProtocol(size=32, samples=1, levels=2).run(["linear"])
    >>> result.levels, len(result.scores["linear"]), len(result.baseline)
    ([0.04, 1.0], 2, 2)
    """

    name: ClassVar[str] = "subpixel"
    kind: ClassVar[str] = "sweep"
    summary: ClassVar[str] = (
        "SSIM vs input motion 0.04-1 px magnified to 10 px (Oh et al. 2018 sub-pixel test)"
    )

    size: int | None = None
    samples: int | None = None
    levels: int | None = None
    min_motion: float = 0.04
    max_motion: float = 1.0
    output_motion: float = 10.0

    def __post_init__(self) -> None:
        self.size = check_count("size", quick_default(self.size, 256, 64, self.quick), least=32)
        self.samples = check_count("samples", quick_default(self.samples, 100, 2, self.quick))
        self.levels = check_count("levels", quick_default(self.levels, 15, 3, self.quick))
        self.seed = check_count("seed", self.seed, least=0)
        lo = check_positive("min_motion", self.min_motion)
        hi = check_positive("max_motion", self.max_motion)
        out = check_positive("output_motion", self.output_motion)
        if not lo <= hi < out:
            raise VmagError(
                f"need min_motion <= max_motion < output_motion, got {lo:g}, {hi:g}, {out:g} px"
            )

    def motions(self) -> list[float]:
        """The input motions δ (px), log-spaced."""
        return log_levels(self.min_motion, self.max_motion, self.levels)

    def settings(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "quick": self.quick,
            "size": self.size,
            "samples": self.samples,
            "levels": self.levels,
            "min_motion_px": self.min_motion,
            "max_motion_px": self.max_motion,
            "output_motion_px": self.output_motion,
            "alpha": "output_motion / input_motion - 1",
            "scene": "vmag.synth.motion.sample_scene(part='base'), seed [seed, sample]",
            **clip_settings(),
        }

    def _clips(self) -> Iterator[tuple[int, TestClip]]:
        for j in range(self.samples):
            for i, delta in enumerate(self.motions()):
                rng = np.random.default_rng([self.seed, j])
                scene = sample_scene(rng, self.size, part="base", motion=delta)
                yield i, periodic_clip(scene.render, self.output_motion / delta - 1)

    def run(self, methods: list[str], progress: ProgressFn | None = None) -> BenchResult:
        motions = self.motions()
        scores, baseline = sweep_scores(
            methods, self._clips(), len(motions), len(motions) * self.samples, progress
        )
        return BenchResult(
            protocol=self.name,
            kind=self.kind,
            settings=self.settings(),
            scores=scores,
            levels=motions,
            baseline=baseline,
            level_name="input motion (px)",
            score_name="SSIM",
            higher_is_better=True,
            notes=[
                f"output motion {self.output_motion:g} px at every level; baseline: the "
                "unmagnified input against the same truth",
            ],
        )
