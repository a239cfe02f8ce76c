"""Matplotlib set-up and saving shared by the plotting functions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vmag.io.atomic import atomic_write


def pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, out: str | Path) -> Path:
    """Lay out, write ``fig`` as a PNG atomically (creating the folder), close it; returns
    the path."""
    fig.tight_layout()
    try:
        return atomic_write(out, lambda tmp: fig.savefig(tmp, dpi=120))
    finally:
        pyplot().close(fig)
