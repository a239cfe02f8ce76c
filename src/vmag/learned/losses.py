"""Training losses of the learned networks, as pure functions of (B, C, H, W) tensors.

Images are in [-1, 1] (the networks' range). Every loss is a 0-dim tensor, 0 for identical
inputs, averaged over the batch so that its scale does not depend on the batch size.

:func:`ms_ssim_loss` stands in for the ImageNet-VGG perceptual loss of Singh et al.
(WACV 2023): pretrained VGG weights cannot be downloaded here, and MS-SSIM compares local
means, contrasts and structures over several scales without any learned weights.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from vmag.spatial import gaussian_blur

#: Wang, Simoncelli & Bovik (2003): the relative importance of scales 1 (finest) to 5
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
#: SSIM stabilisers (K1 L)^2, (K2 L)^2 for images in [0, 1]
_C1 = 0.01**2
_C2 = 0.03**2


def l1(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference.

    >>> float(l1(torch.zeros(1, 3, 4, 4), torch.ones(1, 3, 4, 4)))
    1.0
    """
    return (pred - target).abs().mean()


def edge_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L1 between the horizontal and between the vertical finite differences of the images:
    penalises blurred or displaced edges more than :func:`l1` does (Singh et al.'s L_edge).

    >>> x = torch.zeros(1, 3, 8, 8)
    >>> float(edge_loss(x, x))
    0.0
    >>> y = x.clone()
    >>> y[..., 4:] = 1.0  # a vertical step edge: 1 of the 7 horizontal differences per row
    >>> round(float(edge_loss(x, y)), 4)
    0.1429
    """
    dx_p, dx_t = pred.diff(dim=-1), target.diff(dim=-1)
    dy_p, dy_t = pred.diff(dim=-2), target.diff(dim=-2)
    return l1(dx_p, dx_t) + l1(dy_p, dy_t)


def _ssim_terms(x: torch.Tensor, y: torch.Tensor, sigma: float) -> tuple[torch.Tensor, ...]:
    """Per-pixel luminance and contrast-structure terms of SSIM for images in [0, 1]."""
    ch = x.shape[1]
    stats = gaussian_blur(torch.cat([x, y, x * x, y * y, x * y], dim=1), sigma, "replicate")
    mx, my, exx, eyy, exy = stats.split(ch, dim=1)
    vx, vy, cxy = exx - mx * mx, eyy - my * my, exy - mx * my
    lum = (2 * mx * my + _C1) / (mx * mx + my * my + _C1)
    cs = (2 * cxy + _C2) / (vx + vy + _C2)
    return lum, cs


def ms_ssim(
    pred: torch.Tensor,
    target: torch.Tensor,
    *,
    sigma: float = 1.5,
    min_size: int = 8,
) -> torch.Tensor:
    """Multi-scale SSIM (Wang et al. 2003) of images in [-1, 1], per image, shape (B,).

    Scales halve the image by 2x2 averaging while its smaller side stays >= ``min_size``
    (at most 5 scales); the standard weights of the scales used are renormalised to sum to 1,
    so small training crops get a 2- or 3-scale MS-SSIM. Per-scale means are clamped to
    >= 1e-6 before the fractional powers (negative correlation would give NaN).

    >>> x = torch.rand(2, 3, 32, 32) * 2 - 1
    >>> ms_ssim(x, x)
    tensor([1., 1.])
    """
    x, y = (pred + 1) / 2, (target + 1) / 2
    scales = 1
    while scales < len(MS_SSIM_WEIGHTS) and min(x.shape[-2:]) >> scales >= min_size:
        scales += 1
    weights = torch.tensor(MS_SSIM_WEIGHTS[:scales], dtype=x.dtype, device=x.device)
    weights = weights / weights.sum()
    value = torch.ones(x.shape[0], dtype=x.dtype, device=x.device)
    for j in range(scales):
        lum, cs = _ssim_terms(x, y, sigma)
        term = lum * cs if j == scales - 1 else cs
        value = value * term.mean(dim=(1, 2, 3)).clamp(min=1e-6) ** weights[j]
        if j < scales - 1:
            x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
    return value


def ms_ssim_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``1 - MS-SSIM`` averaged over the batch: the weight-free stand-in for a VGG perceptual
    loss (see the module docstring). 0 for identical images, up to ~1 for unrelated ones.

    >>> x = torch.rand(1, 3, 32, 32) * 2 - 1
    >>> float(ms_ssim_loss(x, x))
    0.0
    >>> float(ms_ssim_loss(x, torch.zeros_like(x))) > 0.5
    True
    """
    return 1 - ms_ssim(pred, target).mean()
