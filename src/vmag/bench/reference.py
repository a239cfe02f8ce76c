"""Compare a magnified change with a published reference output of the same input.

Reference outputs are H.264-compressed, so pixel PSNR against them says little (their
coding noise differs from ours). What must match is the *change* each method adds:
``out - input`` against ``reference - input``. Both are averaged over ``block`` x
``block`` tiles (per colour channel) to suppress coding noise, transformed over time,
and compared at the frequencies of interest — the reference change's strongest
frequency, or every FFT bin inside a band.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vmag.errors import VmagError


@dataclass(frozen=True)
class ChangeAgreement:
    """How well our change matches the reference's at the compared frequencies."""

    correlation: float  # |<ours, ref>| / (|ours| |ref|) over tiles and frequencies, complex
    amplitude_ratio: float  # |ours| / |ref|
    freqs: tuple[float, ...]  # Hz compared


def block_mean(frames: np.ndarray, block: int) -> np.ndarray:
    """(T, H, W, C) -> (T, H // block, W // block, C) tile means."""
    t, h, w, c = frames.shape
    h, w = (h // block) * block, (w // block) * block
    x = frames[:, :h, :w].reshape(t, h // block, block, w // block, block, c)
    return x.mean(axis=(2, 4))


def change_agreement(
    inp: np.ndarray,
    ours: np.ndarray,
    ref: np.ndarray,
    fps: float,
    *,
    band: tuple[float, float] | None = None,
    block: int = 8,
) -> ChangeAgreement:
    """Agreement of ``ours - inp`` with ``ref - inp`` (all (T, H, W, 3), same frames).

    With ``band`` every FFT bin inside it is compared; without, the single bin where the
    reference change has the most power (e.g. the pulse frequency).

    >>> rng = np.random.default_rng(0)
    >>> inp = rng.random((32, 16, 16, 3))
    >>> t = np.arange(32)[:, None, None, None] / 30
    >>> ref = inp + 0.1 * np.sin(2 * np.pi * 3.75 * t)
    >>> ours = inp + 0.2 * np.sin(2 * np.pi * 3.75 * t)
    >>> round(change_agreement(inp, ours, ref, 30).amplitude_ratio, 3)
    2.0
    """
    if not inp.shape == ours.shape == ref.shape:
        raise VmagError(f"clips differ in shape: {inp.shape}, {ours.shape}, {ref.shape}")
    ours_c = block_mean(ours.astype(np.float64) - inp, block)
    ref_c = block_mean(ref.astype(np.float64) - inp, block)
    n = len(inp)
    freqs = np.fft.rfftfreq(n, 1 / fps)
    fo = np.fft.rfft(ours_c - ours_c.mean(axis=0), axis=0)
    fr = np.fft.rfft(ref_c - ref_c.mean(axis=0), axis=0)
    if band is not None:
        keep = np.flatnonzero((freqs >= band[0]) & (freqs <= band[1]))
        if keep.size == 0:
            raise VmagError(f"band {band} holds no FFT bin of a {n}-frame clip at {fps:g} fps")
    else:
        power = (np.abs(fr) ** 2).reshape(len(freqs), -1).sum(axis=1)
        power[0] = 0
        keep = np.array([int(np.argmax(power))])
    a, b = fo[keep].ravel(), fr[keep].ravel()
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if nb == 0:
        raise VmagError("the reference adds no change at the compared frequencies")
    corr = float(abs(np.vdot(b, a)) / (na * nb + 1e-30))
    return ChangeAgreement(corr, float(na / nb), tuple(float(f) for f in freqs[keep]))
