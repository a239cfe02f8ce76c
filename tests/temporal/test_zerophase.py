"""The two-pass zero-phase filter against scipy's sosfiltfilt, over any chunking."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.signal import butter, iirnotch, sosfiltfilt, tf2sos

from vmag.temporal.zerophase import StateStore, TwoPassZeroPhase, plan_chunks


def two_pass(sos, padlen, x, chunk, increments=False, dtype=torch.float64):
    """Run the three steps over ``x`` (T, ...) in chunks of ``chunk``; two series, the
    second x * 2 + 1, to check series stay apart."""
    t = torch.as_tensor(x, dtype=dtype)
    feed = torch.diff(t, dim=0, prepend=t[:1]) if increments else t
    series = {0: feed, 1: feed * 2 + (0 if increments else 1)}
    bounds = plan_chunks(len(t), chunk, padlen + 1)
    with StateStore() as store:
        f = TwoPassZeroPhase(sos, padlen, bounds, store, increments=increments)
        for k, s in series.items():
            f.start(k, s[: padlen + 1])
        for a, b in bounds:
            for k, s in series.items():
                f.analyse(k, s[a:b])
        f.settle()
        out = {k: [] for k in series}
        for a, b in bounds:
            for k, s in series.items():
                out[k].append(f.filtered(k, s[a:b]))
    return {k: torch.cat(v).numpy() for k, v in out.items()}


BAND = butter(1, [1.0, 3.0], "bandpass", fs=30, output="sos")
NARROW = butter(2, [0.81, 0.95], "bandpass", fs=30, output="sos")
NOTCHED = np.concatenate([BAND, tf2sos(*iirnotch(2.0, 10, fs=30))])


@pytest.mark.parametrize("chunk", [1, 3, 7, 32, 500])
@pytest.mark.parametrize("sos,padlen", [(BAND, 9), (NARROW, 15), (NOTCHED, 0), (BAND, 3)])
def test_equals_sosfiltfilt(sos, padlen, chunk):
    rng = np.random.default_rng(chunk)
    x = rng.standard_normal((120, 3, 2)).cumsum(0)  # a random walk: drift the padding handles
    got = two_pass(sos, padlen, x, chunk)
    want = sosfiltfilt(sos, x, axis=0, padlen=padlen)
    np.testing.assert_allclose(got[0], want, atol=1e-9)
    np.testing.assert_allclose(got[1], 2 * want + sosfiltfilt(sos, np.ones_like(x), axis=0,
                                                              padlen=padlen), atol=1e-9)


@pytest.mark.parametrize("chunk", [1, 5, 40])
def test_increments_give_the_series_output(chunk):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((90, 4)).cumsum(0)
    x -= x[0]  # a series relative to its first sample, as a magnifier's phase is
    got = two_pass(BAND, 9, x, chunk, increments=True)
    np.testing.assert_allclose(got[0], sosfiltfilt(BAND, x, axis=0, padlen=9), atol=1e-9)


def test_float32_holds_the_float64_result():
    t = np.arange(300) / 30
    x = 0.05 * np.sin(2 * np.pi * 1.7 * t)[:, None] + np.linspace(0, 3, 300)[:, None]
    got = two_pass(BAND, 9, x, 16, dtype=torch.float32)[0]
    want = sosfiltfilt(BAND, x, axis=0, padlen=9)
    assert abs(got - want).max() < 1e-5 * 0.05 * 30  # within a few ppm of the signal's swing


def test_the_store_pages_to_disk_and_is_removed(tmp_path):
    store = StateStore(tmp_path)
    store.write(3, 2, torch.arange(6.0).reshape(2, 3))
    store.write(3, 0, torch.ones(2, 3))
    assert store.read(3, 2).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert any(tmp_path.iterdir())
    with pytest.raises(ValueError, match="kept"):
        store.write(3, 1, torch.ones(3, 2))
    store.close()
    assert not any(tmp_path.iterdir())


def test_plan_puts_a_boundary_where_the_end_padding_begins():
    assert plan_chunks(20, 8, 5) == [(0, 8), (8, 15), (15, 20)]
    assert plan_chunks(20, 2, 5)[-3:] == [(14, 15), (15, 17), (17, 19), (19, 20)][1:]
    assert plan_chunks(5, 8, 10) == [(0, 5)]


def test_steps_out_of_order_are_refused():
    with StateStore() as store:
        f = TwoPassZeroPhase(BAND, 3, plan_chunks(20, 8, 4), store)
        f.start(0, torch.zeros(4))
        with pytest.raises(ValueError, match="settle"):
            f.filtered(0, torch.zeros(8))
        with pytest.raises(ValueError, match="8 frames"):
            f.analyse(0, torch.zeros(5))
