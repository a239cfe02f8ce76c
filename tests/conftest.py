"""Shared fixtures: seeded random generators, and the real clips of ../shared/videos (skipped
with a reason when absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
VIDEOS = REPO.parent / "shared" / "videos"


@pytest.fixture(scope="session")
def videos() -> Path:
    """The folder of real clips; tests that need it skip when it is missing."""
    if not (VIDEOS / "README.md").is_file():
        pytest.skip(f"real clips not found at {VIDEOS} (the shared/videos folder beside the repo)")
    return VIDEOS


@pytest.fixture(autouse=True)
def _seeded() -> None:
    """Every test sees the same global random streams, so a tolerance that passes once always does."""
    torch.manual_seed(0)
    np.random.seed(0)
