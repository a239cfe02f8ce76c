"""Shared fixtures: seeded random generators, and the real clips of ../shared/videos (skipped
with a reason when absent)."""

from __future__ import annotations

import os

# As the CLI does (vmag/cli/__init__.py): OpenMP threads sleep when idle instead of
# spinning, which otherwise makes small torch ops 50x slower while xdist workers share cores.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from pathlib import Path

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
    """Every test sees the same torch random stream, so a tolerance that passes once always does
    (numpy draws go through seeded ``default_rng`` generators)."""
    torch.manual_seed(0)
