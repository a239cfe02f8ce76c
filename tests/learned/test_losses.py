"""The training losses: zero for identical images, growing with blur and noise, finite
gradients, and known values on hand-made images."""

from __future__ import annotations

import pytest
import torch

from vmag.learned.losses import edge_loss, l1, ms_ssim, ms_ssim_loss
from vmag.synth import noise_texture


@pytest.fixture(scope="module")
def image() -> torch.Tensor:
    """Two textured images (2, 3, 48, 48) in [-1, 1]."""
    tex = [noise_texture(48, 48, blur=1.0, seed=s) for s in (1, 2)]
    return torch.stack([torch.from_numpy(t).permute(2, 0, 1) for t in tex]) * 2 - 1


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur (circular, matching the periodic textures)."""
    radius = int(3 * sigma) + 1
    t = torch.arange(-radius, radius + 1, dtype=x.dtype)
    g = torch.exp(-(t**2) / (2 * sigma**2))
    g = g / g.sum()
    out = sum(w * torch.roll(x, int(s), dims=-1) for s, w in zip(t, g, strict=True))
    return sum(w * torch.roll(out, int(s), dims=-2) for s, w in zip(t, g, strict=True))


def noisy(x: torch.Tensor, sigma: float) -> torch.Tensor:
    return x + sigma * torch.randn(x.shape, generator=torch.Generator().manual_seed(3))


LOSSES = [l1, edge_loss, ms_ssim_loss]


@pytest.mark.parametrize("loss", LOSSES)
def test_zero_for_identical_images(loss, image):
    assert abs(loss(image, image.clone()).item()) < 1e-6


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("degrade, levels", [(blur, (0.7, 1.5, 3.0)), (noisy, (0.02, 0.1, 0.3))])
def test_grows_with_blur_and_noise(loss, degrade, levels, image):
    values = [loss(degrade(image, s), image).item() for s in levels]
    assert values[0] > 1e-4
    assert values[0] < values[1] < values[2], values


def test_l1_and_edge_values():
    zeros = torch.zeros(1, 3, 8, 8)
    assert l1(zeros + 0.5, zeros).item() == pytest.approx(0.5)
    # a constant offset changes no difference; a step edge changes 1 of 7 differences per row
    assert edge_loss(zeros + 0.5, zeros).item() == 0.0
    step = zeros.clone()
    step[..., 4:] = 2.0
    assert edge_loss(step, zeros).item() == pytest.approx(2.0 / 7)
    assert edge_loss(step.transpose(-1, -2), zeros).item() == pytest.approx(2.0 / 7)


def test_ms_ssim_range_and_structure(image):
    # unrelated textures score far below a mildly degraded copy, and MS-SSIM stays in (0, 1]
    other = image.flip(0)
    assert 0 < ms_ssim(other, image).max() < 0.5
    assert (ms_ssim(noisy(image, 0.05), image) > 0.8).all()
    # contrast matters, a small brightness change much less
    assert ms_ssim_loss(image * 0.5, image) > 5 * ms_ssim_loss(image + 0.02, image)


@pytest.mark.parametrize("size", [8, 17, 48, 128])
def test_ms_ssim_any_size_with_finite_gradients(size):
    target = torch.rand(2, 3, size, size) * 2 - 1
    pred = (target + 0.2 * torch.randn_like(target)).requires_grad_(True)
    loss = ms_ssim_loss(pred, target)
    loss.backward()
    assert 0 < loss.item() < 1
    assert torch.isfinite(pred.grad).all() and pred.grad.abs().max() > 0
