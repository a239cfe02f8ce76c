"""Complexity measures against hand counts: parameters, FLOPs (2 per multiply-add) and MACs,
and a timing that is a plausible positive number."""

from __future__ import annotations

import doctest

import pytest
import torch
from torch import nn

from vmag.errors import VmagError
from vmag.learned import complexity
from vmag.learned.complexity import count_flops, count_macs, count_parameters, time_per_frame
from vmag.learned.net import MotionNet


class TwoConvs(MotionNet):
    """Encoder conv 3->8 (3x3) on each frame, decoder conv 8->3 (1x1) at half resolution."""

    arch = "test-two-convs"
    multiple = 2

    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.Conv2d(3, 8, 3, padding=1)
        self.dec = nn.Conv2d(8, 3, 1, bias=False)
        self.register_buffer("scale", torch.ones(8))  # a buffer is not a parameter

    def analyse(self, ref, cur):
        e_ref, e_cur = self.enc(ref), self.enc(cur)
        return e_cur, e_cur - e_ref

    def synthesise(self, context, motion, amp):
        x = nn.functional.avg_pool2d(context + amp.reshape(-1, 1, 1, 1) * motion, 2)
        return nn.functional.interpolate(self.dec(x), scale_factor=2)

    def loss(self, batch):
        return {"total": (self(batch["a"], batch["b"], batch["amp"]) - batch["y"]).abs().mean()}


def test_parameters_are_counted():
    assert count_parameters(TwoConvs()) == (3 * 8 * 9 + 8) + 8 * 3


@pytest.mark.parametrize("size", [(16, 16), (30, 48)])
def test_flops_count_two_per_multiply_add(size):
    h, w = size
    macs = 2 * (h * w * 8 * 3 * 9) + (h // 2) * (w // 2) * 3 * 8  # two encodes, one decode
    assert count_macs(TwoConvs(), size) == macs
    assert count_flops(TwoConvs(), size) == 2 * macs


def test_flops_scale_with_the_area():
    from vmag.learned.zoo import build_model

    net = build_model("lightweight")
    assert count_flops(net, (64, 64)) == pytest.approx(4 * count_flops(net, (32, 32)), rel=1e-9)


def test_size_must_fit_the_network():
    with pytest.raises(VmagError, match="multiples of 2"):
        count_flops(TwoConvs(), (15, 16))


def test_time_per_frame():
    net = TwoConvs().train()
    ms = time_per_frame(net, (32, 32), repeats=3, device="cpu")
    assert isinstance(ms, float) and 0 < ms < 1000
    assert net.training  # the caller's mode is restored
    assert time_per_frame(net, (32, 32), repeats=1, device="auto", warmup=0) > 0
    with pytest.raises(VmagError, match="repeats"):
        time_per_frame(net, (32, 32), repeats=0)
    with pytest.raises(VmagError, match="device must be one of"):
        time_per_frame(net, (32, 32), device="tpu")


def test_docstring_examples():
    result = doctest.testmod(complexity, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
