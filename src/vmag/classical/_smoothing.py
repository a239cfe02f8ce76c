"""Amplitude-weighted spatial smoothing of filtered phase (Wadhwa et al. 2013, Sec. 3).

Phase is unreliable where a band's amplitude is small (noise); weighting a Gaussian
blur by the amplitude lets strong, reliable phase fill in weak regions.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def gaussian_kernel1d(sigma: float, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Normalised 1-D Gaussian, radius ceil(3 sigma)."""
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=torch.float64)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return (k / k.sum()).to(dtype)


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of the last two dims of ``x`` (reflect padding)."""
    if sigma <= 0:
        return x
    k = gaussian_kernel1d(sigma, x.dtype).to(x.device)
    r = (len(k) - 1) // 2
    shape = x.shape
    y = x.reshape(-1, 1, *shape[-2:])
    mode = "reflect" if min(shape[-2:]) > r else "replicate"
    y = F.conv2d(F.pad(y, (r, r, 0, 0), mode=mode), k.view(1, 1, 1, -1))
    y = F.conv2d(F.pad(y, (0, 0, r, r), mode=mode), k.view(1, 1, -1, 1))
    return y.reshape(shape)


def amplitude_weighted_blur(
    phase: torch.Tensor, amplitude: torch.Tensor, sigma: float
) -> torch.Tensor:
    """blur(A * phase) / blur(A): a phase field smoothed where it is reliable."""
    if sigma <= 0:
        return phase
    num = gaussian_blur(phase * amplitude, sigma)
    den = gaussian_blur(amplitude, sigma)
    return num / (den + 1e-8)
