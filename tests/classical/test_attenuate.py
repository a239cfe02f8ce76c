"""Attenuation: -1 < alpha < 0 scales the in-band motion (or colour change) by 1 + alpha,
down to removing it at alpha = -1 (camera shake), for every classical method."""

from __future__ import annotations

import numpy as np
import pytest

from vmag.bench import displacement_series, tone_amplitude
from vmag.errors import VmagError
from vmag.registry import create_magnifier
from vmag.synth import noise_texture, translating_clip

FPS = 30.0


@pytest.fixture(scope="module")
def shaky() -> np.ndarray:
    """0.4 px of 3 Hz shake plus a slow 0.5 Hz pan that is out of the band (whole cycles of
    both, so the ideal filter is exact)."""
    t = np.arange(120) / FPS
    motion = 0.4 * np.sin(2 * np.pi * 3 * t) + 1.5 * np.sin(2 * np.pi * 0.5 * t)
    return translating_clip(noise_texture(64, 64, blur=2.5, seed=8), motion)


@pytest.mark.parametrize("method", ["phase", "riesz", "linear", "acceleration"])
@pytest.mark.parametrize("alpha", [-1.0, -0.5])
def test_in_band_motion_is_scaled_by_one_plus_alpha(shaky, method, alpha):
    params = {"alpha": alpha, "band": (2.0, 4.0)}
    if method in ("phase", "riesz", "linear"):
        params["filter"] = "ideal"
    if method == "linear":
        params["lambda_c"] = 1.0  # every level but the finest carries the motion
    out = create_magnifier(method, **params).magnify(shaky, FPS)
    dx = displacement_series(out)[:, 1]  # whole cycles of both: the fits are orthogonal
    shake = tone_amplitude(dx, 3.0, FPS)
    # linear never changes its finest level (the published scheme), where a little of the
    # motion lives: at alpha = -1 it leaves about a quarter of the shake here
    slack = 0.12 if method == "linear" else 0.06
    assert shake == pytest.approx(0.4 * (1 + alpha), abs=slack)
    assert tone_amplitude(dx, 0.5, FPS) == pytest.approx(1.5, rel=0.1)  # the pan is kept


def test_color_attenuation_scales_the_colour_change():
    t = np.arange(90) / FPS
    clip = np.full((90, 64, 64, 3), 0.5, np.float32)
    clip[..., 1] += 0.01 * np.sin(2 * np.pi * 1.5 * t)[:, None, None]
    out = create_magnifier("color", alpha=-0.5, band=(1.0, 2.0), filter="ideal").magnify(clip, FPS)
    green = out[:, 32, 32, 1] - 0.5
    assert tone_amplitude(green, 1.5, FPS) == pytest.approx(0.005, rel=0.1)


@pytest.mark.parametrize(
    ("method", "alpha", "message"),
    [
        ("phase", 0.0, "alpha 0 changes nothing"),
        ("phase", -1.0001, "alpha must be a number >= -1"),
        ("linear", -1.5, "alpha must be a number >= -1"),
    ],
)
def test_bad_alphas_are_refused(method, alpha, message):
    with pytest.raises(VmagError, match=message):
        create_magnifier(method, alpha=alpha, band=(2.0, 4.0))


@pytest.mark.parametrize("method", ["phase", "riesz"])
def test_attenuate_large_leaves_large_motion_alone_and_magnifies_small(method):
    t = np.arange(90) / FPS
    wave = np.sin(2 * np.pi * 3 * t)
    small = translating_clip(noise_texture(64, 64, blur=2.5, seed=1), 0.05 * wave)
    large = translating_clip(noise_texture(64, 64, blur=2.5, seed=2), 1.5 * wave)
    clip = np.concatenate([small, large], axis=2)  # left: 0.05 px, right: 1.5 px
    params = {"alpha": 10, "band": (2.0, 4.0), "filter": "ideal"}
    plain = create_magnifier(method, **params).magnify(clip, FPS)
    kept = create_magnifier(method, attenuate_large=True, **params).magnify(clip, FPS)

    def motion(frames, half):
        cols = slice(8, 56) if half == 0 else slice(72, 120)
        return tone_amplitude(displacement_series(frames[:, :, cols])[:, 1], 3.0, FPS)

    assert motion(kept, 0) == pytest.approx(0.55, rel=0.2)  # small motion: magnified 11x
    assert motion(kept, 1) == pytest.approx(1.5, rel=0.25)  # large motion: about as it was
    assert motion(plain, 1) > 2.5  # without the clamp it is magnified (and breaks up)
