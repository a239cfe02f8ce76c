"""Spatial filters shared by every concern: one Gaussian blur (torch) for the methods'
phase smoothing, the losses' SSIM and anything else that blurs an image.

>>> import torch
>>> from vmag.spatial import gaussian_blur
>>> x = torch.zeros(1, 1, 9, 9); x[..., 4, 4] = 1.0
>>> round(float(gaussian_blur(x, 1.0).sum()), 5)  # a normalised kernel keeps the mass
1.0
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

PADDINGS = ("reflect", "replicate")


def gaussian_kernel1d(
    sigma: float, dtype: torch.dtype = torch.float32, device: torch.device | str = "cpu"
) -> torch.Tensor:
    """The normalised 1-D Gaussian of standard deviation ``sigma`` px, radius ceil(3σ) (>= 1)."""
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=torch.float64)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return (k / k.sum()).to(dtype=dtype, device=device)


def gaussian_blur(x: torch.Tensor, sigma: float, padding: str = "reflect") -> torch.Tensor:
    """Separable Gaussian blur of the last two dims of ``x`` (any leading dims), the same
    size out. ``padding`` extends the borders: ``reflect`` (mirror; falls back to
    ``replicate`` on images smaller than the kernel's radius) or ``replicate``. σ <= 0
    returns ``x``."""
    if sigma <= 0:
        return x
    if padding not in PADDINGS:
        raise ValueError(f"padding must be one of {', '.join(PADDINGS)}, got {padding!r}")
    k = gaussian_kernel1d(sigma, x.dtype, x.device)
    r = (len(k) - 1) // 2
    shape = x.shape
    y = x.reshape(-1, 1, *shape[-2:])
    mode = padding if padding == "replicate" or min(shape[-2:]) > r else "replicate"
    y = F.conv2d(F.pad(y, (r, r, 0, 0), mode=mode), k.view(1, 1, 1, -1))
    y = F.conv2d(F.pad(y, (0, 0, r, r), mode=mode), k.view(1, 1, -1, 1))
    return y.reshape(shape)
