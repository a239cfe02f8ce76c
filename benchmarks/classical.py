"""Speed and memory of the classical magnifiers, end to end and alone.

For each frame size it renders a test clip (a photo translating by a sub-pixel sine,
H.264), then measures in a fresh subprocess each:

- ``codec``: decode + encode only (the floor any end-to-end run pays);
- ``e2e default`` / ``e2e stream``: ``vmag magnify`` as a user runs it (decode, magnify,
  encode), without flags (zero-phase, the clip read twice, for a Butterworth band) or
  with ``--stream`` (causal);
- ``alone default`` / ``alone stream``: the magnifier on frames already in memory
  (``two_pass`` over them, or ``stream``).

Frames per second and peak resident memory (``ru_maxrss`` of the subprocess) are printed
as a Markdown table. ``--long`` adds end-to-end runs on clips 10x longer at every size,
to show that memory does not grow with the clip's length.

    python benchmarks/classical.py                       # 640x480 and 1920x1080
    python benchmarks/classical.py --sizes 640x480 --methods phase,linear --frames 60
    python benchmarks/classical.py --sizes 1920x1080 --modes stream --long \
        --methods phase,acceleration/filter=butter    # a method's options after "/"
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FPS = 30.0
BAND = (1.0, 3.0)


def make_clip(path: Path, width: int, height: int, frames: int) -> None:
    """A photo translating by 0.2 px at 2 Hz, resized to ``width`` x ``height``."""
    import torch
    import torch.nn.functional as F

    from vmag.io import VideoWriter
    from vmag.synth import fourier_shift, sample_image

    img = torch.from_numpy(sample_image("coffee")).permute(2, 0, 1)[None]
    img = F.interpolate(img, size=(height, width), mode="bilinear", align_corners=False)
    base = img[0].permute(1, 2, 0).numpy()
    with VideoWriter(path, FPS) as w:
        for t in range(frames):
            w.write(fourier_shift(base, 0.0, 0.2 * np.sin(2 * np.pi * 2.0 * t / FPS)))


def split_spec(spec: str | None) -> tuple[str | None, dict[str, str]]:
    """``"acceleration/filter=butter"`` -> ("acceleration", {"filter": "butter"}): a method
    with options (the CLI's, as text; numbers are not needed by the runs here)."""
    if spec is None:
        return None, {}
    name, *rest = spec.split("/")
    return name, dict(item.split("=", 1) for item in rest)


def worker(job: dict) -> dict:
    """Run one measurement in this (fresh) process; returns seconds, frames, peak MB."""
    import vmag.cli  # noqa: F401 - first, so torch starts in the CLI's environment
    from vmag.io import VideoWriter, iter_frames, read_video
    from vmag.registry import create_magnifier

    clip, kind = Path(job["clip"]), job["kind"]
    out = Path(job["tmp"]) / f"out-{os.getpid()}.mp4"
    method, options = split_spec(job.get("method"))
    params = {"alpha": 10.0, "band": BAND, **options}
    if method and not job.get("stream") and method != "acceleration":
        params["filter"] = "butter"
    frames_done = 0
    if kind == "codec":
        t0 = time.perf_counter()
        with VideoWriter(out, FPS) as w:
            for frame in iter_frames(clip):
                w.write(frame)
                frames_done += 1
        seconds = time.perf_counter() - t0
    elif kind == "e2e":
        from vmag.cli.main import main

        args = [
            "magnify",
            str(clip),
            "-o",
            str(out),
            "--method",
            method,
            "--alpha",
            "10",
            "--band",
            str(BAND[0]),
            str(BAND[1]),
        ]
        if job["stream"]:
            args.append("--stream")
        for key, value in options.items():
            args += [f"--{key.replace('_', '-')}", value]
        t0 = time.perf_counter()
        main(args)
        seconds = time.perf_counter() - t0
        frames_done = job["frames"]
    else:  # alone
        frames, _ = read_video(clip)
        m = create_magnifier(method, **params)
        t0 = time.perf_counter()
        if job["stream"]:
            for _ in m.stream(iter(frames), FPS):
                frames_done += 1
        elif m.reads_twice(FPS):
            for _ in m.two_pass(lambda: iter(frames), FPS, len(frames)):
                frames_done += 1
        else:
            frames_done = len(m.magnify(frames, FPS))
        seconds = time.perf_counter() - t0
    out.unlink(missing_ok=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "frames": frames_done, "peak_mb": peak_mb}


def run_job(job: dict) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(job)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{job} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="640x480,1920x1080")
    ap.add_argument("--frames", type=int, default=90, help="frames at 640x480 (fewer at 1080p)")
    ap.add_argument("--large-frames", type=int, help="frames above 640x480 (default: a third)")
    ap.add_argument("--methods", default="linear,color,phase,riesz,acceleration")
    ap.add_argument("--long", action="store_true", help="also clips 10x longer, end to end")
    ap.add_argument("--modes", default="default,stream", help="default, stream or both")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return

    import torch

    methods = args.methods.split(",")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"torch {torch.__version__} ({torch.get_num_threads()} threads), python "
        f"{platform.python_version()}"
    )
    print(
        f"clip: photo translating 0.2 px at 2 Hz, {FPS:g} fps; alpha 10, band {BAND} Hz; "
        "default = no flags (butter, zero-phase, the clip read twice; acceleration: LoG, "
        "streamed), stream = --stream (causal butter; acceleration: LoG)\n"
    )
    rows = []
    modes = args.modes.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
        for w, h in sizes:
            n = args.frames
            if w * h > 640 * 480:
                n = args.large_frames or max(30, args.frames // 3)
            clip = Path(tmp) / f"clip-{w}x{h}.mp4"
            make_clip(clip, w, h, n)
            base = {"clip": str(clip), "tmp": tmp, "frames": n}
            codec = run_job({**base, "kind": "codec"})
            codec_fps = codec["frames"] / codec["seconds"]
            rows.append((f"{w}x{h}", "(decode+encode)", "-", f"{codec_fps:.1f}", "-",
                         f"{codec['peak_mb']:.0f}", "-"))  # fmt: skip
            print(f"{w}x{h}: {n} frames; decode+encode {codec_fps:.1f} fps", flush=True)
            for method in methods:
                for mode in modes:
                    stream = mode == "stream"
                    e2e = run_job({**base, "kind": "e2e", "method": method, "stream": stream})
                    alone = run_job({**base, "kind": "alone", "method": method, "stream": stream})
                    row = (
                        f"{w}x{h}",
                        method,
                        mode,
                        f"{n / e2e['seconds']:.1f}",
                        f"{alone['frames'] / alone['seconds']:.1f}",
                        f"{e2e['peak_mb']:.0f}",
                        f"{alone['peak_mb']:.0f}",
                    )
                    rows.append(row)
                    print("  " + " | ".join(row), flush=True)
            if not args.long:
                continue
            clip.unlink()
            long = Path(tmp) / f"long-{w}x{h}.mp4"
            make_clip(long, w, h, 10 * n)
            for method in methods:
                for mode in modes:
                    job = {"clip": str(long), "tmp": tmp, "frames": 10 * n, "kind": "e2e",
                           "method": method, "stream": mode == "stream"}  # fmt: skip
                    e2e = run_job(job)
                    row = (f"{w}x{h} x{10 * n}", method, mode, f"{10 * n / e2e['seconds']:.1f}",
                           "-", f"{e2e['peak_mb']:.0f}", "-")  # fmt: skip
                    rows.append(row)
                    print("  " + " | ".join(row), flush=True)
            long.unlink()
    print(
        "\n| size | method | mode | end-to-end fps | magnifier alone fps | e2e peak MB "
        "| alone peak MB |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
