"""A deliberately wrong magnifier for the protocols' sanity checks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from vmag import registry
from vmag.magnifier import Magnifier, ProgressFn


@dataclass(kw_only=True)
class IdentityMagnifier(Magnifier):
    """Returns its input: must score exactly as the input does (the baseline)."""

    name: ClassVar[str] = "identity-test"

    def magnify(
        self, frames: np.ndarray, fps: float, progress: ProgressFn | None = None
    ) -> np.ndarray:
        return np.array(frames, dtype=np.float32)

    def stream(self, frames: Iterable[np.ndarray], fps: float) -> Iterator[np.ndarray]:
        yield from frames


@pytest.fixture
def identity(monkeypatch) -> str:
    """Register ``identity-test`` for one test only (monkeypatch removes it afterwards)."""
    registry.list_magnifiers()  # load the real ones first
    monkeypatch.setitem(registry.MAGNIFIERS._classes, IdentityMagnifier.name, IdentityMagnifier)
    return IdentityMagnifier.name


@pytest.fixture
def magnify_calls(monkeypatch) -> list[tuple[str, dict]]:
    """Replaces the protocols' magnify_clip with one that returns the clip unchanged and
    records ``(method, parameter overrides)`` of every call, in order."""
    from vmag.bench import protocol

    seen: list[tuple[str, dict]] = []

    def fake(method, clip, **overrides):
        seen.append((method, overrides))
        return clip.frames

    monkeypatch.setattr(protocol, "magnify_clip", fake)
    return seen
