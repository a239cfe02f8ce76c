"""Spatial decompositions of frames ``[..., H, W]`` in torch, batched over the leading dims.

* :mod:`~vmag.pyramids.laplacian`: Gaussian and Laplacian pyramids (5-tap binomial).
* :mod:`~vmag.pyramids.steerable`: complex steerable pyramid built in the Fourier
  domain, octave or sub-octave, for phase-based magnification.
* :mod:`~vmag.pyramids.riesz`: Riesz pyramid, the Laplacian bands plus their
  approximate Riesz transforms, for fast phase-based magnification.
"""

from vmag.pyramids.laplacian import (
    blur_down,
    blur_up,
    collapse_laplacian,
    gaussian_pyramid,
    laplacian_pyramid,
    max_levels,
)
from vmag.pyramids.riesz import collapse_riesz, local_phase, riesz_pyramid, riesz_transform
from vmag.pyramids.steerable import (
    BANDWIDTHS,
    SteerableCoeffs,
    SteerablePyramid,
    max_scales,
)

__all__ = [
    "BANDWIDTHS",
    "SteerableCoeffs",
    "SteerablePyramid",
    "blur_down",
    "blur_up",
    "collapse_laplacian",
    "collapse_riesz",
    "gaussian_pyramid",
    "laplacian_pyramid",
    "local_phase",
    "max_levels",
    "max_scales",
    "riesz_pyramid",
    "riesz_transform",
]
