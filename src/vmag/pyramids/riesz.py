"""Riesz pyramid (Wadhwa, Rubinstein, Durand & Freeman, ICCP 2014), batched over frames.

A real, non-oriented band-pass pyramid (here the Laplacian pyramid of
:mod:`vmag.pyramids.laplacian`) plus, per band ``I``, an approximate Riesz transform
``(R1, R2)``. The ideal Riesz transform has frequency responses
``-i w_x / |w|`` and ``-i w_y / |w|``; the paper approximates them with the 3-tap
finite differences ``[0.5, 0, -0.5]`` (horizontal) and its transpose (vertical),
whose responses ``-i sin(w_x)`` and ``-i sin(w_y)`` match the ideal ones for
``|w|`` near ``pi / 2``, where a pyramid band has most of its energy. With the
taps read as a correlation (first tap on the previous sample)::

    R1[y, x] = (I[y, x - 1] - I[y, x + 1]) / 2
    R2[y, x] = (I[y - 1, x] - I[y + 1, x]) / 2

so a band ``cos(w . p + c)`` gives ``(R1, R2) = sin(w . p + c) (sin w_x, sin w_y)``,
about ``sin(w . p + c) w / |w|`` for ``|w|`` near ``pi / 2`` (exactly along the axes):
the triple ``(I, R1, R2)`` reads as amplitude, local phase ``w . p + c`` and local
orientation ``angle(w)``. Borders are reflected about the edge samples.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from vmag.errors import VmagError
from vmag.pyramids.laplacian import check_frames, collapse_laplacian, laplacian_pyramid

RIESZ_KERNELS = ("fourier", "taps")


def riesz_transform(band: Tensor, kernel: str = "fourier") -> tuple[Tensor, Tensor]:
    """Riesz transform ``(r1, r2)`` of ``band`` ``[..., h, w]``.

    ``kernel="fourier"`` applies the exact responses ``-i w_x / |w|`` and
    ``-i w_y / |w|`` with one FFT and one inverse FFT (``r1 + i r2`` is the inverse
    transform of ``(w_y - i w_x) / |w|`` times the spectrum) of the band with its
    border reflected by 16 px. ``kernel="taps"`` uses the paper's 3-tap
    differences (see the module): cheaper, but their response ``sin(w)`` falls below 1
    away from ``|w| = pi / 2``, and over a Laplacian band's breadth that makes
    phase-based magnification fall short of ``1 + alpha`` (about 0.6x of it on the
    tests' textures).

    Examples
    --------
    >>> import math, torch
    >>> x = torch.arange(16.0).repeat(8, 1)
    >>> r1, r2 = riesz_transform(torch.cos(math.pi / 2 * x), kernel="taps")
    >>> bool(torch.allclose(r1[:, 1:-1], torch.sin(math.pi / 2 * x)[:, 1:-1], atol=1e-6))
    True
    >>> x = torch.arange(64.0).repeat(8, 1)  # the exact transform, away from the borders
    >>> r1, r2 = riesz_transform(torch.cos(math.pi / 4 * x))
    >>> float((r1 - torch.sin(math.pi / 4 * x))[:, 16:-16].abs().max()) < 0.05
    True
    >>> float(r2.abs().max()) < 1e-6
    True
    """
    check_frames(band, "band")
    if kernel not in RIESZ_KERNELS:
        raise VmagError(f"kernel must be one of {', '.join(RIESZ_KERNELS)}; got {kernel!r}")
    if min(band.shape[-2:]) < 2:
        raise VmagError(f"band must be at least 2x2 pixels, got {tuple(band.shape[-2:])}")
    if kernel == "fourier":
        return _riesz_fourier(band)
    p = F.pad(band.reshape(-1, *band.shape[-2:]), (1, 1, 1, 1), mode="reflect")
    r1 = (p[:, 1:-1, :-2] - p[:, 1:-1, 2:]).mul_(0.5)
    r2 = (p[:, :-2, 1:-1] - p[:, 2:, 1:-1]).mul_(0.5)
    return r1.reshape(band.shape), r2.reshape(band.shape)


def _riesz_multiplier(h: int, w: int, dtype: torch.dtype, device: torch.device) -> Tensor:
    """(w_y - i w_x) / |w| on the FFT grid; 0 at DC and on Nyquist rows/columns.

    Nyquist bins are their own mirror images, so no real pair of outputs can carry an
    odd response there: they are dropped to keep ``r1`` and ``r2`` exactly real.
    """
    real = torch.float64 if dtype == torch.float64 else torch.float32
    fy = torch.fft.fftfreq(h, dtype=real, device=device)[:, None]
    fx = torch.fft.fftfreq(w, dtype=real, device=device)[None, :]
    radius = torch.sqrt(fx * fx + fy * fy)
    mult = torch.complex(fy.expand(h, w), -fx.expand(h, w)) / radius.clamp_min(1e-12)
    mult[0, 0] = 0
    if h % 2 == 0:
        mult[h // 2, :] = 0
    if w % 2 == 0:
        mult[:, w // 2] = 0
    return mult


def _riesz_fourier(band: Tensor, pad: int = 16) -> tuple[Tensor, Tensor]:
    """Exact Riesz transform of a band reflected by ``pad`` px on each side.

    A frame is not periodic: reflecting its border before the FFT keeps the wrap-around
    seam continuous, so the transform's slowly decaying tails do not carry a seam into
    the band.
    """
    h, w = band.shape[-2:]
    p = min(pad, h - 1, w - 1)
    x = F.pad(band.reshape(-1, h, w), (p, p, p, p), mode="reflect") if p > 0 else band
    hp, wp = x.shape[-2:]
    z = torch.fft.ifft2(torch.fft.fft2(x) * _riesz_multiplier(hp, wp, band.dtype, band.device))
    z = z[..., p : p + h, p : p + w]
    return z.real.reshape(band.shape), z.imag.reshape(band.shape)


def riesz_pyramid(
    x: Tensor, levels: int, kernel: str = "fourier"
) -> tuple[list[Tensor], list[tuple[Tensor, Tensor]], Tensor]:
    """Laplacian bands of ``x`` (finest first), their Riesz pairs, and the low-pass residual.

    Examples
    --------
    >>> import torch
    >>> x = torch.rand(2, 3, 64, 80)
    >>> bands, pairs, lowpass = riesz_pyramid(x, 3)
    >>> [tuple(b.shape[-2:]) for b in bands], tuple(pairs[2][0].shape), tuple(lowpass.shape)
    ([(64, 80), (32, 40), (16, 20)], (2, 3, 16, 20), (2, 3, 8, 10))
    >>> float((collapse_riesz(bands, lowpass) - x).abs().max()) < 1e-5
    True
    """
    *bands, lowpass = laplacian_pyramid(x, levels)
    return bands, [riesz_transform(band, kernel) for band in bands], lowpass


def collapse_riesz(bands: list[Tensor], lowpass: Tensor) -> Tensor:
    """Frames from the real bands and the low-pass residual (the Riesz pairs are redundant)."""
    return collapse_laplacian([*bands, lowpass])


def local_phase(band: Tensor, r1: Tensor, r2: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Amplitude, local phase and local orientation of a Riesz triple ``(I, R1, R2)``.

    ``A = sqrt(I^2 + R1^2 + R2^2)``, ``phi = atan2(sqrt(R1^2 + R2^2), I)`` in ``[0, pi]``
    and ``theta = atan2(R2, R1)`` in ``(-pi, pi]``. ``(phi, theta)`` and
    ``(-phi, theta + pi)`` describe the same triple; ``phi cos(theta)`` and
    ``phi sin(theta)`` (the quaternionic phase) are free of that ambiguity.

    Examples
    --------
    >>> import torch
    >>> a, phi, theta = local_phase(torch.tensor(0.0), torch.tensor(0.0), torch.tensor(2.0))
    >>> float(a), round(float(phi), 4), round(float(theta), 4)
    (2.0, 1.5708, 1.5708)
    """
    quadrature = torch.hypot(r1, r2)
    return torch.hypot(band, quadrature), torch.atan2(quadrature, band), torch.atan2(r2, r1)
