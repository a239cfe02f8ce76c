"""Gaussian / Laplacian pyramids: exact inverse, filter definitions, shapes, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.ndimage import correlate1d

from vmag.errors import VmagError
from vmag.pyramids import (
    blur_down,
    blur_up,
    collapse_laplacian,
    gaussian_pyramid,
    laplacian_pyramid,
    max_levels,
)

BINOMIAL = np.array([1, 4, 6, 4, 1]) / 16


def _mirror_blur(x: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """Separable correlation over the last two axes, whole-sample mirror at the borders."""
    return correlate1d(correlate1d(x, taps, axis=-2, mode="mirror"), taps, axis=-1, mode="mirror")


@pytest.mark.parametrize("size", [(480, 640), (7, 9), (8, 10), (5, 6), (33, 20)])
def test_blur_down_is_binomial_blur_then_even_samples(size):
    x = torch.rand(2, *size, dtype=torch.float64)
    expected = _mirror_blur(x.numpy(), BINOMIAL)[..., ::2, ::2]
    got = blur_down(x)
    assert got.shape == (2, -(-size[0] // 2), -(-size[1] // 2))
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-12)


@pytest.mark.parametrize("size", [(480, 640), (7, 9), (8, 10), (5, 6), (33, 20)])
def test_blur_up_is_zero_insertion_then_binomial_with_gain_4(size):
    coarse = torch.rand(3, -(-size[0] // 2), -(-size[1] // 2), dtype=torch.float64)
    upsampled = np.zeros((3, *size))
    upsampled[:, ::2, ::2] = coarse.numpy()
    expected = _mirror_blur(upsampled, 2 * BINOMIAL)
    np.testing.assert_allclose(blur_up(coarse, size).numpy(), expected, atol=1e-12)


def test_gaussian_levels_of_a_constant_are_the_constant():
    x = torch.full((2, 3, 61, 90), 0.37)
    pyr = gaussian_pyramid(x, max_levels(61, 90))
    assert len(pyr) == max_levels(61, 90) + 1 == 4
    for level in pyr:
        assert torch.allclose(level, torch.full_like(level, 0.37), atol=1e-6)
    assert torch.allclose(blur_up(pyr[1], (61, 90)), x, atol=1e-6)


@pytest.mark.parametrize("size", [(480, 640), (97, 131), (64, 64), (16, 9)])
def test_laplacian_collapse_is_exact(size):
    x = torch.rand(2, 3, *size)
    levels = max_levels(*size)
    pyr = laplacian_pyramid(x, levels)
    assert len(pyr) == levels + 1
    assert pyr[0].shape == x.shape
    assert float((collapse_laplacian(pyr) - x).abs().max()) < 2e-6
    pyr64 = laplacian_pyramid(x.double(), levels)
    assert float((collapse_laplacian(pyr64) - x.double()).abs().max()) < 1e-13


def test_laplacian_bands_of_a_constant_vanish_and_residual_keeps_it():
    pyr = laplacian_pyramid(torch.full((40, 52), 2.5), 2)
    for band in pyr[:-1]:
        assert float(band.abs().max()) < 1e-6
    assert torch.allclose(pyr[-1], torch.full((10, 13), 2.5))


def test_batched_frames_equal_frame_by_frame():
    frames = torch.rand(4, 2, 48, 70)
    batched = laplacian_pyramid(frames, 2)
    for i in range(4):
        single = laplacian_pyramid(frames[i], 2)
        for b, s in zip(batched, single, strict=True):
            assert torch.allclose(b[i], s, atol=1e-6)


def test_max_levels_halves_until_min_size():
    assert max_levels(480, 640) == 6  # coarsest 8 x 10
    assert max_levels(1080, 1920) == 7  # coarsest 9 x 15
    assert max_levels(480, 640, min_size=30) == 4  # coarsest 30 x 40
    assert max_levels(7, 100) == 0


def test_errors_name_the_parameter():
    x = torch.rand(480, 640)
    with pytest.raises(VmagError, match="levels=9 exceeds the maximum 7 for a 480x640 frame"):
        laplacian_pyramid(x, 9)
    with pytest.raises(VmagError, match="levels"):
        gaussian_pyramid(x, -1)
    with pytest.raises(VmagError, match="min_size"):
        max_levels(480, 640, min_size=2)
    with pytest.raises(VmagError, match="height"):
        max_levels(0, 640)
    with pytest.raises(VmagError, match="blur_up"):
        blur_up(torch.rand(10, 10), (30, 20))
    with pytest.raises(VmagError, match="3x3"):
        blur_down(torch.rand(2, 9))
    with pytest.raises(VmagError, match="float"):
        laplacian_pyramid(torch.zeros(32, 32, dtype=torch.uint8), 1)
    with pytest.raises(VmagError, match="pyr"):
        collapse_laplacian([])


@pytest.mark.parametrize("shape", [(2, 37, 50, 3), (1, 8, 9, 1), (3, 480, 640, 3)])
def test_blur_down_of_channels_last_frames_is_blur_down(shape):
    from vmag.pyramids.laplacian import blur_down_rgb

    x = torch.rand(shape)
    want = blur_down(x.permute(0, 3, 1, 2).contiguous()).permute(0, 2, 3, 1)
    assert torch.equal(blur_down_rgb(x), want)
