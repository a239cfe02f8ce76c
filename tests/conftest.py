"""Shared fixtures: the real clips of ../shared/videos (skipped with a reason when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
VIDEOS = REPO.parent / "shared" / "videos"


@pytest.fixture(scope="session")
def videos() -> Path:
    """The folder of real clips; tests that need it skip when it is missing."""
    if not (VIDEOS / "README.md").is_file():
        pytest.skip(f"real clips not found at {VIDEOS} (the shared/videos folder beside the repo)")
    return VIDEOS
