"""Synthetic clips with known motion: for tests, the demo and (later) training data."""

from vmag.synth.clips import (
    breathing_clip,
    fourier_shift,
    noise_texture,
    sample_image,
    translating_clip,
)

__all__ = ["breathing_clip", "fourier_shift", "noise_texture", "sample_image", "translating_clip"]
