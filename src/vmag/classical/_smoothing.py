"""Amplitude-weighted spatial smoothing of filtered phase (Wadhwa et al. 2013, Sec. 3).

Phase is unreliable where a band's amplitude is small (noise); weighting a Gaussian
blur by the amplitude lets strong, reliable phase fill in weak regions.
"""

from __future__ import annotations

import torch

from vmag.spatial import gaussian_blur


def amplitude_weighted_blur(
    phase: torch.Tensor, amplitude: torch.Tensor, sigma: float
) -> torch.Tensor:
    """blur(A * phase) / blur(A): a phase field smoothed where it is reliable."""
    if sigma <= 0:
        return phase
    num = gaussian_blur(phase * amplitude, sigma)
    den = gaussian_blur(amplitude, sigma)
    return num / (den + 1e-8)
