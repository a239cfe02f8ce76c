"""Magnifiers against the maths: a known sub-pixel motion must come out (1 + alpha) times larger."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vmag.bench import displacement_series, tone_amplitude
from vmag.errors import VmagError
from vmag.registry import create_magnifier
from vmag.synth import noise_texture, translating_clip

FPS = 30.0
FRAMES = 60
A = 0.1  # px, the input motion amplitude


def sine_motion(freq: float, amplitude: float = A) -> np.ndarray:
    t = np.arange(FRAMES) / FPS
    return amplitude * np.sin(2 * np.pi * freq * t)


def measured_gain(
    method: str, freq: float, *, blur: float, size: int = 96, settle: int = 0, **params
) -> float:
    """Output motion amplitude / input motion amplitude for a translated periodic texture
    (``settle``: leaving out that many frames at each end, where a recursive filter's
    output rises and falls)."""
    clip = translating_clip(noise_texture(size, size, blur=blur, seed=3), sine_motion(freq))
    out = create_magnifier(method, **params).magnify(clip, FPS)
    kept = slice(settle, len(clip) - settle)
    dx_in = displacement_series(clip)[kept, 1]
    dx_out = displacement_series(out)[kept, 1]
    # The input really moves by A (the renderer and the measurement agree).
    assert tone_amplitude(dx_in, freq, FPS) == pytest.approx(A, rel=0.03)
    return tone_amplitude(dx_out, freq, FPS) / A


@pytest.mark.parametrize("filt", ["ideal", "butter"], ids=["ideal", "default-two-pass"])
@pytest.mark.parametrize(
    ("method", "params", "tol"),
    [
        ("phase", {}, 0.15),
        ("phase", {"bandwidth": "half"}, 0.15),
        ("riesz", {}, 0.15),
    ],
)
def test_phase_methods_magnify_in_band_motion(method, params, tol, filt):
    """With the ideal filter, and with the default path's (a Butterworth band, zero-phase
    over the clip read twice, as ``vmag magnify`` runs without flags), whose gain is 1 at
    its centre (2-4.5 Hz: 3 Hz), once it has settled (10 frames, ~3 time constants)."""
    alpha = 10.0
    band, settle = ((2.0, 4.0), 0) if filt == "ideal" else ((2.0, 4.5), 10)
    gain = measured_gain(
        method, 3.0, blur=2.0, alpha=alpha, band=band, filter=filt, settle=settle, **params
    )
    assert gain == pytest.approx(1 + alpha, rel=tol)


def test_linear_magnifies_smooth_texture():
    alpha = 10.0
    gain = measured_gain(
        "linear", 3.0, blur=4.0, alpha=alpha, band=(2.0, 4.0), filter="ideal", lambda_c=2.0
    )
    assert gain == pytest.approx(1 + alpha, rel=0.25)


@pytest.mark.parametrize("method", ["phase", "riesz"])
def test_static_filter_magnifies_every_frequency(method):
    # filter=static: each frame against the first (the two-frame setting), no band, so a
    # motion far outside the band is magnified (1 + alpha) times all the same
    alpha = 10.0
    gain = measured_gain(method, 9.0, blur=2.0, alpha=alpha, band=(2.0, 4.0), filter="static")
    assert gain == pytest.approx(1 + alpha, rel=0.15)


@pytest.mark.parametrize("method", ["linear", "phase", "riesz"])
def test_out_of_band_motion_is_not_magnified(method):
    extra = {"lambda_c": 2.0} if method == "linear" else {}
    gain = measured_gain(
        method, 9.0, blur=3.0, alpha=10.0, band=(2.0, 4.0), filter="ideal", **extra
    )
    assert gain < 1.2


def test_butterworth_phase_magnifies_at_band_centre():
    """Zero-phase Butterworth has gain |H|^2 = 1 at the band centre; fit away from the ends."""
    lo, hi, n = 2.0, 4.5, 120
    centre = np.sqrt(lo * hi)
    t = np.arange(n) / FPS
    clip = translating_clip(
        noise_texture(96, 96, blur=2.0, seed=3), A * np.sin(2 * np.pi * centre * t)
    )
    out = create_magnifier("phase", alpha=10.0, band=(lo, hi), filter="butter", order=2).magnify(
        clip, FPS
    )
    inner = slice(30, -30)
    gain = tone_amplitude(displacement_series(out)[inner, 1], centre, FPS) / A
    assert gain == pytest.approx(11.0, rel=0.15)


@pytest.mark.parametrize("params", [{}, {"filter": "butter", "order": 2}], ids=["log", "butter2"])
def test_acceleration_ignores_linear_motion_and_magnifies_oscillation(params):
    """Zhang et al.: a small oscillation riding on a large constant-velocity drift."""
    t = np.arange(FRAMES) / FPS
    freq = 3.0
    drift = 0.4 * np.arange(FRAMES)  # 0.4 px per frame: 24 px over the clip
    wiggle = A * np.sin(2 * np.pi * freq * t)
    clip = translating_clip(noise_texture(96, 96, blur=2.0, seed=5), drift + wiggle)
    alpha = 8.0
    m = create_magnifier("acceleration", alpha=alpha, band=(2.0, 4.5), **params)
    out = m.magnify(clip, FPS)
    residual_in = displacement_series(clip)[:, 1] - drift
    residual_out = displacement_series(out)[:, 1] - drift
    inner = slice(10, -10)  # away from the FIR's ends
    gain = tone_amplitude(residual_out[inner], freq, FPS) / tone_amplitude(
        residual_in[inner], freq, FPS
    )
    assert gain == pytest.approx(1 + alpha, rel=0.25)
    # The drift itself is not magnified: no extra linear trend in the output.
    slope = np.polyfit(np.arange(FRAMES)[inner], residual_out[inner], 1)[0]
    assert abs(slope) < 0.02


def test_color_magnifies_brightness_change():
    t = np.arange(FRAMES) / FPS
    freq, alpha = 1.5, 20.0
    frames = np.full((FRAMES, 128, 128, 3), 0.4, dtype=np.float32)
    frames[:, 16:112, 16:112] *= (1 + 0.005 * np.sin(2 * np.pi * freq * t))[:, None, None, None]
    out = create_magnifier("color", alpha=alpha, band=(1.0, 2.0), filter="ideal", levels=3).magnify(
        frames, FPS
    )
    patch = (slice(None), slice(56, 72), slice(56, 72))
    amp_in = tone_amplitude(frames[patch].mean(axis=(1, 2, 3)), freq, FPS)
    amp_out = tone_amplitude(out[patch].mean(axis=(1, 2, 3)), freq, FPS)
    assert amp_out / amp_in == pytest.approx(1 + alpha, rel=0.15)


def test_still_clip_is_unchanged():
    clip = np.repeat(noise_texture(64, 64, seed=2)[None], 40, axis=0)
    for method in ("linear", "color", "phase", "riesz", "acceleration"):
        extra = {"levels": 2} if method == "color" else {}
        out = create_magnifier(method, alpha=20, band=(2.0, 4.0), **extra).magnify(clip, FPS)
        assert np.abs(out - clip).max() < 2e-3, method


@pytest.mark.parametrize("method", ["phase", "riesz"])
def test_phase_smoothing_suppresses_amplified_noise(method):
    """Amplitude-weighted smoothing (sigma > 0) amplifies less sensor noise than none."""
    rng = np.random.default_rng(9)
    still = np.repeat(noise_texture(64, 64, blur=2.0, seed=1)[None], FRAMES, axis=0)
    noisy = (still + rng.normal(0, 0.01, still.shape)).astype(np.float32)
    errors = []
    for sigma in (0.0, 2.0):
        m = create_magnifier(method, alpha=20, band=(2.0, 4.0), filter="ideal", sigma=sigma)
        errors.append(float(np.std(m.magnify(noisy, FPS) - still)))
    assert errors[1] < 0.9 * errors[0]


def test_rotation_change_is_exact_and_keeps_tiny_angles() -> None:
    from vmag.classical.phase import rotation_change

    rng = np.random.default_rng(3)
    band = torch.complex(
        torch.from_numpy(rng.standard_normal(500).astype(np.float32)),
        torch.from_numpy(rng.standard_normal(500).astype(np.float32)),
    )
    for scale in (1.0, 1e-3, 1e-6):
        angle = torch.from_numpy((scale * rng.standard_normal(500)).astype(np.float32))
        exact = (band.to(torch.complex128) * (torch.exp(1j * angle.double()) - 1)).real
        got = rotation_change(band, angle).double()
        # relative to the change itself, so tiny angles (where cos θ − 1 rounds to 0) count
        assert float((got - exact).abs().max() / exact.abs().max()) < 1e-5


def test_phase_increments_are_wrapped_differences() -> None:
    from vmag.classical.phase import phase_increments

    rng = np.random.default_rng(4)
    angles = torch.from_numpy(rng.uniform(-np.pi, np.pi, (6, 50)).astype(np.float32))
    previous = torch.from_numpy(rng.uniform(-np.pi, np.pi, 50).astype(np.float32))
    got = phase_increments(angles, previous).numpy()
    raw = np.diff(np.concatenate([previous[None].numpy(), angles.numpy()]), axis=0)
    assert np.all((got >= -np.pi) & (got < np.pi))
    # the same angle change modulo 2π
    np.testing.assert_allclose(np.exp(1j * got), np.exp(1j * raw), atol=1e-5)


def test_acceleration_refuses_a_butterworth_that_passes_linear_motion():
    with pytest.raises(VmagError, match="order must be >= 2"):
        create_magnifier("acceleration", filter="butter", order=1)


def test_acceleration_butterworth_stream_ignores_linear_motion():
    """The recursive alternative streams with bounded state and still rejects drift."""
    n = 90
    t = np.arange(n) / FPS
    drift = 0.4 * np.arange(n)
    clip = translating_clip(
        noise_texture(96, 96, blur=2.0, seed=5), drift + A * np.sin(2 * np.pi * 3.0 * t)
    )
    m = create_magnifier("acceleration", alpha=8.0, band=(2.0, 4.5), filter="butter", order=2)
    out = np.stack(list(m.stream(iter(clip), FPS)))
    residual_in = displacement_series(clip)[:, 1] - drift
    residual_out = displacement_series(out)[:, 1] - drift
    settled = slice(30, None)  # the causal filter's start-up has died out
    gain = tone_amplitude(residual_out[settled], 3.0, FPS) / tone_amplitude(
        residual_in[settled], 3.0, FPS
    )
    assert gain == pytest.approx(9.0, rel=0.25)
    slope = np.polyfit(np.arange(n)[settled], residual_out[settled], 1)[0]
    assert abs(slope) < 0.02
