"""Size and cost of a network: parameters, FLOPs / MACs of one frame, and time per frame.

FLOPs are counted by :class:`torch.utils.flop_counter.FlopCounterMode`, which counts a
multiply-add as **2** FLOPs and covers the matrix products and convolutions (elementwise
operations, pooling and interpolation are not counted; they are a small fraction in these
networks). Papers on learned motion magnification usually report MACs (one multiply-add =
1, as counted by thop or ptflops) under the name "FLOPs": compare their numbers with
:func:`count_macs`, which is ``count_flops / 2``.

All three measure one forward pass ``net(ref, cur, amp)``: two input frames, one output.
"""

from __future__ import annotations

import copy
import statistics
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from vmag.device import resolve_device
from vmag.errors import VmagError
from vmag.learned.net import MotionNet


def count_parameters(net: torch.nn.Module) -> int:
    """Number of parameters (trainable or not; buffers excluded).

    >>> count_parameters(torch.nn.Conv2d(3, 8, 3))
    224
    """
    return sum(p.numel() for p in net.parameters())


def _inputs(
    net: MotionNet, size: tuple[int, int], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Two random frames (1, 3, H, W) in [-1, 1] and ``amp`` (1,) for ``net``'s forward."""
    height, width = size
    m = net.multiple
    if height <= 0 or width <= 0 or height % m or width % m:
        raise VmagError(f"size must be positive multiples of {m} for {net.arch}, got {size}")
    gen = torch.Generator().manual_seed(0)
    ref = torch.rand(1, 3, height, width, generator=gen) * 2 - 1
    cur = ref + 0.01 * torch.randn(1, 3, height, width, generator=gen)
    return ref.to(device), cur.to(device), torch.full((1,), 10.0, device=device)


def _device_of(net: torch.nn.Module) -> torch.device:
    first = next(net.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def count_flops(net: MotionNet, size: tuple[int, int] = (720, 720)) -> float:
    """FLOPs of one forward pass on frames of ``size`` (H, W): a multiply-add counts 2.

    >>> class One(MotionNet):
    ...     arch, multiple = "one-conv", 1
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.conv = torch.nn.Conv2d(3, 3, 3, padding=1, bias=False)
    ...     def analyse(self, ref, cur):
    ...         return ref, self.conv(cur)
    ...     def synthesise(self, context, motion, amp):
    ...         return context + motion
    ...     def loss(self, batch):
    ...         return {}
    >>> count_flops(One(), (10, 20)) == 2 * (10 * 20) * 3 * (3 * 9)
    True
    """
    ref, cur, amp = _inputs(net, size, _device_of(net))
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(ref, cur, amp)
    return float(counter.get_total_flops())


def count_macs(net: MotionNet, size: tuple[int, int] = (720, 720)) -> float:
    """Multiply-accumulates of one forward pass: ``count_flops / 2``, what papers call FLOPs.

    >>> from vmag.learned.zoo import build_model
    >>> net = build_model("lightweight")
    >>> count_macs(net, (64, 64)) == count_flops(net, (64, 64)) / 2
    True
    """
    return count_flops(net, size) / 2


def time_per_frame(
    net: MotionNet,
    size: tuple[int, int] = (720, 720),
    repeats: int = 10,
    device: str = "cpu",
    warmup: int = 2,
) -> float:
    """Median wall time (ms) of one forward pass on ``device`` ("cpu", "cuda", "auto").

    ``warmup`` passes run first (allocations, kernel selection, cuDNN autotuning). The
    network is used in eval mode under :func:`torch.inference_mode`; a network on another
    device is copied there, the caller's stays where it is.
    """
    if not (isinstance(repeats, int) and repeats >= 1 and isinstance(warmup, int) and warmup >= 0):
        raise VmagError(f"repeats must be >= 1 and warmup >= 0, got {repeats!r}, {warmup!r}")
    dev = resolve_device(device)
    if _device_of(net).type != dev.type:
        net = copy.deepcopy(net).to(dev)
    was_training = net.training
    net.eval()
    ref, cur, amp = _inputs(net, size, dev)

    def sync() -> None:
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)

    times = []
    try:
        with torch.inference_mode():
            for i in range(warmup + repeats):
                sync()
                start = time.perf_counter()
                net(ref, cur, amp)
                sync()
                if i >= warmup:
                    times.append((time.perf_counter() - start) * 1e3)
    finally:
        net.train(was_training)
    return statistics.median(times)
