"""Give freed memory back to the operating system, so a long stream's footprint stays flat.

glibc's allocator serves the 10-30 MB temporaries of a 1080p frame from its heaps and
keeps them once freed (only the top of a heap is trimmed on its own), so the resident
size of a streaming run drifts up to the sum of every temporary it ever held.
``malloc_trim(0)`` hands the free pages in the middle of the heaps back too. Elsewhere
(another C library, another OS) this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def release_memory() -> None:
    """Return the allocator's free pages to the OS (glibc); a no-op where unsupported.

    >>> release_memory()
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
