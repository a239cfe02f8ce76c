"""``lightweight``: the lightweight motion magnification network of Singh, Murala & Kosuru,
"Lightweight Network for Video Motion Magnification", WACV 2023.

Frames: ``ref`` = F_{t-1} (a in a training batch), ``cur`` = F_t (b). With ``C = channels``
(8 for ``lightweight``, 24 for ``lightweight-base``):

* **Feature-sharing encoder**: each frame gets conv 3x3 (C) + ReLU; the two streams then
  exchange features: each concatenates its own and the other stream's features, conv 3x3
  (C) + ReLU and 2 residual blocks give the full-resolution features E'; max-pooling, conv
  3x3 (2C) + ReLU, a second exchange (conv 3x3 (2C) + ReLU, 2 residual blocks) give the
  half-resolution motion features E. Both streams share their weights and the exchange is
  symmetric (own features first), so equal frames give bit-identical E and the motion
  ``E_cur - E_ref`` is exactly zero.
* **Appearance encoder** A on ``concat(E'_ref, E'_cur)``: max-pooling, conv 3x3 (2C) +
  ReLU, 3 residual blocks. During training ``phi(A) = tanh(conv3x3(A))`` (an RGB image at
  half resolution) must match both frames, 2x2-averaged (L_A).
* **Manipulator** on ``amp (E_cur - E_ref)`` (the paper's ``(E_a - E_b) x M_f``, with
  ``M_f = amp = 1 + alpha``): conv 3x3 (2C) + ReLU and 4 residual blocks, all without
  biases, so it maps 0 to 0 and is positively homogeneous (``manip(k x) = k manip(x)``,
  k >= 0); its output is *added* to the appearance features. The output is anchored at
  the reference, like magnet's ``M_ref + h(amp g(motion))``: zero motion decodes the
  appearance features alone (which training makes the reference frame); ``amp = 1``
  with the frames' own motion gives the current frame; ``amp`` times it, the magnified
  frame (the contract ``synthesise(context, x, amp)`` = the frame moved ``amp x`` from
  the reference, on which :mod:`vmag.learned.magnifier` builds its temporal mode).
  Scaling by ``amp - 1`` instead would anchor the output at the current frame and break
  that contract when ``x`` is not the frames' own motion.
* **Decoder**: 10 residual blocks (2C, half resolution), nearest upsampling x2, conv 3x3 +
  ReLU, 3 residual blocks, conv 3x3 to RGB + tanh.

Parameters: 119,278 with C = 8 (paper: 0.12 M), 1,062,846 with C = 24 (paper: 1.10 M).
Spatial size must be a multiple of 2.

Training loss (paper)::

    10 L1(Y, Y^) + 0.1 L_p + L_edge + L_A + L_M

L_p is the paper's VGG perceptual loss, replaced here by ``1 - MS-SSIM``
(:func:`vmag.learned.losses.ms_ssim_loss`: no pretrained weights can be downloaded);
``perceptual="none"`` drops it. L_M is the proxy-model loss: a copy of the network trained
on noise-free frames (:meth:`Lightweight.set_proxy`) gives the manipulator input of the
clean frames, and the noisy-input network is pulled toward it.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from vmag.errors import VmagError, check_choice
from vmag.learned.layers import amp_factor, check_pair, conv, conv_relu, res_blocks
from vmag.learned.losses import edge_loss, l1, ms_ssim_loss
from vmag.learned.net import Batch, MotionNet
from vmag.learned.zoo import register_architecture

#: values of the ``perceptual`` option: the L_p substitute used in training
PERCEPTUAL = ("ms-ssim", "none")


def _scale(motion: torch.Tensor, amp: torch.Tensor) -> torch.Tensor:
    """``amp motion``: the manipulator's input."""
    return amp_factor(amp, motion) * motion


class _SharingEncoder(nn.Module):
    """The feature-sharing encoder: (E'_ref, E'_cur, E_ref, E_cur) of two frames."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.stem = conv_relu(3, c)
        self.share_fine = nn.Sequential(conv_relu(2 * c, c), res_blocks(c, 2))
        self.down = nn.Sequential(nn.MaxPool2d(2), conv_relu(c, 2 * c))
        self.share_coarse = nn.Sequential(conv_relu(4 * c, 2 * c), res_blocks(2 * c, 2))

    def forward(self, ref: torch.Tensor, cur: torch.Tensor) -> tuple[torch.Tensor, ...]:
        # each stream in its own call: equal inputs then give bit-identical outputs
        s_ref, s_cur = self.stem(ref), self.stem(cur)
        fine_ref = self.share_fine(torch.cat([s_ref, s_cur], dim=1))
        fine_cur = self.share_fine(torch.cat([s_cur, s_ref], dim=1))
        d_ref, d_cur = self.down(fine_ref), self.down(fine_cur)
        e_ref = self.share_coarse(torch.cat([d_ref, d_cur], dim=1))
        e_cur = self.share_coarse(torch.cat([d_cur, d_ref], dim=1))
        return fine_ref, fine_cur, e_ref, e_cur


@register_architecture
class Lightweight(MotionNet):
    """Singh et al. (2023) lightweight network (see the module docstring).

    ``analyse(ref, cur)`` gives ``context`` = the appearance features and ``motion`` =
    ``E_cur - E_ref``; ``synthesise`` decodes ``context + manipulator(amp motion)``.

    >>> net = Lightweight(channels=8)
    >>> x = torch.zeros(2, 3, 16, 16)
    >>> net(x, x, torch.tensor([5.0, 20.0])).shape
    torch.Size([2, 3, 16, 16])
    """

    arch = "lightweight"
    multiple = 2
    #: weights of the loss terms in "total" (paper); "proxy" only while a proxy is set
    LOSS_WEIGHTS: ClassVar[dict[str, float]] = {
        "l1": 10.0,
        "perceptual": 0.1,
        "edge": 1.0,
        "appearance": 1.0,
        "proxy": 1.0,
    }

    def __init__(self, *, channels: int = 8, perceptual: str = "ms-ssim") -> None:
        super().__init__()
        if not (isinstance(channels, int) and channels >= 1):
            raise VmagError(f"channels must be an int >= 1, got {channels!r}")
        self.channels = channels
        self.perceptual = check_choice("perceptual", perceptual, PERCEPTUAL)
        c2 = 2 * channels
        self.encoder = _SharingEncoder(channels)
        self.appearance = nn.Sequential(nn.MaxPool2d(2), conv_relu(c2, c2), res_blocks(c2, 3))
        self.to_image = conv(c2, 3)
        self.manipulator = nn.Sequential(
            conv(c2, c2, bias=False), nn.ReLU(inplace=True), res_blocks(c2, 4, bias=False)
        )
        self.decoder_low = res_blocks(c2, 10)
        self.decoder_high = nn.Sequential(conv_relu(c2, c2), res_blocks(c2, 3), conv(c2, 3))
        # a plain list keeps the proxy out of parameters(), state_dict() and .train()/.to()
        self._proxy: list[Lightweight] = []

    def architecture_config(self) -> dict[str, int | str]:
        """The constructor keyword arguments that rebuild this network."""
        return {"channels": self.channels, "perceptual": self.perceptual}

    @property
    def proxy(self) -> Lightweight | None:
        """The frozen proxy network of the L_M loss, or None."""
        return self._proxy[0] if self._proxy else None

    def set_proxy(self, net: Lightweight | None) -> None:
        """Use a frozen copy of ``net`` (a network trained on noise-free frames) for the
        proxy loss L_M, or stop using one (``None``). ``net`` itself is left untouched."""
        if net is None:
            self._proxy = []
            return
        if not isinstance(net, Lightweight) or net.channels != self.channels:
            raise VmagError(
                f"the proxy must be a Lightweight network with {self.channels} channels"
            )
        proxy = Lightweight(**net.architecture_config())
        proxy.load_state_dict(net.state_dict())
        proxy.requires_grad_(False).eval()
        self._proxy = [proxy.to(next(net.parameters()).device)]

    def manipulator_input(
        self, ref: torch.Tensor, cur: torch.Tensor, amp: torch.Tensor
    ) -> torch.Tensor:
        """``amp (E_cur - E_ref)``: the manipulator's input (what L_M compares)."""
        _, _, e_ref, e_cur = self.encoder(ref, cur)
        return _scale(e_cur - e_ref, amp)

    def analyse(self, ref: torch.Tensor, cur: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        check_pair(ref, cur, self.multiple)
        fine_ref, fine_cur, e_ref, e_cur = self.encoder(ref, cur)
        return self.appearance(torch.cat([fine_ref, fine_cur], dim=1)), e_cur - e_ref

    def synthesise(
        self, context: torch.Tensor, motion: torch.Tensor, amp: torch.Tensor
    ) -> torch.Tensor:
        return self._decode(context + self.manipulator(_scale(motion, amp)))

    def _decode(self, features: torch.Tensor) -> torch.Tensor:
        y = F.interpolate(self.decoder_low(features), scale_factor=2, mode="nearest")
        return torch.tanh(self.decoder_high(y))

    def loss(self, batch: Batch) -> dict[str, torch.Tensor]:
        """The paper's loss (module docstring); terms "l1", "perceptual" (unless
        ``perceptual="none"``), "edge", "appearance", "proxy" (while a proxy is set) and
        "total" = the :attr:`loss_weights`-weighted sum of the others."""
        a, b, y, amp = batch["a"], batch["b"], batch["y"], batch["amp"]
        check_pair(a, b, self.multiple)
        fine_a, fine_b, e_a, e_b = self.encoder(a, b)
        app = self.appearance(torch.cat([fine_a, fine_b], dim=1))
        manip_in = _scale(e_b - e_a, amp)
        y_hat = self._decode(app + self.manipulator(manip_in))
        app_image = torch.tanh(self.to_image(app))
        terms = {"l1": l1(y_hat, y)}
        if self.perceptual == "ms-ssim":
            terms["perceptual"] = ms_ssim_loss(y_hat, y)
        terms["edge"] = edge_loss(y_hat, y)
        terms["appearance"] = l1(app_image, F.avg_pool2d(b, 2)) + l1(app_image, F.avg_pool2d(a, 2))
        if self._proxy:
            proxy = self._proxy[0].to(a.device)
            with torch.no_grad():
                target = proxy.manipulator_input(batch["a_clean"], batch["b_clean"], amp)
            terms["proxy"] = l1(manip_in, target)
        weights = self.loss_weights
        terms["total"] = sum(weights[k] * v for k, v in terms.items())
        return terms
