"""Each method's functional core (the paper, top to bottom) against its class: the offline
path with the zero-phase filter, and the streaming path with the causal one."""

from __future__ import annotations

import numpy as np
import pytest

import vmag.magnifier as magnifier_module
from vmag.classical.acceleration import acceleration_magnify
from vmag.classical.color import color_magnify
from vmag.classical.linear import linear_magnify
from vmag.classical.phase import phase_magnify
from vmag.classical.riesz import riesz_magnify
from vmag.registry import create_magnifier
from vmag.synth import noise_texture, translating_clip

FPS = 30.0
CORES = {
    "linear": linear_magnify,
    "color": color_magnify,
    "phase": phase_magnify,
    "riesz": riesz_magnify,
    "acceleration": acceleration_magnify,
}
#: Options beyond the defaults that each method is also checked with.
EXTRA = {
    "linear": {"chrom_atten": 0.0, "lambda_c": 4.0},
    "color": {"levels": 2, "chrom_atten": 0.5},
    "phase": {"sigma": 1.5, "luminance_only": False, "orientations": 2, "attenuate_large": True},
    "riesz": {"sigma": 1.0, "luminance_only": False, "attenuate_large": True},
    "acceleration": {"bandwidth": "half"},
}


@pytest.fixture(scope="module")
def clip() -> np.ndarray:
    """A textured 40x56 clip, 0.4 px motion at 3 Hz plus a slow drift, and colour noise."""
    t = np.arange(45) / FPS
    frames = translating_clip(
        noise_texture(40, 56, blur=1.5, seed=5), 0.4 * np.sin(2 * np.pi * 3 * t) + 0.5 * t
    )
    noise = np.random.default_rng(2).normal(0, 0.003, frames.shape).astype(np.float32)
    return np.clip(frames + noise, 0, 1)


def _params(method: str, extra: bool, **kw) -> dict:
    params = {"alpha": 8.0, "band": (2.0, 4.5), **(EXTRA[method] if extra else {}), **kw}
    return params


@pytest.mark.parametrize("extra", [False, True])
@pytest.mark.parametrize("method", list(CORES))
def test_offline_class_equals_the_functional_core(clip, method, extra):
    kw = {"filter": "ideal"} if method != "acceleration" else {}
    params = _params(method, extra, **kw)
    want = CORES[method](clip, FPS, **params)
    got = create_magnifier(method, **params).magnify(clip, FPS)
    assert np.abs(got - want).max() < 2e-5
    assert np.abs(want - clip).max() > 1e-3  # something was magnified


@pytest.mark.parametrize("extra", [False, True])
@pytest.mark.parametrize("method", list(CORES))
def test_two_passes_equal_the_zero_phase_functional_core(clip, method, extra, monkeypatch):
    """The default path: the Butterworth band-pass zero-phase, the clip read twice in
    chunks (here of 7 frames, so 7 chunks), as the core filters whole series at once."""
    monkeypatch.setattr(magnifier_module, "TWO_PASS_FRAMES", 7)
    params = _params(method, extra, filter="butter", order=2)
    want = CORES[method](clip, FPS, **params)
    m = create_magnifier(method, **params)
    assert m.reads_twice(FPS) and m.two_pass_chunk(40, 56) == 7
    got = np.stack(list(m.two_pass(lambda: iter(clip), FPS, len(clip))))
    assert np.abs(got - want).max() < 5e-5
    assert np.abs(m.magnify(clip, FPS) - got).max() == 0  # magnify reads twice too
    assert np.abs(want - clip).max() > 1e-3


@pytest.mark.parametrize("method", list(CORES))
def test_stream_equals_the_causal_functional_core(clip, method):
    filt = {"filter": "butter", "order": 2}
    params = _params(method, True, **filt)
    want = CORES[method](clip, FPS, causal=True, **params)
    got = np.stack(list(create_magnifier(method, **params).stream(iter(clip), FPS)))
    assert got.shape == clip.shape
    assert np.abs(got - want).max() < 5e-5


def test_the_delayed_accel_filter_streams_like_its_causal_core(clip):
    params = {"alpha": 8.0, "band": (2.0, 4.5)}
    want = acceleration_magnify(clip, FPS, causal=True, **params)
    got = np.stack(list(create_magnifier("acceleration", **params).stream(iter(clip), FPS)))
    assert np.abs(got - want).max() < 5e-5


def test_phase_core_magnifies_by_one_plus_alpha():
    from vmag.bench import displacement_series, tone_amplitude

    t = np.arange(60) / FPS
    clip = translating_clip(noise_texture(64, 64, blur=2.0, seed=11), 0.1 * np.sin(6 * np.pi * t))
    out = phase_magnify(clip, FPS, alpha=10, band=(2.0, 4.0), filter="ideal")
    moved = tone_amplitude(displacement_series(out)[:, 1], 3.0, FPS)
    assert moved == pytest.approx(1.1, rel=0.15)
