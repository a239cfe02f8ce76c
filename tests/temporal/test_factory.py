"""make_filter: filters by name, as the CLI and magnifiers ask for them."""

from __future__ import annotations

import math

import pytest

from vmag.errors import VmagError
from vmag.temporal import (
    FILTER_KINDS,
    AccelerationFilter,
    ButterBandpass,
    IdealBandpass,
    IIRDifference,
    StaticReference,
    TemporalFilter,
    make_filter,
)


def test_kinds() -> None:
    assert FILTER_KINDS == ("ideal", "butter", "iir", "accel", "static")


@pytest.mark.parametrize(
    ("kind", "cls", "causal"),
    [
        ("ideal", IdealBandpass, False),
        ("butter", ButterBandpass, True),
        ("iir", IIRDifference, True),
        ("accel", AccelerationFilter, True),
        ("static", StaticReference, True),
    ],
)
def test_builds_each_kind(kind: str, cls: type, causal: bool) -> None:
    filt = make_filter(kind, (1.0, 4.0), 30.0)
    assert isinstance(filt, cls) and isinstance(filt, TemporalFilter)
    assert filt.causal is causal


def test_butter_gets_the_order_and_band() -> None:
    filt = make_filter("butter", (1.0, 4.0), 30.0, order=3)
    assert isinstance(filt, ButterBandpass)
    assert filt.order == 3 and filt.band == (1.0, 4.0) and len(filt.sos) == 3


def test_iir_cut_offs_come_from_the_band() -> None:
    filt = make_filter("iir", (1.0, 4.0), 30.0)
    assert isinstance(filt, IIRDifference)
    assert filt.r1 == pytest.approx(1 - math.exp(-2 * math.pi * 4.0 / 30.0))
    assert filt.r2 == pytest.approx(1 - math.exp(-2 * math.pi * 1.0 / 30.0))


def test_accel_uses_the_geometric_centre_or_the_arithmetic_one_from_zero() -> None:
    filt = make_filter("accel", (1.0, 4.0), 30.0)
    assert isinstance(filt, AccelerationFilter) and filt.freq == pytest.approx(2.0)
    low = make_filter("accel", (0.0, 4.0), 30.0)
    assert isinstance(low, AccelerationFilter) and low.freq == pytest.approx(2.0)


def test_bad_kind_lists_the_choices() -> None:
    with pytest.raises(VmagError, match="kind must be one of ideal, butter, iir, accel, static"):
        make_filter("fir", (1.0, 4.0), 30.0)


@pytest.mark.parametrize("kind", FILTER_KINDS)
def test_bad_band_for_every_kind(kind: str) -> None:
    with pytest.raises(VmagError, match="Nyquist"):
        make_filter(kind, (1.0, 20.0), 30.0)
    with pytest.raises(VmagError, match="band must satisfy"):
        make_filter(kind, (3.0, 1.0), 30.0)


def test_bad_order_and_iir_from_zero() -> None:
    with pytest.raises(VmagError, match="order"):
        make_filter("butter", (1.0, 4.0), 30.0, order=0)
    with pytest.raises(VmagError, match="band LO must be > 0"):
        make_filter("iir", (0.0, 4.0), 30.0)
