"""The notch: cuts its frequency (or the alias of one above Nyquist) and keeps the rest,
offline and streaming, and through a magnifier."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vmag.bench import displacement_series, tone_amplitude
from vmag.errors import VmagError
from vmag.registry import create_magnifier
from vmag.synth import noise_texture, translating_clip
from vmag.temporal import make_filter
from vmag.temporal.notch import alias

FPS = 30.0


def tone(freq: float, n: int = 600) -> np.ndarray:
    return np.sin(2 * np.pi * freq * np.arange(n) / FPS)


@pytest.mark.parametrize("kind", ["butter", "ideal", "iir"])
def test_the_notch_removes_its_frequency_and_keeps_the_band(kind):
    filt = make_filter(kind, (2.0, 6.0), FPS, notch=4.0)
    plain = make_filter(kind, (2.0, 6.0), FPS)
    x = np.stack([tone(3.0), tone(4.0)], axis=1)
    y, ref = filt.apply(x), plain.apply(x)
    mid = slice(150, 450)
    assert tone_amplitude(y[mid, 1], 4.0, FPS) < 0.02 * tone_amplitude(ref[mid, 1], 4.0, FPS)
    kept = tone_amplitude(y[mid, 0], 3.0, FPS) / tone_amplitude(ref[mid, 0], 3.0, FPS)
    assert kept == pytest.approx(1.0, abs=0.04)  # 1 Hz away from a 0.4 Hz-wide cut


def test_the_stream_notches_too_and_torch_matches_numpy():
    filt = make_filter("butter", (2.0, 6.0), FPS, notch=4.0)
    x = np.stack([tone(3.0), tone(4.0)], axis=1).astype(np.float32)
    stream = filt.stream()
    y = np.concatenate([stream.step(x[:100]), stream.step(x[100:]), stream.flush()])
    assert tone_amplitude(y[300:, 1], 4.0, FPS) < 0.02
    assert tone_amplitude(y[300:, 0], 3.0, FPS) > 0.6
    t = filt.apply(torch.from_numpy(x))
    np.testing.assert_allclose(t.numpy(), filt.apply(x.astype(np.float64)), atol=2e-4)


def test_aliases_fold_into_the_nyquist_band():
    assert alias(100.0, 30.0) == 10.0 and alias(34.0, 30.0) == 4.0 and alias(56.0, 30.0) == 4.0
    high = make_filter("butter", (2.0, 6.0), FPS, notch=34.0)  # 34 Hz shows at 4 Hz
    assert tone_amplitude(high.apply(tone(4.0))[150:450], 4.0, FPS) < 0.02
    with pytest.raises(VmagError, match="falls at 0 Hz"):
        make_filter("butter", (2.0, 6.0), FPS, notch=60.0)
    with pytest.raises(VmagError, match="band-pass filters, not filter=accel"):
        make_filter("accel", (2.0, 6.0), FPS, notch=4.0)


@pytest.mark.parametrize("stream", [False, True])
def test_a_magnifier_leaves_the_notched_motion_alone(stream):
    t = np.arange(300) / FPS
    motion = 0.1 * np.sin(2 * np.pi * 3 * t) + 0.1 * np.sin(2 * np.pi * 4.5 * t)
    clip = translating_clip(noise_texture(64, 64, blur=2.0, seed=3), motion)
    m = create_magnifier("phase", alpha=9, band=(2.0, 6.0), notch=4.5)
    out = np.stack(list(m.stream(iter(clip), FPS))) if stream else m.magnify(clip, FPS)
    dx = displacement_series(out)[60:240, 1]  # away from the ends, where the filters ring
    assert tone_amplitude(dx, 3.0, FPS) > 0.7  # magnified toward 1.0 (the causal gain < 1 at 3 Hz)
    assert tone_amplitude(dx, 4.5, FPS) == pytest.approx(0.1, abs=0.04)  # left as it was
