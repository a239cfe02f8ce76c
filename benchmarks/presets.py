"""How the presets do on the real clips they are meant for (../shared/videos).

    python benchmarks/presets.py [--videos ../shared/videos] [--out bench-out/presets]

For each clip: the band, α and region the preset chose (from ``vmag.pipeline.plan``),
then, for ``pulse`` on face.mp4, the magnified colour change against the published EVM
output (mit-reference/, the README's protocol: the change output − input against
reference − input, 8x8 block means, complex amplitude at the pulse peak, correlation and
amplitude ratio per channel in YIQ), and for ``pulse`` on wrist.mp4 the share of the
added change that lands off the skin with and without the skin mask. Slices of every
output go to ``--out``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from vmag.colorspace import rgb_to_yiq
from vmag.io import read_video
from vmag.pipeline import MagnifyJob, prepare, run
from vmag.pipeline.region import skin_mask

CLIPS = [
    ("face.mp4", "pulse", {"stop": 291}, 120),  # the frames the published output used
    ("wrist.mp4", "pulse", {}, 200),
    ("baby.mp4", "breathing", {}, 480),
    ("crane_crop.mp4", "vibration", {}, 140),
    ("guitar.mp4", "vibration", {"fps": 600.0}, 150),
]
MIT_FACE = "mit-reference/face-ideal-from-0.83333-to-1-alpha-50-level-4-chromAtn-1.mp4"


def block_mean(x: np.ndarray, k: int = 8) -> np.ndarray:
    t, h, w, c = x.shape
    x = x[:, : h // k * k, : w // k * k]
    return x.reshape(t, h // k, k, w // k, k, c).mean(axis=(2, 4))


def tone(series: np.ndarray, freq: float, fps: float) -> np.ndarray:
    """Complex amplitude of ``freq`` in ``series`` (time on axis 0)."""
    t = np.arange(len(series)) / fps
    phasor = np.exp(-2j * np.pi * freq * t)
    shape = (-1,) + (1,) * (series.ndim - 1)
    return 2 * (series * phasor.reshape(shape)).mean(axis=0)


def compare_with_mit(out: Path, videos: Path, freq: float) -> None:
    original, info = read_video(videos / "face.mp4", stop=291)
    ours, _ = read_video(out, stop=291)
    mit, _ = read_video(videos / MIT_FACE)
    n = min(len(original), len(ours), len(mit))
    import torch

    def yiq_change(a: np.ndarray) -> np.ndarray:
        d = block_mean(a[:n] - original[:n])
        return rgb_to_yiq(torch.from_numpy(d).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()

    a, b = tone(yiq_change(ours), freq, info.fps), tone(yiq_change(mit), freq, info.fps)
    for c, name in enumerate("YIQ"):
        x, y = a[..., c].ravel(), b[..., c].ravel()
        corr = abs(np.vdot(y, x)) / (np.linalg.norm(x) * np.linalg.norm(y))
        ratio = np.linalg.norm(x) / np.linalg.norm(y)
        print(f"    {name}: correlation {corr:.3f}, amplitude ratio (ours / published) {ratio:.2f}")


def off_skin_share(out: Path, source: Path) -> float:
    original, _ = read_video(source, stop=300)
    magnified, _ = read_video(out, stop=300)
    skin = skin_mask(original[0]) > 0.5
    energy = ((magnified - original) ** 2).sum(axis=(0, 3))
    return float(energy[~skin].sum() / energy.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=Path, default=Path("../shared/videos"))
    parser.add_argument("--out", type=Path, default=Path("bench-out/presets"))
    args = parser.parse_args()
    if not args.videos.is_dir():
        sys.exit(f"no clips at {args.videos} (see ../shared/videos/README.md)")
    args.out.mkdir(parents=True, exist_ok=True)
    from vmag.viz import plot_slices, spatiotemporal_slice

    for name, preset, extra, column in CLIPS:
        src = args.videos / name
        out = args.out / f"{src.stem}-{preset}.mkv"  # lossless: no codec noise in the change
        job = MagnifyJob({"video": src}, None, {}, out, preset=preset, **extra)
        p = prepare(job)
        print(f"{name} --preset {preset}:")
        for line in p.messages:
            print(f"  {line}")
        run(p)
        a, info = read_video(src)
        b, _ = read_video(out)
        png = plot_slices(
            [spatiotemporal_slice(a, x=column), spatiotemporal_slice(b, x=column)],
            [f"{name}", f"--preset {preset}"],
            extra.get("fps", info.fps),
            args.out / f"{src.stem}-{preset}-slice.png",
        )
        print(f"  slice at x={column}: {png}")
        if name == "face.mp4":
            compare_with_mit(out, args.videos, 0.9)  # the published output's pulse
        if name == "wrist.mp4":
            whole = args.out / "wrist-pulse-whole-frame.mkv"
            run(MagnifyJob({"video": src}, None, {}, whole, preset=preset, roi=(0, 0, 640, 352)))
            print(f"  change energy off the skin: with the skin mask {off_skin_share(out, src):.1%}"
                  f", whole frame {off_skin_share(whole, src):.1%}")  # fmt: skip


if __name__ == "__main__":
    main()
