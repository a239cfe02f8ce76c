"""The interface every learned motion-magnification network implements.

A network magnifies the motion between a reference frame and a current frame in two
steps, so that the same network serves every inference mode of
:mod:`vmag.learned.magnifier`:

1. :meth:`MotionNet.analyse` ``(ref, cur) -> (context, motion)``: ``motion`` is the
   network's representation of the motion from ``ref`` to ``cur`` (zero when they are
   equal, linear in the shape representation, e.g. ``M_b - M_a``), which the
   ``temporal`` mode band-passes over time; ``context`` is everything else the decoder
   needs (texture/appearance features, the reference's shape).
2. :meth:`MotionNet.synthesise` ``(context, motion, amp) -> frame``: decode with the
   motion magnified by ``amp`` (the magnification factor m = 1 + alpha the network was
   trained with). The rule every network keeps, for *any* ``motion`` x (not only the
   analysed one): the output is the reference moved by ``amp · x`` (magnet decodes
   ``M_ref + h(amp g(x))``, lightweight ``A + manipulator(amp x)``), so ``amp = 1`` with
   the analysed motion gives back the current frame, and the ``temporal`` mode can feed
   ``x = m / amp + (1 - 1/amp) f`` to magnify only the band-passed part f of m.

Images are (B, 3, H, W) float32 in [-1, 1] (the networks' range; the magnifier converts).
:meth:`MotionNet.loss` is the training objective on a batch of the synthetic generator.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import torch
from torch import nn

from vmag.errors import VmagError

#: A training batch from :class:`vmag.synth.motion.MotionDataset`: "a", "b", "c", "y",
#: "y_prime" as (B, 3, H, W) tensors in [-1, 1] ("a", "b", "c" carry the input noise;
#: "a_clean", "b_clean", "c_clean" are the same frames without it) and "amp" (B,), the
#: magnification factor 1 + alpha.
Batch = dict[str, torch.Tensor]


class MotionNet(nn.Module, ABC):
    """A two-frame motion-magnification network (see the module docstring)."""

    #: registry name of the architecture, e.g. "magnet", "lightweight"
    arch: ClassVar[str] = ""
    #: spatial size of the inputs must be a multiple of this (the network's total stride)
    multiple: ClassVar[int] = 4
    #: the paper's weight of each loss term in "total"
    LOSS_WEIGHTS: ClassVar[dict[str, float]] = {}

    @property
    def loss_weights(self) -> dict[str, float]:
        """The weights of the loss terms in use: :attr:`LOSS_WEIGHTS` unless
        :meth:`set_loss_weights` changed some."""
        return {**self.LOSS_WEIGHTS, **getattr(self, "_loss_weights", {})}

    def set_loss_weights(self, weights: dict[str, float]) -> None:
        """Weigh the loss terms ``weights`` names differently from the paper (an
        ablation or a fine-tuning recipe); the others keep :attr:`LOSS_WEIGHTS`."""
        unknown = sorted(set(weights) - set(self.LOSS_WEIGHTS))
        if unknown:
            raise VmagError(
                f"{self.arch} has no loss term {', '.join(map(repr, unknown))} "
                f"(terms: {', '.join(self.LOSS_WEIGHTS)})"
            )
        for name, w in weights.items():
            if not (isinstance(w, int | float) and not isinstance(w, bool) and w >= 0):
                raise VmagError(f"loss weight {name} must be a number >= 0, got {w!r}")
        self._loss_weights = {k: float(v) for k, v in weights.items()}

    @abstractmethod
    def analyse(self, ref: torch.Tensor, cur: torch.Tensor) -> tuple[Any, torch.Tensor]:
        """``(context, motion)`` for the motion from ``ref`` to ``cur``."""

    @abstractmethod
    def synthesise(self, context: Any, motion: torch.Tensor, amp: torch.Tensor) -> torch.Tensor:
        """The current frame with ``motion`` magnified by ``amp`` ((B,) or a scalar tensor)."""

    def forward(self, ref: torch.Tensor, cur: torch.Tensor, amp: torch.Tensor) -> torch.Tensor:
        context, motion = self.analyse(ref, cur)
        return self.synthesise(context, motion, amp)

    @abstractmethod
    def loss(self, batch: Batch) -> dict[str, torch.Tensor]:
        """The training losses on ``batch``: each named term, and their weighted sum "total"."""
