"""Size, cost and CPU speed of the learned motion-magnification networks.

For each model of :data:`vmag.learned.zoo.MODELS` it prints parameters, multiply-adds
(what the papers call FLOPs) and FLOPs at 720x720, and the median wall time of one
forward pass (reference + current frame -> magnified frame) on the CPU, next to the
papers' figures. The architecture alone is timed: trained weights change no cost.

    python benchmarks/learned.py                      # all models, 720x720, 5 repeats
    python benchmarks/learned.py --models lightweight --size 480x640 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import platform

import torch

from vmag.learned.complexity import count_macs, count_parameters, time_per_frame
from vmag.learned.zoo import MODELS, build_model

#: (parameters in millions, "GFLOPs" as printed) at 720x720 in the papers: Oh et al.
#: (ECCV 2018) as quoted by Singh et al. (WACV 2023, Table 1) with their own two models.
PAPER = {"magnet": (0.98, 268.6), "lightweight-base": (1.10, 375.5), "lightweight": (0.12, 42.4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated")
    parser.add_argument("--size", default="720x720", help="HxW of the frames")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    h, w = (int(v) for v in args.size.split("x"))
    torch.set_num_threads(args.threads)
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"{args.threads} torch threads, torch {torch.__version__}, frames {h}x{w}\n"
    )
    print("| model | params | GMAC | GFLOPs | CPU ms/frame | paper params / 'GFLOPs' |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in args.models.split(","):
        net = build_model(name).eval()
        params = count_parameters(net)
        macs = count_macs(net, (h, w)) / 1e9
        ms = time_per_frame(net, (h, w), repeats=args.repeats, device="cpu", warmup=1)
        paper = PAPER.get(name)
        ref = f"{paper[0]:.2f} M / {paper[1]:.1f}" if paper else "-"
        print(
            f"| {name} | {params / 1e6:.3f} M | {macs:.1f} | {2 * macs:.1f} | {ms:.0f} | {ref} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
