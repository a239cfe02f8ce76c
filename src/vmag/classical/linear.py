"""Eulerian linear magnification of motion (Wu, Rubinstein, Shih, Guttag, Durand, Freeman 2012).

Each frame is split (in YIQ) into a Laplacian pyramid; each level's pixel values are
band-passed over time, multiplied by a per-level alpha and added back. For a small
motion δ(t) the band-passed signal is ≈ δ(t)·∂I/∂x, so adding α times it moves the
image by (1 + α)·δ(t) — while the first-order approximation holds, i.e. while
(1 + α)·δ < λ/8 for the level's spatial wavelength λ (paper, Eq. 14). Levels whose
representative wavelength falls below the cutoff λc get less amplification.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from vmag.colorspace import luminance, rgb_to_yiq, yiq_to_rgb
from vmag.errors import VmagError
from vmag.magnifier import EulerianMagnifier, check_frames, clip_filter, to_frames, to_tensor
from vmag.options import option
from vmag.pyramids import blur_down, blur_up, collapse_laplacian, laplacian_pyramid, max_levels
from vmag.pyramids.laplacian import MIN_SIDE, blur_down_rgb
from vmag.registry import register_magnifier


def level_alphas(
    alpha: float, lambda_c: float, levels: int, height: int, width: int
) -> list[float]:
    """Amplification per Laplacian level (finest first), bounded by the λc cutoff.

    Follows the scheme of the published EVM code: the coarsest band's representative
    wavelength is a third of the frame diagonal and halves at each finer level; with
    δ = λc / (8 (1 + α)), a level of wavelength λ takes min(α, 2 (λ / (8 δ) − 1)), the 2
    being that code's "exaggeration factor"; the finest band and the low-pass residual
    are not amplified. Negative bounds (λ far below λc) become 0. An attenuation
    (-1 < alpha < 0) cannot over-magnify: every level but the finest takes alpha.

    >>> [round(float(a), 1) for a in level_alphas(10, 16, 5, 240, 320)]
    [0.0, 9.5, 10.0, 10.0, 10.0]
    >>> level_alphas(-0.5, 16, 3, 240, 320)
    [0.0, -0.5, -0.5]
    """
    if alpha < 0:
        return [0.0] + [alpha] * (levels - 1)
    delta = lambda_c / (8 * (1 + alpha))
    wavelength = math.hypot(height, width) / 3 / 2  # the coarsest band-pass level
    out = []
    for level in reversed(range(levels)):
        bound = 2 * (wavelength / (8 * delta) - 1)
        out.append(0.0 if level == 0 else max(0.0, min(alpha, bound)))
        wavelength /= 2
    return out[::-1]


def published_levels(height: int, width: int) -> int:
    """Band-pass levels the EVM code builds: halve while both sides are >= 5 px."""
    levels, h, w = 0, height, width
    while min(h, w) >= 5:
        levels, h, w = levels + 1, h // 2, w // 2
    return levels


def pyramid_levels(height: int, width: int, levels: int | None) -> int:
    """The Laplacian levels used for a (height, width) frame: ``levels``, or by default
    as many as the published code builds; a :class:`VmagError` when out of range."""
    most = max_levels(height, width, min_size=MIN_SIDE)
    chosen = min(most, published_levels(height, width)) if levels is None else levels
    if not 2 <= chosen <= most:
        raise VmagError(
            f"levels={chosen} is out of range for a {height}x{width} frame: use 2..{most}"
        )
    return chosen


def half_resolution_bands(x: torch.Tensor, levels: int, color: bool) -> list[torch.Tensor]:
    """Levels 1.. of the Laplacian pyramid of frames (B, H, W, 3) in YIQ (``color``) or Y
    (B, C, h, w), and its low-pass: the pyramid of the half-resolution Gaussian level, as
    the finest band (level 0) is never amplified. Blurring and colour conversion commute,
    so YIQ is taken at half resolution."""
    if color:
        half = rgb_to_yiq(blur_down(x.permute(0, 3, 1, 2).contiguous()))
    else:
        half = blur_down(luminance(x)).unsqueeze(1)
    return laplacian_pyramid(half, levels - 1)


def add_half_change(x: torch.Tensor, change: torch.Tensor) -> torch.Tensor:
    """Frames (B, H, W, 3) plus a half-resolution change of Y or YIQ (B, C, h, w)."""
    size = tuple(x.shape[1:3])
    if change.shape[1] == 1:
        return x + blur_up(change[:, 0], size).unsqueeze(-1)
    return x + blur_up(yiq_to_rgb(change), size).permute(0, 2, 3, 1)


def linear_magnify(
    frames: np.ndarray,
    fps: float,
    *,
    alpha: float,
    band: tuple[float, float],
    filter: str = "butter",
    order: int = 1,
    levels: int | None = None,
    lambda_c: float = 16.0,
    chrom_atten: float = 0.1,
    causal: bool = False,
) -> np.ndarray:
    """Eulerian linear magnification of a whole clip (T, H, W, 3), as the paper states
    it: each Laplacian level's pixels band-passed over time, multiplied by the level's
    alpha (bounded by the λc cutoff; I and Q also by ``chrom_atten``) and added back.
    ``causal`` filters forward only (as a stream does). The reference the streaming
    :class:`LinearMagnifier` is tested against."""
    x = to_tensor(check_frames(frames))
    filtered = clip_filter(filter, band, fps, order, len(x), causal)
    height, width = x.shape[1:3]
    levels = pyramid_levels(height, width, levels)
    alphas = level_alphas(alpha, lambda_c, levels, height, width)
    color = chrom_atten > 0  # only luminance when chrominance is not amplified at all
    gain = torch.tensor([1.0, chrom_atten, chrom_atten])[: 3 if color else 1].view(1, -1, 1, 1)
    *bands, lowpass = half_resolution_bands(x, levels, color)
    change = [a * gain * filtered(b) if a != 0 else torch.zeros_like(b)
              for b, a in zip(bands, alphas[1:], strict=True)]  # fmt: skip
    change.append(torch.zeros_like(lowpass))  # the low-pass is not amplified
    return to_frames(add_half_change(x, collapse_laplacian(change)))


@register_magnifier
@dataclass(kw_only=True)
class LinearMagnifier(EulerianMagnifier):
    """Eulerian linear motion magnification over a Laplacian pyramid, in YIQ.

    >>> import numpy as np
    >>> from vmag.registry import create_magnifier
    >>> clip = np.random.default_rng(0).random((32, 48, 64, 3), dtype=np.float32)
    >>> m = create_magnifier("linear", alpha=10, band=(1.0, 3.0))
    >>> m.magnify(clip, fps=30).shape
    (32, 48, 64, 3)
    """

    name: ClassVar[str] = "linear"
    summary: ClassVar[str] = "Eulerian linear motion magnification, Laplacian pyramid (Wu 2012)"

    levels: int | None = option(
        None, "Laplacian levels (default: as many as the frame allows)", low=2
    )
    lambda_c: float = option(
        16.0, "spatial cutoff λc in px: bands finer than it get less alpha", low=0, low_open=True
    )
    chrom_atten: float = option(
        0.1, "chromatic attenuation: scales the amplified I and Q", low=0
    )

    def _setup(self, height: int, width: int) -> None:
        self._levels = pyramid_levels(height, width, self.levels)
        self._alphas = level_alphas(self.alpha, self.lambda_c, self._levels, height, width)
        self._size = (height, width)
        # Only luminance when chrominance is not amplified at all.
        self._channels = self._channel_count()
        gain = torch.tensor([1.0, self.chrom_atten, self.chrom_atten])[: self._channels]
        self._gain = gain.view(1, -1, 1, 1)

    def _bytes_per_pixel(self) -> float:
        # the half-resolution frame (1/4) in Y or YIQ, and its filtered copy
        return 2 * 4 * self._channel_count() / 4

    def _channel_count(self) -> int:
        return 3 if self.chrom_atten > 0 else 1

    # Every step is linear, so the temporal filter commutes with the pyramid: filtering
    # the half-resolution frame's pixels and then building the pyramid of the result
    # gives the paper's filtered levels, from fewer series (the levels' 4/3 of the
    # pixels down to 1), and the first pass of a two-pass run needs no pyramid at all.
    def _decompose(self, x: torch.Tensor) -> torch.Tensor:
        if self._channels == 3:  # blurred channels-last, moved to channels-first at 1/4 size
            return rgb_to_yiq(blur_down_rgb(x).permute(0, 3, 1, 2).contiguous())
        return blur_down(luminance(x)).unsqueeze(1)

    def _signals(self, rep: torch.Tensor) -> list[torch.Tensor]:
        return [rep] if any(self._alphas) else []

    def _synthesise(
        self, x: torch.Tensor, filtered: list[torch.Tensor], rep: object
    ) -> torch.Tensor:
        if not filtered:  # λc leaves every level unamplified
            return x.clone()
        *bands, lowpass = laplacian_pyramid(filtered[0], self._levels - 1)
        pyr = [a * self._gain * b if a != 0 else torch.zeros_like(b)
               for b, a in zip(bands, self._alphas[1:], strict=True)]  # fmt: skip
        pyr.append(torch.zeros_like(lowpass))  # the low-pass is not amplified
        return add_half_change(x, collapse_laplacian(pyr))  # the change is at half resolution
