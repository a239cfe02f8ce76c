"""Measurement of magnification: motion and colour change recovered from clips."""

from vmag.bench.measure import displacement_series, tone_amplitude
from vmag.bench.reference import ChangeAgreement, change_agreement

__all__ = ["ChangeAgreement", "change_agreement", "displacement_series", "tone_amplitude"]
