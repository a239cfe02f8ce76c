"""Amplitude-weighted spatial smoothing of filtered phase (Wadhwa et al. 2013, Sec. 3).

Phase is unreliable where a band's amplitude is small (noise); weighting a Gaussian
blur by the amplitude lets strong, reliable phase fill in weak regions.
"""

from __future__ import annotations

import torch

from vmag.spatial import gaussian_blur


def large_motion_weight(phase: torch.Tensor, alpha: float) -> torch.Tensor:
    """1 where the magnified phase shift ``|alpha phase|`` stays within π/2 (a quarter of
    the band's wavelength, where magnification holds), falling linearly to 0 at π: large
    motions are left unmagnified instead of breaking up (Wadhwa et al. 2013, Sec. 5).

    >>> large_motion_weight(torch.tensor([0.1, 0.2, 0.3, 0.5]), alpha=10.0)
    tensor([1.0000, 0.7268, 0.0901, 0.0000])
    """
    limit = torch.pi / (2 * abs(alpha))
    return ((2 * limit - phase.abs()) / limit).clamp_(0.0, 1.0)


def amplitude_weighted_blur(
    phase: torch.Tensor, amplitude: torch.Tensor, sigma: float
) -> torch.Tensor:
    """blur(A * phase) / blur(A): a phase field smoothed where it is reliable."""
    if sigma <= 0:
        return phase
    num = gaussian_blur(phase * amplitude, sigma)
    den = gaussian_blur(amplitude, sigma)
    return num / (den + 1e-8)
