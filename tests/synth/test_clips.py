"""The one Fourier-shift renderer: exact periodic translation, even and odd sizes alike."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from vmag.synth import fourier_shift


@pytest.mark.parametrize("shape", [(32, 48), (33, 47), (32, 47), (33, 48)])
def test_fourier_shift_is_the_real_part_of_the_full_spectrum_shift(shape):
    image = np.random.default_rng(0).random((*shape, 3)).astype(np.float32)
    spectrum = ndimage.fourier_shift(np.fft.fft2(image, axes=(0, 1)), (0.3, -1.7, 0))
    want = np.fft.ifft2(spectrum, axes=(0, 1)).real
    np.testing.assert_allclose(fourier_shift(image, 0.3, -1.7), want, atol=2e-6)


def test_whole_pixel_shifts_are_rolls():
    image = np.random.default_rng(1).random((20, 30, 3)).astype(np.float32)
    np.testing.assert_allclose(fourier_shift(image, 2, -3), np.roll(image, (2, -3), (0, 1)),
                               atol=2e-6)  # fmt: skip
