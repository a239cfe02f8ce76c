"""``noise``: how each method copes with sensor noise while magnifying a tiny motion.

Oh et al., "Learning-based Video Motion Magnification", ECCV 2018, noise test: a 0.05 px
motion magnified to 10 px (α = 199) with i.i.d. Gaussian noise (per pixel, channel and
frame) added to the input frames and clipped to [0, 1]. The score is the SSIM of the
output against the noiseless truth at the motion's extremes (see :mod:`._common`); the
noisy input itself is the baseline.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from vmag.bench.protocol import TestClip, register_protocol
from vmag.bench.protocols._common import SweepProtocol, log_levels, periodic_clip
from vmag.errors import VmagError, check_positive
from vmag.synth.motion import sample_scene


def add_noise(frames: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """``frames`` in [0, 1] plus Gaussian noise of standard deviation ``sigma`` 8-bit grey
    levels (``sigma / 255`` in [0, 1] units), i.i.d. per value, clipped to [0, 1].

    >>> import numpy as np
    >>> noisy = add_noise(np.full((2, 64, 64, 3), 0.5, np.float32), 10.0, np.random.default_rng(0))
    >>> round(float(noisy.std() * 255), 1), noisy.dtype
    (10.0, dtype('float32'))
    """
    noise = rng.standard_normal(frames.shape, dtype=np.float32) * np.float32(sigma / 255)
    return np.clip(frames + noise, 0.0, 1.0)


@register_protocol
@dataclass(kw_only=True)
class NoiseProtocol(SweepProtocol):
    """SSIM against the noiseless truth vs input noise σ (8-bit grey levels).

    ``size``, ``samples`` and ``levels`` default to 256 px, 100 scenes per level and 10
    levels of σ from 0.1 to 30 grey levels (``quick``: 64 px, 2 scenes, 3 levels). Scene
    j (seed ``[seed, j]``) is the same at every level; its noise at level i comes from
    the seed ``[seed, j, i, 1]``.

    >>> from vmag.bench.protocols.noise import NoiseProtocol
    >>> result = NoiseProtocol(size=32, samples=1, levels=2).run(["linear"])
    >>> result.levels, len(result.scores["linear"]), len(result.baseline)
    ([0.1, 30.0], 2, 2)
    """

    name: ClassVar[str] = "noise"
    summary: ClassVar[str] = (
        "SSIM vs input noise σ 0.1-30 grey levels, 0.05 px magnified to 10 px (Oh et al. 2018)"
    )
    full_levels: ClassVar[int] = 10
    level_name: ClassVar[str] = "noise σ (8-bit grey levels)"

    min_noise: float = 0.1
    max_noise: float = 30.0
    motion: float = 0.05
    output_motion: float = 10.0

    def __post_init__(self) -> None:
        super().__post_init__()
        lo = check_positive("min_noise", self.min_noise)
        hi = check_positive("max_noise", self.max_noise)
        if lo > hi:
            raise VmagError(f"need min_noise <= max_noise, got {lo:g} and {hi:g} grey levels")
        motion = check_positive("motion", self.motion)
        out = check_positive("output_motion", self.output_motion)
        if motion >= out:
            raise VmagError(f"need motion < output_motion, got {motion:g} and {out:g} px")

    def level_values(self) -> list[float]:
        """The noise standard deviations (8-bit grey levels), log-spaced."""
        return log_levels(self.min_noise, self.max_noise, self.levels)

    def _settings(self) -> dict[str, Any]:
        return {
            "min_noise_grey_levels": self.min_noise,
            "max_noise_grey_levels": self.max_noise,
            "motion_px": self.motion,
            "output_motion_px": self.output_motion,
            "alpha": self.output_motion / self.motion - 1,
            "noise": "i.i.d. Gaussian per pixel, channel and frame, σ/255, input only, clipped",
        }

    def _clips(self) -> Iterator[tuple[int, TestClip]]:
        alpha = self.output_motion / self.motion - 1
        for j in range(self.samples):
            scene = sample_scene(
                np.random.default_rng([self.seed, j]), self.size, part="base", motion=self.motion
            )
            clean = periodic_clip(scene.render, alpha)
            for i, sigma in enumerate(self.level_values()):
                rng = np.random.default_rng([self.seed, j, i, 1])
                yield i, dataclasses.replace(clean, frames=add_noise(clean.frames, sigma, rng))

    def _note(self) -> str:
        return (
            f"input motion {self.motion:g} px magnified to {self.output_motion:g} px; "
            "baseline: the noisy input against the noiseless truth"
        )
