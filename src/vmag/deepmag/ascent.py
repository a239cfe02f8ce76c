"""Gradient ascent on a source CNN's output, as DeepMag magnifies (Chen & McDuff 2020, Eqs. 2-4).

With ``y(X)`` the CNN's prediction of the source from the representation X, each step is

    G = d ||y(X)||_2 / dX,     X <- X + gamma * G * sgn(X * G) / ||G||_1,

the L1 normalisation making the step size independent of the gradient's scale, and the
sign correction (``G * sgn(X * G) = |G| sgn(X)``) growing X where it already is: the
existing change the CNN attributes to the source is magnified, none is invented. Where the
CNN does not look (G = 0) nothing changes. The step follows the gradient where X's signs
agree with G's (where the CNN finds its source in X), so there ||y|| grows; elsewhere it
grows |X| against the gradient, and ``||y||`` need not increase.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from vmag.errors import VmagError


def ascent_step(model: Callable[[Tensor], Tensor], x: Tensor, gamma: float) -> Tensor:
    """One step of the ascent: ``x`` plus ``gamma |G| sgn(x) / ||G||_1`` (a new tensor)."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        out = torch.linalg.vector_norm(model(x))
        (grad,) = torch.autograd.grad(out, x)
    total = grad.abs().sum()
    if total == 0:
        return x.detach().clone()
    return (x + gamma * grad * torch.sign(x * grad) / total).detach()


def ascend(
    model: Callable[[Tensor], Tensor], x: Tensor, *, steps: int, gamma: float
) -> Tensor:
    """``steps`` steps of :func:`ascent_step` from ``x``; the model is only read (its
    parameters get no gradients)."""
    if steps < 0 or gamma < 0:
        raise VmagError(f"steps and gamma must be >= 0, got {steps} and {gamma}")
    params = [p for p in getattr(model, "parameters", list)() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        for _ in range(steps):
            x = ascent_step(model, x, gamma)
    finally:
        for p in params:
            p.requires_grad_(True)
    return x
