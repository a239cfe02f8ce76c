"""Size, cost, CPU speed and magnification of the learned motion-magnification networks.

``cost`` (the default) prints, for each model of :data:`vmag.learned.zoo.MODELS`,
parameters, multiply-adds (what the papers call FLOPs) and FLOPs at 720x720, and the
median wall time of one forward pass (reference + current frame -> magnified frame) on
the CPU, next to the papers' figures (the architecture alone: weights change no cost).

``gain WEIGHTS`` measures what a trained network (a weights file, or a training run's
``checkpoint.pt`` while it trains) does to a known sub-pixel motion: a texture translated
by A px and, for each alpha, the output motion over (1 + alpha) times the input's
(1 is exact), in static mode (a two-frame pair) and over a sine clip (90 frames at 30
fps) in static and temporal mode (band 2-4 Hz), by sub-pixel registration
(:func:`vmag.bench.displacement_series`). The sine is at the band's centre (2.85 Hz),
where the zero-phase Butterworth filter passes it with gain exactly 1, and the temporal
fit leaves out 20 frames at each end (the filter's transients): what is measured is the
network, not the filter.

    python benchmarks/learned.py                      # cost of all models, 720x720
    python benchmarks/learned.py cost --models lightweight --size 480x640 --repeats 3
    python benchmarks/learned.py gain runs/lightweight/checkpoint.pt --model lightweight
"""

from __future__ import annotations

import argparse
import os
import platform

import numpy as np
import torch

from vmag.bench import displacement_series, tone_amplitude
from vmag.learned import zoo
from vmag.learned.complexity import count_macs, count_parameters, time_per_frame
from vmag.learned.magnifier import LearnedMagnifier
from vmag.learned.zoo import MODELS, build_model
from vmag.synth import noise_texture, translating_clip
from vmag.temporal import ButterBandpass

#: (parameters in millions, "GFLOPs" as printed) at 720x720 in the papers: Oh et al.
#: (ECCV 2018) as quoted by Singh et al. (WACV 2023, Table 1) with their own two models.
PAPER = {"magnet": (0.98, 268.6), "lightweight-base": (1.10, 375.5), "lightweight": (0.12, 42.4)}


def cost(args: argparse.Namespace) -> None:
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


def load_network(path: str, model: str) -> tuple[torch.nn.Module, str]:
    """A weights file, or a training checkpoint's current network; and what it is."""
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    if ckpt.get("format") == "vmag-train-checkpoint/1":
        net = build_model(model, **ckpt["config"]["arch"])
        net.load_state_dict(ckpt["model"])
        return net.eval(), f"checkpoint, {ckpt['stage']} stage, iteration {ckpt['iteration']}"
    net, meta = zoo.load_weights(path)
    return net, f"weights, {meta.get('iterations', '?')} iterations"


def gain(args: argparse.Namespace) -> None:
    torch.set_num_threads(args.threads)
    net, what = load_network(args.weights, args.model)
    magnifier = {cls.model: cls for cls in LearnedMagnifier.__subclasses__()}[args.model]
    fps, band, settle = 30.0, (2.0, 4.0), 20
    freq = ButterBandpass(band, fps).centre
    t = np.arange(90) / fps
    print(f"{args.weights} ({what}); texture: noise blurred by 2 px, 96x96")
    print(f"\n| input motion (px) | alpha | pair | static ({freq:.2f} Hz sine) | temporal (same) |")
    print("| --- | --- | --- | --- | --- |")
    texture = noise_texture(96, 96, blur=2.0, seed=3)
    for amplitude in args.motions:
        pair = translating_clip(texture, [0.0, amplitude])
        clip = translating_clip(texture, amplitude * np.sin(2 * np.pi * freq * t))
        moved = tone_amplitude(displacement_series(clip)[:, 1], freq, fps)
        for alpha in args.alphas:
            row = []
            m = magnifier(alpha=alpha, mode="static", net=net, tile=0, device="cpu")
            out = m.magnify(pair, fps)
            row.append(displacement_series(out)[1, 1] / (amplitude * (1 + alpha)))
            for mode, skip in (("static", 0), ("temporal", settle)):
                m = magnifier(alpha=alpha, mode=mode, band=band, net=net, tile=0, device="cpu")
                dx = displacement_series(m.magnify(clip, fps))[skip : len(t) - skip, 1]
                row.append(tone_amplitude(dx, freq, fps) / (moved * (1 + alpha)))
            cells = " | ".join(f"{v:.2f}" for v in row)
            print(f"| {amplitude:g} | {alpha:g} | {cells} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    c = sub.add_parser("cost", help="parameters, GMAC and CPU ms/frame per model")
    c.add_argument("--models", default=",".join(MODELS), help="comma-separated")
    c.add_argument("--size", default="720x720", help="HxW of the frames")
    c.add_argument("--repeats", type=int, default=5)
    c.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    g = sub.add_parser("gain", help="output motion / (1 + alpha) x input motion")
    g.add_argument("weights", help="weights file or a training run's checkpoint.pt")
    g.add_argument("--model", default="lightweight", choices=list(MODELS))
    g.add_argument("--motions", type=float, nargs="+", default=[0.2, 1.0])
    g.add_argument("--alphas", type=float, nargs="+", default=[4.0, 9.0, 19.0])
    g.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if args.command == "gain":
        gain(args)
    else:
        if args.command is None:
            args = c.parse_args([])
        cost(args)


if __name__ == "__main__":
    main()
