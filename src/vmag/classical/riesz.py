"""Riesz-pyramid phase magnification (Wadhwa, Rubinstein, Durand, Freeman, ICCP 2014).

A real Laplacian pyramid plus a cheap approximate Riesz transform (R1, R2) per band gives
each pixel a quaternion q = I + i·R1 + j·R2 = A·exp(φ·n), n = i·cosθ + j·sinθ: amplitude
A, local phase φ and orientation θ, at a fraction of a steerable pyramid's cost. The
phase change between consecutive frames is the logarithm of q_t·conj(q_{t-1}); its two
components (Δφ·cosθ, Δφ·sinθ) are accumulated over time (no wrap-around), band-passed,
smoothed with amplitude weights, and each band is phase-shifted by α times the result:

    I' = I·cos(αφ) − sin(αφ)·(φc·R1 + φs·R2)/φ,   φ = |(φc, φs)|.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from vmag.classical._smoothing import amplitude_weighted_blur
from vmag.classical.phase import add_change
from vmag.colorspace import luminance, rgb_to_yiq
from vmag.errors import VmagError
from vmag.magnifier import EulerianMagnifier, option
from vmag.pyramids import collapse_laplacian, laplacian_pyramid, max_levels, riesz_transform
from vmag.pyramids.laplacian import MIN_SIDE
from vmag.registry import register_magnifier

# (the channels decomposed: Y or YIQ, (B, C, H, W); bands; low-pass; Riesz pairs)
Rep = tuple[torch.Tensor, list[torch.Tensor], torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]


def quaternion_phase_step(
    i1: torch.Tensor,
    r1: torch.Tensor,
    s1: torch.Tensor,
    i0: torch.Tensor,
    r0: torch.Tensor,
    s0: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(Δφ·cosθ, Δφ·sinθ) from q0 = (i0, r0, s0) to q1: the vector part of log(q1·conj(q0))."""
    real = i1 * i0 + r1 * r0 + s1 * s0
    vi = r1 * i0 - i1 * r0
    vj = s1 * i0 - i1 * s0
    norm = torch.sqrt(vi * vi + vj * vj)
    scale = torch.atan2(norm, real) / (norm + 1e-12)
    return vi * scale, vj * scale


@register_magnifier
@dataclass(kw_only=True)
class RieszMagnifier(EulerianMagnifier):
    """Phase magnification with a Riesz pyramid (Laplacian pyramid + Riesz transform).

    >>> import numpy as np
    >>> from vmag.registry import create_magnifier
    >>> clip = np.random.default_rng(0).random((24, 64, 64, 3), dtype=np.float32)
    >>> create_magnifier("riesz", alpha=10, band=(1.0, 3.0)).magnify(clip, fps=30).shape
    (24, 64, 64, 3)
    """

    name: ClassVar[str] = "riesz"
    summary: ClassVar[str] = "Riesz-pyramid phase magnification (Wadhwa 2014)"

    levels: int | None = option(None, "pyramid levels (default: as many as the frame allows)")
    sigma: float = option(0.0, "σ (px) of amplitude-weighted smoothing of filtered phase; 0 = off")
    luminance_only: bool = option(True, "magnify luminance only (chrominance passes through)")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.sigma >= 0:
            raise VmagError(f"sigma must be >= 0 px, got {self.sigma!r}")

    def _setup(self, height: int, width: int) -> None:
        most = max_levels(height, width, min_size=MIN_SIDE)
        self._levels = most if self.levels is None else self.levels
        if not 1 <= self._levels <= most:
            raise VmagError(
                f"levels={self._levels} is out of range for a {height}x{width} frame: use 1..{most}"
            )

    def _reset(self) -> None:
        self._previous: list[tuple[torch.Tensor, ...]] | None = None
        self._phase: list[tuple[torch.Tensor, torch.Tensor]] = []

    def _decompose(self, x: torch.Tensor) -> Rep:
        if self.luminance_only:
            y = luminance(x).unsqueeze(1)
        else:
            y = rgb_to_yiq(x.permute(0, 3, 1, 2))
        pyr = laplacian_pyramid(y, self._levels)
        bands = pyr[:-1]
        return y, bands, pyr[-1], [riesz_transform(b) for b in bands]

    def _signals(self, rep: Rep) -> list[torch.Tensor]:
        _, bands, _, riesz = rep
        if self._previous is None:
            self._previous = [(b[0], r[0][0], r[1][0]) for b, r in zip(bands, riesz, strict=True)]
            self._phase = [(torch.zeros_like(b[0]), torch.zeros_like(b[0])) for b in bands]
        out = []
        for k, (b, (r1, r2)) in enumerate(zip(bands, riesz, strict=True)):
            p_i, p_r1, p_r2 = self._previous[k]
            prev = (
                torch.cat([p_i[None], b[:-1]]),
                torch.cat([p_r1[None], r1[:-1]]),
                torch.cat([p_r2[None], r2[:-1]]),
            )
            dc, ds = quaternion_phase_step(b, r1, r2, *prev)
            pc = self._phase[k][0] + torch.cumsum(dc, dim=0)
            ps = self._phase[k][1] + torch.cumsum(ds, dim=0)
            self._previous[k] = (b[-1], r1[-1], r2[-1])
            self._phase[k] = (pc[-1], ps[-1])
            out += [pc, ps]
        return out

    def _synthesise(
        self, x: torch.Tensor, filtered: list[torch.Tensor], rep: Rep | None
    ) -> torch.Tensor:
        y, bands, lowpass, riesz = rep if rep is not None else self._decompose(x)
        shifted = []
        for k, (b, (r1, r2)) in enumerate(zip(bands, riesz, strict=True)):
            amplitude = torch.sqrt(b * b + r1 * r1 + r2 * r2)
            pc = amplitude_weighted_blur(filtered[2 * k], amplitude, self.sigma)
            ps = amplitude_weighted_blur(filtered[2 * k + 1], amplitude, self.sigma)
            phi = torch.sqrt(pc * pc + ps * ps)
            # sin(αφ)/φ written with sinc so φ -> 0 is exact: α·sinc(αφ/π).
            along = self.alpha * torch.sinc(self.alpha * phi / torch.pi)
            shifted.append(b * torch.cos(self.alpha * phi) - along * (pc * r1 + ps * r2))
        return add_change(x, collapse_laplacian([*shifted, lowpass]) - y)
