"""IdealBandpass: exact DFT band-pass, offline only."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vmag.errors import VmagError
from vmag.temporal import IdealBandpass, frequency_response

FPS = 30.0
BAND = (1.0, 2.0)
N = 600  # bins every FPS / N = 0.05 Hz: every test frequency below sits on a bin


def test_gain_is_one_in_band_and_zero_outside() -> None:
    filt = IdealBandpass(BAND, FPS)
    inside = [1.0, 1.25, 1.5, 2.0]  # the edges are kept: lo <= |f| <= hi
    outside = [0.0, 0.5, 0.95, 2.05, 4.0, 10.0, 15.0]
    gain_in = frequency_response(filt, inside, FPS, n_frames=N)
    gain_out = frequency_response(filt, outside, FPS, n_frames=N)
    np.testing.assert_allclose(gain_in, 1.0, atol=0.02)
    assert np.all(gain_out < 0.05)


def test_sinusoid_in_band_passes_exactly_and_rest_is_removed() -> None:
    t = np.arange(N) / FPS
    wanted = 0.3 * np.sin(2 * np.pi * 1.5 * t + 0.4)
    x = (5.0 + wanted + np.cos(2 * np.pi * 6.0 * t)).astype(np.float32)
    y = IdealBandpass(BAND, FPS).apply(x)
    np.testing.assert_allclose(y, wanted, atol=1e-5)


def test_lo_zero_keeps_dc() -> None:
    x = np.full((64, 2, 3), 0.25, np.float32)
    np.testing.assert_allclose(IdealBandpass((0.0, 3.0), FPS).apply(x), x, atol=1e-6)


def test_filters_each_series_of_any_trailing_shape_independently() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, 3, 4, 5)).astype(np.float32)
    filt = IdealBandpass(BAND, FPS)
    y = filt.apply(x)
    assert y.shape == x.shape and y.dtype == np.float32
    np.testing.assert_allclose(y[:, 2, 1, 3], filt.apply(x[:, 2, 1, 3]), atol=1e-5)


def test_torch_in_torch_out_matches_numpy() -> None:
    x = np.random.default_rng(1).standard_normal((N, 2, 3)).astype(np.float32)
    filt = IdealBandpass(BAND, FPS)
    y = filt.apply(torch.from_numpy(x))
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float32 and y.shape == x.shape
    np.testing.assert_allclose(y.numpy(), filt.apply(x), atol=1e-5)


def test_keeps_float64() -> None:
    y = IdealBandpass(BAND, FPS).apply(np.zeros((N, 2)))
    assert y.dtype == np.float64
    assert IdealBandpass(BAND, FPS).apply(torch.zeros(N, 2, dtype=torch.float64)).dtype == (
        torch.float64
    )


def test_min_frames_needs_a_bin_inside_the_band() -> None:
    filt = IdealBandpass((0.8, 1.0), FPS)
    assert filt.min_frames == 150  # ceil(30 / 0.2)
    filt.apply(np.zeros((150, 2), np.float32))
    with pytest.raises(VmagError, match=r"clip length must be >= 150 frames.*got 149"):
        filt.apply(np.zeros((149, 2), np.float32))


def test_cannot_stream() -> None:
    filt = IdealBandpass(BAND, FPS)
    assert not filt.causal
    with pytest.raises(VmagError, match=r"ideal.*whole clip.*butter or iir"):
        filt.stream()


@pytest.mark.parametrize(
    ("band", "fps", "match"),
    [
        ((1.0, 15.0), 30.0, "Nyquist"),
        ((2.0, 1.0), 30.0, "band"),
        ((-1.0, 1.0), 30.0, "band"),
        ((1.0, 2.0), 0.0, "fps"),
    ],
)
def test_bad_parameters(band: tuple[float, float], fps: float, match: str) -> None:
    with pytest.raises(VmagError, match=match):
        IdealBandpass(band, fps)
