"""Synthetic clips with known motion, and training data for learned magnification."""

from vmag.synth.clips import (
    breathing_clip,
    fourier_shift,
    noise_texture,
    sample_image,
    translating_clip,
)
from vmag.synth.motion import (
    PARTS,
    MotionConfig,
    MotionDataset,
    MotionSample,
    ShardDataset,
    make_sample,
    sample_scene,
    write_shards,
)
from vmag.synth.scene import Scene

__all__ = [
    "PARTS",
    "MotionConfig",
    "MotionDataset",
    "MotionSample",
    "Scene",
    "ShardDataset",
    "breathing_clip",
    "fourier_shift",
    "make_sample",
    "noise_texture",
    "sample_image",
    "sample_scene",
    "translating_clip",
    "write_shards",
]
