"""Streaming (causal, O(1) frames) agrees with offline processing after the filter settles."""

from __future__ import annotations

import numpy as np
import pytest

import vmag.magnifier as magnifier_module
from vmag.errors import VmagError
from vmag.registry import create_magnifier
from vmag.synth import noise_texture, translating_clip

FPS = 30.0


def clip(freq: float, frames: int = 90) -> np.ndarray:
    t = np.arange(frames) / FPS
    return translating_clip(
        noise_texture(64, 64, blur=2.0, seed=7), 0.1 * np.sin(2 * np.pi * freq * t)
    )


def run_stream(m, frames):
    return np.stack(list(m.stream(iter(frames), FPS)))


@pytest.mark.parametrize(
    ("method", "extra"),
    [
        ("linear", {"lambda_c": 2.0}),
        ("phase", {}),
        ("phase", {"luminance_only": False}),
        ("riesz", {}),
        ("riesz", {"luminance_only": False}),
    ],
)
@pytest.mark.parametrize("single", [False, True], ids=["blocks", "single-frames"])
def test_iir_stream_equals_offline(method, extra, single, monkeypatch):
    """Wu's IIR filter is causal in both modes, so the outputs are the same frame for frame;
    also when frames stream one at a time (as 1080p frames do), via in-place paths."""
    frames = clip(2.0, frames=40)
    m = create_magnifier(method, alpha=10, band=(1.0, 4.0), filter="iir", **extra)
    offline = m.magnify(frames, FPS)  # in blocks of frames
    if single:
        monkeypatch.setattr(magnifier_module, "CHUNK_BYTES", 1)
    np.testing.assert_allclose(run_stream(m, frames), offline, atol=2e-4)


def test_acceleration_stream_equals_offline_away_from_ends():
    frames = clip(3.0, frames=60)
    m = create_magnifier("acceleration", alpha=10, band=(2.0, 4.5))
    streamed, offline = run_stream(m, frames), m.magnify(frames, FPS)
    assert streamed.shape == offline.shape
    np.testing.assert_allclose(streamed[15:-15], offline[15:-15], atol=2e-4)


@pytest.mark.parametrize("method", ["linear", "phase", "color"])
def test_butterworth_stream_matches_offline_after_settling(method):
    """At the band centre a Butterworth band-pass has gain 1 and phase 0, causal or zero-phase."""
    lo, hi = 2.0, 4.5
    frames = clip(np.sqrt(lo * hi), frames=120)
    extra = {"linear": {"lambda_c": 2.0}, "color": {"levels": 2}}.get(method, {})
    m = create_magnifier(method, alpha=10, band=(lo, hi), filter="butter", order=1, **extra)
    streamed, offline = run_stream(m, frames), m.magnify(frames, FPS)
    change_scale = np.abs(offline - frames).max()
    assert change_scale > 0.01
    settled = slice(60, 110)
    err = np.abs(streamed[settled] - offline[settled]).max()
    assert err < 0.15 * change_scale


@pytest.mark.parametrize("method", ["linear", "color", "phase", "riesz"])
def test_stream_does_not_spike_on_first_frames(method):
    """Filters start in the steady state of the first frame: a still clip passes unchanged."""
    frames = np.repeat(noise_texture(64, 64, seed=4)[None], 20, axis=0)
    extra = {"color": {"levels": 2}}.get(method, {})
    m = create_magnifier(method, alpha=50, band=(1.0, 4.0), filter="butter", order=2, **extra)
    out = run_stream(m, frames)
    assert np.abs(out - frames).max() < 2e-3


def test_ideal_filter_refuses_to_stream():
    m = create_magnifier("phase", alpha=10, band=(1.0, 4.0), filter="ideal")
    with pytest.raises(VmagError, match="whole clip"):
        next(iter(m.stream(iter(clip(2.0, 20)), FPS)))
