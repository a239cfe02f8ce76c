"""Streams fed increments must match the filter's own stream fed the series."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.signal import butter

from vmag.temporal import ButterBandpass, IIRDifference
from vmag.temporal.base import RunningSumStream
from vmag.temporal.recursive import IncrementStream, integrating_sos


def _series(n: int = 120, shape: tuple[int, ...] = (3, 4), seed: int = 0) -> np.ndarray:
    """A random walk with a large offset (a drifting phase)."""
    rng = np.random.default_rng(seed)
    return 40.0 + np.cumsum(rng.standard_normal((n, *shape)), axis=0)


def _blocks(x, sizes=(1, 7, 32, 80)):
    i = 0
    for s in sizes:
        yield x[i : i + s]
        i += s


@pytest.mark.parametrize(
    "filt",
    [
        ButterBandpass((1.0, 3.0), fps=30),
        ButterBandpass((0.5, 4.0), fps=30, order=3),
        IIRDifference.from_band((0.5, 2.0), fps=30),
        ButterBandpass((0.0, 2.0), fps=30),  # a low-pass: no zero at DC, running sum
    ],
    ids=["butter1", "butter3", "iir", "lowpass"],
)
@pytest.mark.parametrize("kind", ["numpy", "torch64", "torch32"])
def test_increments_give_the_stream_of_the_series_relative_to_its_start(filt, kind):
    x = _series()
    d = np.diff(x, axis=0, prepend=x[:1])
    d[0] = 123.0  # the first increment is from before the stream: ignored
    reference = filt.stream()
    want = np.concatenate([reference.step(b) for b in _blocks(x - x[0])])
    dtype = {"torch64": torch.float64, "torch32": torch.float32}.get(kind)
    stream = filt.increment_stream()
    lowpass = getattr(filt, "band", (1.0,))[0] == 0
    assert isinstance(stream, RunningSumStream if lowpass else IncrementStream)
    feed = d if dtype is None else torch.from_numpy(d).to(dtype)
    got = [stream.step(b) for b in _blocks(feed)]
    got = np.concatenate([g.numpy() if isinstance(g, torch.Tensor) else g for g in got])
    assert got.dtype == (np.float64 if kind != "torch32" else np.float32)
    scale = np.abs(want).max()
    tol = 1e-10 if kind != "torch32" else 2e-5
    assert np.abs(got - want).max() <= tol * scale


def test_band_pass_increment_stream_keeps_two_state_frames_per_section():
    filt = ButterBandpass((1.0, 3.0), fps=30)
    stream = filt.increment_stream()
    stream.step(torch.zeros(2, 1000))
    rec = stream._recursion
    assert rec.x0 is None and rec._dc is None and rec._scratch == ()
    assert sum(z.numel() for pair in rec._z for z in pair) == 2 * 1000


def test_integrating_sos_divides_out_the_dc_zero():
    sos = butter(2, [1.0, 3.0], "bandpass", fs=30, output="sos")
    red = integrating_sos(sos)
    w = np.exp(-1j * np.linspace(0.05, 3.0, 50))  # z^-1 on the unit circle

    def response(s):
        out = np.ones_like(w)
        for b0, b1, b2, _, a1, a2 in s:
            out *= (b0 + b1 * w + b2 * w**2) / (1 + a1 * w + a2 * w**2)
        return out

    np.testing.assert_allclose(response(red) * (1 - w), response(sos), rtol=1e-10)
    assert integrating_sos(butter(2, 3.0, "lowpass", fs=30, output="sos")) is None


def test_flush_starts_a_new_series():
    filt = ButterBandpass((1.0, 3.0), fps=30)
    stream = filt.increment_stream()
    x = torch.from_numpy(_series(40))
    d = torch.diff(x, dim=0, prepend=x[:1])
    first = stream.step(d)
    stream.flush()
    torch.testing.assert_close(stream.step(d), first)
