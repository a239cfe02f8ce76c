"""Named starting points: a preset fills the method, band and alpha; explicit flags win.

``vibration`` has no fixed band (vibrations range from a crane's 0.3 Hz to a string's
100 Hz): it takes the clip's strongest spectral peak above 1 Hz, ±15 %.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    method: str
    alpha: float
    band: tuple[float, float] | None  # None: from the clip's spectrum
    note: str


PRESETS: dict[str, Preset] = {
    "pulse": Preset(
        "color", 50.0, (0.8, 2.0), "skin colour at heart rate, 48-120 bpm (Wu 2012 face)"
    ),
    "breathing": Preset(
        "linear", 10.0, (0.2, 1.0), "chest motion at 12-60 breaths/min (Wu 2012 baby)"
    ),
    "vibration": Preset("phase", 20.0, None, "the strongest vibration in the clip, ±15 %"),
}

PRESET_NAMES = tuple(PRESETS)


def band_around(freq: float, fps: float, width: float = 0.15) -> tuple[float, float]:
    """A band freq·(1 ± width), kept below Nyquist."""
    hi = min(freq * (1 + width), 0.49 * fps)
    return freq * (1 - width), hi
