"""Side-by-side frames: the input next to its magnified version."""

from __future__ import annotations

import numpy as np


def side_by_side(*frames: np.ndarray, gap: int = 4) -> np.ndarray:
    """Frames (H, W_i, 3) of equal height laid left to right with a white ``gap`` px between.

    >>> a = np.zeros((8, 5, 3), np.float32)
    >>> side_by_side(a, a).shape
    (8, 14, 3)
    """
    h = frames[0].shape[0]
    parts: list[np.ndarray] = []
    for f in frames:
        if parts and gap:
            parts.append(np.ones((h, gap, 3), dtype=f.dtype))
        parts.append(f)
    return np.concatenate(parts, axis=1)
