"""Chunked zero-phase filtering equals the whole-series forward-backward pass, exactly."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.signal import butter, sosfiltfilt

from vmag.temporal.zerophase import ChunkedZeroPhase, forward_backward

FPS = 30.0


def chunks_of(x: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    cuts = np.cumsum([0, *sizes])
    return [x[a:b] for a, b in itertools.pairwise(cuts)]


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("sizes", [[300], [1] * 300, [16] * 18 + [12], [7, 100, 3, 190]])
def test_chunks_give_the_whole_series_result(order, sizes):
    sos = butter(order, [0.8, 2.0], "bandpass", fs=FPS, output="sos")
    x = np.random.default_rng(order).standard_normal((300, 3, 4)).cumsum(axis=0)
    want = forward_backward(sos, x)
    f = ChunkedZeroPhase(sos)
    summary = f.first_pass(chunks_of(x, sizes))
    got = np.concatenate(list(f.second_pass(chunks_of(x, sizes), summary)))
    assert got.shape == x.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9 * np.abs(want).max())


def test_it_is_zero_phase_and_agrees_with_scipy_away_from_the_ends():
    sos = butter(1, [1.0, 3.0], "bandpass", fs=FPS, output="sos")
    t = np.arange(600) / FPS
    x = np.sin(2 * np.pi * 1.73 * t)[:, None]  # the band's centre: gain 1, phase 0
    f = ChunkedZeroPhase(sos)
    chunks = chunks_of(x, [32] * 18 + [24])
    y = np.concatenate(list(f.second_pass(chunks, f.first_pass(chunks))))
    middle = slice(150, 450)
    np.testing.assert_allclose(y[middle], sosfiltfilt(sos, x, axis=0)[middle], atol=1e-6)
    np.testing.assert_allclose(y[middle], x[middle], atol=0.01)


def test_the_second_pass_must_see_the_same_chunks():
    sos = butter(1, [1.0, 3.0], "bandpass", fs=FPS, output="sos")
    f = ChunkedZeroPhase(sos)
    x = np.ones((40, 2))
    summary = f.first_pass(chunks_of(x, [20, 20]))
    with pytest.raises(ValueError, match="same chunks"):
        list(f.second_pass(chunks_of(x, [10, 30]), summary))
