"""Small synthetic clips whose motion is known exactly.

Sub-pixel translation is rendered in the Fourier domain (a phase ramp), which is
exact for periodic images: :func:`noise_texture` makes such images. Local,
non-rigid motion (:func:`breathing_clip`) is rendered by bicubic resampling.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.fft
import torch
import torch.nn.functional as F

from vmag.errors import VmagError
from vmag.synth.scene import phase_ramp


def noise_texture(
    height: int, width: int, *, blur: float = 2.0, seed: int = 0, color: bool = True
) -> np.ndarray:
    """A periodic random texture (H, W, 3) in [0.1, 0.9], Gaussian-blurred by ``blur`` px.

    Blurring in the Fourier domain keeps it periodic, so Fourier shifts move it exactly.

    >>> noise_texture(32, 48, seed=1).shape
    (32, 48, 3)
    """
    rng = np.random.default_rng(seed)
    channels = 3 if color else 1
    noise = rng.standard_normal((height, width, channels))
    spectrum = np.fft.fft2(noise, axes=(0, 1))
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.fftfreq(width)[None, :]
    gauss = np.exp(-2 * (np.pi * blur) ** 2 * (fx**2 + fy**2))
    tex = np.fft.ifft2(spectrum * gauss[..., None], axes=(0, 1)).real
    if not color:
        tex = np.repeat(tex, 3, axis=2)
    tex = (tex - tex.mean()) / (tex.std() + 1e-12)
    return np.clip(0.5 + 0.12 * tex, 0.1, 0.9).astype(np.float32)


def sample_image(name: str = "chelsea") -> np.ndarray:
    """A picture bundled with scikit-image (no download), as (H, W, 3) float32 in [0, 1]."""
    import skimage.data

    loader = getattr(skimage.data, name, None)
    if loader is None:
        raise VmagError(f"scikit-image has no bundled image {name!r}")
    img = np.asarray(loader(), dtype=np.float32) / 255.0
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img[..., :3])


def fourier_shift(image: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """``image`` (H, W, C) translated by (dy, dx) px, periodically and exactly (the
    renderer of :mod:`vmag.synth.scene`: its :func:`~vmag.synth.scene.phase_ramp`)."""
    h, w = image.shape[:2]
    spectrum = scipy.fft.rfft2(image, axes=(0, 1))
    spectrum *= phase_ramp((h, w), dy, dx)[..., None]
    return scipy.fft.irfft2(spectrum, s=(h, w), axes=(0, 1)).astype(np.float32)


def translating_clip(
    image: np.ndarray, dx: Sequence[float], dy: Sequence[float] | None = None
) -> np.ndarray:
    """Frames (T, H, W, 3): ``image`` translated by (dx[t], dy[t]) px in frame t.

    >>> tex = noise_texture(16, 16)
    >>> translating_clip(tex, [0.0, 0.5, 1.0]).shape
    (3, 16, 16, 3)
    """
    dy = np.zeros(len(dx)) if dy is None else dy
    return np.stack([fourier_shift(image, float(b), float(a)) for a, b in zip(dx, dy, strict=True)])


def breathing_clip(
    frames: int = 90,
    fps: float = 30.0,
    *,
    freq: float = 1.0,
    amplitude: float = 0.25,
    image: np.ndarray | None = None,
    center: tuple[float, float] | None = None,
    radius: float | None = None,
) -> np.ndarray:
    """A still picture whose region around ``center`` rises and falls by ``amplitude`` px.

    The vertical displacement is amplitude·sin(2π·freq·t)·exp(−r²/2radius²): a smooth,
    local, sub-pixel motion like a chest breathing — invisible at 0.25 px, obvious
    once magnified. Defaults to scikit-image's cat photo.

    >>> breathing_clip(frames=4, image=noise_texture(32, 32)).shape
    (4, 32, 32, 3)
    """
    img = sample_image() if image is None else np.asarray(image, dtype=np.float32)
    h, w = img.shape[:2]
    cy, cx = center if center is not None else (0.6 * h, 0.45 * w)
    r = radius if radius is not None else 0.2 * min(h, w)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bump = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r * r))
    src = torch.from_numpy(img).permute(2, 0, 1)[None]
    base_x = torch.from_numpy(2 * (xx + 0.5) / w - 1)
    base_y = torch.from_numpy(2 * (yy + 0.5) / h - 1)
    out = np.empty((frames, h, w, 3), dtype=np.float32)
    for t in range(frames):
        d = amplitude * np.sin(2 * np.pi * freq * t / fps) * bump
        # Content moves down by d: sample the source d px above.
        gy = base_y - torch.from_numpy(2 * d / h)
        grid = torch.stack([base_x, gy.float()], dim=-1)[None]
        warped = F.grid_sample(
            src, grid, mode="bicubic", padding_mode="border", align_corners=False
        )
        out[t] = warped[0].permute(1, 2, 0).clamp(0, 1).numpy()
    return out
