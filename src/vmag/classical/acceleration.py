"""Video acceleration magnification (Zhang, Pintea, van Gemert, CVPR 2017).

Small non-linear motion riding on large linear motion (a vibrating toy pushed along a
table) defeats band-pass magnification: the large motion leaks into the band. A
second-order temporal filter — a Laplacian-of-Gaussian kernel over time — responds to
the acceleration of the phase and not to its linear drift, so only the deviation from
linear motion is magnified. Same phase pipeline as :mod:`vmag.classical.phase`; the
phase is accumulated frame to frame, so large motion does not wrap it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from vmag.classical.phase import PhaseMagnifier
from vmag.magnifier import option
from vmag.registry import register_magnifier


@register_magnifier
@dataclass(kw_only=True)
class AccelerationMagnifier(PhaseMagnifier):
    """Phase-based magnification of acceleration with a temporal LoG filter.

    The band's geometric centre is the frequency the LoG kernel is tuned to.

    >>> import numpy as np
    >>> from vmag.registry import create_magnifier
    >>> clip = np.random.default_rng(0).random((40, 64, 64, 3), dtype=np.float32)
    >>> create_magnifier("acceleration", alpha=10, band=(2.0, 4.0)).magnify(clip, 30).shape
    (40, 64, 64, 3)
    """

    name: ClassVar[str] = "acceleration"
    summary: ClassVar[str] = (
        "acceleration magnification, 2nd-order temporal filter on phase (Zhang 2017)"
    )

    filter: str = option("accel", "temporal filter: Laplacian-of-Gaussian kernel", ("accel",))
