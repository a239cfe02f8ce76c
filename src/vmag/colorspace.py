"""YIQ colour space: luminance Y and two chrominance channels I, Q (channel dim -3).

Eulerian methods amplify in YIQ so that chrominance can be attenuated separately
(chromatic attenuation) and phase methods can work on luminance alone.

>>> import torch
>>> x = torch.rand(2, 3, 4, 5)
>>> bool(torch.allclose(yiq_to_rgb(rgb_to_yiq(x)), x, atol=1e-6))
True
"""

from __future__ import annotations

import torch

# NTSC RGB -> YIQ (the matrix of MATLAB's rgb2ntsc, used by the published EVM code).
_RGB_TO_YIQ = torch.tensor(
    [[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]],
    dtype=torch.float64,
)
_YIQ_TO_RGB = torch.linalg.inv(_RGB_TO_YIQ)


def _mix(x: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    m = matrix.to(dtype=x.dtype, device=x.device)
    return torch.einsum("ij,...jhw->...ihw", m, x)


#: Luminance weights: Y = 0.299 R + 0.587 G + 0.114 B.
LUMA = _RGB_TO_YIQ[0].to(torch.float32)


def luminance(x: torch.Tensor) -> torch.Tensor:
    """Y of channels-last RGB (..., H, W, 3) -> (..., H, W).

    A change of Y alone maps back to RGB as the same change in R, G and B (the first
    column of the YIQ -> RGB matrix is (1, 1, 1)), so luminance-only methods add it to
    every channel.
    """
    return x @ LUMA.to(dtype=x.dtype, device=x.device)


def rgb_to_yiq(x: torch.Tensor) -> torch.Tensor:
    """(..., 3, H, W) RGB -> YIQ."""
    return _mix(x, _RGB_TO_YIQ)


def yiq_to_rgb(x: torch.Tensor) -> torch.Tensor:
    """(..., 3, H, W) YIQ -> RGB."""
    return _mix(x, _YIQ_TO_RGB)
