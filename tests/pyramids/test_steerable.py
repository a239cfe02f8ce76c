"""Complex steerable pyramid: tight frame, pyrtools agreement, phase of a translated grating."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vmag.errors import VmagError
from vmag.pyramids import SteerableCoeffs, SteerablePyramid, max_scales

pyrtools = pytest.importorskip("pyrtools")


def _texture(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Noise plus a few gratings and an edge: energy in every band."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:height, :width]
    img = rng.random((height, width))
    img += np.cos(0.9 * x + 0.4 * y) + 0.5 * np.sin(0.2 * x - 0.35 * y) + (x > width / 3)
    return img


@pytest.mark.parametrize("bandwidth", ["octave", "half", "quarter"])
@pytest.mark.parametrize("size", [(64, 90), (63, 81), (41, 40)])
@pytest.mark.parametrize("orientations", [2, 4, 6, 8])
def test_reconstruction_is_exact(bandwidth, size, orientations):
    pyr = SteerablePyramid(*size, orientations=orientations, bandwidth=bandwidth)
    x = torch.from_numpy(_texture(*size)).float().expand(2, *size)
    rec = pyr.reconstruct(pyr.decompose(x))
    assert rec.shape == x.shape
    assert float((rec - x).norm() / x.norm()) < 1e-6


@pytest.mark.parametrize("bandwidth", ["octave", "half", "quarter"])
@pytest.mark.parametrize("size", [(64, 90), (63, 81)])
@pytest.mark.parametrize("orientations", [2, 3, 4, 8])
def test_squared_masks_sum_to_one_everywhere(bandwidth, size, orientations):
    energy = SteerablePyramid(*size, orientations=orientations, bandwidth=bandwidth).mask_energy()
    assert energy.shape == size
    assert float((energy - 1).abs().max()) < 1e-6


@pytest.mark.parametrize(
    ("size", "levels", "orientations"), [((96, 128), None, 4), ((80, 64), 2, 6)]
)
def test_bands_agree_with_pyrtools(size, levels, orientations):
    img = _texture(*size, seed=1)
    pyr = SteerablePyramid(*size, levels=levels, orientations=orientations)
    ours = pyr.decompose(torch.from_numpy(img).float())
    ref = pyrtools.pyramids.SteerablePyramidFreq(
        img, height=pyr.levels, order=orientations - 1, twidth=1, is_complex=True
    ).pyr_coeffs

    def agree(mine: torch.Tensor, theirs: np.ndarray) -> float:
        # pyrtools inverts a cropped spectrum with numpy's ifft2, dividing by the crop's
        # size instead of the frame's: its values are ours times (H W) / (h w).
        assert mine.shape == theirs.shape
        scaled = mine.numpy().astype(theirs.dtype) * (img.size / theirs.size)
        return np.linalg.norm(scaled - theirs) / np.linalg.norm(theirs)

    assert agree(ours.highpass, ref["residual_highpass"]) < 1e-3
    assert agree(ours.lowpass, ref["residual_lowpass"]) < 1e-3
    for s, scale in enumerate(ours.bands):
        for k, band in enumerate(scale):
            assert agree(band, ref[(s, k)]) < 1e-3, (s, k)


def test_band_phase_shifts_by_frequency_times_translation():
    height, width = 96, 128
    cycles = np.array([6, 14])  # (rows, cols) over the frame: periodic, |f| = 0.25 Nyquist
    omega = 2 * np.pi * cycles / np.array([height, width])  # rad / pixel along (y, x)
    shift = np.array([-0.45, 0.3])  # sub-pixel translation (y, x)
    y, x = np.mgrid[:height, :width]

    def grating(d: np.ndarray) -> np.ndarray:
        return np.cos(omega[0] * (y - d[0]) + omega[1] * (x - d[1]) + 0.7)

    frames = torch.from_numpy(np.stack([grating(np.zeros(2)), grating(shift)])).float()
    pyr = SteerablePyramid(height, width, orientations=4)
    band_scale = 1  # pass band 1/8 .. 1/2 of Nyquist, peak at 1/4
    expected = -float(omega @ shift)
    angle = math.atan2(omega[0], omega[1])
    checked = 0
    for k, band in enumerate(pyr.decompose(frames).bands[band_scale]):
        amplitude = band[0].abs()
        if float(amplitude.max()) < 0.05:
            continue  # the grating lies outside this orientation's pass band
        # An analytic band keeps the grating's +omega or -omega component.
        side = 1 if math.cos(angle - math.pi * k / 4) > 0 else -1
        dphi = torch.angle(band[1] * band[0].conj())
        assert float(amplitude.min() / amplitude.max()) > 0.999  # a single plane wave
        np.testing.assert_allclose(dphi.numpy(), side * expected, atol=1e-4)
        checked += 1
    assert checked == 3  # orientations 0, 45 and 90 degrees see a 30-degree grating


def test_shapes_levels_and_batching():
    pyr = SteerablePyramid(480, 640)
    assert pyr.levels == pyr.levels_max == max_scales(480, 640) == 6
    half = SteerablePyramid(100, 150, bandwidth="half", orientations=3)
    assert half.levels == 2 * SteerablePyramid(100, 150).levels == 8
    x = torch.rand(2, 3, 100, 150)
    coeffs = half.decompose(x)
    assert coeffs.highpass.shape == x.shape
    assert len(coeffs.bands) == 8 and all(len(scale) == 3 for scale in coeffs.bands)
    assert coeffs.bands[0][0].shape == x.shape and coeffs.bands[0][0].dtype == torch.complex64
    assert coeffs.bands[2][0].shape == (2, 3, 50, 75)  # one octave down: half the size
    assert coeffs.lowpass.shape == (2, 3, 7, 10)
    single = half.decompose(x[1, 2])
    for batched, alone in zip(coeffs.bands[3], single.bands[3], strict=True):
        assert torch.allclose(batched[1, 2], alone, atol=1e-6)
    view = torch.rand(2, 150, 100).transpose(-1, -2)  # non-contiguous frames
    assert float((half.reconstruct(half.decompose(view)) - view).abs().max()) < 1e-5


def test_errors_name_the_parameter():
    with pytest.raises(VmagError, match=r"levels=7 exceeds the maximum 6 for a 480x640"):
        SteerablePyramid(480, 640, levels=7)
    with pytest.raises(VmagError, match="levels"):
        SteerablePyramid(64, 64, levels=0)
    with pytest.raises(VmagError, match="bandwidth"):
        SteerablePyramid(64, 64, bandwidth="third")
    with pytest.raises(VmagError, match="orientations"):
        SteerablePyramid(64, 64, orientations=1)
    with pytest.raises(VmagError, match="orientations"):
        SteerablePyramid(64, 64, orientations=17)
    with pytest.raises(VmagError, match="at least 8x8"):
        SteerablePyramid(7, 64)
    pyr = SteerablePyramid(32, 48, orientations=2)
    with pytest.raises(VmagError, match="built for 32x48"):
        pyr.decompose(torch.rand(48, 32))
    coeffs = pyr.decompose(torch.rand(32, 48))
    coeffs.bands.pop()
    with pytest.raises(VmagError, match="coeffs"):
        pyr.reconstruct(coeffs)


@pytest.mark.parametrize("orientations", [2, 3, 4, 6])
def test_bands_one_at_a_time_match_decompose_and_sum_back(orientations: int) -> None:
    pyr = SteerablePyramid(40, 56, orientations=orientations, bandwidth="half")
    x = torch.rand(2, 40, 56)
    coeffs = pyr.decompose(x)
    total = pyr.band_sum()
    seen = []
    for s, k, band in pyr.bands(x):
        torch.testing.assert_close(band, coeffs.bands[s][k])
        total.add(s, k, band.real)
        seen.append((s, k))
    assert seen == [(s, k) for s in range(pyr.levels) for k in range(orientations)]
    zero = [[torch.zeros_like(b) for b in scale] for scale in coeffs.bands]
    residuals = pyr.reconstruct(SteerableCoeffs(coeffs.highpass, zero, coeffs.lowpass))
    torch.testing.assert_close(total.frames() + residuals, x, atol=1e-5, rtol=0)


def test_empty_band_sum_is_zero_frames() -> None:
    pyr = SteerablePyramid(16, 24, levels=1)
    assert torch.equal(pyr.band_sum((3,)).frames(), torch.zeros(3, 16, 24))
