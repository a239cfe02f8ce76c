"""The table protocols (circles, physical, large-motion): result shape, determinism, and
checks of their renderers and scores against independent computations."""

from __future__ import annotations

import dataclasses
import doctest
import json
import math

import numpy as np
import pytest

from vmag.bench.protocol import BenchResult, Protocol, list_protocols, protocol_class
from vmag.bench.protocols import _render, circles, large_motion, physical
from vmag.bench.protocols._render import Sprite, compose, texture
from vmag.synth import noise_texture, translating_clip

METHODS = ["linear", "phase"]

#: Each protocol at a size that runs in seconds.
TINY: dict[str, Protocol] = {
    "circles": circles.Circles(size=128, clips=1, quick=True),
    "physical": physical.Physical(size=64, scenes=1, frames=40, quick=True),
    "large-motion": large_motion.LargeMotion(
        size=96, clips=1, frames=30, supersample=1, quick=True
    ),
}
METRICS = {
    "circles": circles.METRICS,
    "physical": physical.METRICS,
    "large-motion": large_motion.METRICS,
}


Calls = list[tuple[str, int, int]]


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[BenchResult, Calls]]:
    """Each tiny protocol run once on linear and phase, with the progress calls it made."""
    out = {}
    for name, proto in TINY.items():
        calls: Calls = []
        result = proto.run(METHODS, lambda *call, log=calls: log.append(call))
        out[name] = result, calls
    return out


@pytest.fixture(scope="module")
def results(runs) -> dict[str, BenchResult]:
    return {name: result for name, (result, _) in runs.items()}


# -- every table protocol ---------------------------------------------------------------------
def test_registered_in_order() -> None:
    names = list_protocols()
    mine = ["circles", "physical", "large-motion"]
    assert [n for n in names if n in mine] == mine


@pytest.mark.parametrize("name", list(TINY))
def test_result_is_a_full_finite_table(results, name) -> None:
    result = results[name]
    assert result.protocol == name and result.kind == "table"
    assert list(result.scores) == ["input", *METHODS]
    for row in result.scores.values():
        assert list(row) == list(METRICS[name])
        assert all(math.isfinite(v) for v in row.values())
    settings = json.loads(json.dumps(result.settings))
    assert settings["seed"] == 0 and settings["quick"] is True
    json.dumps(result.to_json(), allow_nan=False)


@pytest.mark.parametrize("name", list(TINY))
def test_progress_counts_clips_per_method(runs, name) -> None:
    calls = runs[name][1]
    for method in METHODS:
        mine = [(done, total) for stage, done, total in calls if stage == method]
        assert mine and mine[-1][0] == mine[-1][1]  # ends complete
        assert [d for d, _ in mine] == sorted(d for d, _ in mine)


@pytest.mark.parametrize("name", list(TINY))
def test_same_seed_same_scores(results, name) -> None:
    again = dataclasses.replace(TINY[name]).run(["phase"])
    for row in ("input", "phase"):
        assert again.scores[row] == results[name].scores[row]


@pytest.mark.parametrize("name", list(TINY))
def test_method_params_reach_every_magnification(magnify_calls, name) -> None:
    """Every table protocol magnifies through Protocol.magnify, with a method's own parameters."""
    seen = magnify_calls
    params = {"phase": {"sigma": 1.0}}
    dataclasses.replace(TINY[name], method_params=params).run(METHODS)
    assert seen and seen == [("linear", {}), ("phase", {"sigma": 1.0})] * (len(seen) // 2)


def test_size_fields_are_each_protocols_integer_fields() -> None:
    sizes = {name: protocol_class(name).size_fields() for name in list_protocols()}
    assert sizes["circles"] == ["clips", "size"]
    assert sizes["physical"] == ["scenes", "size", "frames"]
    assert sizes["large-motion"] == ["clips", "size", "frames", "supersample"]
    assert sizes["subpixel"] == sizes["noise"] == ["size", "samples", "levels"]


def test_seed_changes_the_scenes() -> None:
    for name in ("circles", "physical"):
        a = TINY[name].clip(0) if name == "circles" else TINY[name].clip(0, "sine_1")
        other = dataclasses.replace(TINY[name], seed=1)
        b = other.clip(0) if name == "circles" else other.clip(0, "sine_1")
        assert not np.array_equal(a.frames, b.frames)
    a = TINY["large-motion"].scene(0).frame(3, 1.0)
    b = dataclasses.replace(TINY["large-motion"], seed=1).scene(0).frame(3, 1.0)
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("module", [_render, circles, physical, large_motion])
def test_doc_examples(module) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# -- renderer ----------------------------------------------------------------------------------
def test_sprite_moves_exactly() -> None:
    """An integer shift is exactly a roll of the tile; a sub-pixel one moves its centroid by
    that much (up to the interpolation's ringing, which wraps around the tile)."""
    tex = texture("coffee", 41, np.random.default_rng(0))
    disc = Sprite.disc(tex, 8, (30, 30), margin=12)
    rest, moved, sub = disc.layers(np.array([[0.0, 0.0], [3.0, -5.0], [0.1, 0.37]]))
    np.testing.assert_allclose(moved, np.roll(rest, (3, -5), axis=(0, 1)), atol=1e-12)
    yy, xx = np.mgrid[0 : rest.shape[0], 0 : rest.shape[1]]

    def centroid(layer: np.ndarray) -> np.ndarray:
        w = layer[..., 3]
        return np.array([(w * yy).sum(), (w * xx).sum()]) / w.sum()

    np.testing.assert_allclose(centroid(sub) - centroid(rest), [0.1, 0.37], atol=0.01)


def test_compose_pastes_over_the_background() -> None:
    bg = np.full((64, 64, 3), 0.25, np.float32)
    disc = Sprite.disc(np.full((41, 41, 3), 0.75), 8, (32, 32), margin=12)
    out = compose(bg, [disc], [np.array([[0.0, 0.0], [0.0, 10.0]])])
    assert out[0, 32, 32, 0] == pytest.approx(0.75, abs=1e-6)
    assert out[1, 32, 32, 0] == pytest.approx(0.25, abs=1e-6)  # the disc moved away
    assert out[1, 32, 42, 0] == pytest.approx(0.75, abs=1e-6)
    assert out[1, 5, 5, 0] == 0.25  # untouched far away


# -- circles -----------------------------------------------------------------------------------
def test_circles_input_row_is_the_unmagnified_clips_mse(results) -> None:
    proto = TINY["circles"]
    clip = proto.clip(0)
    k = list(clip.scored)
    expected = np.mean((clip.frames[k].astype(np.float64) * 255 - clip.truth[k] * 255) ** 2)
    assert results["circles"].scores["input"]["mse"] == pytest.approx(expected, rel=1e-9)


def test_circles_truth_moves_discs_10px() -> None:
    """At the scored extremes the truth is the scene with the discs 10 px from rest."""
    proto = TINY["circles"]
    clip = proto.clip(0)
    assert proto.truth_amplitude == pytest.approx(10.0)
    assert clip.scored == (10, 14) and clip.alpha == 99.0
    # at rest (k = 0) input and truth are the same picture, up to the input's noise
    rest = (clip.frames[0] - clip.truth[0]) * 255
    assert rest.mean() == pytest.approx(0.0, abs=0.3)  # clipping at 0 and 1 biases it a bit
    assert rest.std() == pytest.approx(proto.noise, rel=0.1)
    regions = proto.regions()
    r, a = proto.radius + 1, proto.truth_amplitude
    stadium = math.pi * r * r + 2 * r * 2 * a  # a disc swept along a 20 px segment
    for mask in regions.values():
        assert mask.sum() == pytest.approx(stadium, rel=0.03)
    assert not (regions["horizontal"] & regions["vertical"]).any()


def test_circles_phase_beats_the_input(results) -> None:
    scores = results["circles"].scores
    for metric in circles.METRICS:
        assert scores["phase"][metric] < 0.8 * scores["input"][metric]


def test_circles_rejects_a_frame_too_small() -> None:
    with pytest.raises(ValueError, match="cannot hold three discs"):
        circles.Circles(size=64)


# -- physical ----------------------------------------------------------------------------------
def test_physical_identity_scores_as_the_input(results, identity) -> None:
    result = dataclasses.replace(TINY["physical"]).run([identity])
    assert result.scores[identity] == result.scores["input"]
    assert result.scores["input"] == results["physical"].scores["input"]


def test_physical_flow_recovers_the_truths_motion() -> None:
    """The measurement itself: on the exactly magnified clip it recovers the signal's shape
    almost perfectly, on a still clip not at all."""
    proto = TINY["physical"]
    clip = proto.clip(0, "sine_1")
    assert proto.mae(clip.truth, clip) < 0.01
    still = np.repeat(clip.frames[:1], len(clip.frames), axis=0)
    still = still + np.random.default_rng(0).normal(0, 0.01, still.shape).astype(np.float32)
    assert proto.mae(still, clip) > 0.1


def test_flow_displacement_measures_subpixel_translation() -> None:
    clip = translating_clip(noise_texture(64, 64, seed=2), [0.0, 0.25, -0.5], [0.0, 0.5, 0.0])
    d = physical.flow_displacement(clip, (slice(16, 48), slice(16, 48)), (0.6, 0.8))
    np.testing.assert_allclose(d, [0.0, 0.6 * 0.5 + 0.8 * 0.25, -0.8 * 0.5], atol=0.02)


def test_physical_signals_and_scaling() -> None:
    s = physical.signal("sine_2", 40)
    assert np.abs(s).max() == pytest.approx(0.1, rel=1e-3)
    np.testing.assert_allclose(physical.minmax([2.0, 4.0, 3.0]), [0.0, 1.0, 0.5])
    chirp = physical.signal("chirp", 400)
    gaps = np.diff(np.flatnonzero(np.diff(np.sign(chirp)) != 0))
    assert gaps[len(gaps) // 2] < 0.5 * gaps[0]  # faster at mid-clip (3x the rate)
    assert gaps[len(gaps) // 2] < gaps[-1]  # and slower again at the end
    # whole cycles: the clip repeats smoothly, so its spectrum stays within the sweep
    power = np.abs(np.fft.rfft(chirp)) ** 2
    assert power[2:12].sum() > 0.99 * power.sum()


# -- large motion ------------------------------------------------------------------------------
def test_large_motion_truth_differs_only_in_the_subtle_signals() -> None:
    proto = TINY["large-motion"]
    scene = proto.scene(0)
    truth = 1 + proto.alpha
    # alpha = 0 would render the truth as the input: identical frames, SSIM 1
    rest = scene.frame(3, 1.0)
    np.testing.assert_array_equal(rest, scene.frame(3, 1.0 + 0.0))
    assert large_motion.clip_scores(rest[None], rest[None]) == (large_motion.PSNR_CAP, 1.0)
    # frame 0: both subtle signals are at zero while the large motion displaces the square,
    # so input and truth agree there; at frame 3 they do not, but only on the square
    np.testing.assert_array_equal(scene.frame(0, 1.0), scene.frame(0, truth))
    moved = scene.frame(3, truth)
    assert np.abs(moved - rest).max() > 0.05
    np.testing.assert_array_equal(moved[:8, :8], rest[:8, :8])  # a corner of the frame
    # the large motion moves the square by many pixels
    assert np.abs(scene.frame(0, 1.0) - scene.frame(8, 1.0)).max() > 0.3


def test_large_motion_colour_change_scales_by_one_plus_alpha() -> None:
    scene = dataclasses.replace(TINY["large-motion"].scene(0), motion_px=0.0)
    t = 2  # colour signal sin(2π·3·2/30) ≠ 0
    base = scene.frame(t, 0.0).astype(np.float64)
    small = scene.frame(t, 1.0) - base
    big = scene.frame(t, 16.0) - base
    assert np.abs(small).max() > 1e-3
    np.testing.assert_allclose(big, 16 * small, atol=2e-6)


def test_large_motion_breathing_inverse_is_exact() -> None:
    scene = TINY["large-motion"].scene(0)
    u = np.random.default_rng(0).uniform(-20, 20, (2, 500))
    eps = scene.strain(16.0)
    assert 0.5 < eps < 0.9
    x = scene._undeform(u, eps)
    r = x - np.array(scene.breath_centre)[:, None]
    forward = x + eps * r * np.exp(-(r * r).sum(0) / (2 * scene.region**2))
    np.testing.assert_allclose(forward, u, atol=1e-6)


def test_large_motion_scores_input_row(results) -> None:
    scores = results["large-motion"].scores
    assert scores["input"]["psnr_input"] == large_motion.PSNR_CAP
    assert scores["input"]["ssim_input"] == 1.0
    assert scores["input"]["psnr_truth"] < 60  # the truth's subtle changes are real
    for m in METHODS:
        assert scores[m]["psnr_input"] < large_motion.PSNR_CAP
