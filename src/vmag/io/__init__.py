"""Video input and output: probe, decode to float32 RGB frames, encode atomically."""

from __future__ import annotations

from vmag.io.background import BackgroundWriter, prefetch
from vmag.io.video import (
    FORMATS,
    X264_PRESETS,
    VideoInfo,
    VideoWriter,
    iter_frames,
    probe,
    read_video,
    write_video,
)

__all__ = [
    "FORMATS",
    "X264_PRESETS",
    "BackgroundWriter",
    "VideoInfo",
    "VideoWriter",
    "iter_frames",
    "prefetch",
    "probe",
    "read_video",
    "write_video",
]
