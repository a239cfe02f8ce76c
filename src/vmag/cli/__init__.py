"""The ``vmag`` command-line program.

Decoding and encoding run in threads beside torch's OpenMP workers; on few cores, workers
that spin while waiting take the CPU from the codec. Passive waiting measured 10-15 %
faster end to end (linear, 640x480, 2 cores). It must be set before torch loads, so the
CLI package sets it (unless the user has); the library leaves the environment alone.

:func:`main` is the program's entry point. Before it imports the commands (torch,
scipy: about two seconds), it refuses a ``magnify`` whose output could never be written
(a suffix no writer knows, or an input given as the output), so such a typo is answered
at once; :func:`vmag.pipeline.plan` checks everything again, and the rest, before any
frame is decoded.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

#: ``vmag magnify`` flags that name an output file.
_OUTPUT_FLAGS = ("-o", "--output", "--compare")


def _flag_values(args: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """The output flags' values, ``(flag, path)``, and every other word of ``args``."""
    outputs, rest = [], []
    words = iter(args)
    for word in words:
        flag, eq, value = word.partition("=")
        if flag in _OUTPUT_FLAGS:
            value = value if eq else next(words, "")
            outputs.append((flag, value))
        else:
            rest.append(word)
    return outputs, rest


def early_check(argv: list[str]) -> None:
    """Refuse a ``magnify`` output that can never be written (one line, exit status 2)."""
    if not argv or argv[0] != "magnify" or "--help" in argv:
        return
    from vmag.errors import VmagError
    from vmag.io.paths import check_output

    outputs, rest = _flag_values(argv[1:])
    inputs = [Path(w) for w in rest if not w.startswith("-") and Path(w).is_file()]
    try:
        for flag, value in outputs:
            if value:
                check_output(Path(value), inputs, "-o" if flag == "--output" else flag)
    except VmagError as e:
        print(f"vmag: error: {' '.join(str(e).split())}", file=sys.stderr, flush=True)
        sys.exit(2)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``vmag`` program."""
    early_check(sys.argv[1:] if argv is None else argv)
    from vmag.cli.main import main as run

    run(argv)
