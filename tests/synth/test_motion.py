"""The synthetic motion training data: exact magnified motion, parts, noise, determinism, shards."""

from __future__ import annotations

import doctest
import importlib
import json
import pickle
from dataclasses import replace

import numpy as np
import pytest
import torch
from scipy import ndimage

from vmag.errors import VmagError
from vmag.synth.motion import (
    IMAGE_KEYS,
    PARTS,
    ColorPerturbation,
    MotionConfig,
    MotionDataset,
    ShardDataset,
    make_sample,
    sample_scene,
    scene_for_sample,
    write_shards,
)

LUMA = np.array([0.299, 0.587, 0.114])
SQUARE = np.ones((3, 3), dtype=bool)

#: Few, large objects at 128 px: regions where one layer alone is visible are big enough.
MEASURE = MotionConfig(
    size=128, objects=(1, 2), object_size=(0.2, 0.3), noise=False, parts=PARTS[:3] + PARTS[4:]
)
SMALL = MotionConfig(size=64, objects=(3, 5))


def _visible(scene, k: int, scales: tuple[float, ...], margin: int = 7) -> np.ndarray:
    """Pixels x (frame at rest) where layer k alone is seen at x + s * d_k in every frame s.

    Layer k must be opaque there (``margin`` px inside its mask), no layer in front may
    come within ``margin`` px, and x + s * d_k stays ``margin`` + 2 px inside the frame.
    """
    masks = scene.masks().astype(np.float64)
    d = scene.displacements
    size = scene.size
    region = np.ones((size, size), bool)
    if k > 0:
        region = ndimage.binary_erosion(masks[k] > 0.999, SQUARE, iterations=margin)
    yy, xx = np.mgrid[0:size, 0:size]
    inner = (margin + 2, size - margin - 3)
    for s in scales:
        for j in range(k + 1, len(masks)):
            # Layer j covers x + s d_k in frame s where mask_j(x + s (d_k - d_j)) > 0.
            cover = ndimage.shift(masks[j], -s * (d[k] - d[j]), order=1) > 1e-4
            region &= ~ndimage.binary_dilation(cover, SQUARE, iterations=margin)
        py, px = yy + s * d[k, 0], xx + s * d[k, 1]
        region &= (py > inner[0]) & (py < inner[1]) & (px > inner[0]) & (px < inner[1])
    return region


def _fit_shift(ref: np.ndarray, img: np.ndarray, region: np.ndarray, start: np.ndarray):
    """d with img(x + d) = ref(x) over ``region``: Gauss-Newton on blurred luminance.

    Starts from the integer nearest ``start`` (periodic textures make a blind integer
    search ambiguous); the sub-pixel estimate is the fit's own. Blurring both frames
    (sigma 1.5 px) keeps the cubic-spline warp accurate to ~1e-4 px.
    """
    a = ndimage.gaussian_filter(ref @ LUMA, 1.5, mode="nearest")
    b = ndimage.spline_filter(ndimage.gaussian_filter(img @ LUMA, 1.5, mode="nearest"))
    gy, gx = np.gradient(a)
    ys, xs = np.nonzero(region)
    jac = np.stack([gy[ys, xs], gx[ys, xs]], axis=1)
    hess = jac.T @ jac
    d = np.round(start).astype(np.float64)
    for _ in range(30):
        warped = ndimage.map_coordinates(b, [ys + d[0], xs + d[1]], order=3, prefilter=False)
        step = np.linalg.solve(hess, jac.T @ (warped - a[ys, xs]))
        d -= step
        if np.abs(step).max() < 1e-7:
            break
    return d, float(np.linalg.eigvalsh(hess / len(ys))[0])


def test_magnified_motion_is_amp_times_input_motion_per_layer():
    """The key property: per layer, the shift A -> Y is (1 + alpha) times the shift A -> B."""
    measured = []
    for index in range(24):
        scene, alpha = scene_for_sample(2, index, MEASURE)
        amp = 1 + alpha
        sample = make_sample(2, index, MEASURE)
        a, b, y = sample.a_clean, sample.b_clean, sample.y
        for k, d in enumerate(scene.displacements):
            region = _visible(scene, k, (0.0, 1.0, amp))
            if not d.any() or region.sum() < 300:
                continue
            d_ab, texture = _fit_shift(a, b, region, d)
            if texture < 3e-5:  # too flat to measure to 1e-3 px
                continue
            d_ay, _ = _fit_shift(a, y, region, amp * d)
            measured.append((k, amp, np.abs(d_ay - amp * d_ab).max(), np.abs(d_ab - d).max()))
    layers, amps, ratio_err, input_err = np.array(measured).T
    assert len(measured) >= 8 and (layers == 0).any() and (layers > 0).any()
    assert amps.max() > 30  # strong magnifications among them
    assert ratio_err.max() < 0.05  # |d_AY - (1 + alpha) d_AB| in px
    assert input_err.max() < 0.005  # and B moved by the stated d


def test_sample_images_are_renders_of_its_scene():
    scene, alpha = scene_for_sample(4, 1, SMALL)
    s = make_sample(4, 1, SMALL)
    assert s.alpha == alpha and s.part == scene.part
    np.testing.assert_array_equal(s.displacements, scene.displacements)
    np.testing.assert_array_equal(s.a_clean, scene.render(0.0))
    np.testing.assert_array_equal(s.b_clean, scene.render(1.0))
    np.testing.assert_array_equal(s.y, scene.render(1.0 + alpha))
    for key in IMAGE_KEYS:
        img = getattr(s, key)
        assert img.shape == (64, 64, 3) and img.dtype == np.float32
        assert 0.0 <= img.min() and img.max() <= 1.0


def test_samples_are_deterministic_and_independent_of_order():
    first = make_sample(7, 3, SMALL)
    make_sample(7, 5, SMALL)  # other samples in between change nothing
    again = make_sample(7, 3, SMALL)
    for key in (*IMAGE_KEYS, "displacements"):
        np.testing.assert_array_equal(getattr(first, key), getattr(again, key))
    assert first.alpha == again.alpha
    other = make_sample(7, 4, SMALL)
    assert not np.array_equal(first.a_clean, other.a_clean)
    assert not np.array_equal(first.a_clean, make_sample(8, 3, SMALL).a_clean)


def test_dataset_items_are_the_samples_in_network_range():
    ds = MotionDataset(6, SMALL, seed=7)
    item = ds[3]
    sample = make_sample(7, 3, SMALL)
    assert len(ds) == 6 and set(item) == {*IMAGE_KEYS, "amp"}
    for key in IMAGE_KEYS:
        expect = torch.from_numpy(getattr(sample, key)).permute(2, 0, 1) * 2 - 1
        assert item[key].shape == (3, 64, 64) and item[key].dtype == torch.float32
        torch.testing.assert_close(item[key], expect, rtol=0, atol=1e-6)
    assert item["amp"].shape == () and item["amp"].item() == pytest.approx(1 + sample.alpha)
    with pytest.raises(IndexError):
        ds[6]


def test_dataset_works_in_dataloader_workers():
    ds = pickle.loads(pickle.dumps(MotionDataset(4, SMALL, seed=3)))
    loader = torch.utils.data.DataLoader(ds, batch_size=2, num_workers=2)
    batches = list(loader)
    assert len(batches) == 2 and batches[1]["y"].shape == (2, 3, 64, 64)
    torch.testing.assert_close(batches[1]["y"][1], ds[3]["y"], rtol=0, atol=0)
    torch.testing.assert_close(batches[0]["amp"], torch.stack([ds[0]["amp"], ds[1]["amp"]]))


@pytest.mark.parametrize("part", PARTS)
def test_parts_move_the_right_layers(part):
    config = replace(SMALL, parts=(part,), noise=False)
    for index in range(2):
        s = make_sample(1, index, config)
        norms = np.hypot(*s.displacements.T)
        assert s.part == part and len(norms) >= 4  # background + 3-5 objects
        bg_moves = part in ("base", "blurred-background", "background-only")
        fg_moves = part in ("base", "blurred-background", "foreground-only")
        assert (norms[0] > 0) == bg_moves
        assert (norms[1:] > 0).all() == fg_moves and (norms[1:] == 0).all() != fg_moves
        if part == "static":
            np.testing.assert_array_equal(s.b, s.a)
            np.testing.assert_array_equal(s.y, s.a)
            np.testing.assert_array_equal(s.y_prime, s.c)
        else:
            assert np.abs(s.y - s.a).max() > 0.01


def test_blurred_background_has_lower_contrast():
    def background_detail(part: str) -> float:
        config = replace(SMALL, parts=(part,), objects=(0, 0), noise=False)
        return float(
            np.mean([np.abs(np.diff(make_sample(0, i, config).a, axis=1)).mean() for i in range(6)])
        )

    assert background_detail("blurred-background") < 0.5 * background_detail("base")


def test_alpha_and_motion_distribution_respect_the_caps():
    config = MotionConfig(size=32, objects=(7, 15))
    alphas, largest, lengths = [], [], []
    for index in range(40):
        scene, alpha = scene_for_sample(0, index, config)
        norms = np.hypot(*scene.displacements.T)
        alphas.append(alpha)
        largest.append(norms.max())
        lengths.extend(norms[norms > 0])
    alphas, largest, lengths = map(np.asarray, (alphas, largest, lengths))
    assert ((1 + alphas) * largest <= config.max_magnified + 1e-9).all()
    assert alphas.min() >= config.min_alpha - 1e-9 and alphas.max() <= config.max_alpha
    assert alphas.min() < 3 and alphas.max() > 30  # alpha keeps its spread
    assert lengths.max() <= config.max_motion and lengths.min() >= config.min_motion
    assert 0.3 < (lengths < 1).mean() < 0.95  # sub-pixel motion over-represented
    assert lengths.max() > 5


def test_sample_scene_with_fixed_motion_and_same_appearance():
    s1 = sample_scene(np.random.default_rng(5), 64, part="base", motion=0.3)
    s2 = sample_scene(np.random.default_rng(5), 64, part="base", motion=1.7)
    np.testing.assert_allclose(np.hypot(*s1.displacements.T), 0.3)
    np.testing.assert_allclose(np.hypot(*s2.displacements.T), 1.7)
    np.testing.assert_array_equal(s1.render(0.0), s2.render(0.0))  # one picture, two motions
    np.testing.assert_allclose(s1.displacements / 0.3, s2.displacements / 1.7)  # same directions
    assert s1.masks().shape == (len(s1.displacements), 64, 64)
    static = sample_scene(np.random.default_rng(5), 64, part="foreground-only", motion=0.3)
    assert not static.displacements[0].any()


def test_render_refuses_shifts_beyond_the_canvas_margin():
    scene = sample_scene(np.random.default_rng(0), 64, motion=2.0)
    assert scene.max_scale == pytest.approx(30.0 / 2.0)
    scene.render(-scene.max_scale)
    with pytest.raises(VmagError, match="max_magnified"):
        scene.render(1.5 * scene.max_scale)


def test_noise_only_on_the_inputs():
    shot = replace(SMALL, noise_free=0.0, photons=(2000.0, 2000.0), read_noise=0.0)
    s = make_sample(3, 0, shot)
    scene, alpha = scene_for_sample(3, 0, shot)
    np.testing.assert_array_equal(s.y, scene.render(1 + alpha))  # Y and Y' stay clean
    np.testing.assert_array_equal(s.y_prime, make_sample(3, 0, replace(shot, noise=False)).y_prime)
    for noisy, clean in ((s.a, s.a_clean), (s.b, s.b_clean), (s.c, s.c_clean)):
        mid = (clean > 0.1) & (clean < 0.9)  # away from clipping
        z = (noisy - clean)[mid] / np.sqrt(clean[mid] / 2000.0)  # shot noise: var = x / photons
        assert abs(z.mean()) < 0.05 and 0.93 < z.std() < 1.07
    assert not np.array_equal(s.a - s.a_clean, s.b - s.b_clean)  # independent draws

    read = replace(shot, photons=(1e12, 1e12), read_noise=0.01)
    s = make_sample(3, 0, read)
    mid = (s.a_clean > 0.1) & (s.a_clean < 0.9)
    assert 0 < (s.a - s.a_clean)[mid].std() < 0.0105  # sigma drawn in [0, read_noise]

    quiet = make_sample(3, 0, replace(shot, noise=False))
    np.testing.assert_array_equal(quiet.a, quiet.a_clean)
    np.testing.assert_array_equal(quiet.a_clean, s.a_clean)


def test_c_and_y_prime_share_one_colour_perturbation():
    config = replace(SMALL, parts=("foreground-only",), objects=(1, 1), noise=False)
    s = make_sample(0, 2, config)
    # Where B and Y agree (the static background away from the object), so do C and Y'.
    same = np.abs(s.b_clean - s.y).max(axis=2) < 1e-6
    assert same.mean() > 0.2
    assert np.abs(s.c_clean - s.y_prime)[same].max() < 1e-4
    assert np.abs(s.c_clean - s.b_clean).mean() > 0.01  # the perturbation is not the identity

    # Fit a cubic colour map B -> C and check it predicts Y' from Y (and fails across samples).
    def features(img):
        x = img.reshape(-1, 3).astype(np.float64)
        cols = [np.ones(len(x))]
        for i in range(3):
            for j in range(i, 3):
                cols += [x[:, i] * x[:, j] * x[:, m] for m in range(j, 3)] + [x[:, i] * x[:, j]]
            cols.append(x[:, i])
        return np.stack(cols, axis=1)

    base = replace(SMALL, parts=("base",), noise=False)
    s = make_sample(0, 1, base)
    other = make_sample(0, 2, base)
    coef, *_ = np.linalg.lstsq(features(s.b_clean), s.c_clean.reshape(-1, 3), rcond=None)
    err_same = np.abs(features(s.y) @ coef - s.y_prime.reshape(-1, 3)).mean()
    err_other = np.abs(features(s.y) @ coef - other.y_prime.reshape(-1, 3)).mean()
    assert err_same < 0.01 < err_other


def test_color_perturbation_strength_zero_is_identity():
    img = np.random.default_rng(0).random((8, 8, 3), dtype=np.float32)
    np.testing.assert_allclose(
        ColorPerturbation.draw(np.random.default_rng(1), 0.0)(img), img, atol=1e-6
    )


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"size": 16}, "size"),
        ({"objects": (5, 2)}, "objects"),
        ({"parts": ("base", "nope")}, "part"),
        ({"parts": ()}, "parts"),
        ({"max_motion": 40.0}, "max_magnified"),
        ({"min_alpha": 0.0}, "min_alpha"),
        ({"max_alpha": 5000.0}, "min_motion"),
        ({"noise_free": 1.5}, "noise_free"),
        ({"read_noise": -0.1}, "read_noise"),
        ({"object_size": (0.3, 0.1)}, "object_size"),
    ],
)
def test_config_validation(kwargs, needle):
    with pytest.raises(VmagError, match=needle):
        MotionConfig(**kwargs)


def test_config_accepts_lists_from_json():
    config = MotionConfig(size=64, parts=["static"], objects=[1, 2])
    assert config.parts == ("static",) and config.objects == (1, 2)
    assert MotionConfig(**json.loads(json.dumps(config.__dict__))) == config


def test_shards_reload_resume_and_refuse_other_data(tmp_path):
    config = replace(SMALL, size=48)
    calls = []
    paths = write_shards(
        tmp_path,
        5,
        config,
        seed=9,
        shard_size=2,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert [p.name for p in paths] == ["shard-00000.npz", "shard-00001.npz", "shard-00002.npz"]
    assert calls[0] == (0, 5) and calls[-1] == (5, 5)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["n"] == 5 and manifest["seed"] == 9 and manifest["complete"]
    assert manifest["config"]["size"] == 48
    with np.load(paths[2]) as z:
        assert z["a"].dtype == np.uint8 and z["a"].shape == (1, 48, 48, 3)
        assert z["part"][0] == make_sample(9, 4, config).part

    ds = ShardDataset(tmp_path)
    direct = MotionDataset(5, config, seed=9)
    assert len(ds) == 5
    for i in (0, 3, 4):
        got, want = ds[i], direct[i]
        for key in IMAGE_KEYS:
            torch.testing.assert_close(got[key], want[key], rtol=0, atol=1.01 / 255)
        torch.testing.assert_close(got["amp"], want["amp"])
    clone = pickle.loads(pickle.dumps(ds))
    torch.testing.assert_close(clone[3]["b"], ds[3]["b"])

    # Resume: complete shards are kept; a missing one is regenerated identically.
    stamp = paths[0].stat().st_mtime_ns
    kept = paths[1].read_bytes()
    paths[1].unlink()
    calls.clear()
    write_shards(tmp_path, 5, config, seed=9, shard_size=2, progress=lambda d, t: calls.append(d))
    assert calls == [3, 4, 5]  # shards 0 and 2 kept (3 samples); shard 1's two made again
    assert paths[0].stat().st_mtime_ns == stamp and paths[1].read_bytes() == kept

    with pytest.raises(VmagError, match="different data set"):
        write_shards(tmp_path, 5, config, seed=10, shard_size=2)


def test_shard_dataset_refuses_incomplete_folders(tmp_path):
    with pytest.raises(VmagError, match="cannot read"):
        ShardDataset(tmp_path)
    write_shards(tmp_path, 2, replace(SMALL, size=32), seed=0, shard_size=1)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["complete"] = False
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(VmagError, match="incomplete"):
        ShardDataset(tmp_path)


@pytest.mark.parametrize("name", ["motion", "scene", "textures"])
def test_docstring_examples(name):
    module = importlib.import_module(f"vmag.synth.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_scene_whose_reach_rounds_above_the_cap_still_renders() -> None:
    # 30 * n / n rounded to 30.000000000000004 here and overflowed the background canvas
    scene = sample_scene(np.random.default_rng([0, 0]), 256, motion=0.3167639217533158)
    assert scene.render(10 / 0.3167639217533158).shape == (256, 256, 3)
