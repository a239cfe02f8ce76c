"""Eulerian colour magnification (Wu et al. 2012): amplify a subtle colour change such as pulse.

Frames go to YIQ and are blurred and downsampled to one Gaussian pyramid level (spatial
pooling raises the signal-to-noise ratio of a faint colour change); that level is
band-passed over time, amplified by α (I and Q scaled by the chromatic attenuation),
resized back to full resolution and added to the frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F

from vmag.colorspace import rgb_to_yiq, yiq_to_rgb
from vmag.errors import VmagError
from vmag.magnifier import EulerianMagnifier, check_frames, clip_filter, to_frames, to_tensor
from vmag.options import option
from vmag.pyramids import blur_down, max_levels
from vmag.pyramids.laplacian import MIN_SIDE
from vmag.registry import register_magnifier


def gaussian_level(x: torch.Tensor, levels: int) -> torch.Tensor:
    """Frames (B, H, W, 3) blurred and downsampled ``levels`` times, in YIQ (B, 3, h, w).
    Blurring and colour conversion commute: the conversion runs at the low resolution."""
    y = x.permute(0, 3, 1, 2)
    for _ in range(levels):
        y = blur_down(y if y.is_contiguous() else y.contiguous())
    return rgb_to_yiq(y)


def color_magnify(
    frames: np.ndarray,
    fps: float,
    *,
    alpha: float = 50.0,
    band: tuple[float, float] = (0.8, 2.0),
    filter: str = "butter",
    order: int = 1,
    levels: int = 4,
    chrom_atten: float = 1.0,
    causal: bool = False,
) -> np.ndarray:
    """Eulerian colour magnification of a whole clip (T, H, W, 3), as the paper states
    it: a Gaussian level in YIQ band-passed over time, amplified by ``alpha`` (I and Q
    also by ``chrom_atten``), resized back and added to the frames. ``causal`` filters
    forward only (as a stream does). The reference :class:`ColorMagnifier` is tested
    against."""
    x = to_tensor(check_frames(frames))
    filtered = clip_filter(filter, band, fps, order, len(x), causal)
    height, width = x.shape[1:3]
    low = gaussian_level(x, check_color_levels(height, width, levels))
    gain = alpha * torch.tensor([1.0, chrom_atten, chrom_atten]).view(1, 3, 1, 1)
    change = yiq_to_rgb(filtered(low) * gain)
    if levels:  # bicubic resizing back, as two small matrices
        rows, cols = resize_matrix(low.shape[-2], height), resize_matrix(low.shape[-1], width)
        change = rows @ change @ cols.T
    return to_frames(x + change.permute(0, 2, 3, 1))


def check_color_levels(height: int, width: int, levels: int) -> int:
    """``levels`` if a (height, width) frame has that many Gaussian levels, else an error."""
    most = max_levels(height, width, min_size=MIN_SIDE)
    if levels > most:
        raise VmagError(
            f"levels={levels!r} is out of range for a {height}x{width} frame: use 0..{most}"
        )
    return levels


@register_magnifier
@dataclass(kw_only=True)
class ColorMagnifier(EulerianMagnifier):
    """Colour magnification of a downsampled Gaussian level, in YIQ.

    >>> import numpy as np
    >>> from vmag.registry import create_magnifier
    >>> clip = np.full((40, 64, 64, 3), 0.5, dtype=np.float32)
    >>> out = create_magnifier("color", alpha=50, band=(0.8, 2.0)).magnify(clip, fps=30)
    >>> float(abs(out - clip).max()) < 1e-5  # a still, uniform clip has nothing to amplify
    True
    """

    name: ClassVar[str] = "color"
    summary: ClassVar[str] = "Eulerian colour magnification of a Gaussian level (Wu 2012)"

    alpha: float = option(
        50.0,
        "output change = (1 + alpha) x input change; -1 <= alpha < 0 attenuates",
        low=-1,
    )
    band: tuple[float, float] = option((0.8, 2.0), "temporal pass band LO HI in Hz", low=0)
    levels: int = option(4, "Gaussian level filtered (4 = the frame downsampled 4 times)", low=0)
    chrom_atten: float = option(1.0, "chromatic attenuation: scales the amplified I and Q", low=0)

    def _setup(self, height: int, width: int) -> None:
        check_color_levels(height, width, self.levels)
        h, w = height, width
        for _ in range(self.levels):
            h, w = (h + 1) // 2, (w + 1) // 2
        # Bicubic resizing is separable: as two small matrices it costs a fraction of
        # F.interpolate on the full frame (same numbers).
        self._rows = resize_matrix(h, height)
        self._cols = resize_matrix(w, width)
        self._gain = self.alpha * torch.tensor([1.0, self.chrom_atten, self.chrom_atten])

    def _decompose(self, x: torch.Tensor) -> torch.Tensor:
        return gaussian_level(x, self.levels)

    def _signals(self, rep: torch.Tensor) -> list[torch.Tensor]:
        return [rep]

    def _synthesise(
        self, x: torch.Tensor, filtered: list[torch.Tensor], rep: object
    ) -> torch.Tensor:
        change = yiq_to_rgb(filtered[0] * self._gain.view(1, 3, 1, 1))
        if self.levels:
            change = self._rows @ change @ self._cols.T
        return x + change.permute(0, 2, 3, 1)


def resize_matrix(n_in: int, n_out: int) -> torch.Tensor:
    """(n_out, n_in) matrix R with R @ v == bicubic resize of v (align_corners=False)."""
    eye = torch.eye(n_in).view(1, 1, n_in, n_in)
    return F.interpolate(eye, size=(n_out, n_in), mode="bicubic", align_corners=False)[0, 0]
