"""Building blocks shared by the learned networks: padded convolutions, residual blocks,
and the input checks of :meth:`vmag.learned.net.MotionNet.analyse` / ``synthesise``.

Convolutions pad by reflection (as Oh et al. 2018 do), so that borders are not darkened by
zero padding and a tile of a large frame sees plausible content at its edges.
"""

from __future__ import annotations

import torch
from torch import nn

from vmag.errors import VmagError


def conv(
    in_ch: int, out_ch: int, kernel: int = 3, *, stride: int = 1, bias: bool = True
) -> nn.Conv2d:
    """A ``kernel`` x ``kernel`` convolution with reflection padding ("same" size at stride 1).

    >>> conv(3, 8)(torch.zeros(1, 3, 6, 6)).shape
    torch.Size([1, 8, 6, 6])
    >>> conv(8, 8, stride=2)(torch.zeros(1, 8, 6, 6)).shape
    torch.Size([1, 8, 3, 3])
    """
    return nn.Conv2d(
        in_ch,
        out_ch,
        kernel,
        stride=stride,
        padding=kernel // 2,
        padding_mode="reflect",
        bias=bias,
    )


def conv_relu(in_ch: int, out_ch: int, kernel: int = 3, *, stride: int = 1) -> nn.Sequential:
    """:func:`conv` followed by a ReLU."""
    return nn.Sequential(conv(in_ch, out_ch, kernel, stride=stride), nn.ReLU(inplace=True))


class ResBlock(nn.Module):
    """``x + conv(relu(conv(x)))`` with two 3x3 convolutions of ``channels`` channels.

    Without biases the block maps 0 to 0 and is positively homogeneous
    (``block(k x) = k block(x)`` for ``k >= 0``), which the lightweight manipulator uses.

    >>> ResBlock(4)(torch.zeros(2, 4, 5, 5)).shape
    torch.Size([2, 4, 5, 5])
    """

    def __init__(self, channels: int, *, bias: bool = True) -> None:
        super().__init__()
        self.conv1 = conv(channels, channels, bias=bias)
        self.conv2 = conv(channels, channels, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(torch.relu(self.conv1(x)))


def res_blocks(channels: int, count: int, *, bias: bool = True) -> nn.Sequential:
    """``count`` :class:`ResBlock` in a row."""
    return nn.Sequential(*(ResBlock(channels, bias=bias) for _ in range(count)))


def check_pair(ref: torch.Tensor, cur: torch.Tensor, multiple: int) -> None:
    """Raise :class:`VmagError` unless ``ref`` and ``cur`` are equal-shaped (B, 3, H, W)
    floating tensors with H, W multiples of ``multiple`` and at least ``2 * multiple``
    (the coarsest feature map must be 2 px wide for reflection padding).

    >>> check_pair(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 8), 4)
    >>> check_pair(torch.zeros(1, 3, 8, 6), torch.zeros(1, 3, 8, 6), 4)
    Traceback (most recent call last):
    ...
    vmag.errors.VmagError: frame height and width must be multiples of 4 (at least 8), got 8x6
    """
    for name, x in (("ref", ref), ("cur", cur)):
        if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] != 3:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise VmagError(f"{name} must be a (B, 3, H, W) tensor, got {shape}")
        if not x.is_floating_point():
            raise VmagError(f"{name} must be a floating-point tensor, got {x.dtype}")
    if ref.shape != cur.shape:
        raise VmagError(
            f"ref and cur must have the same shape, got {tuple(ref.shape)} and {tuple(cur.shape)}"
        )
    h, w = ref.shape[-2:]
    if h % multiple or w % multiple or min(h, w) < 2 * multiple:
        raise VmagError(
            f"frame height and width must be multiples of {multiple} "
            f"(at least {2 * multiple}), got {h}x{w}"
        )


def amp_factor(amp: torch.Tensor | float, like: torch.Tensor) -> torch.Tensor:
    """``amp`` ((B,), 0-dim or a number) as a (B or 1, 1, 1, 1) tensor on ``like``'s device
    and dtype, to broadcast over the features ``like`` (B, C, H, W).

    >>> amp_factor(torch.tensor([2.0, 3.0]), torch.zeros(2, 4, 3, 3)).shape
    torch.Size([2, 1, 1, 1])
    """
    amp = torch.as_tensor(amp, dtype=like.dtype, device=like.device)
    if amp.numel() not in (1, like.shape[0]) or amp.ndim > 1:
        raise VmagError(
            f"amp must be a number or have shape ({like.shape[0]},), got {tuple(amp.shape)}"
        )
    return amp.reshape(-1, 1, 1, 1)
