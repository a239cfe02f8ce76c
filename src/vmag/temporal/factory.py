"""Build a temporal filter by name, the way the CLI and the magnifiers ask for one."""

from __future__ import annotations

import math

from vmag.errors import VmagError, check_band, check_choice
from vmag.temporal.acceleration import AccelerationFilter
from vmag.temporal.base import TemporalFilter
from vmag.temporal.butter import ButterBandpass
from vmag.temporal.ideal import IdealBandpass
from vmag.temporal.iir import IIRDifference
from vmag.temporal.notch import Notched
from vmag.temporal.static import StaticReference

#: The names :func:`make_filter` accepts.
FILTER_KINDS: tuple[str, ...] = ("ideal", "butter", "iir", "accel", "static")


def make_filter(
    kind: str,
    band: tuple[float, float],
    fps: float,
    *,
    order: int = 1,
    notch: float | None = None,
) -> TemporalFilter:
    """The ``kind`` filter for pass band ``band`` (Hz) at ``fps``.

    ``ideal``: :class:`IdealBandpass`; ``butter``: :class:`ButterBandpass` of ``order``
    (the only kind that uses it); ``iir``: :meth:`IIRDifference.from_band`;
    ``accel``: :class:`AccelerationFilter` at the band's geometric centre
    ``sqrt(lo * hi)`` (the arithmetic centre ``hi / 2`` when ``lo = 0``); ``static``:
    :class:`StaticReference` (each frame minus the first; the band is not used).
    ``notch``: also cut that frequency (Hz, or its alias at ``fps``; :class:`Notched`),
    for the band-pass kinds.

    >>> from vmag.temporal import make_filter
    >>> make_filter("accel", (1.0, 4.0), fps=30)
    AccelerationFilter(freq=2, fps=30)
    """
    check_choice("kind", kind, FILTER_KINDS)
    lo, hi = check_band(band, fps)
    if notch is not None:
        if kind in ("accel", "static"):
            raise VmagError(f"--notch applies to band-pass filters, not filter={kind}")
        return Notched(make_filter(kind, band, fps, order=order), notch, fps)
    if kind == "ideal":
        return IdealBandpass((lo, hi), fps)
    if kind == "butter":
        return ButterBandpass((lo, hi), fps, order=order)
    if kind == "iir":
        return IIRDifference.from_band((lo, hi), fps)
    if kind == "static":
        return StaticReference()
    return AccelerationFilter(math.sqrt(lo * hi) if lo > 0 else (lo + hi) / 2, fps)
