"""The learned networks: shapes and size checks, parameter counts against the papers, exact
zero motion for equal frames, amp broadcasting, losses and their gradients, training
progress, and the proxy model of the lightweight network."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from vmag.errors import VmagError
from vmag.learned.lightweight import Lightweight
from vmag.learned.magnet import Magnet
from vmag.learned.net import MotionNet
from vmag.synth import noise_texture
from vmag.synth.clips import fourier_shift

#: (id, class, kwargs, parameter count reported by the paper)
CONFIGS = [
    ("magnet", Magnet, {}, 0.98e6),
    ("lightweight", Lightweight, {"channels": 8}, 0.12e6),
    ("lightweight-base", Lightweight, {"channels": 24}, 1.10e6),
]
IDS = [c[0] for c in CONFIGS]


def make(config: tuple) -> MotionNet:
    _, cls, kwargs, _ = config
    return cls(**kwargs)


def fake_batch(n: int = 2, size: int = 32, noise: float = 0.02, seed: int = 0) -> dict:
    """A batch like the synthetic generator's: A, B = A moved by a sub-pixel shift, Y = A moved
    amp times as far, C and Y' = B and Y with a colour gain, and noisy copies of A, B, C."""
    rng = np.random.default_rng(seed)
    keys = ("a_clean", "b_clean", "c_clean", "y", "y_prime")
    out: dict[str, list] = {k: [] for k in keys}
    amps = rng.uniform(2.0, 8.0, n)
    for i in range(n):
        tint = rng.uniform(-0.3, 0.3, 3).astype(np.float32)
        tex = np.clip(noise_texture(size, size, blur=1.5, seed=seed * 100 + i) + tint, 0, 1)
        dy, dx = rng.uniform(-0.4, 0.4, 2)
        gain = rng.uniform(0.6, 1.3, 3).astype(np.float32)
        b = fourier_shift(tex, dy, dx)
        y = fourier_shift(tex, amps[i] * dy, amps[i] * dx)
        images = (tex, b, np.clip(b * gain, 0, 1), y, np.clip(y * gain, 0, 1))
        for key, img in zip(keys, images, strict=True):
            out[key].append(img)
    batch = {k: torch.from_numpy(np.stack(v)).permute(0, 3, 1, 2) * 2 - 1 for k, v in out.items()}
    gen = torch.Generator().manual_seed(seed)
    for k in ("a", "b", "c"):
        clean = batch[f"{k}_clean"]
        batch[k] = clean + noise * torch.randn(clean.shape, generator=gen)
    batch["amp"] = torch.tensor(amps, dtype=torch.float32)
    return {k: v.float().contiguous() for k, v in batch.items()}


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_forward_keeps_the_frame_shape(config):
    net = make(config)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    y = net(x, torch.roll(x, 1, dims=-1), torch.tensor([2.0, 4.0]))
    assert y.shape == (2, 3, 32, 32) and y.dtype == torch.float32
    assert torch.isfinite(y).all()
    wide = torch.rand(1, 3, 24, 40) * 2 - 1
    assert net(wide, wide, torch.tensor(3.0)).shape == (1, 3, 24, 40)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_bad_inputs_raise(config):
    net = make(config)
    m = net.multiple
    bad = torch.zeros(1, 3, 32, 32 + m - 1)
    with pytest.raises(VmagError, match=f"multiples of {m}"):
        net.analyse(bad, bad)
    with pytest.raises(VmagError, match="same shape"):
        net.analyse(torch.zeros(1, 3, 32, 32), torch.zeros(1, 3, 32, 16))
    with pytest.raises(VmagError, match=r"\(B, 3, H, W\)"):
        net.analyse(torch.zeros(1, 1, 32, 32), torch.zeros(1, 1, 32, 32))
    context, motion = net.analyse(torch.zeros(2, 3, 16, 16), torch.zeros(2, 3, 16, 16))
    with pytest.raises(VmagError, match="amp"):
        net.synthesise(context, motion, torch.ones(3))


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_parameter_count_close_to_the_paper(config):
    count = sum(p.numel() for p in make(config).parameters())
    assert abs(count / config[3] - 1) < 0.25, count


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_motion_is_exactly_zero_for_equal_frames(config):
    net = make(config)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        _, motion = net.analyse(x, x.clone())
        _, moved = net.analyse(x, torch.roll(x, 1, dims=-1))
    assert torch.count_nonzero(motion) == 0
    assert moved.abs().mean() > 1e-4


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_amp_broadcasts_per_sample(config):
    net = make(config)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        context, motion = net.analyse(x, torch.roll(x, 1, dims=-2))
        both = net.synthesise(context, motion, torch.tensor([2.0, 6.0]))
        first = net.synthesise(context, motion, torch.tensor(2.0))
        second = net.synthesise(context, motion, 6.0)
    torch.testing.assert_close(both[0], first[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(both[1], second[1], atol=1e-5, rtol=1e-5)
    assert (both[1] - first[1]).abs().max() > 1e-4  # amp changes the output


def test_lightweight_manipulator_is_homogeneous_and_zero_motion_decodes_the_context():
    """Bias-free manipulator: manip(k x) = k manip(x); zero motion ignores amp."""
    net = Lightweight(channels=8)
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        context, motion = net.analyse(x, torch.roll(x, 2, dims=-1))
        torch.testing.assert_close(net.manipulator(3 * motion), 3 * net.manipulator(motion))
        still = net.synthesise(context, torch.zeros_like(motion), torch.tensor(1.0))
        assert torch.equal(still, net.synthesise(context, torch.zeros_like(motion), 7.0))
        moved = net.synthesise(context, motion, torch.tensor(7.0))
    assert (moved - still).abs().max() > 1e-4
    assert moved.abs().max() <= 1  # tanh output


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_loss_is_the_weighted_sum_and_reaches_every_parameter(config):
    net = make(config)
    terms = net.loss(fake_batch())
    assert all(torch.isfinite(v) and v.ndim == 0 for v in terms.values())
    expected = sum(net.LOSS_WEIGHTS[k] * v for k, v in terms.items() if k != "total")
    torch.testing.assert_close(terms["total"], expected)
    assert set(terms) - {"total"} <= set(net.LOSS_WEIGHTS)
    terms["total"].backward()
    missing = [name for name, p in net.named_parameters() if p.grad is None]
    assert not missing
    grads = torch.cat([p.grad.flatten() for p in net.parameters()])
    assert torch.isfinite(grads).all() and grads.abs().max() > 0


def test_loss_terms_of_each_network():
    assert set(Magnet(channels=8).loss(fake_batch(1))) == {
        "l1",
        "texture_ab",
        "texture_cy",
        "shape_bc",
        "total",
    }
    assert set(Lightweight().loss(fake_batch(1))) == {
        "l1",
        "perceptual",
        "edge",
        "appearance",
        "total",
    }
    plain = Lightweight(perceptual="none").loss(fake_batch(1))
    assert set(plain) == {"l1", "edge", "appearance", "total"}
    with pytest.raises(VmagError, match="perceptual"):
        Lightweight(perceptual="vgg")


@pytest.mark.parametrize("config", CONFIGS[:2], ids=IDS[:2])
def test_a_few_adam_steps_reduce_the_loss(config):
    net = make(config)
    batch = fake_batch(size=16)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        total = net.loss(batch)["total"]
        total.backward()
        opt.step()
        losses.append(float(total.detach()))
    assert losses[-1] < 0.7 * losses[0], losses


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_architecture_config_rebuilds_the_network(config):
    net = make(config)
    config_json = json.dumps(net.architecture_config())
    clone = type(net)(**json.loads(config_json))
    clone.load_state_dict(net.state_dict())
    x = torch.rand(1, 3, 16, 16) * 2 - 1
    with torch.no_grad():
        expected = net(x, torch.roll(x, 1, dims=-1), torch.tensor(4.0))
        got = clone(x, torch.roll(x, 1, dims=-1), torch.tensor(4.0))
    assert torch.equal(expected, got)


def test_proxy_is_frozen_and_outside_the_state_dict():
    net = Lightweight(channels=8)
    keys, n_params = set(net.state_dict()), len(list(net.parameters()))
    clean = fake_batch(noise=0.0)
    assert "proxy" not in net.loss(clean)

    net.set_proxy(net)
    assert set(net.state_dict()) == keys and len(list(net.parameters())) == n_params
    assert all(not p.requires_grad for p in net.proxy.parameters())
    assert not net.proxy.training
    terms = net.loss(clean)
    assert terms["proxy"].item() == 0.0  # same weights, noisy == clean inputs
    noisy = net.loss(fake_batch(noise=0.05))
    assert noisy["proxy"].item() > 1e-4

    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    noisy["total"].backward()
    opt.step()
    assert all(p.grad is None for p in net.proxy.parameters())
    assert net.loss(clean)["proxy"].item() > 0  # the proxy kept the old weights

    net.set_proxy(None)
    assert net.proxy is None and "proxy" not in net.loss(clean)
    with pytest.raises(VmagError, match="8 channels"):
        net.set_proxy(Lightweight(channels=4))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("config", CONFIGS[:2], ids=IDS[:2])
def test_cuda_matches_cpu(config):
    net = make(config)
    batch = fake_batch()
    with torch.no_grad():
        cpu = net(batch["a"], batch["b"], batch["amp"])
        gpu = net.cuda()(batch["a"].cuda(), batch["b"].cuda(), batch["amp"].cuda())
    torch.testing.assert_close(gpu.cpu(), cpu, atol=1e-3, rtol=1e-3)
    terms = net.loss({k: v.cuda() for k, v in batch.items()})
    assert torch.isfinite(terms["total"])


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
def test_set_loss_weights_reweighs_the_total(config):
    net = make(config)
    term = next(iter(net.LOSS_WEIGHTS))
    torch.manual_seed(0)
    batch = fake_batch()
    before = net.loss(batch)
    net.set_loss_weights({term: net.LOSS_WEIGHTS[term] + 2.0})
    after = net.loss(batch)
    assert net.loss_weights[term] == net.LOSS_WEIGHTS[term] + 2.0
    torch.testing.assert_close(after["total"] - before["total"], 2.0 * before[term])
    with pytest.raises(VmagError, match=r"has no loss term 'nope' \(terms: "):
        net.set_loss_weights({"nope": 1.0})
    with pytest.raises(VmagError, match=f"loss weight {term} must be a number >= 0"):
        net.set_loss_weights({term: -1.0})
