"""What every stream promises: block shapes, delay bookkeeping, flush, restarts."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vmag.errors import VmagError
from vmag.temporal import TemporalFilter, make_filter

CAUSAL = ["butter", "iir", "accel", "static"]


def stream_whole(filt: TemporalFilter, x: np.ndarray, block: int) -> np.ndarray:
    """Stream ``x`` in blocks, flush, and drop the ``delay`` outputs before time 0."""
    stream = filt.stream()
    out = [stream.step(x[i : i + block]) for i in range(0, len(x), block)]
    return np.concatenate([*out, stream.flush()])[filt.delay :]


@pytest.mark.parametrize("kind", CAUSAL)
def test_flush_gives_delay_outputs_then_the_stream_restarts(kind: str) -> None:
    filt = make_filter(kind, (1.0, 3.0), 30.0)
    x = np.random.default_rng(0).standard_normal((60, 2, 3)).astype(np.float32)
    first = stream_whole(filt, x, 8)
    assert first.shape == x.shape and first.dtype == np.float32
    stream = filt.stream()
    stream.step(x[:10])
    assert stream.flush().shape == (filt.delay, 2, 3)
    # after a flush the stream starts afresh: same outputs as a new one
    again = [stream.step(x[i : i + 8]) for i in range(0, 60, 8)]
    np.testing.assert_allclose(
        np.concatenate([*again, stream.flush()])[filt.delay :], first, atol=1e-6
    )


@pytest.mark.parametrize("kind", CAUSAL)
def test_pyramid_band_shapes_and_1d_series(kind: str) -> None:
    filt = make_filter(kind, (1.0, 3.0), 30.0)
    for shape in [(40,), (40, 3, 17, 9)]:
        x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
        assert stream_whole(filt, x, 5).shape == shape


@pytest.mark.parametrize("kind", CAUSAL)
def test_torch_stream_keeps_dtype_and_type(kind: str) -> None:
    filt = make_filter(kind, (1.0, 3.0), 30.0)
    stream = filt.stream()
    y = stream.step(torch.randn(4, 3, 5, dtype=torch.float64))
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float64 and y.shape == (4, 3, 5)
    tail = stream.flush()
    assert isinstance(tail, torch.Tensor) and tail.shape == (filt.delay, 3, 5)


@pytest.mark.parametrize("kind", CAUSAL)
def test_block_shape_errors(kind: str) -> None:
    stream = make_filter(kind, (1.0, 3.0), 30.0).stream()
    with pytest.raises(VmagError, match="x: a stream block must be"):
        stream.step(np.zeros((0, 3), np.float32))
    stream.step(np.zeros((2, 3), np.float32))
    with pytest.raises(VmagError, match=r"x: stream blocks must keep the frame shape \(3,\)"):
        stream.step(np.zeros((2, 4), np.float32))


@pytest.mark.parametrize("kind", CAUSAL)
def test_flush_before_any_input_is_empty(kind: str) -> None:
    assert len(make_filter(kind, (1.0, 3.0), 30.0).stream().flush()) == 0


def test_offline_filters_accept_integer_frames_as_float32() -> None:
    x = np.random.default_rng(2).integers(0, 255, (200, 4), dtype=np.uint8)
    for kind in ("ideal", "butter", "iir", "accel", "static"):
        y = make_filter(kind, (1.0, 3.0), 30.0).apply(x)
        assert y.dtype == np.float32 and y.shape == x.shape
