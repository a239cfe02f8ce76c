"""Does each classical method magnify by what it promises? Prints the measured figures.

1. Motion gain: a periodic texture translated by 0.1 px sin(2π·3 Hz·t), 60 frames at
   30 fps, alpha 10, ideal band 2-4 Hz; output motion / input motion by sub-pixel
   registration (ideal: 1 + alpha = 11). Out of band: the same motion at 9 Hz (ideal: 1).
2. Colour gain: a patch whose brightness varies by 0.5 % at 1.5 Hz, alpha 20 (ideal: 21).
3. Published EVM reference outputs (needs ../shared/videos): correlation and amplitude
   ratio of our magnified change against the reference's, as the folder's README says.

    python benchmarks/classical_accuracy.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from vmag.bench import change_agreement, displacement_series, tone_amplitude
from vmag.io import read_video
from vmag.registry import create_magnifier
from vmag.synth import noise_texture, translating_clip

FPS, FRAMES, A = 30.0, 60, 0.1
VIDEOS = Path(__file__).resolve().parents[2] / "shared" / "videos"


def motion_gain(method: str, freq: float, blur: float, **params) -> float:
    t = np.arange(FRAMES) / FPS
    clip = translating_clip(
        noise_texture(96, 96, blur=blur, seed=3), A * np.sin(2 * np.pi * freq * t)
    )
    out = create_magnifier(method, **params).magnify(clip, FPS)
    return tone_amplitude(displacement_series(out)[:, 1], freq, FPS) / A


def main() -> None:
    print("## Motion gain (ideal 11 in band, 1 out of band)\n")
    print("| method | texture blur (px) | gain at 3 Hz (in band) | gain at 9 Hz (out of band) |")
    print("|---|---|---|---|")
    cases = [
        ("linear", 4.0, {"lambda_c": 2.0}),
        ("phase", 2.0, {}),
        ("phase", 2.0, {"bandwidth": "half"}),
        ("phase", 2.0, {"sigma": 2.0}),
        ("riesz", 2.0, {}),
        ("riesz", 2.0, {"sigma": 2.0}),
    ]
    for method, blur, extra in cases:
        base = dict(alpha=10.0, band=(2.0, 4.0), filter="ideal", **extra)
        label = method + "".join(f", {k}={v}" for k, v in extra.items())
        g_in = motion_gain(method, 3.0, blur, **base)
        g_out = motion_gain(method, 9.0, blur, **base)
        print(f"| {label} | {blur:g} | {g_in:.2f} | {g_out:.2f} |", flush=True)

    t = np.arange(FRAMES) / FPS
    frames = np.full((FRAMES, 128, 128, 3), 0.4, dtype=np.float32)
    frames[:, 16:112, 16:112] *= (1 + 0.005 * np.sin(2 * np.pi * 1.5 * t))[:, None, None, None]
    out = create_magnifier("color", alpha=20, band=(1.0, 2.0), filter="ideal", levels=3).magnify(
        frames, FPS
    )
    patch = (slice(None), slice(56, 72), slice(56, 72))
    gain = tone_amplitude(out[patch].mean(axis=(1, 2, 3)), 1.5, FPS) / tone_amplitude(
        frames[patch].mean(axis=(1, 2, 3)), 1.5, FPS
    )
    print(f"\n## Colour gain (ideal 21)\n\ncolor, alpha 20, 0.5 % at 1.5 Hz: {gain:.2f}")

    if not (VIDEOS / "README.md").is_file():
        print(f"\n(no reference comparison: {VIDEOS} not found)")
        return
    print("\n## Published EVM reference outputs\n")
    print("| clip | method, parameters | frequencies compared | correlation | amplitude ratio |")
    print("|---|---|---|---|---|")
    ref_dir = VIDEOS / "mit-reference"
    ref, _ = read_video(ref_dir / "face-ideal-from-0.83333-to-1-alpha-50-level-4-chromAtn-1.mp4")
    inp, info = read_video(VIDEOS / "face.mp4", stop=len(ref))
    out = create_magnifier(
        "color", alpha=25, band=(0.83333, 1.0), filter="ideal", levels=4, chrom_atten=1.0
    ).magnify(inp, info.fps)
    a = change_agreement(inp, out, ref, info.fps, block=8)
    print(
        f"| face.mp4 | color, level 4, ideal 0.833-1 Hz, alpha 25 (50 one-sided), chromAtn 1 "
        f"| peak {a.freqs[0]:.3f} Hz | {a.correlation:.3f} | {a.amplitude_ratio:.3f} |"
    )
    ref, _ = read_video(ref_dir / "guitar-ideal-from-72-to-92-alpha-75-lambda_c-10-chromAtn-0.mp4")
    inp, _ = read_video(VIDEOS / "guitar.mp4", start=1, stop=1 + len(ref))
    out = create_magnifier(
        "linear", alpha=37.5, band=(72.0, 92.0), filter="ideal", lambda_c=10.0, chrom_atten=0.0
    ).magnify(inp, 600.0)
    a = change_agreement(inp, out, ref, 600.0, band=(72.0, 92.0), block=8)
    print(
        f"| guitar.mp4 (600 fps) | linear, ideal 72-92 Hz, alpha 37.5 (75 one-sided), "
        f"lambda_c 10, chromAtn 0 | {len(a.freqs)} bins in 72-92 Hz | {a.correlation:.3f} "
        f"| {a.amplitude_ratio:.3f} |"
    )


if __name__ == "__main__":
    sys.exit(main())
