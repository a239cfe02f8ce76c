"""User-facing errors and the parameter checks every module shares.

A :class:`VmagError` is a problem with the user's input (a file, a parameter).
The CLI prints its message on one line and exits with status 2; library users
catch it like any ``ValueError``.
"""

from __future__ import annotations

import math

import numpy as np


class VmagError(ValueError):
    """Bad input: the message names the file or parameter and what is valid."""


def check_positive(name: str, value: float) -> float:
    """Return ``value`` if it is a finite number > 0, else raise naming ``name``."""
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise VmagError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def check_alpha(alpha: float) -> float:
    """Magnification factor: output change = (1 + alpha) x input change, alpha > 0."""
    if not (isinstance(alpha, int | float) and math.isfinite(alpha) and alpha > 0):
        raise VmagError(f"alpha must be > 0 (output change = (1 + alpha) x input), got {alpha!r}")
    return float(alpha)


def check_band(band: tuple[float, float], fps: float) -> tuple[float, float]:
    """A temporal pass band ``(lo, hi)`` in Hz with 0 <= lo < hi < fps / 2."""
    fps = check_positive("fps", fps)
    try:
        lo, hi = (float(b) for b in band)
    except (TypeError, ValueError):
        raise VmagError(f"band must be two numbers LO HI in Hz, got {band!r}") from None
    nyquist = fps / 2
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo < 0 or hi <= lo:
        raise VmagError(f"band must satisfy 0 <= LO < HI, got LO={lo:g} HI={hi:g} Hz")
    if hi >= nyquist:
        raise VmagError(
            f"band HI={hi:g} Hz must be below the Nyquist frequency {nyquist:g} Hz "
            f"(fps {fps:g}); pass --fps if the container's rate is wrong"
        )
    return lo, hi


def check_count(name: str, value: int, least: int = 1) -> int:
    """Return ``value`` if it is an integer >= ``least``, else raise naming ``name``.

    >>> check_count("samples", 3)
    3
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise VmagError(f"{name} must be an integer >= {least}, got {value!r}")
    return int(value)


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise listing them."""
    if value not in choices:
        raise VmagError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value
