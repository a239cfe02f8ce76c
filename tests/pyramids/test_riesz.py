"""Riesz pyramid: the 3-tap transform, local phase/orientation of gratings, inverse."""

from __future__ import annotations

import math

import pytest
import torch

from vmag.errors import VmagError
from vmag.pyramids import collapse_riesz, local_phase, riesz_pyramid, riesz_transform
from vmag.pyramids.riesz import _riesz_fourier


def _grating(size: int, wavelength: float, theta: float, shift: float = 0.0) -> torch.Tensor:
    """``cos(w (u - shift))`` with ``u`` the position along direction ``theta``."""
    y, x = torch.meshgrid(
        torch.arange(size, dtype=torch.float64),
        torch.arange(size, dtype=torch.float64),
        indexing="ij",
    )
    u = x * math.cos(theta) + y * math.sin(theta)
    return torch.cos(2 * math.pi / wavelength * (u - shift))


def test_riesz_transform_is_the_papers_finite_difference():
    band = torch.rand(2, 9, 12, dtype=torch.float64)
    r1, r2 = riesz_transform(band, kernel="taps")
    assert r1.shape == r2.shape == band.shape
    assert torch.allclose(r1[..., 1:-1], (band[..., :-2] - band[..., 2:]) / 2)
    assert torch.allclose(r2[..., 1:-1, :], (band[..., :-2, :] - band[..., 2:, :]) / 2)
    # Reflected borders: the difference across the edge sample is zero.
    assert float(r1[..., 0].abs().max()) == 0 and float(r2[..., -1, :].abs().max()) == 0
    # Frequency response -i sin(w_x): cos(w x) maps to sin(w) sin(w x).
    w = 1.1
    grating = torch.cos(w * torch.arange(20.0, dtype=torch.float64)).repeat(5, 1)
    r1, r2 = riesz_transform(grating, kernel="taps")
    assert torch.allclose(
        r1[:, 1:-1], math.sin(w) * torch.sin(w * torch.arange(1.0, 19.0)).double()
    )
    assert float(r2.abs().max()) == 0


def _oblique_grating(h: int, w: int, cycles: tuple[int, int], theta: float):
    ky, kx = cycles
    wy, wx = 2 * math.pi * ky / h, 2 * math.pi * kx / w
    yy, xx = torch.meshgrid(
        torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64), indexing="ij"
    )
    return wx * xx + wy * yy + theta, wx, wy


@pytest.mark.parametrize("theta", [0.0, 0.4, 1.3, 2.5])
@pytest.mark.parametrize("cycles", [(3, 2), (9, 5), (20, 14)])
def test_fourier_riesz_multiplier_is_exact_quadrature(theta, cycles):
    """-i w/|w|: a periodic grating cos(w.p) maps to sin(w.p) w/|w| at every frequency."""
    phase, wx, wy = _oblique_grating(48, 64, cycles, theta)
    r1, r2 = _riesz_fourier(torch.cos(phase), pad=0)
    norm = math.hypot(wx, wy)
    assert torch.allclose(r1, torch.sin(phase) * wx / norm, atol=1e-9)
    assert torch.allclose(r2, torch.sin(phase) * wy / norm, atol=1e-9)


@pytest.mark.parametrize("cycles", [(9, 5), (20, 14), (30, 2)])
def test_fourier_riesz_is_accurate_away_from_the_border(cycles):
    """With the reflected border, only a margin of ~2 wavelengths departs from the exact
    transform; a Laplacian band holds wavelengths of ~2-8 px on its own grid (here 3-10 px)."""
    phase, wx, wy = _oblique_grating(96, 128, cycles, 0.4)
    r1, r2 = riesz_transform(torch.cos(phase))
    norm = math.hypot(wx, wy)
    inner = (slice(20, -20), slice(20, -20))
    assert float((r1 - torch.sin(phase) * wx / norm)[inner].abs().max()) < 0.03
    assert float((r2 - torch.sin(phase) * wy / norm)[inner].abs().max()) < 0.03


def test_local_phase_of_known_triples():
    band = torch.tensor([1.0, -2.0, 0.0, 0.0])
    r1 = torch.tensor([0.0, 0.0, 3.0, 0.0])
    r2 = torch.tensor([0.0, 0.0, 4.0, -1.0])
    amplitude, phase, orientation = local_phase(band, r1, r2)
    assert torch.allclose(amplitude, torch.tensor([1.0, 2.0, 5.0, 1.0]))
    assert torch.allclose(phase, torch.tensor([0.0, math.pi, math.pi / 2, math.pi / 2]))
    assert torch.allclose(orientation[2:], torch.tensor([math.atan2(4, 3), -math.pi / 2]))


@pytest.mark.parametrize("level", [1, 2])
@pytest.mark.parametrize(
    "theta", [0.0, math.pi / 6, math.pi / 4, math.pi / 2, 2.0, 3 * math.pi / 4]
)
def test_grating_orientation_and_phase_shift(level, theta):
    # 5 samples per period on the band's own grid: in the band, near |w| = pi/2 where
    # the 3-tap filters approximate the Riesz transform.
    wavelength = 5.0 * 2**level
    shift = 0.3  # pixels along theta
    frames = torch.stack(
        [_grating(128, wavelength, theta), _grating(128, wavelength, theta, shift)]
    )
    bands, pairs, _ = riesz_pyramid(frames.float(), level + 1, kernel="taps")
    inner = (slice(None), slice(6, -6), slice(6, -6))  # away from the reflected borders
    amplitude, phase, orientation = (t[inner] for t in local_phase(bands[level], *pairs[level]))
    quadrature = amplitude * torch.sin(phase)
    strong = quadrature > 0.3 * amplitude  # orientation is undefined where R1 = R2 = 0

    # Orientation: theta modulo pi. The 3-tap filters' responses (sin w_x, sin w_y) point
    # along w only on the axes and diagonals; elsewhere they lean a few degrees off.
    def off_theta(angle: torch.Tensor) -> torch.Tensor:
        return torch.remainder(angle - theta + math.pi / 2, math.pi) - math.pi / 2

    assert float(off_theta(orientation[strong]).abs().max()) < 0.12
    weights = quadrature.double() ** 2
    dominant = 0.5 * torch.angle((weights * torch.exp(2j * orientation.double())).sum())
    exact = theta in (0.0, math.pi / 4, math.pi / 2, 3 * math.pi / 4)
    assert abs(float(off_theta(dominant))) < (1e-4 if exact else 0.08)

    # Phase: signed along theta, it advances by -w * shift when the grating moves by shift.
    # Per pixel the advance varies (|R| is only about |I|'s quadrature), on average it is exact.
    signed = phase * torch.cos(orientation - theta)
    dphi = torch.remainder(signed[1] - signed[0] + math.pi, 2 * math.pi) - math.pi
    expected = -2 * math.pi / wavelength * shift
    assert abs(float(dphi.mean()) / expected - 1) < 0.01
    assert float((dphi / expected - 1).abs().max()) < 0.5


def test_collapse_from_real_bands_is_exact():
    x = torch.rand(3, 2, 70, 90)
    bands, pairs, lowpass = riesz_pyramid(x, 3)
    assert [b.shape[-2:] for b in bands] == [(70, 90), (35, 45), (18, 23)]
    assert all(r.shape == b.shape for b, pair in zip(bands, pairs, strict=True) for r in pair)
    assert lowpass.shape == (3, 2, 9, 12)
    assert float((collapse_riesz(bands, lowpass) - x).abs().max()) < 2e-6


def test_errors_name_the_parameter():
    with pytest.raises(VmagError, match="levels=7 exceeds the maximum 5"):
        riesz_pyramid(torch.rand(70, 90), 7)
    with pytest.raises(VmagError, match="band"):
        riesz_transform(torch.rand(1, 8))
    with pytest.raises(VmagError, match="band"):
        riesz_transform(torch.zeros(8, 8, dtype=torch.int64))
