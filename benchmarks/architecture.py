"""Measure the shape of the code: which modules one ``vmag magnify`` run passes through,
and the longest modules.

    python benchmarks/architecture.py [--method phase] [--stream]

Prints, for a ``vmag magnify`` run of a small synthetic clip, the vmag source files whose
functions ran (module bodies run at import are not counted), then the five longest
modules of ``src/vmag``. Run it at two commits to compare a redesign.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
from pathlib import Path

import numpy as np


def files_crossed(method: str, stream: bool) -> list[str]:
    """The vmag modules whose functions run during one ``vmag magnify`` of ``method``."""
    import vmag
    from vmag.bench.protocol import list_protocols
    from vmag.cli.main import main
    from vmag.io import VideoWriter
    from vmag.registry import list_magnifiers

    root = str(Path(vmag.__file__).resolve().parent)  # wherever the package is imported from
    folder = Path(tempfile.mkdtemp())
    clip = folder / "in.mkv"
    t = np.arange(60) / 30
    frames = 0.5 + 0.1 * np.sin(2 * np.pi * 3 * t)[:, None, None, None] * np.ones((1, 48, 64, 3))
    with VideoWriter(clip, 30) as w:
        w.write_many(frames.astype(np.float32))
    args = ["magnify", str(clip), "-o", str(folder / "out.mp4"), "--method", method]
    args += ["--alpha", "10", "--band", "2", "4"] + (["--stream"] if stream else [])
    # import what the run would import, outside the trace: module bodies, class bodies
    # and registration decorators are not the run's path
    with contextlib.redirect_stdout(io.StringIO()):
        main(["info", str(clip)])
    list_magnifiers(unavailable=True)
    list_protocols()
    seen: set[str] = set()

    def profile(frame, event, arg):
        code = frame.f_code
        if event == "call" and code.co_name != "<module>" and code.co_filename.startswith(root):
            seen.add(code.co_filename)

    sys.setprofile(profile)
    try:
        main(args)
    finally:
        sys.setprofile(None)
    return sorted(str(Path(f).relative_to(root)) for f in seen)


def files_of_maths(method: str) -> dict[str, list[str]]:
    """The vmag modules the maths of ``method`` runs through on a clip in memory: the
    class's offline ``magnify``, and the functional core ``<method>_magnify`` where the
    checkout has one."""
    import importlib

    import vmag
    from vmag.registry import create_magnifier

    root = str(Path(vmag.__file__).resolve().parent)
    t = np.arange(40) / 30
    clip = (0.5 + 0.1 * np.sin(6 * np.pi * t)[:, None, None, None] * np.ones((1, 48, 64, 3)))
    clip = clip.astype(np.float32)
    runs = {"class": lambda: create_magnifier(method, alpha=10, band=(2, 4)).magnify(clip, 30)}
    core = getattr(importlib.import_module(f"vmag.classical.{method}"), f"{method}_magnify", None)
    if core is not None:
        runs["functional core"] = lambda: core(clip, 30, alpha=10, band=(2, 4))
    out = {}
    for name, call in runs.items():
        call()  # imports and caches outside the trace
        seen: set[str] = set()

        def profile(frame, event, arg, seen=seen):
            code = frame.f_code
            if event == "call" and code.co_filename.startswith(root):
                seen.add(code.co_filename)

        sys.setprofile(profile)
        try:
            call()
        finally:
            sys.setprofile(None)
        out[name] = sorted(str(Path(f).relative_to(root)) for f in seen)
    return out


def longest_modules(n: int = 5) -> list[tuple[int, str]]:
    import vmag

    src = Path(vmag.__file__).resolve().parent
    sizes = [
        (len(p.read_text().splitlines()), str(p.relative_to(src))) for p in src.rglob("*.py")
    ]
    return sorted(sizes, reverse=True)[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--method", default="phase")
    parser.add_argument("--stream", action="store_true")
    args = parser.parse_args()
    files = files_crossed(args.method, args.stream)
    print(f"vmag magnify --method {args.method}{' --stream' if args.stream else ''}:")
    print(f"  {len(files)} files: {', '.join(files)}")
    for name, maths in files_of_maths(args.method).items():
        print(f"  the maths, {name}: {len(maths)} files: {', '.join(maths)}")
    print("longest modules:")
    for lines, name in longest_modules():
        print(f"  {lines:5d} {name}")


if __name__ == "__main__":
    main()
