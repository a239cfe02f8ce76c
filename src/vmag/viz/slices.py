"""Spatio-temporal slices: one image row or column stacked over time.

A vertical line through a vibrating string, taken from every frame and laid side by
side, turns invisible motion into a visible wiggle — how papers show magnification.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from vmag.errors import VmagError
from vmag.viz._figure import pyplot, save_figure


def spatiotemporal_slice(
    frames: Iterable[np.ndarray], *, x: int | None = None, y: int | None = None
) -> np.ndarray:
    """Column ``x`` (-> (H, T, 3)) or row ``y`` (-> (T, W, 3)) of every frame.

    >>> clip = np.zeros((5, 4, 6, 3), dtype=np.float32)
    >>> spatiotemporal_slice(clip, x=2).shape, spatiotemporal_slice(clip, y=1).shape
    ((4, 5, 3), (5, 6, 3))
    """
    if (x is None) == (y is None):
        raise VmagError("give exactly one of --x (a column) or --y (a row)")
    lines = []
    for frame in frames:
        h, w = frame.shape[:2]
        if x is not None and not 0 <= x < w:
            raise VmagError(f"x={x} is outside the frame: use 0..{w - 1}")
        if y is not None and not 0 <= y < h:
            raise VmagError(f"y={y} is outside the frame: use 0..{h - 1}")
        lines.append(np.asarray(frame[:, x] if x is not None else frame[y], dtype=np.float32))
    if not lines:
        raise VmagError("the clip has no frames")
    stacked = np.stack(lines)  # (T, L, 3)
    return stacked.transpose(1, 0, 2) if x is not None else stacked


def plot_slices(
    slices: Sequence[np.ndarray],
    labels: Sequence[str],
    fps: float,
    out: str | Path,
    *,
    vertical: bool = True,
) -> Path:
    """Save slices side by side with a time axis in seconds; returns the PNG path.

    ``vertical`` slices (a column over time) have time on the horizontal axis.
    """
    plt = pyplot()
    n = len(slices)
    first = slices[0]
    t_len = first.shape[1] if vertical else first.shape[0]
    aspect = (first.shape[0] / max(1, first.shape[1])) if vertical else (first.shape[1] / t_len)
    fig_w = max(4.0, min(16.0, 4.0 * n))
    fig, axes = plt.subplots(
        1, n, figsize=(fig_w, max(2.5, min(8.0, fig_w / n * aspect + 1))), squeeze=False
    )
    for ax, s, label in zip(axes[0], slices, labels, strict=True):
        duration = (s.shape[1] if vertical else s.shape[0]) / fps
        if vertical:
            extent = (0.0, duration, s.shape[0], 0.0)
            ax.set_xlabel("time (s)")
            ax.set_ylabel("y (px)")
        else:
            extent = (0.0, s.shape[1], duration, 0.0)
            ax.set_ylabel("time (s)")
            ax.set_xlabel("x (px)")
        ax.imshow(np.clip(s, 0, 1), extent=extent, aspect="auto", interpolation="nearest")
        ax.set_title(label, fontsize=9)
    return save_figure(fig, out)
