"""AccelerationFilter: temporal LoG of Zhang et al. 2017 — blind to linear motion."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from scipy.ndimage import convolve1d

from vmag.errors import VmagError
from vmag.temporal import AccelerationFilter, frequency_response

FPS = 30.0
FREQ = 2.0


def dtft(kernel: np.ndarray, f: np.ndarray, fps: float) -> np.ndarray:
    """Response of a centred kernel at ``f`` Hz (complex; real for a symmetric kernel)."""
    t = np.arange(len(kernel)) - len(kernel) // 2
    return np.exp(-2j * np.pi * np.outer(f, t) / fps) @ kernel


def test_sigma_is_the_papers_and_the_kernel_spans_four_sigma() -> None:
    filt = AccelerationFilter(FREQ, FPS)
    assert filt.sigma == pytest.approx(FPS / (4 * math.sqrt(2) * FREQ))
    half = math.ceil(4 * filt.sigma)
    assert len(filt.kernel) == 2 * half + 1
    assert filt.delay == half and filt.min_frames == 2 * half + 1
    np.testing.assert_array_equal(filt.kernel, filt.kernel[::-1])


def test_gain_is_exactly_one_at_freq_and_zero_at_dc() -> None:
    filt = AccelerationFilter(FREQ, FPS)
    h = dtft(filt.kernel, np.array([FREQ, 0.0]), FPS)
    assert h[0] == pytest.approx(1.0, abs=1e-12)  # +1: no sign flip, no phase shift
    assert abs(h[1]) < 1e-12
    measured = frequency_response(filt, [FREQ, 0.0], FPS)
    assert abs(measured[0] - 1) < 0.01 and measured[1] < 1e-9


def test_response_peaks_at_four_over_pi_freq_with_the_papers_sigma() -> None:
    filt = AccelerationFilter(FREQ, FPS)
    f = np.linspace(0.01, FPS / 2, 3000)
    gain = np.abs(dtft(filt.kernel, f, FPS))
    assert f[np.argmax(gain)] == pytest.approx(4 / math.pi * FREQ, rel=0.02)
    assert gain.max() == pytest.approx(1.1, abs=0.02)


def test_sinusoid_at_freq_passes_unchanged() -> None:
    t = np.arange(300) / FPS
    x = np.sin(2 * np.pi * FREQ * t + 0.3).astype(np.float32)
    y = AccelerationFilter(FREQ, FPS).apply(x)
    np.testing.assert_allclose(y[30:-30], x[30:-30], atol=2e-3)


def test_constant_and_linear_ramp_give_zero() -> None:
    filt = AccelerationFilter(FREQ, FPS)
    k = filt.delay
    t = np.arange(200, dtype=np.float64)
    assert np.abs(filt.apply(np.full((200, 3), 7.5))).max() < 1e-10
    ramp = filt.apply(np.stack([3.0 + 0.5 * t, -2.0 * t], axis=1))
    assert np.abs(ramp[k:-k]).max() < 1e-10  # the edge padding bends the ramp at the ends


def test_ramp_plus_small_vibration_keeps_only_the_vibration() -> None:
    """Acceleration magnification's premise: big linear motion out, small vibration in."""
    filt = AccelerationFilter(FREQ, FPS)
    k = filt.delay
    t = np.arange(400) / FPS
    vibration = 0.01 * np.sin(2 * np.pi * FREQ * t)
    x = (1.0 + 4.0 * t + vibration).astype(np.float32)  # drifts 50 x the vibration per second
    y = filt.apply(x)
    np.testing.assert_allclose(y[k:-k], vibration[k:-k], atol=5e-4)


def test_constant_acceleration_gives_a_constant_output() -> None:
    filt = AccelerationFilter(FREQ, FPS)
    k = filt.delay
    t = np.arange(200, dtype=np.float64)
    y = filt.apply(0.5 * 0.01 * t**2)[k:-k]
    assert abs(y[0]) > 1e-4
    np.testing.assert_allclose(y, y[0], rtol=1e-9)


def test_stream_with_delay_and_flush_equals_apply() -> None:
    filt = AccelerationFilter(FREQ, FPS)
    x = np.random.default_rng(0).standard_normal((100, 2, 3)).astype(np.float32)
    stream = filt.stream()
    assert stream.delay == filt.delay
    out = [stream.step(x[i : i + 8]) for i in range(0, 100, 8)]
    tail = stream.flush()
    assert tail.shape == (filt.delay, 2, 3)
    got = np.concatenate([*out, tail])[filt.delay :]  # drop outputs for times < 0
    np.testing.assert_allclose(got, filt.apply(x), atol=1e-5)


def test_stream_blocks_of_any_size_give_the_same_outputs() -> None:
    filt = AccelerationFilter(FREQ, FPS)
    x = np.random.default_rng(1).standard_normal((150, 5)).astype(np.float32)
    one = filt.stream()
    whole = np.concatenate([one.step(x), one.flush()])
    stream = filt.stream()
    cuts = [0, 1, 3, 40, 41, 120, 150]  # blocks smaller and larger than BLOCK
    parts = [stream.step(x[a:b]) for a, b in itertools.pairwise(cuts)]
    np.testing.assert_allclose(np.concatenate([*parts, stream.flush()]), whole, atol=1e-6)


def test_stream_memory_does_not_grow_with_the_clip() -> None:
    filt = AccelerationFilter(FREQ, FPS)
    stream = filt.stream()
    for _ in range(60):
        stream.step(np.zeros((7, 4), np.float32))
    # 2K rows of history plus room for one block of the caller's size (7 here, < BLOCK)
    assert stream._ring is not None and stream._ring.shape == (2 * filt.delay + 7, 4)


def test_stream_of_a_still_scene_is_zero_from_the_first_frame() -> None:
    y = AccelerationFilter(FREQ, FPS).stream().step(np.full((5, 3, 4), 0.3, np.float32))
    assert np.abs(y).max() < 1e-6


def test_torch_in_torch_out() -> None:
    filt = AccelerationFilter(FREQ, FPS)
    x = torch.randn(60, 3, 2)
    y = filt.apply(x)
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float32 and y.shape == x.shape
    np.testing.assert_allclose(y.numpy(), filt.apply(x.numpy()), rtol=1e-4, atol=1e-5)
    stream = filt.stream()
    assert isinstance(stream.step(x[:3]), torch.Tensor)
    flushed = stream.flush()
    assert isinstance(flushed, torch.Tensor) and flushed.shape == (filt.delay, 3, 2)


@pytest.mark.parametrize(
    ("freq", "fps", "match"),
    [
        (15.0, 30.0, "freq=15 Hz must be below the Nyquist"),
        (0.0, 30.0, "freq"),
        (-1.0, 30.0, "freq"),
        (2.0, 0.0, "fps"),
        (float("inf"), 30.0, "freq"),
    ],
)
def test_bad_parameters(freq: float, fps: float, match: str) -> None:
    with pytest.raises(VmagError, match=match):
        AccelerationFilter(freq, fps)


def test_clip_shorter_than_the_kernel() -> None:
    filt = AccelerationFilter(FREQ, FPS)
    n = filt.min_frames
    with pytest.raises(VmagError, match=rf"clip length must be >= {n} frames.*got {n - 1}"):
        filt.apply(np.zeros((n - 1, 2), np.float32))


def test_apply_is_a_centred_convolution_with_edge_replication() -> None:
    filt = AccelerationFilter(3.0, FPS)
    x = np.random.default_rng(3).standard_normal((80, 2, 5))
    expected = convolve1d(x, filt.kernel, axis=0, mode="nearest")
    np.testing.assert_allclose(filt.apply(x), expected, atol=1e-12)
    np.testing.assert_allclose(filt.apply(x.astype(np.float32)), expected, atol=2e-5)
