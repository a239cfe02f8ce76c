"""The classical (Eulerian) magnifiers; importing this package registers them.

- ``linear``: :mod:`vmag.classical.linear` (Wu et al. 2012)
- ``color``: :mod:`vmag.classical.color` (Wu et al. 2012)
- ``phase``: :mod:`vmag.classical.phase` (Wadhwa et al. 2013)
- ``riesz``: :mod:`vmag.classical.riesz` (Wadhwa et al. 2014)
- ``acceleration``: :mod:`vmag.classical.acceleration` (Zhang et al. 2017)
"""

from vmag.classical.acceleration import AccelerationMagnifier
from vmag.classical.color import ColorMagnifier
from vmag.classical.linear import LinearMagnifier
from vmag.classical.phase import PhaseMagnifier
from vmag.classical.riesz import RieszMagnifier

__all__ = [
    "AccelerationMagnifier",
    "ColorMagnifier",
    "LinearMagnifier",
    "PhaseMagnifier",
    "RieszMagnifier",
]
