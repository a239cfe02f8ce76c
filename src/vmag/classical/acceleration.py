"""Video acceleration magnification (Zhang, Pintea, van Gemert, CVPR 2017).

Small non-linear motion riding on large linear motion (a vibrating toy pushed along a
table) defeats band-pass magnification: the large motion leaks into the band. A
second-order temporal filter — a Laplacian-of-Gaussian kernel over time — responds to
the acceleration of the phase and not to its linear drift, so only the deviation from
linear motion is magnified. Same phase pipeline as :mod:`vmag.classical.phase`; the
phase is accumulated frame to frame, so large motion does not wrap it.

The LoG is a kernel of ``2K + 1`` frames: a stream holds the last ``2K + 1`` phases of
every coefficient (17 frames for 2-4.5 Hz at 30 fps; 2.8 GB at 1920x1080). For long
high-resolution streams ``filter="butter"`` (order >= 2) is the recursive alternative:
a Butterworth band-pass of order n has an n-fold zero at DC, so from order 2 it too
gives no response to linear motion, with a state of 2n values per coefficient and no
delay (it is not the paper's filter: causal, and shaped differently around the band).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from vmag.classical.phase import PhaseMagnifier, phase_magnify
from vmag.errors import VmagError
from vmag.options import option
from vmag.registry import register_magnifier


def acceleration_magnify(
    frames: np.ndarray,
    fps: float,
    *,
    alpha: float,
    band: tuple[float, float],
    filter: str = "accel",
    order: int = 2,
    **phase_options: Any,
) -> np.ndarray:
    """Acceleration magnification of a whole clip: :func:`phase_magnify` with the
    temporal Laplacian-of-Gaussian (``filter="accel"``, tuned to the band's geometric
    centre), which answers the phase's acceleration and not its linear drift."""
    return phase_magnify(
        frames, fps, alpha=alpha, band=band, filter=filter, order=order, **phase_options
    )


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

    filter: str = option(
        "accel",
        "temporal filter: accel = Laplacian-of-Gaussian kernel (the paper); butter = "
        "recursive band-pass of order >= 2 (bounded streaming memory)",
        ("accel", "butter"),
    )
    order: int = option(
        2, "Butterworth order (filter=butter): >= 2, which rejects linear motion", low=1, high=10
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.filter == "butter" and self.order < 2:
            raise VmagError(
                f"order must be >= 2 with filter=butter for acceleration: order {self.order} "
                "has a single zero at DC and passes linear motion"
            )
