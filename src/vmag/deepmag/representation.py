"""The representations DeepMag's CNNs read, and how a changed one becomes frames again.

Pulse (Chen & McDuff 2020, Sec. 4.1 and Eq. 16): frames downsampled to 36x36 (bicubic),
then the normalised difference of consecutive frames, per pixel and channel,

    X(t) = (C(t+1) - C(t)) / (C(t+1) + C(t)),

which cancels the skin's brightness (it divides out) and keeps its relative colour change.
Inverting it frame by frame from the first, ``C(t+1) = C(t) (1 + X(t)) / (1 - X(t))``,
rebuilds the small frames from a changed X; unchanged, it gives them back.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from vmag.errors import VmagError

#: The side of the small frames the pulse CNN reads.
PULSE_SIZE = 36
#: Keeps denominators away from 0 on black pixels.
EPS = 1e-4


def small_frames(frames: Tensor, size: int = PULSE_SIZE) -> Tensor:
    """Frames ``(T, H, W, 3)`` in [0, 1] as ``(T, 3, size, size)``: bicubic, antialiased
    (the paper's downsampling), kept positive (the normalised difference divides)."""
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise VmagError(f"frames must be (T, H, W, 3), got {tuple(frames.shape)}")
    x = frames.permute(0, 3, 1, 2).to(torch.float32)
    small = F.interpolate(x, size=(size, size), mode="bicubic", align_corners=False,
                          antialias=True)  # fmt: skip
    return small.clamp_(min=EPS)


def normalized_difference(small: Tensor) -> Tensor:
    """``X(t) = (C(t+1) - C(t)) / (C(t+1) + C(t))`` of frames ``(T, ...)``: ``(T - 1, ...)``."""
    if len(small) < 2:
        raise VmagError(f"a normalised difference needs two frames or more, got {len(small)}")
    after, before = small[1:], small[:-1]
    return (after - before) / (after + before).clamp(min=EPS)


def rebuild(first: Tensor, difference: Tensor) -> Tensor:
    """The frames ``(T, ...)`` whose normalised differences are ``difference`` (T - 1, ...),
    from the ``first``: ``C(t+1) = C(t) (1 + X(t)) / (1 - X(t))``, as products of the
    ratios (exact, and no error piles up along the clip's length beyond rounding).

    >>> c = torch.rand(6, 3, 4, 4) + 0.1
    >>> bool(torch.allclose(rebuild(c[0], normalized_difference(c)), c, rtol=1e-5))
    True
    """
    x = difference.clamp(-1 + EPS, 1 - EPS)  # |X| < 1 keeps every frame positive
    ratio = torch.log1p(x) - torch.log1p(-x)  # log((1 + X) / (1 - X))
    logs = torch.cat([torch.zeros_like(first)[None], torch.cumsum(ratio, dim=0)])
    return first[None] * torch.exp(logs)
