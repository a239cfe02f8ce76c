"""Give freed memory back to the operating system, so a long stream's footprint stays flat.

glibc's allocator serves the 10-30 MB temporaries of a 1080p frame from its heaps and
keeps them once freed (only the top of a heap is trimmed on its own), so the resident
size of a streaming run drifts up to the sum of every temporary it ever held.
``malloc_trim(0)`` hands the free pages in the middle of the heaps back too, between
frames; within a frame, the heaps still fragment around the frame-sized temporaries.
:func:`map_large_allocations` serves those from their own memory maps instead, each
returned to the OS when freed. Elsewhere (another C library, another OS) both are no-ops.

Both change the whole process, so a library never does them on its own: a caller that
owns the process (the ``vmag`` command, a batch worker) opts in with :func:`tune`, and
until then both do nothing. Even then, only streams of frames too large to batch use
them (1080p); smaller frames keep the allocator's defaults, which are faster there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable

#: glibc's mallopt parameter for the size from which allocations get their own map.
_M_MMAP_THRESHOLD = -3
#: 1 MiB: at 1920x1080 every frame-sized temporary (6 MB uint8 frames, 8-25 MB float32
#: planes and spectra) and those of the next two pyramid scales are mapped, while the many
#: small ones of coarse scales stay on the heap. Measured (1080p stream, vmag magnify):
#: phase 1.18 GB -> 901 MiB, and acceleration --filter butter 1018 -> 1004 MiB against a
#: 4 MiB threshold; a 1080p frame then takes about 30 % longer than with the heap (fresh
#: pages are zero-filled on first use; measured at 4 MiB).
LARGE = 1 << 20

_tuned = False


@functools.cache
def _libc_function(name: str) -> Callable[..., int] | None:
    lib = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(lib), name) if lib else None
    except (OSError, AttributeError):
        return None


def tune() -> None:
    """Opt this process in: let :func:`map_large_allocations` and :func:`release_memory`
    act when a stream asks for them."""
    global _tuned
    _tuned = True


def release_memory() -> None:
    """Return the allocator's free pages to the OS (glibc) once the process is
    :func:`tune`-d; a no-op before that and where unsupported.

    >>> release_memory()
    """
    if not _tuned:
        return
    trim = _libc_function("malloc_trim")
    if trim is not None:
        trim(0)


def map_large_allocations(threshold: int = LARGE) -> None:
    """Serve allocations of ``threshold`` bytes or more from their own memory maps (glibc),
    for the rest of the process, once it is :func:`tune`-d; a no-op before that and where
    unsupported.

    glibc does this from 128 kB at first but raises the threshold each time such a block
    is freed (up to 32 MB), after which frame-sized temporaries come from the heaps, where
    they fragment: a streaming 1080p run then peaks well above what it holds at once.
    The price is speed: a mapped block's pages are faulted in anew on every use.

    >>> map_large_allocations(32 << 20)  # the most glibc would raise it to on its own
    """
    if not _tuned:
        return
    mallopt = _libc_function("mallopt")
    if mallopt is not None:
        mallopt(_M_MMAP_THRESHOLD, int(threshold))
