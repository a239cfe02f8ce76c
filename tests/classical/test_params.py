"""Out-of-range parameters raise one clear VmagError naming the parameter and its range."""

from __future__ import annotations

import numpy as np
import pytest

from vmag.classical.linear import level_alphas
from vmag.errors import VmagError
from vmag.registry import create_magnifier, list_magnifiers

FRAMES = np.random.default_rng(0).random((40, 64, 64, 3), dtype=np.float32)


def test_registry_lists_the_classical_methods_in_paper_order():
    assert list_magnifiers()[:5] == ["linear", "color", "phase", "riesz", "acceleration"]


@pytest.mark.parametrize(
    ("method", "params", "fps", "match"),
    [
        ("phase", {"alpha": 0}, 30, "alpha"),
        ("phase", {"alpha": -3}, 30, "alpha"),
        ("linear", {"band": (1.0, 20.0)}, 30, "Nyquist"),
        ("linear", {"band": (3.0, 2.0)}, 30, "LO < HI"),
        ("phase", {"levels": 12}, 30, "levels"),
        ("linear", {"levels": 12}, 30, "levels"),
        ("riesz", {"levels": 12}, 30, "levels"),
        ("color", {"levels": 9}, 30, "levels"),
        ("phase", {"bandwidth": "third"}, 30, "bandwidth"),
        ("phase", {"orientations": 0}, 30, "orientations"),
        ("linear", {"filter": "kalman"}, 30, "filter"),
        ("linear", {"lambda_c": -1}, 30, "lambda_c"),
    ],
)
def test_bad_parameters(method, params, fps, match):
    with pytest.raises(VmagError, match=match):
        create_magnifier(method, **params).magnify(FRAMES, fps)


def test_clip_too_short_for_filter():
    with pytest.raises(VmagError, match="frames"):
        create_magnifier("linear", band=(0.5, 2.0), filter="butter", order=4).magnify(
            FRAMES[:5], 30
        )


def test_unknown_method_and_option():
    with pytest.raises(VmagError, match="unknown method"):
        create_magnifier("magic")
    with pytest.raises(VmagError, match="lambda_c"):
        create_magnifier("phase", lambda_c=3)


def test_level_alphas_follow_the_lambda_c_bound():
    alphas = level_alphas(alpha=20, lambda_c=16, levels=5, height=240, width=320)
    assert alphas[0] == 0  # the finest band is never amplified
    assert all(a <= 20 for a in alphas)
    assert alphas == sorted(alphas)  # coarser bands (longer wavelengths) take more
    # A tiny cutoff leaves every band but the finest at full alpha.
    assert level_alphas(20, 0.1, 5, 240, 320)[1:] == [20.0] * 4


@pytest.mark.parametrize("lambda_c", [100.0, 1000.0])
def test_linear_with_a_large_cutoff_amplifies_only_coarse_levels_or_nothing(lambda_c: float):
    # λc beyond the finer bands' wavelengths (or all of them) leaves those unamplified
    clip = np.random.default_rng(0).random((24, 96, 96, 3), dtype=np.float32)
    out = create_magnifier("linear", alpha=10, band=(1, 3), lambda_c=lambda_c).magnify(clip, 30)
    assert out.shape == clip.shape and np.isfinite(out).all()
    if lambda_c == 1000.0:  # no band long enough: the clip passes unchanged
        np.testing.assert_allclose(out, clip, atol=1e-6)
