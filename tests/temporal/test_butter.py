"""ButterBandpass: zero-phase offline (|H|^2), causal sosfilt when streaming (|H|)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from scipy.signal import sosfilt, sosfilt_zi, sosfiltfilt, sosfreqz

from vmag.errors import VmagError
from vmag.temporal import ButterBandpass, frequency_response

FPS = 30.0
BAND = (1.0, 2.0)


def amplitude(y: np.ndarray, f: float, fps: float) -> float:
    """Least-squares amplitude of the sinusoid at ``f`` Hz in the series ``y``."""
    w = 2 * np.pi * f / fps * np.arange(len(y))
    basis = np.stack([np.cos(w), np.sin(w)], axis=1)
    return float(np.hypot(*np.linalg.lstsq(basis, y, rcond=None)[0]))


def test_centre_is_where_the_design_has_unit_gain() -> None:
    filt = ButterBandpass(BAND, FPS, order=2)
    assert BAND[0] < filt.centre < BAND[1]
    _, h = sosfreqz(filt.sos, worN=[filt.centre], fs=FPS)
    assert abs(abs(h[0]) - 1) < 1e-9


@pytest.mark.parametrize("order", [1, 2, 4])
def test_offline_gain_is_one_at_centre_and_h_squared_elsewhere(order: int) -> None:
    filt = ButterBandpass(BAND, FPS, order=order)
    freqs = [filt.centre, 0.2, 1.2, 4 * BAND[1], 12.0]  # 4 x the upper edge is stop band
    measured = frequency_response(filt, freqs, FPS)
    _, h = sosfreqz(filt.sos, worN=freqs, fs=FPS)
    assert abs(measured[0] - 1) < 0.02
    np.testing.assert_allclose(measured, np.abs(h) ** 2, rtol=0.02, atol=1e-5)
    assert measured[3] < 0.01  # order 1 gives 0.0025 at 8 Hz


def test_low_pass_when_lo_is_zero() -> None:
    filt = ButterBandpass((0.0, 2.0), FPS, order=2)
    assert filt.centre == 0.0
    gains = frequency_response(filt, [0.0, 0.5, 8.0], FPS)
    _, h = sosfreqz(filt.sos, worN=[0.0, 0.5, 8.0], fs=FPS)
    np.testing.assert_allclose(gains, np.abs(h) ** 2, rtol=0.02, atol=1e-5)
    assert abs(gains[0] - 1) < 1e-6


def test_offline_is_zero_phase_and_matches_sosfiltfilt() -> None:
    filt = ButterBandpass(BAND, FPS)
    t = np.arange(900) / FPS
    x = np.sin(2 * np.pi * filt.centre * t)
    y = filt.apply(x.astype(np.float32))
    np.testing.assert_allclose(y[300:600], x[300:600], atol=2e-3)  # in phase, unit gain
    noise = np.random.default_rng(0).standard_normal((300, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(
        filt.apply(noise), sosfiltfilt(filt.sos, noise.astype(np.float64), axis=0), atol=1e-5
    )


def test_min_frames_is_sosfiltfilts_limit() -> None:
    for order in (1, 3):
        filt = ButterBandpass(BAND, FPS, order=order)
        n = filt.min_frames
        sosfiltfilt(filt.sos, np.zeros(n))
        with pytest.raises(ValueError):
            sosfiltfilt(filt.sos, np.zeros(n - 1))
        filt.apply(np.zeros((n, 2), np.float32))
        with pytest.raises(VmagError, match=rf"clip length must be >= {n} frames.*got {n - 1}"):
            filt.apply(np.zeros((n - 1, 2), np.float32))


def test_stream_is_scipy_sosfilt_from_the_steady_state_of_the_first_sample() -> None:
    filt = ButterBandpass(BAND, FPS, order=2)
    x = np.random.default_rng(1).standard_normal((200, 2, 3)).astype(np.float32) + 3.0
    zi = sosfilt_zi(filt.sos)[:, :, None, None] * x[0].astype(np.float64)
    expected, _ = sosfilt(filt.sos, x.astype(np.float64), axis=0, zi=zi)
    stream = filt.stream()
    got = np.concatenate([stream.step(x[i : i + 8]) for i in range(0, 200, 8)])
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert stream.delay == 0 and stream.flush().shape == (0, 2, 3)


def test_stream_has_unit_gain_at_centre_after_settling() -> None:
    filt = ButterBandpass(BAND, FPS, order=2)
    x = np.sin(2 * np.pi * filt.centre * np.arange(1200) / FPS).astype(np.float32)
    y = filt.stream().step(x)
    assert abs(amplitude(y[600:], filt.centre, FPS) - 1) < 0.02


def test_stream_of_a_still_scene_is_zero_from_the_first_frame() -> None:
    x = np.full((40, 3, 5, 5), 0.6, np.float32)
    y = ButterBandpass(BAND, FPS, order=3).stream().step(x)
    assert np.abs(y).max() < 1e-6
    low = ButterBandpass((0.0, 2.0), FPS, order=3).stream().step(x)  # gain 1 at DC
    np.testing.assert_allclose(low, x, atol=1e-6)


def test_stream_blocks_of_any_size_give_the_same_outputs() -> None:
    filt = ButterBandpass(BAND, FPS, order=2)
    x = np.random.default_rng(2).standard_normal((120, 4)).astype(np.float32)
    whole = filt.stream().step(x)
    stream = filt.stream()
    cuts = [0, 1, 4, 5, 37, 38, 100, 120]
    parts = [stream.step(x[a:b]) for a, b in itertools.pairwise(cuts)]
    np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_torch_in_torch_out() -> None:
    filt = ButterBandpass(BAND, FPS)
    x = torch.randn(100, 2, 3)
    y = filt.apply(x)
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float32 and y.shape == x.shape
    np.testing.assert_allclose(y.numpy(), filt.apply(x.numpy()), rtol=1e-4, atol=1e-5)
    s = filt.stream().step(x[:4])
    assert isinstance(s, torch.Tensor) and s.shape == (4, 2, 3)


@pytest.mark.parametrize("order", [0, 11, 1.5, True, "2"])
def test_bad_order(order: object) -> None:
    with pytest.raises(VmagError, match=r"order must be an integer in 1\.\.10"):
        ButterBandpass(BAND, FPS, order=order)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("band", "match"), [((1.0, 15.0), "Nyquist"), ((2.0, 2.0), "band"), (("a", 1), "band")]
)
def test_bad_band(band: tuple[float, float], match: str) -> None:
    with pytest.raises(VmagError, match=match):
        ButterBandpass(band, FPS)
