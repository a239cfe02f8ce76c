"""IIRDifference: Wu et al. 2012's difference of two first-order low-passes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from vmag.errors import VmagError
from vmag.temporal import IIRDifference, frequency_response

FPS = 30.0
BAND = (0.5, 2.0)


def analytic_gain(r1: float, r2: float, f: np.ndarray, fps: float) -> np.ndarray:
    """|r1 / (1 - (1 - r1) z^-1) - r2 / (1 - (1 - r2) z^-1)| on z = exp(2 pi i f / fps)."""
    zinv = np.exp(-2j * np.pi * np.asarray(f) / fps)
    return np.abs(r1 / (1 - (1 - r1) * zinv) - r2 / (1 - (1 - r2) * zinv))


def published_recursion(x: np.ndarray, r1: float, r2: float) -> np.ndarray:
    """The method as written: two exponential low-passes started at x[0], differenced."""
    low1 = low2 = x[0]
    out = []
    for sample in x:
        low1 = low1 + r1 * (sample - low1)
        low2 = low2 + r2 * (sample - low2)
        out.append(low1 - low2)
    return np.array(out)


def test_from_band_rates() -> None:
    filt = IIRDifference.from_band(BAND, FPS)
    assert filt.r1 == pytest.approx(1 - math.exp(-2 * math.pi * 2.0 / FPS))
    assert filt.r2 == pytest.approx(1 - math.exp(-2 * math.pi * 0.5 / FPS))


def test_measured_gain_matches_the_analytic_response() -> None:
    filt = IIRDifference.from_band(BAND, FPS)
    freqs = np.array([0.05, 0.5, 1.0, 2.0, 5.0, 14.0])
    measured = frequency_response(filt, freqs, FPS)
    np.testing.assert_allclose(measured, analytic_gain(filt.r1, filt.r2, freqs, FPS), rtol=1e-3)
    assert frequency_response(filt, [0.0], FPS)[0] < 1e-9  # rejects DC


def test_apply_is_the_published_causal_recursion() -> None:
    x = np.random.default_rng(0).standard_normal(300) + 2.0
    filt = IIRDifference(0.4, 0.05)
    np.testing.assert_allclose(filt.apply(x), published_recursion(x, 0.4, 0.05), atol=1e-12)


def test_stream_equals_apply_exactly_in_blocks_of_any_size() -> None:
    filt = IIRDifference.from_band(BAND, FPS)
    x = np.random.default_rng(1).standard_normal((150, 3, 4)).astype(np.float32)
    offline = filt.apply(x)
    stream = filt.stream()
    cuts = [0, 1, 2, 10, 11, 64, 150]
    parts = [stream.step(x[a:b]) for a, b in itertools.pairwise(cuts)]
    np.testing.assert_array_equal(np.concatenate(parts), offline)
    assert stream.flush().shape == (0, 3, 4)


def test_still_scene_gives_zero_from_the_first_frame() -> None:
    x = np.full((30, 3, 6, 6), 0.8, np.float32)
    assert np.abs(IIRDifference.from_band(BAND, FPS).stream().step(x)).max() < 1e-6


def test_r1_one_is_allowed_and_passes_the_input_minus_a_low_pass() -> None:
    x = np.random.default_rng(2).standard_normal(50)
    np.testing.assert_allclose(
        IIRDifference(1.0, 0.2).apply(x), published_recursion(x, 1.0, 0.2), atol=1e-12
    )


def test_torch_in_torch_out() -> None:
    filt = IIRDifference.from_band(BAND, FPS)
    x = torch.randn(40, 2, 5)
    y = filt.apply(x)
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float32 and y.shape == x.shape
    # torch runs the recursion in float32 (see test_recursive), numpy in scipy's float64:
    # agreement to float32 accuracy, not to the last bit
    np.testing.assert_allclose(y.numpy(), filt.apply(x.numpy()), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("r1", "r2"), [(0.2, 0.2), (0.1, 0.3), (0.5, 0.0), (1.5, 0.2), (float("nan"), 0.1), ("a", 0.1)]
)
def test_bad_rates(r1: float, r2: float) -> None:
    with pytest.raises(VmagError, match=r"r1 and r2 must satisfy 0 < r2 < r1 <= 1"):
        IIRDifference(r1, r2)


def test_from_band_needs_a_positive_lo() -> None:
    with pytest.raises(VmagError, match="band LO must be > 0"):
        IIRDifference.from_band((0.0, 2.0), FPS)
    with pytest.raises(VmagError, match="Nyquist"):
        IIRDifference.from_band((1.0, 16.0), FPS)


def test_empty_clip() -> None:
    with pytest.raises(VmagError, match=r"clip length must be >= 1 frames.*got 0"):
        IIRDifference(0.5, 0.1).apply(np.zeros((0, 3), np.float32))
