"""The pulse CNN's shapes and unbounded ascent, and its training pairs from synthetic subjects."""

from __future__ import annotations

import numpy as np
import torch

from vmag.deepmag.data import pulse_pairs, split_subjects
from vmag.deepmag.nets import PulseNet
from vmag.synth.physio import PhysioConfig, render_subject


def test_pulse_net_maps_differences_to_one_value_each_and_has_no_cap():
    torch.manual_seed(0)
    net = PulseNet(channels=4, hidden=8).eval()
    x = 0.01 * torch.randn(3, 3, 36, 36)
    assert net(x).shape == (3,)
    for m in net.modules():  # without biases, ReLU, pooling and dense layers scale with x:
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):  # nothing saturates
            torch.nn.init.zeros_(m.bias)
    torch.testing.assert_close(net(100 * x), 100 * net(x), rtol=1e-4, atol=1e-6)


def test_pulse_pairs_pair_each_step_with_the_pulses_change_over_it():
    config = PhysioConfig(size=48, seconds=3.0, noise=0.0)
    s = render_subject(2, 0, config)
    x, y = pulse_pairs(s)
    assert x.shape == (89, 3, 36, 36) and y.shape == (89,)
    assert abs(float(y.std(correction=0)) - 1) < 1e-3
    # the mean green difference over the skin follows the pulse's change
    still = render_subject(2, 0, config, pulse_gain=0.0)
    xs, _ = pulse_pairs(still)
    green = (x - xs)[:, 1].mean(dim=(1, 2)).numpy()
    assert np.corrcoef(green, y.numpy())[0, 1] > 0.9


def test_subjects_are_split_not_pairs():
    train, held = split_subjects(10, seed=3)
    assert len(held) == 2 and not set(train) & set(held) and len(train) + len(held) == 10
    assert split_subjects(10, seed=3) == (train, held)
