"""Write files atomically: readers see the old file or the whole new one, never a part.

Every file vmag writes (videos, pictures, reports, weights, data shards) goes through
:class:`AtomicFile`: the data goes to a hidden temporary file with a unique name beside
the target (parallel jobs writing the same folder never share one), is flushed to disk,
given the mode a new file gets under the process's umask, and renamed onto the target
only when the writing succeeded. On any error, interruption included, the temporary is
deleted and an existing target is left as it was.

>>> import tempfile, pathlib
>>> from vmag.io.atomic import atomic_write
>>> target = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
>>> atomic_write(target, lambda tmp: tmp.write_text("done")).read_text()
'done'
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: The process's umask, read once at import (reading it means setting it, which would
#: race with files other threads create).
_UMASK = _read_umask()


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where directories cannot be opened)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class AtomicFile:
    """A temporary file beside ``target`` (``path``), moved onto ``target`` by
    :meth:`commit` or deleted by :meth:`discard`; as a context manager, committed when
    the block succeeds and discarded when it raises. Missing parent folders are created.
    The temporary ends in the target's suffix, so tools that pick a format by suffix
    (matplotlib, FFmpeg) write the right one."""

    def __init__(self, target: str | os.PathLike[str]) -> None:
        self.target = Path(target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        folder, stem, suffix = self.target.parent, self.target.stem, self.target.suffix
        fd, tmp = tempfile.mkstemp(prefix=f".{stem}.", suffix=f".tmp{suffix}", dir=folder)
        os.close(fd)
        self.path = Path(tmp)
        self.done = False

    def commit(self) -> Path:
        """Flush the temporary to disk, give it a new file's mode, rename it onto the target."""
        try:
            with open(self.path, "rb+") as f:
                os.fsync(f.fileno())
            os.chmod(self.path, 0o666 & ~_UMASK)  # mkstemp's 0600 would make the file private
            os.replace(self.path, self.target)
        except BaseException:
            self.discard()
            raise
        self.done = True
        _fsync_dir(self.target.parent)
        return self.target

    def discard(self) -> None:
        """Delete the temporary (the target is untouched)."""
        self.done = True
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        if self.done:
            return
        if exc_type is None:
            self.commit()
        else:
            self.discard()


def atomic_write(target: str | os.PathLike[str], write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` to fill a temporary file, then move it onto ``target``."""
    with AtomicFile(target) as f:
        write(f.path)
    return f.target
