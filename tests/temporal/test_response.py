"""frequency_response: gains measured by filtering sinusoids."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import sosfreqz

from vmag.errors import VmagError
from vmag.temporal import ButterBandpass, IdealBandpass, IIRDifference, frequency_response


def test_measures_the_designed_response_including_dc_and_nyquist() -> None:
    filt = ButterBandpass((0.0, 3.0), 30.0, order=2)
    freqs = [0.0, 1.0, 3.0, 6.0, 15.0]
    _, h = sosfreqz(filt.sos, worN=freqs, fs=30.0)
    np.testing.assert_allclose(
        frequency_response(filt, freqs, 30.0), np.abs(h) ** 2, rtol=1e-3, atol=1e-9
    )


def test_is_phase_blind() -> None:
    """The causal iir filter shifts phase; the fitted amplitude does not care."""
    filt = IIRDifference(0.5, 0.1)
    zinv = np.exp(-2j * np.pi * 3.0 / 30.0)
    expected = abs(0.5 / (1 - 0.5 * zinv) - 0.1 / (1 - 0.9 * zinv))
    assert frequency_response(filt, 3.0, 30.0)[0] == pytest.approx(expected, rel=1e-4)


def test_explicit_n_frames() -> None:
    filt = IdealBandpass((1.0, 2.0), 30.0)
    gains = frequency_response(filt, [1.5, 3.0], 30.0, n_frames=300)
    np.testing.assert_allclose(gains, [1.0, 0.0], atol=1e-9)


@pytest.mark.parametrize(
    ("freqs", "fps", "n_frames", "match"),
    [
        ([1.0, 16.0], 30.0, None, "freqs must be frequencies in"),
        ([-1.0], 30.0, None, "freqs"),
        ([float("nan")], 30.0, None, "freqs"),
        ([1.0], 0.0, None, "fps"),
        ([1.0], 30.0, 100, "n_frames must be >= 150"),
        ([1.0], 30.0, 200.5, "n_frames must be an integer"),
    ],
)
def test_bad_arguments(freqs: list[float], fps: float, n_frames: int | None, match: str) -> None:
    filt = IdealBandpass((0.8, 1.0), 30.0)  # needs 150 frames
    with pytest.raises(VmagError, match=match):
        frequency_response(filt, freqs, fps, n_frames=n_frames)
