"""StaticReference: each frame minus the first, offline and streamed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vmag.errors import VmagError
from vmag.temporal import StaticReference, make_filter


def test_apply_is_the_change_from_the_first_frame() -> None:
    x = np.random.default_rng(0).standard_normal((30, 4, 5)).astype(np.float32) + 7.0
    y = StaticReference().apply(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, x - x[0], atol=1e-6)
    assert np.abs(y[0]).max() == 0


def test_all_frequencies_pass_with_gain_one() -> None:
    # a clip starting at 0 comes out unchanged, whatever its frequency: no band
    t = np.arange(64) / 32.0
    for freq in (0.3, 4.0, 15.0):
        x = np.sin(2 * np.pi * freq * t)
        np.testing.assert_allclose(StaticReference().apply(x), x, atol=1e-12)


def test_torch_in_torch_out() -> None:
    x = torch.randn(6, 3, dtype=torch.float64)
    y = StaticReference().apply(x)
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float64
    assert torch.allclose(y, x - x[0])


def test_stream_matches_apply_whatever_the_blocks() -> None:
    x = np.random.default_rng(1).standard_normal((40, 3)).astype(np.float32)
    stream = StaticReference().stream()
    out = [stream.step(x[i : i + s]) for i, s in ((0, 1), (1, 9), (10, 30))]
    np.testing.assert_allclose(np.concatenate(out), StaticReference().apply(x), atol=1e-6)
    assert len(stream.flush()) == 0
    # after a flush the next block is a new reference
    assert np.abs(stream.step(x[5:8])[0]).max() == 0


def test_made_by_name_ignoring_the_band() -> None:
    assert isinstance(make_filter("static", (1.0, 3.0), 30.0), StaticReference)


def test_empty_clip_is_refused() -> None:
    with pytest.raises(VmagError, match="clip length must be >= 1"):
        StaticReference().apply(np.zeros((0, 3)))
