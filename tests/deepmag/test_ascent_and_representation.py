"""DeepMag's maths: the normalised difference inverts exactly; the ascent grows the source."""

from __future__ import annotations

import itertools

import pytest
import torch

from vmag.deepmag.ascent import ascend, ascent_step
from vmag.deepmag.representation import (
    PULSE_SIZE,
    normalized_difference,
    rebuild,
    small_frames,
)
from vmag.errors import VmagError


def test_zero_change_rebuilds_the_small_frames_exactly():
    frames = torch.rand(30, 64, 80, 3)
    small = small_frames(frames)
    assert small.shape == (30, 3, PULSE_SIZE, PULSE_SIZE) and small.min() > 0
    back = rebuild(small[0], normalized_difference(small))
    torch.testing.assert_close(back, small, rtol=2e-5, atol=1e-6)


def test_a_doubled_difference_doubles_a_small_relative_change():
    t = torch.arange(40, dtype=torch.float32)
    base = torch.full((3, 4, 4), 0.5)
    wave = 0.002 * torch.sin(2 * torch.pi * t / 20)
    clip = base[None] * (1 + wave[:, None, None, None])
    x = normalized_difference(clip)
    twice = rebuild(clip[0], 2 * x)
    relative = twice / base[None] - 1
    # a change of 0.2 %: doubling X doubles it, to first order (within 0.5 %)
    torch.testing.assert_close(relative - relative[0], 2 * (wave - wave[0])[:, None, None, None]
                               .expand_as(relative), rtol=5e-3, atol=2e-6)  # fmt: skip


def test_the_ascent_grows_the_models_output_monotonically_where_the_source_is():
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.AvgPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(8 * 4 * 4, 1),
    )  # fmt: skip
    # an input the model finds its source in: each value's sign that of the output's
    # gradient there (the sign correction then ascends the gradient itself)
    probe = torch.randn(5, 3, 8, 8, requires_grad=True)
    (grad,) = torch.autograd.grad(torch.linalg.vector_norm(model(probe)), probe)
    x = 0.01 * torch.rand(5, 3, 8, 8) * torch.sign(grad)
    norms = []
    for _ in range(20):
        norms.append(torch.linalg.vector_norm(model(x)).item())
        x = ascent_step(model, x, gamma=0.05)
    assert all(b > a for a, b in itertools.pairwise(norms))
    assert all(p.requires_grad for p in model.parameters())


def test_the_ascent_grows_what_is_there_and_only_where_the_model_looks():
    weight = torch.zeros(2, 6)
    weight[0, :3] = 1.0  # the model reads the first three values only
    model = lambda v: v @ weight.T  # noqa: E731
    x = torch.tensor([[0.5, -0.2, 0.1, 0.7, -0.3, 0.4]])
    out = ascend(model, x, steps=10, gamma=0.1)
    assert torch.equal(out[:, 3:], x[:, 3:])  # unread: unchanged
    assert torch.all(torch.sign(out[:, :3]) == torch.sign(x[:, :3]))  # signs kept
    assert torch.all(out[:, :3].abs() > x[:, :3].abs())  # magnitudes grown
    # L1-normalised: each step moves the read values by gamma in total
    step = ascent_step(model, x, gamma=0.1) - x
    assert step.abs().sum().item() == pytest.approx(0.1, rel=1e-5)


def test_bad_arguments_are_refused():
    with pytest.raises(VmagError, match="two frames"):
        normalized_difference(torch.rand(1, 3, 4, 4))
    with pytest.raises(VmagError, match="steps"):
        ascend(lambda v: v, torch.rand(3), steps=-1, gamma=0.1)
    with pytest.raises(VmagError, match="T, H, W, 3"):
        small_frames(torch.rand(4, 8, 8))
