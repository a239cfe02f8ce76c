"""Phase-based video motion magnification (Wadhwa, Rubinstein, Durand, Freeman, SIGGRAPH 2013).

A complex steerable pyramid gives each band's local amplitude A and phase φ; a
translation δ of a structure moves its band's phase by ω·δ. We take each band's phase
relative to the first frame (accumulated from frame-to-frame differences, so it never
wraps around even when the motion over a clip exceeds half a wavelength), band-pass it
over time, smooth it spatially with amplitude weights (σ), and rotate each coefficient
by α times the filtered phase: c·exp(iαφ_f) (of which the reconstruction needs only the
real part). The motion in that band becomes (1 + α)δ,
without the noise amplification of the linear method. Luminance only by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from vmag.classical._smoothing import amplitude_weighted_blur
from vmag.colorspace import luminance, rgb_to_yiq, yiq_to_rgb
from vmag.errors import VmagError, check_choice
from vmag.magnifier import EulerianMagnifier, option
from vmag.pyramids import SteerableCoeffs, SteerablePyramid
from vmag.registry import register_magnifier

BANDWIDTHS = ("octave", "half", "quarter")

# (the channels decomposed: Y or YIQ, (B, C, H, W); their pyramid)
Rep = tuple[torch.Tensor, SteerableCoeffs]


def add_change(x: torch.Tensor, change: torch.Tensor) -> torch.Tensor:
    """Frames (B, H, W, 3) plus a change of Y (B, 1, H, W) or of YIQ (B, 3, H, W)."""
    if change.shape[1] == 1:
        return x + change[:, 0].unsqueeze(-1)  # a change of Y is the same change of R, G, B
    return x + yiq_to_rgb(change).permute(0, 2, 3, 1)


def phase_increments(phase: torch.Tensor, previous: torch.Tensor) -> torch.Tensor:
    """Phase change of each coefficient from the frame before, over time (dim 0), wrapped to
    (-π, π]: ``phase`` is angle(c_t) for a block of frames, ``previous`` the frame before it."""
    step = torch.diff(phase, dim=0, prepend=previous.unsqueeze(0))
    return torch.remainder(step + torch.pi, 2 * torch.pi) - torch.pi


def rotated_real(bands: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """Re(bands · exp(i·angle)) = Re·cos − Im·sin: all the reconstruction uses of a band."""
    out = torch.cos(angle).mul_(bands.real)
    return out.sub_(torch.sin(angle).mul_(bands.imag))


@register_magnifier
@dataclass(kw_only=True)
class PhaseMagnifier(EulerianMagnifier):
    """Phase-based motion magnification with a complex steerable pyramid.

    >>> import numpy as np
    >>> from vmag.registry import create_magnifier
    >>> clip = np.random.default_rng(0).random((24, 64, 64, 3), dtype=np.float32)
    >>> create_magnifier("phase", alpha=10, band=(1.0, 3.0)).magnify(clip, fps=30).shape
    (24, 64, 64, 3)
    """

    name: ClassVar[str] = "phase"
    summary: ClassVar[str] = (
        "phase-based motion magnification, complex steerable pyramid (Wadhwa 2013)"
    )

    levels: int | None = option(None, "pyramid scales (default: as many as the frame allows)")
    orientations: int = option(4, "orientations per scale")
    bandwidth: str = option("octave", "radial bandwidth of the pyramid's bands", BANDWIDTHS)
    sigma: float = option(0.0, "σ (px) of amplitude-weighted smoothing of filtered phase; 0 = off")
    luminance_only: bool = option(True, "magnify luminance only (chrominance passes through)")

    def __post_init__(self) -> None:
        super().__post_init__()
        self.bandwidth = check_choice("bandwidth", self.bandwidth, BANDWIDTHS)
        if not (isinstance(self.orientations, int) and 1 <= self.orientations <= 16):
            raise VmagError(f"orientations must be an integer in 1..16, got {self.orientations!r}")
        if not self.sigma >= 0:
            raise VmagError(f"sigma must be >= 0 px, got {self.sigma!r}")

    def _setup(self, height: int, width: int) -> None:
        self._pyramid = SteerablePyramid(
            height,
            width,
            levels=self.levels,
            orientations=self.orientations,
            bandwidth=self.bandwidth,
        )

    def _reset(self) -> None:
        self._previous: list[torch.Tensor] | None = None
        self._phase: list[torch.Tensor] = []

    def _decompose(self, x: torch.Tensor) -> Rep:
        if self.luminance_only:
            y = luminance(x).unsqueeze(1)
        else:
            y = rgb_to_yiq(x.permute(0, 3, 1, 2))
        return y, self._pyramid.decompose(y)

    def _bands(self, coeffs: SteerableCoeffs) -> list[torch.Tensor]:
        return [band for scale in coeffs.bands for band in scale]

    def _signals(self, rep: Rep) -> list[torch.Tensor]:
        angles = [torch.angle(b) for b in self._bands(rep[1])]
        if self._previous is None:  # the first frame is the reference: phase 0
            self._previous = [a[0] for a in angles]
            self._phase = [torch.zeros_like(a[0]) for a in angles]
        out = []
        for k, a in enumerate(angles):
            phase = self._phase[k] + torch.cumsum(phase_increments(a, self._previous[k]), dim=0)
            self._previous[k], self._phase[k] = a[-1], phase[-1]
            out.append(phase)
        return out

    def _smooth(self, phase: torch.Tensor, band: torch.Tensor) -> torch.Tensor:
        if self.sigma <= 0:
            return phase
        return amplitude_weighted_blur(phase, band.abs(), self.sigma)

    def _synthesise(
        self, x: torch.Tensor, filtered: list[torch.Tensor], rep: Rep | None
    ) -> torch.Tensor:
        y, coeffs = rep if rep is not None else self._decompose(x)
        shifted = iter(
            rotated_real(b, self.alpha * self._smooth(f, b))
            for b, f in zip(self._bands(coeffs), filtered, strict=True)
        )
        bands = [[next(shifted) for _ in scale] for scale in coeffs.bands]
        magnified = SteerableCoeffs(highpass=coeffs.highpass, bands=bands, lowpass=coeffs.lowpass)
        return add_change(x, self._pyramid.reconstruct(magnified) - y)
