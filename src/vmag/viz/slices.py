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


def _title(label: str, width: int = 36) -> str:
    """A panel title that fits: long names wrapped at separators, never cut."""
    import textwrap

    return "\n".join(textwrap.wrap(label, width, break_on_hyphens=False)) or label


def plot_slices(
    slices: Sequence[np.ndarray],
    labels: Sequence[str],
    fps: float,
    out: str | Path,
    *,
    vertical: bool = True,
    start: float = 0.0,
    zoom: float = 1.0,
) -> Path:
    """Save slices on one shared time axis in seconds (from ``start``); returns the PNG.

    ``vertical`` slices (a column over time, (H, T, 3)) are stacked one above the other
    with time running across; horizontal ones (a row over time, (T, W, 3)) stand side by
    side with time running down. ``zoom`` widens the time axis (a short clip filmed at a
    high rate gets room); each panel is titled with its label, wrapped to fit.
    """
    if not slices:
        raise VmagError("no slices to plot")
    if zoom <= 0:
        raise VmagError(f"zoom must be > 0, got {zoom!r}")
    plt = pyplot()
    n = len(slices)
    frames = max(s.shape[1] if vertical else s.shape[0] for s in slices)
    space = slices[0].shape[0] if vertical else slices[0].shape[1]
    end = start + frames / fps
    # about 1.5 px of picture per frame and per pixel of the line, zoomed along time
    time_in = min(40.0, max(4.0, frames * zoom / 80))
    space_in = min(6.0, max(1.2, space / 80))
    if vertical:
        fig, axes = plt.subplots(
            n, 1, figsize=(time_in + 1, n * (space_in + 0.6) + 0.4), squeeze=False, sharex=True
        )
    else:
        fig, axes = plt.subplots(
            1, n, figsize=(n * (space_in + 0.8) + 0.4, time_in + 1), squeeze=False, sharey=True
        )
    for ax, s, label in zip(axes.flat, slices, labels, strict=True):
        length = (s.shape[1] if vertical else s.shape[0]) / fps
        if vertical:
            extent = (start, start + length, s.shape[0], 0.0)
            ax.set_ylabel("y (px)")
        else:
            extent = (0.0, s.shape[1], start + length, start)
            ax.set_xlabel("x (px)")
        ax.imshow(np.clip(s, 0, 1), extent=extent, aspect="auto", interpolation="nearest")
        ax.set_title(_title(label), fontsize=9)
    if vertical:
        axes.flat[-1].set_xlabel("time (s)")
        axes.flat[-1].set_xlim(start, end)
    else:
        axes.flat[0].set_ylabel("time (s)")
        axes.flat[0].set_ylim(end, start)
    return save_figure(fig, out)
