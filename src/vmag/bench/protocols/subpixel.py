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

from vmag.bench.protocol import TestClip, register_protocol
from vmag.bench.protocols._common import SweepProtocol, log_levels, periodic_clip
from vmag.errors import VmagError, check_positive
from vmag.synth.motion import sample_scene


@register_protocol
@dataclass(kw_only=True)
class SubpixelProtocol(SweepProtocol):
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
    summary: ClassVar[str] = (
        "SSIM vs input motion 0.04-1 px magnified to 10 px (Oh et al. 2018 sub-pixel test)"
    )
    full_levels: ClassVar[int] = 15
    level_name: ClassVar[str] = "input motion (px)"

    min_motion: float = 0.04
    max_motion: float = 1.0
    output_motion: float = 10.0

    def __post_init__(self) -> None:
        super().__post_init__()
        lo = check_positive("min_motion", self.min_motion)
        hi = check_positive("max_motion", self.max_motion)
        out = check_positive("output_motion", self.output_motion)
        if not lo <= hi < out:
            raise VmagError(
                f"need min_motion <= max_motion < output_motion, got {lo:g}, {hi:g}, {out:g} px"
            )

    def level_values(self) -> list[float]:
        """The input motions δ (px), log-spaced."""
        return log_levels(self.min_motion, self.max_motion, self.levels)

    def _settings(self) -> dict[str, Any]:
        return {
            "min_motion_px": self.min_motion,
            "max_motion_px": self.max_motion,
            "output_motion_px": self.output_motion,
            "alpha": "output_motion / input_motion - 1",
        }

    def _clips(self) -> Iterator[tuple[int, TestClip]]:
        for j in range(self.samples):
            for i, delta in enumerate(self.level_values()):
                rng = np.random.default_rng([self.seed, j])
                scene = sample_scene(rng, self.size, part="base", motion=delta)
                yield i, periodic_clip(scene.render, self.output_motion / delta - 1)

    def _note(self) -> str:
        return (
            f"output motion {self.output_motion:g} px at every level; baseline: the "
            "unmagnified input against the same truth"
        )
