"""Temporal filters for Eulerian video magnification.

Every filter acts along axis 0 (time) of an array ``[T, ...]`` — numpy or torch,
returning the same type and dtype — offline with :meth:`TemporalFilter.apply` or
block by block with :meth:`TemporalFilter.stream`:

- :class:`IdealBandpass`: exact DFT band-pass; offline only.
- :class:`ButterBandpass`: Butterworth; zero-phase offline, causal when streaming.
- :class:`IIRDifference`: difference of two first-order low-passes (Wu et al. 2012).
- :class:`AccelerationFilter`: temporal Laplacian-of-Gaussian (Zhang et al. 2017).
- :class:`StaticReference`: each frame minus the first (the two-frame setting).

:func:`make_filter` builds one by name (:data:`FILTER_KINDS`) and
:func:`frequency_response` measures a filter's gain with sinusoids.
"""

from vmag.temporal.acceleration import AccelerationFilter
from vmag.temporal.base import Array, StreamingFilter, TemporalFilter
from vmag.temporal.butter import ButterBandpass
from vmag.temporal.factory import FILTER_KINDS, make_filter
from vmag.temporal.ideal import IdealBandpass
from vmag.temporal.iir import IIRDifference
from vmag.temporal.response import frequency_response
from vmag.temporal.static import StaticReference

__all__ = [
    "FILTER_KINDS",
    "AccelerationFilter",
    "Array",
    "ButterBandpass",
    "IIRDifference",
    "IdealBandpass",
    "StaticReference",
    "StreamingFilter",
    "TemporalFilter",
    "frequency_response",
    "make_filter",
]
