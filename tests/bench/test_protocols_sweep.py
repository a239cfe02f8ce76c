"""The sweep protocols (subpixel, noise): clips, scores against truth, sanity and determinism."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from vmag import registry
from vmag.bench import displacement_series
from vmag.bench.protocol import list_protocols, magnify_clip
from vmag.bench.protocols import _common, noise, subpixel
from vmag.bench.protocols._common import SCORED, motion_scales, periodic_clip, scored_ssim
from vmag.bench.protocols.noise import NoiseProtocol, add_noise
from vmag.bench.protocols.subpixel import SubpixelProtocol
from vmag.bench.runner import run_protocol
from vmag.errors import VmagError
from vmag.synth import fourier_shift, noise_texture

TINY = dict(size=32, samples=1, levels=2)


@pytest.fixture(scope="module")
def quick_subpixel():
    return run_protocol("subpixel", ["linear", "phase"], quick=True, seed=0)


@pytest.fixture(scope="module")
def quick_noise():
    return run_protocol("noise", ["linear", "phase"], quick=True, seed=0)


def test_both_protocols_are_registered():
    assert {"subpixel", "noise"} <= set(list_protocols())


def test_clip_moves_by_delta_input_and_one_plus_alpha_delta_truth():
    """A texture shifted by s(k)·δ: the scored frames sit at ±δ, the truth at ±(1 + α)δ."""
    tex = noise_texture(32, 32, seed=1)
    clip = periodic_clip(lambda s: fourier_shift(tex, 0.0, 0.3 * s), alpha=9.0)
    assert clip.scored == SCORED == (10, 14)
    assert motion_scales()[list(SCORED)].tolist() == [1.0, -1.0]
    np.testing.assert_allclose(clip.frames[10], fourier_shift(tex, 0.0, 0.3), atol=1e-6)
    np.testing.assert_allclose(clip.truth[14], fourier_shift(tex, 0.0, -3.0), atol=1e-6)
    np.testing.assert_array_equal(clip.frames[0], clip.truth[0])  # s(0) = 0


def test_phase_moves_a_texture_by_one_plus_alpha_delta(identity):
    """On the periodic clip, phase with α = 10/δ − 1 moves a texture ~10 px at the scored
    frames (the ideal filter is exact there); a magnifier returning its input scores the input."""
    tex = noise_texture(64, 64, blur=4.0, seed=2)
    clip = periodic_clip(lambda s: fourier_shift(tex, 0.0, 0.1 * s), alpha=99.0)
    out = magnify_clip("phase", clip)
    moved = displacement_series(np.stack([tex, out[10], out[14]]))[1:, 1]
    np.testing.assert_allclose(moved, [10.0, -10.0], rtol=0.15)  # measured 9.1, -8.6
    assert scored_ssim(out, clip) > scored_ssim(clip.frames, clip) + 0.2
    same = scored_ssim(magnify_clip(identity, clip), clip)
    assert same == pytest.approx(scored_ssim(clip.frames, clip), abs=1e-9)


@pytest.mark.parametrize("fixture", ["quick_subpixel", "quick_noise"])
def test_quick_result_has_a_score_per_level(fixture, request):
    result = request.getfixturevalue(fixture)
    doc = result.to_json()
    assert doc["kind"] == "sweep" and doc["score_name"] == "SSIM"
    assert doc["settings"]["seed"] == 0 and doc["settings"]["quick"] is True
    assert doc["settings"]["methods"] == ["linear", "phase"]
    assert len(doc["levels"]) == 3 and len(doc["baseline"]) == 3
    assert set(doc["scores"]) == {"linear", "phase"}
    for values in [*doc["scores"].values(), doc["baseline"]]:
        assert len(values) == 3 and all(-1 <= v <= 1 for v in values)


def test_subpixel_levels_and_phase_beats_the_input(quick_subpixel):
    levels = quick_subpixel.levels
    assert levels == pytest.approx([0.04, 0.2, 1.0])
    for i, level in enumerate(levels):
        if level >= 0.1:
            assert quick_subpixel.scores["phase"][i] > quick_subpixel.baseline[i] + 0.02


def test_a_magnifier_returning_its_input_scores_the_baseline(identity):
    result = SubpixelProtocol(**TINY).run([identity])
    np.testing.assert_allclose(result.scores[identity], result.baseline, atol=1e-9)


def test_identity_test_method_does_not_leak():
    assert "identity-test" not in registry.list_magnifiers()


def test_noise_baseline_falls_with_noise(quick_noise):
    assert quick_noise.levels == pytest.approx([0.1, np.sqrt(3.0), 30.0])
    base, phase = quick_noise.baseline, quick_noise.scores["phase"]
    assert base[0] > base[2] + 0.05
    assert phase[0] > phase[2] + 0.05


def test_add_noise_has_the_stated_sigma_and_stays_in_range():
    frames = np.full((2, 64, 64, 3), 0.5, np.float32)
    noisy = add_noise(frames, 5.0, np.random.default_rng(1))
    assert np.std(noisy - frames) * 255 == pytest.approx(5.0, rel=0.03)
    heavy = add_noise(np.zeros_like(frames), 50.0, np.random.default_rng(1))
    assert heavy.min() == 0.0 and heavy.max() <= 1.0 and heavy.dtype == np.float32


@pytest.mark.parametrize("cls", [SubpixelProtocol, NoiseProtocol])
def test_same_seed_same_scores_other_seed_other_scores(cls):
    a = cls(seed=4, **TINY).run(["linear"])
    b = cls(seed=4, **TINY).run(["linear"])
    c = cls(seed=5, **TINY).run(["linear"])
    assert a.scores == b.scores and a.baseline == b.baseline
    assert a.baseline != c.baseline


def test_progress_counts_clips_per_method():
    calls: list[tuple[str, int, int]] = []
    NoiseProtocol(**TINY).run(["linear", "phase"], lambda *a: calls.append(a))
    assert calls == [("linear", 1, 2), ("phase", 1, 2), ("linear", 2, 2), ("phase", 2, 2)]


def test_quick_and_full_defaults():
    full, quick = SubpixelProtocol(), SubpixelProtocol(quick=True)
    assert (full.size, full.samples, full.levels) == (256, 100, 15)
    assert (quick.size, quick.samples, quick.levels) == (64, 2, 3)
    assert NoiseProtocol().levels == 10 and NoiseProtocol(quick=True, levels=5).levels == 5


@pytest.mark.parametrize(
    "make",
    [
        lambda: SubpixelProtocol(size=8),
        lambda: SubpixelProtocol(samples=0),
        lambda: SubpixelProtocol(min_motion=2.0, max_motion=1.0),
        lambda: SubpixelProtocol(max_motion=12.0),
        lambda: NoiseProtocol(min_noise=-1.0),
        lambda: NoiseProtocol(seed=-1),
    ],
)
def test_bad_parameters_raise(make):
    with pytest.raises(VmagError):
        make()


def test_runner_checks_protocol_and_methods_before_any_work():
    calls: list[tuple[str, int, int]] = []
    with pytest.raises(VmagError, match=r"unknown protocol 'nope'.*subpixel.*noise"):
        run_protocol("nope", ["phase"])
    with pytest.raises(VmagError, match=r"unknown method 'nope'.*phase"):
        run_protocol("subpixel", ["phase", "nope"], progress=lambda *a: calls.append(a))
    with pytest.raises(VmagError, match="more than once"):
        run_protocol("subpixel", ["phase", "phase"])
    with pytest.raises(VmagError, match="at least one"):
        run_protocol("subpixel", [])
    assert calls == []


def test_runner_sets_sizes_over_the_quick_defaults():
    result = run_protocol("noise", ["linear"], quick=True, sizes={"size": 32, "levels": 2})
    settings = result.settings
    assert (settings["size"], settings["samples"], settings["levels"]) == (32, 2, 2)
    assert len(result.levels) == len(result.scores["linear"]) == 2


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ({"clips": 2}, "subpixel has no setting 'clips'; set one of size, samples, levels"),
        ({"seed": 2}, "no setting 'seed'"),
        ({"samples": 1.5}, "samples must be an integer, got 1.5"),
        ({"samples": 0}, "samples must be an integer >= 1"),
    ],
)
def test_runner_refuses_bad_sizes_before_any_work(sizes, message):
    calls: list[tuple[str, int, int]] = []
    with pytest.raises(VmagError, match=message):
        run_protocol("subpixel", ["linear"], sizes=sizes, progress=lambda *a: calls.append(a))
    assert calls == []


def test_method_params_reach_every_magnification(magnify_calls):
    """Protocol.magnify adds a method's own parameters to every clip it magnifies."""
    seen = magnify_calls
    params = {"phase": {"sigma": 1.0}}
    SubpixelProtocol(**TINY, method_params=params).run(["linear", "phase"])
    assert seen == [("linear", {}), ("phase", {"sigma": 1.0})] * 2


@pytest.mark.parametrize("module", [_common, noise, subpixel])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
