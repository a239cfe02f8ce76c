"""Where torch work runs: one resolver for every caller (learned methods, training, timing).

>>> from vmag.device import resolve_device
>>> resolve_device("cpu")
device(type='cpu')
"""

from __future__ import annotations

import torch

from vmag.errors import VmagError

#: The names a user may give: ``auto`` is CUDA when torch sees a GPU, else the CPU.
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")


def resolve_device(name: str) -> torch.device:
    """The torch device for ``name`` (one of :data:`DEVICES`); a :class:`VmagError` for
    an unknown name or for ``cuda`` without a GPU."""
    if name not in DEVICES:
        raise VmagError(f"device must be one of {', '.join(DEVICES)}; got {name!r}")
    cuda = torch.cuda.is_available()
    if name == "cuda" and not cuda:
        raise VmagError("device cuda: torch sees no CUDA GPU here; use device cpu (or auto)")
    return torch.device("cuda" if name != "cpu" and cuda else "cpu")
