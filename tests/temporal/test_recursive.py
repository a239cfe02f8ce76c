"""The torch recursion of second-order sections against scipy's float64 sosfilt/sosfiltfilt.

Tolerances are relative to the output's amplitude. A survey (orders 1, 2, 4; pixel
values and phases drifting to +-50 rad; 3000 and 10000 frames) found float32 within
4e-4 wherever :func:`state_dtype` keeps it, and within 5e-6 for the designs below, so
5e-5 here leaves a 10x margin while still catching a wrong coefficient or state.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from scipy.signal import sosfilt, sosfilt_zi, sosfiltfilt

from vmag.temporal import ButterBandpass, IIRDifference, TemporalFilter
from vmag.temporal.recursive import filtfilt_float32_ok, state_dtype

FPS = 30.0
TOL = 5e-5

FILTERS = {
    "butter1": ButterBandpass((1.0, 3.0), FPS),  # one section, b1 = 0
    "butter2": ButterBandpass((1.0, 3.0), FPS, order=2),
    "lowpass2": ButterBandpass((0.0, 2.0), FPS, order=2),  # DC gain 1, b1 != 0
    "butter4": ButterBandpass((72.0, 92.0), 600.0, order=4),  # four sections
    "iir": IIRDifference.from_band((1.0, 3.0), FPS),  # b2 = 0
}


def pixels(frames: int = 600, pixels: int = 37, seed: int = 0) -> np.ndarray:
    """Pixel values in [0, 1] with a small 1.7 Hz wobble and noise, float32 ``[T, P]``."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames)[:, None] / FPS
    wobble = 0.01 * np.sin(2 * np.pi * 1.7 * t + rng.uniform(0, 2 * np.pi, pixels))
    noise = 0.003 * rng.standard_normal((frames, pixels))
    return (rng.uniform(0.2, 0.8, pixels) + wobble + noise).astype(np.float32)


def phases(frames: int = 600, pixels: int = 37, seed: int = 1) -> np.ndarray:
    """Drifting phases (a random walk, radians), float32 ``[T, P]``."""
    rng = np.random.default_rng(seed)
    return np.cumsum(0.3 * rng.standard_normal((frames, pixels)), axis=0).astype(np.float32)


def scipy_stream(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    """scipy's float64 sosfilt from the steady state of ``x[0]``: what streams compute."""
    x64 = x.astype(np.float64)
    return sosfilt(sos, x64, axis=0, zi=sosfilt_zi(sos)[..., None] * x64[0])[0]


def torch_stream(filt: TemporalFilter, x: torch.Tensor, block: int = 8) -> torch.Tensor:
    stream = filt.stream()
    return torch.cat([stream.step(x[i : i + block]) for i in range(0, len(x), block)])


def relative_error(y: np.ndarray | torch.Tensor, ref: np.ndarray) -> float:
    return float(np.abs(np.asarray(y, np.float64) - ref).max() / np.abs(ref).max())


@pytest.mark.parametrize("name", FILTERS)
@pytest.mark.parametrize("signal", [pixels, phases])
def test_torch_stream_is_scipy_sosfilt(name: str, signal: object) -> None:
    filt = FILTERS[name]
    x = signal()  # type: ignore[operator]
    y = torch_stream(filt, torch.from_numpy(x))
    assert y.dtype == torch.float32 and filt.stream().dtype == torch.float32
    assert relative_error(y, scipy_stream(filt.sos, x)) < TOL


@pytest.mark.parametrize("name", FILTERS)
def test_torch_stream_blocks_of_any_size_give_the_same_outputs(name: str) -> None:
    filt = FILTERS[name]
    x = torch.from_numpy(pixels(frames=90, pixels=1003))  # vectorised loops and their tails
    whole = filt.stream().step(x)
    stream = filt.stream()
    cuts = [0, 1, 4, 5, 37, 38, 80, 90]
    parts = [stream.step(x[a:b]) for a, b in itertools.pairwise(cuts)]
    assert torch.equal(torch.cat(parts), whole)


@pytest.mark.parametrize("name", FILTERS)
def test_torch_stream_of_a_still_scene_is_its_steady_state(name: str) -> None:
    filt = FILTERS[name]
    x = torch.full((40, 3, 5, 7), 117.3)
    dc_gain = 1.0 if name == "lowpass2" else 0.0
    y = torch_stream(filt, x, block=6)
    assert (y - dc_gain * x).abs().max() < 1e-5


@pytest.mark.parametrize(
    ("dtype", "out"),
    [
        (torch.float32, torch.float32),
        (torch.float64, torch.float64),
        (torch.float16, torch.float16),
        (torch.uint8, torch.float32),
    ],
)
def test_torch_stream_keeps_shape_and_dtype(dtype: torch.dtype, out: torch.dtype) -> None:
    x = torch.from_numpy(pixels(frames=24, pixels=12) * 200).to(dtype).reshape(24, 3, 4)
    y = torch_stream(FILTERS["butter2"], x)
    assert y.dtype == out and y.shape == x.shape


def test_float64_input_is_filtered_in_float64() -> None:
    filt = FILTERS["butter2"]
    x = pixels().astype(np.float64)
    y = torch_stream(filt, torch.from_numpy(x))
    assert y.dtype == torch.float64
    np.testing.assert_allclose(y.numpy(), scipy_stream(filt.sos, x), rtol=0, atol=1e-12)


def test_stream_kind_follows_the_first_block() -> None:
    filt = FILTERS["butter1"]
    x = pixels(frames=16)
    stream = filt.stream()
    first = stream.step(torch.from_numpy(x[:8]))
    second = stream.step(x[8:])  # numpy into a torch stream: still torch, same recursion
    assert isinstance(second, torch.Tensor)
    np.testing.assert_array_equal(
        torch.cat([first, second]).numpy(), filt.stream().step(torch.from_numpy(x)).numpy()
    )


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_input_stays_on_the_gpu() -> None:
    filt = FILTERS["butter2"]
    x = pixels()
    y = torch_stream(filt, torch.from_numpy(x).cuda())
    assert y.is_cuda and y.dtype == torch.float32
    assert relative_error(y.cpu(), scipy_stream(filt.sos, x)) < TOL
    off = filt.apply(torch.from_numpy(x).double().cuda())
    assert off.is_cuda and off.dtype == torch.float64


def test_narrow_low_bands_stream_in_float64() -> None:
    narrow = ButterBandpass((1.0, 3.0), 600.0, order=4)  # 1 + a1 + a2 ~ 1e-4
    assert state_dtype(narrow.sos) == torch.float64
    assert state_dtype(ButterBandpass((0.0, 0.5), 300.0, order=2).sos) == torch.float64
    assert state_dtype(IIRDifference.from_band((1.0, 3.0), 600.0).sos) == torch.float64
    assert state_dtype(ButterBandpass((0.2, 1.0), FPS, order=4).sos) == torch.float32
    x = pixels(frames=3000)
    ref = scipy_stream(narrow.sos, x)
    y = torch_stream(narrow, torch.from_numpy(x))
    assert y.dtype == torch.float32  # the state is float64, the output keeps the input's dtype
    assert relative_error(y, ref) < 1e-6
    # float32 would be 5e-4 off here (and 1.5e-3 for drifting phases)
    stream = narrow.stream()
    stream.dtype = torch.float32
    assert relative_error(stream.step(torch.from_numpy(x)), ref) > 1e-4


@pytest.mark.parametrize("signal", [pixels, phases])
def test_torch_apply_is_scipy_sosfiltfilt(signal: object) -> None:
    filt = ButterBandpass((1.0, 3.0), FPS)
    assert filtfilt_float32_ok(filt.sos)
    x = signal(frames=300)  # type: ignore[operator]
    ref = sosfiltfilt(filt.sos, x.astype(np.float64), axis=0)
    y = filt.apply(torch.from_numpy(x).reshape(300, 1, 37))
    assert y.dtype == torch.float32 and y.shape == (300, 1, 37)
    assert relative_error(y.reshape(300, 37), ref) < 1e-5


def test_torch_apply_in_float64_and_the_scipy_fallback() -> None:
    filt = ButterBandpass((0.5, 2.0), FPS, order=3)
    assert not filtfilt_float32_ok(filt.sos)  # float32 would be 2e-5 to 5e-5 off
    x = phases(frames=200)
    ref = sosfiltfilt(filt.sos, x.astype(np.float64), axis=0)
    y64 = filt.apply(torch.from_numpy(x).double())  # in torch, float64
    np.testing.assert_allclose(y64.numpy(), ref, rtol=0, atol=1e-10)
    y32 = filt.apply(torch.from_numpy(x))  # scipy, as for numpy input
    np.testing.assert_array_equal(y32.numpy(), sosfiltfilt(filt.sos, x, axis=0).astype(np.float32))
