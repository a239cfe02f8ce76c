"""Riesz-pyramid phase magnification (Wadhwa, Rubinstein, Durand, Freeman, ICCP 2014).

A real Laplacian pyramid plus a cheap approximate Riesz transform (R1, R2) per band gives
each pixel a quaternion q = I + i·R1 + j·R2 = A·exp(φ·n), n = i·cosθ + j·sinθ: amplitude
A, local phase φ and orientation θ, at a fraction of a steerable pyramid's cost. The
phase change between consecutive frames is the logarithm of q_t·conj(q_{t-1}); its two
components (Δφ·cosθ, Δφ·sinθ) are accumulated over time (no wrap-around), band-passed,
smoothed with amplitude weights, and each band is phase-shifted by α times the result
(a stream feeds the increments to the filters instead, which need no running sum):

    I' = I·cos(αφ) − sin(αφ)·(φc·R1 + φs·R2)/φ,   φ = |(φc, φs)|.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor

from vmag.classical._smoothing import amplitude_weighted_blur, large_motion_weight
from vmag.classical.phase import PhaseOptions, add_change, magnified_channels
from vmag.errors import VmagError
from vmag.magnifier import (
    EulerianMagnifier,
    Feed,
    FilterStep,
    check_frames,
    clip_filter,
    to_frames,
    to_tensor,
)
from vmag.options import option
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
    # in place where possible: this runs on every pixel of every band
    real = torch.mul(i1, i0).addcmul_(r1, r0).addcmul_(s1, s0)
    vi = torch.mul(r1, i0).addcmul_(i1, r0, value=-1.0)
    vj = torch.mul(s1, i0).addcmul_(i1, s0, value=-1.0)
    norm = torch.hypot(vi, vj)
    scale = torch.atan2(norm, real, out=real).div_(norm.add_(1e-12))
    return vi.mul_(scale), vj.mul_(scale)


def riesz_shift(
    b: Tensor,
    r1: Tensor,
    r2: Tensor,
    pc: Tensor,
    ps: Tensor,
    alpha: float,
    sigma: float = 0.0,
    attenuate_large: bool = False,
) -> Tensor:
    """Band ``b`` (Riesz pair ``r1``, ``r2``) phase-shifted by ``alpha`` times its
    filtered phase (φc, φs), smoothed with amplitude weights over ``sigma`` px first;
    with ``attenuate_large``, not where that would pass a quarter wavelength."""
    if sigma > 0:
        amplitude = torch.sqrt(b * b + r1 * r1 + r2 * r2)
        pc = amplitude_weighted_blur(pc, amplitude, sigma)
        ps = amplitude_weighted_blur(ps, amplitude, sigma)
    if attenuate_large:
        weight = large_motion_weight(torch.hypot(pc, ps), alpha)
        pc, ps = pc * weight, ps * weight
    angle = torch.hypot(pc, ps).mul_(alpha)  # αφ
    # sin(αφ)/φ written with sinc so φ -> 0 is exact: α·sinc(αφ/π).
    along = torch.sinc(angle / torch.pi).mul_(-alpha)
    along.mul_(torch.mul(pc, r1).addcmul_(ps, r2))
    return along.addcmul_(b, angle.cos_())


def riesz_magnify(
    frames: np.ndarray,
    fps: float,
    *,
    alpha: float,
    band: tuple[float, float],
    filter: str = "butter",
    order: int = 1,
    levels: int | None = None,
    sigma: float = 0.0,
    luminance_only: bool = True,
    attenuate_large: bool = False,
    causal: bool = False,
) -> np.ndarray:
    """Riesz-pyramid phase magnification of a whole clip (T, H, W, 3), as the paper
    states it: each Laplacian band's quaternionic phase change from frame to frame,
    summed over time, band-passed, and each band shifted by ``alpha`` times it.
    ``causal`` filters forward only (as a stream does). The reference the streaming
    :class:`RieszMagnifier` is tested against."""
    x = to_tensor(check_frames(frames))
    filtered = clip_filter(filter, band, fps, order, len(x), causal)
    y = magnified_channels(x, luminance_only)
    most = max_levels(*x.shape[1:3], min_size=MIN_SIDE)
    pyr = laplacian_pyramid(y, most if levels is None else levels)
    for k, b in enumerate(pyr[:-1]):  # the low-pass residual is not magnified
        r1, r2 = riesz_transform(b)
        before = [torch.cat([c[:1], c[:-1]]) for c in (b, r1, r2)]  # each frame's previous
        dc, ds = quaternion_phase_step(b, r1, r2, *before)  # (Δφ cosθ, Δφ sinθ)
        pc, ps = filtered(torch.cumsum(dc, 0)), filtered(torch.cumsum(ds, 0))
        pyr[k] = riesz_shift(b, r1, r2, pc, ps, alpha, sigma, attenuate_large)
    return to_frames(add_change(x, collapse_laplacian(pyr) - y))


@register_magnifier
@dataclass(kw_only=True)
class RieszMagnifier(PhaseOptions, EulerianMagnifier):
    """Phase magnification with a Riesz pyramid (Laplacian pyramid + Riesz transform).

    >>> import numpy as np
    >>> from vmag.registry import create_magnifier
    >>> clip = np.random.default_rng(0).random((24, 64, 64, 3), dtype=np.float32)
    >>> create_magnifier("riesz", alpha=10, band=(1.0, 3.0)).magnify(clip, fps=30).shape
    (24, 64, 64, 3)
    """

    name: ClassVar[str] = "riesz"
    summary: ClassVar[str] = "Riesz-pyramid phase magnification (Wadhwa 2014)"

    levels: int | None = option(
        None, "pyramid levels (default: as many as the frame allows)", low=1
    )

    def _setup(self, height: int, width: int) -> None:
        most = max_levels(height, width, min_size=MIN_SIDE)
        self._levels = most if self.levels is None else self.levels
        if not 1 <= self._levels <= most:
            raise VmagError(
                f"levels={self._levels} is out of range for a {height}x{width} frame: use 1..{most}"
            )

    def _bytes_per_pixel(self) -> float:
        # two phase components per coefficient of a Laplacian pyramid (4/3), and filtered
        return 2 * 4 * (1 if self.luminance_only else 3) * 2 * 4 / 3

    def _reset(self) -> None:
        self._previous: list[tuple[torch.Tensor, ...]] = []  # each band's q at the last frame
        self._phase: list[tuple[torch.Tensor, torch.Tensor]] = []  # (φc, φs) then

    def _channels(self, x: torch.Tensor) -> torch.Tensor:
        return magnified_channels(x, self.luminance_only)

    def _decompose(self, x: torch.Tensor) -> Rep:
        y = self._channels(x)
        pyr = laplacian_pyramid(y, self._levels)
        bands = pyr[:-1]
        return y, bands, pyr[-1], [riesz_transform(b) for b in bands]

    def _band_increments(
        self, k: int, b: torch.Tensor, r1: torch.Tensor, r2: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Band ``k``'s (Δφ·cosθ, Δφ·sinθ) from the frame before, over a block of frames
        (0 at the clip's first frame)."""
        if k == len(self._previous):  # the first frame is the reference
            self._previous.append((b[0], r1[0], r2[0]))
        # each frame's q before it: the previous block's last, then this block's own
        prev = [
            p[None] if len(c) == 1 else torch.cat([p[None], c[:-1]])
            for p, c in zip(self._previous[k], (b, r1, r2), strict=True)
        ]
        self._previous[k] = (b[-1].clone(), r1[-1].clone(), r2[-1].clone())
        return quaternion_phase_step(b, r1, r2, *prev)

    def _signals(self, rep: Rep) -> list[torch.Tensor]:
        _, bands, _, riesz = rep
        out = []
        for k, (b, (r1, r2)) in enumerate(zip(bands, riesz, strict=True)):
            dc, ds = self._band_increments(k, b, r1, r2)
            if k == len(self._phase):
                self._phase.append((torch.zeros_like(b[0]), torch.zeros_like(b[0])))
            pc = self._phase[k][0] + torch.cumsum(dc, dim=0)
            ps = self._phase[k][1] + torch.cumsum(ds, dim=0)
            self._phase[k] = (pc[-1], ps[-1])
            out += [pc, ps]
        return out

    def _shift(self, b: Tensor, r1: Tensor, r2: Tensor, pc: Tensor, ps: Tensor) -> Tensor:
        """Band ``b`` phase-shifted by α times its filtered phase (φc, φs)."""
        return riesz_shift(b, r1, r2, pc, ps, self.alpha, self.sigma, self.attenuate_large)

    def _synthesise(
        self, x: torch.Tensor, filtered: list[torch.Tensor], rep: Rep | None
    ) -> torch.Tensor:
        y, bands, lowpass, riesz = rep if rep is not None else self._decompose(x)
        shifted = [
            self._shift(b, r1, r2, filtered[2 * k], filtered[2 * k + 1])
            for k, (b, (r1, r2)) in enumerate(zip(bands, riesz, strict=True))
        ]
        return add_change(x, collapse_laplacian([*shifted, lowpass]) - y)

    feeds_increments: ClassVar[bool] = True

    def _analyse_block(self, x: torch.Tensor, feed: Feed) -> None:
        pyr = laplacian_pyramid(self._channels(x), self._levels)
        for k in range(len(pyr) - 1):
            dc, ds = self._band_increments(k, pyr[k], *riesz_transform(pyr[k]))
            feed(2 * k, dc)
            feed(2 * k + 1, ds)

    def _magnify_block(self, x: torch.Tensor, step: FilterStep) -> torch.Tensor:
        # Band by band (Riesz pair, phase change, filter, shift), each shifted band taking
        # its input's place; the filters take the phase increments, so no running phase.
        y = self._channels(x)
        pyr = laplacian_pyramid(y, self._levels)
        for k in range(len(pyr) - 1):
            b = pyr[k]
            r1, r2 = riesz_transform(b)
            dc, ds = self._band_increments(k, b, r1, r2)
            pyr[k] = self._shift(b, r1, r2, step(2 * k, dc), step(2 * k + 1, ds))
        return add_change(x, collapse_laplacian(pyr).sub_(y), inplace=True)
