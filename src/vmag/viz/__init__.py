"""Pictures of magnification: spatio-temporal slices, temporal spectra, side-by-side videos."""

from vmag.viz.compose import side_by_side
from vmag.viz.slices import plot_slices, spatiotemporal_slice
from vmag.viz.spectrum import Peak, plot_spectrum, strongest_peaks, temporal_spectrum

__all__ = [
    "Peak",
    "plot_slices",
    "plot_spectrum",
    "side_by_side",
    "spatiotemporal_slice",
    "strongest_peaks",
    "temporal_spectrum",
]
