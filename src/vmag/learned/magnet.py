"""``magnet``: the learned motion magnification network of Oh, Jaroensri, Kim, Elgharib,
Durand, Freeman & Matusik, "Learning-based Video Motion Magnification", ECCV 2018.

Three parts, with ``c = channels`` (32 in the paper):

* **Encoder**, applied to each frame: conv 7x7 (c/2) + ReLU, conv 3x3 stride 2 (c) + ReLU,
  3 residual blocks, then two branches. *Texture* V: conv 3x3 stride 2 + ReLU and 2
  residual blocks (quarter resolution: downsampling drops noise the texture need not
  carry); *shape* M: conv 3x3 + ReLU and 2 residual blocks (half resolution).
* **Manipulator** ``G(M_a, M_b, m) = M_a + h(m * g(M_b - M_a))`` with ``g`` = conv 3x3 +
  ReLU and ``h`` = conv 3x3 + a residual block. ``m`` is the magnification factor
  ``amp = 1 + alpha`` the training pairs were made with (``amp = 1`` asks for frame b).
* **Decoder**: the texture upsampled x2 (nearest) and concatenated with the manipulated
  shape, conv 3x3 (2c) + ReLU, 9 residual blocks, upsample x2, conv 3x3 (c) + ReLU, conv
  7x7 to RGB. The output is linear (no tanh), as in the paper: values near [-1, 1], and
  the magnifier clips; a tanh would saturate the gradient of bright and dark pixels.

With ``channels=32`` the network has 916,771 parameters (paper: 0.98 M). Spatial size must
be a multiple of 4 (two stride-2 stages). Training loss (paper, eq. 2)::

    L1(Y, Y^) + 0.1 (L1(V_a, V_b) + L1(V_c, V_y') + L1(M_b, M_c))

C is frame B with its colours perturbed and Y' the target with the same perturbation:
textures must ignore motion (V_a = V_b) and follow colour (V_c = V_y'), shapes must ignore
colour (M_b = M_c).
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from vmag.errors import VmagError
from vmag.learned.layers import amp_factor, check_pair, conv, conv_relu, res_blocks
from vmag.learned.losses import l1
from vmag.learned.net import Batch, MotionNet
from vmag.learned.zoo import register_architecture


@register_architecture
class Magnet(MotionNet):
    """Oh et al. (2018) texture/shape network (see the module docstring).

    ``analyse(ref, cur)`` gives ``context = (V_cur, M_ref)`` and ``motion = M_cur - M_ref``;
    ``synthesise`` decodes ``V_cur`` with the shape ``M_ref + h(amp g(motion))``.

    >>> net = Magnet(channels=8)
    >>> x = torch.zeros(1, 3, 16, 16)
    >>> net(x, x, torch.tensor(10.0)).shape
    torch.Size([1, 3, 16, 16])
    """

    arch = "magnet"
    multiple = 4
    #: weights of the loss terms in "total": 1 for the reconstruction, lambda = 0.1 (paper)
    #: for the texture/shape regularisers
    LOSS_WEIGHTS: ClassVar[dict[str, float]] = {
        "l1": 1.0,
        "texture_ab": 0.1,
        "texture_cy": 0.1,
        "shape_bc": 0.1,
    }

    def __init__(self, *, channels: int = 32) -> None:
        super().__init__()
        if not (isinstance(channels, int) and channels >= 2 and channels % 2 == 0):
            raise VmagError(f"channels must be an even int >= 2, got {channels!r}")
        self.channels = channels
        c = channels
        self.trunk = nn.Sequential(
            conv_relu(3, c // 2, 7), conv_relu(c // 2, c, stride=2), res_blocks(c, 3)
        )
        self.texture = nn.Sequential(conv_relu(c, c, stride=2), res_blocks(c, 2))
        self.shape = nn.Sequential(conv_relu(c, c), res_blocks(c, 2))
        self.g = conv_relu(c, c)
        self.h = nn.Sequential(conv(c, c), res_blocks(c, 1))
        self.decode_low = nn.Sequential(conv_relu(2 * c, 2 * c), res_blocks(2 * c, 9))
        self.decode_high = nn.Sequential(conv_relu(2 * c, c), conv(c, 3, 7))

    def architecture_config(self) -> dict[str, int]:
        """The constructor keyword arguments that rebuild this network."""
        return {"channels": self.channels}

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Texture (quarter resolution) and shape (half resolution) of frames ``x``."""
        trunk = self.trunk(x)
        return self.texture(trunk), self.shape(trunk)

    def manipulate(
        self, shape_ref: torch.Tensor, motion: torch.Tensor, amp: torch.Tensor
    ) -> torch.Tensor:
        """``M_ref + h(amp * g(motion))``."""
        return shape_ref + self.h(amp_factor(amp, motion) * self.g(motion))

    def decode(self, texture: torch.Tensor, shape: torch.Tensor) -> torch.Tensor:
        """The frame with ``texture`` and ``shape``."""
        texture = F.interpolate(texture, scale_factor=2, mode="nearest")
        y = self.decode_low(torch.cat([texture, shape], dim=1))
        return self.decode_high(F.interpolate(y, scale_factor=2, mode="nearest"))

    def analyse(
        self, ref: torch.Tensor, cur: torch.Tensor
    ) -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
        check_pair(ref, cur, self.multiple)
        # frames go through the encoder separately, so that ref == cur gives exactly zero
        shape_ref = self.shape(self.trunk(ref))
        texture_cur, shape_cur = self.encode(cur)
        return (texture_cur, shape_ref), shape_cur - shape_ref

    def synthesise(
        self, context: tuple[torch.Tensor, torch.Tensor], motion: torch.Tensor, amp: torch.Tensor
    ) -> torch.Tensor:
        texture_cur, shape_ref = context
        return self.decode(texture_cur, self.manipulate(shape_ref, motion, amp))

    def loss(self, batch: Batch) -> dict[str, torch.Tensor]:
        """Reconstruction L1 of Y plus the texture/shape regularisers (module docstring).

        Terms: "l1", "texture_ab", "texture_cy", "shape_bc", and "total" (the
        :attr:`loss_weights`-weighted sum).
        """
        a, b, c, y_prime = batch["a"], batch["b"], batch["c"], batch["y_prime"]
        check_pair(a, b, self.multiple)
        n = a.shape[0]
        textures, shapes = self.encode(torch.cat([a, b, c, y_prime]))
        tex_a, tex_b, tex_c, tex_y = textures.split(n)
        shape_a, shape_b, shape_c, _ = shapes.split(n)
        y_hat = self.synthesise((tex_b, shape_a), shape_b - shape_a, batch["amp"])
        terms = {
            "l1": l1(y_hat, batch["y"]),
            "texture_ab": l1(tex_a, tex_b),
            "texture_cy": l1(tex_c, tex_y),
            "shape_bc": l1(shape_b, shape_c),
        }
        weights = self.loss_weights
        terms["total"] = sum(weights[k] * v for k, v in terms.items())
        return terms
