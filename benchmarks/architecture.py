"""Measure the shape of the code: which modules one ``vmag magnify`` run passes through,
and the longest modules.

    python benchmarks/architecture.py [--method phase] [--stream]

Prints, for a ``vmag magnify`` run of a small synthetic clip, the vmag source files whose
functions ran (module bodies run at import are not counted), then the five longest
modules of ``src/vmag``. Run it at two commits to compare a redesign.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

SRC = Path(__file__).resolve().parents[1] / "src" / "vmag"


def files_crossed(method: str, stream: bool) -> list[str]:
    """The vmag modules whose functions run during one ``vmag magnify`` of ``method``."""
    import vmag
    from vmag.cli.main import main
    from vmag.io import VideoWriter

    root = str(Path(vmag.__file__).resolve().parent)  # wherever the package is imported from
    folder = Path(tempfile.mkdtemp())
    clip = folder / "in.mkv"
    t = np.arange(60) / 30
    frames = 0.5 + 0.1 * np.sin(2 * np.pi * 3 * t)[:, None, None, None] * np.ones((1, 48, 64, 3))
    with VideoWriter(clip, 30) as w:
        w.write_many(frames.astype(np.float32))
    args = ["magnify", str(clip), "-o", str(folder / "out.mp4"), "--method", method]
    args += ["--alpha", "10", "--band", "2", "4"] + (["--stream"] if stream else [])
    main(["info", str(clip)])  # imports everything the commands import, outside the trace
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


def longest_modules(n: int = 5) -> list[tuple[int, str]]:
    sizes = [
        (len(p.read_text().splitlines()), str(p.relative_to(SRC))) for p in SRC.rglob("*.py")
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
    print("longest modules:")
    for lines, name in longest_modules():
        print(f"  {lines:5d} {name}")


if __name__ == "__main__":
    main()
