"""Checks of output paths that need no decoding and no heavy import: the suffix the
writer knows, a writable folder, and never an input file (by path or by inode).

``same_file`` is re-exported for callers that compare two outputs."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from vmag.errors import VmagError
from vmag.io.video import FORMATS, refuse_protected, same_file

__all__ = ["check_output", "same_file"]


def check_output(path: Path, inputs: Iterable[Path], flag: str = "-o") -> None:
    """Refuse an output the writer could not write or that is one of the ``inputs``."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise VmagError(
            f"cannot write {path} ({flag}): unsupported suffix {suffix or '(none)'!r}; "
            "use .mp4 or .mov (H.264) or .mkv (lossless FFV1)"
        )
    refuse_protected(path, inputs)
    if path.is_dir():
        raise VmagError(f"cannot write {path} ({flag}): it is a directory; add a file name")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise VmagError(f"cannot write {path} ({flag}): {folder} is not a writable folder")
