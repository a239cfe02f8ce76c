"""Training pairs for the pulse CNN from synthetic subjects (:mod:`vmag.synth.physio`).

A pair is one normalised difference ``X(t)`` of the subject's 36x36 frames
(``(C(t+1) - C(t)) / (C(t+1) + C(t))``) and the PPG's change over the same step,
``p(t+1) - p(t)``, scaled to unit standard deviation per subject (the CNN learns the
wave's shape, not the subject's pulse amplitude). Subjects, not pairs, are split into
training and validation (the paper's subject-independent 80/20 split), so no subject's
frames are seen in both.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from vmag.deepmag.representation import normalized_difference, small_frames
from vmag.errors import VmagError
from vmag.synth.physio import PhysioSubject


def pulse_pairs(subject: PhysioSubject) -> tuple[Tensor, Tensor]:
    """The subject's ``(T - 1, 3, 36, 36)`` differences and ``(T - 1,)`` targets."""
    small = small_frames(torch.from_numpy(subject.frames))
    x = normalized_difference(small)
    target = np.diff(subject.pulse.astype(np.float64))
    target /= target.std() + 1e-12
    return x, torch.from_numpy(target.astype(np.float32))


def split_subjects(n: int, validation: float = 0.2, seed: int = 0) -> tuple[list[int], list[int]]:
    """Subject indices ``0..n-1`` as (training, validation), a share ``validation`` held out
    (at least one subject each).

    >>> split_subjects(10, seed=1)[1].__len__()
    2
    """
    if n < 2 or not 0 < validation < 1:
        raise VmagError(f"need 2 subjects or more and 0 < validation < 1, got {n}, {validation}")
    order = np.random.default_rng(seed).permutation(n)
    held = min(n - 1, max(1, round(validation * n)))
    return sorted(order[held:].tolist()), sorted(order[:held].tolist())
