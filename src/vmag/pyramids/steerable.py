"""Complex steerable pyramid built in the Fourier domain, batched over frames.

The pyramid of Simoncelli & Freeman (1995) and Portilla & Simoncelli (2000), in the
complex form phase-based motion magnification uses (Wadhwa et al., SIGGRAPH 2013).
Frequencies are normalised so that 1 is the Nyquist frequency (``pi`` rad/pixel);
``rho`` is the radius and ``angle = atan2(f_row, f_col)``.

* Radial masks are raised cosines in ``log2(rho)``. With ``n`` scales per octave
  (``bandwidth`` "octave", "half", "quarter": n = 1, 2, 4) the edges sit at
  ``log2(rho) = -j / n`` and each transition spans the ``1 / n`` octave below its
  edge, ``hi = cos(pi/2 * clip(n (log2 rho + j/n), -1, 0))`` and ``lo = sqrt(1 - hi^2)``.
  Adjacent transitions touch without overlapping, so the high-pass residual
  ``hi_0``, the bands ``lo_s * hi_{s+1}`` and the low-pass residual ``lo_L`` have
  squares that telescope to 1. Octave bandwidth is pyrtools' ``twidth=1`` design.
* Angular masks for ``K`` orientations are ``sqrt(c) cos^(K-1)(angle - pi k / K)``
  with ``c = 4^(K-1) ((K-1)!)^2 / (K (2K-2)!)``, so their squares sum to 1 over k.
  A complex band keeps the half-plane ``|angle - pi k / K| < pi/2`` at twice the
  gain: it is analytic, its real part is the real steerable band and its imaginary
  part the quadrature pair, so ``band = amplitude * exp(i phase)``.
* The frame's spectrum is computed once; each band multiplies the crop of it that
  holds the band's support and inverts at that size, i.e. downsamples for free.
  Band ``s`` has support ``rho < 2^(-s/n)``, so its crop is ``ceil(2^(-s/n) N)``
  bins per axis of length ``N`` (pyrtools' crops for octave bandwidth: each scale is
  ``ceil`` of half the previous one); sub-octave crops round up to the next
  FFT-friendly length. Crops are centred on DC in the standard FFT order.

Values are those of the band sampled on its coarser grid: spectra use
``norm="forward"`` (``fft2 / (H W)``) and inverse transforms carry no ``1 / (h w)``.
pyrtools' ``SteerablePyramidFreq`` inverts cropped spectra with numpy's ``ifft2``,
which divides by the crop's size instead of the frame's, so its band at a crop of
``h x w`` equals ours times ``(H W) / (h w)``; masks and the ``(-i)^(K-1)`` phase
factor are otherwise the same, so the bands agree after that factor.

Reconstruction applies the real two-sided filters to the real parts of the bands
(what pyrtools' ``recon_pyr`` does) and sums with the residuals: the filters' squares
sum to 1 at every frequency, so the pyramid is a tight frame and inverts exactly.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from scipy.fft import next_fast_len
from torch import Tensor

from vmag.errors import VmagError, check_choice
from vmag.pyramids.laplacian import check_frames

#: Scales per octave of each radial bandwidth.
BANDWIDTHS = {"octave": 1, "half": 2, "quarter": 4}
#: Fewest and most orientations accepted (one orientation has no angular selectivity;
#: pyrtools' limit is cos^15, 16 orientations).
MIN_ORIENTATIONS, MAX_ORIENTATIONS = 2, 16
#: Shortest side whose octave pyramid has one band: the band is >= 8 px, the low-pass >= 4.
MIN_SIDE = 8


def max_scales(height: int, width: int, bandwidth: str = "octave") -> int:
    """Most band-pass scales a ``height x width`` frame allows: ``n (floor(log2 min side) - 2)``.

    The coarsest octave band then has a short side of 8 to 15 pixels and the low-pass
    residual 4 to 7 (pyrtools' limit); sub-octave pyramids reach the same residual
    with ``n`` scales per octave.

    Examples
    --------
    >>> max_scales(480, 640), max_scales(480, 640, "quarter")
    (6, 24)
    """
    per_octave = BANDWIDTHS[check_choice("bandwidth", bandwidth, tuple(BANDWIDTHS))]
    return per_octave * max(0, int(min(height, width)).bit_length() - 3)  # floor(log2) - 2


def transition(log_rad: Tensor, edge: float, width: float) -> tuple[Tensor, Tensor]:
    """Raised-cosine pair ``(hi, lo)`` over ``log2(rho)`` in ``[edge - width, edge]``.

    ``hi`` rises from 0 to 1 across the transition, ``lo = sqrt(1 - hi^2)`` falls from
    1 to 0; below it ``(hi, lo) = (0, 1)``, above it ``(1, 0)``.
    """
    u = ((log_rad - edge) / width).clamp(-1.0, 0.0) * (math.pi / 2)
    return torch.cos(u), -torch.sin(u)


def angular_mask(angle: Tensor, k: int, orientations: int, analytic: bool) -> Tensor:
    """Orientation ``k``'s mask ``sqrt(c) cos^(K-1)(angle - pi k / K)`` (:func:`angular_masks`)."""
    order = orientations - 1
    const = 4**order * math.factorial(order) ** 2 / (orientations * math.factorial(2 * order))
    delta = torch.remainder(angle - math.pi * k / orientations + math.pi, 2 * math.pi) - math.pi
    mask = math.sqrt(const) * torch.cos(delta) ** order
    if analytic:
        mask = 2 * mask * (delta.abs() < math.pi / 2)
    return mask


def angular_masks(angle: Tensor, orientations: int, analytic: bool) -> Tensor:
    """``[K, ...]`` masks ``sqrt(c) cos^(K-1)(angle - pi k / K)``, squares summing to 1 over k.

    ``analytic`` keeps the half-plane ``|angle - pi k / K| < pi/2`` of each mask at
    twice the gain (the complex bands); otherwise the masks are two-sided (real bands).
    """
    masks = [angular_mask(angle, k, orientations, analytic) for k in range(orientations)]
    return torch.stack(masks)


def _bins(n: int) -> Tensor:
    """DFT bin numbers of an ``n``-point grid in the standard FFT order (DC first)."""
    return torch.cat([torch.arange(0, (n + 1) // 2), torch.arange(-(n // 2), 0)])


def _blocks(full: int, n: int) -> tuple[tuple[slice, slice], tuple[slice, slice]]:
    """``(crop, frame)`` slice pairs placing a centred ``n``-bin crop in a ``full``-bin axis.

    Both axes are in the standard FFT order, so the crop's non-negative bins are the
    first ``ceil(n / 2)`` of the frame's and its negative bins the last ``floor(n / 2)``.
    """
    pos, neg = (n + 1) // 2, n // 2
    return (slice(0, pos), slice(0, pos)), (slice(pos, n), slice(full - neg, full))


def _view(buf: Tensor, shape: tuple[int, ...]) -> Tensor:
    """The first ``prod(shape)`` elements of the contiguous ``buf``, viewed as ``shape``."""
    return buf.view(-1)[: math.prod(shape)].view(shape)


@dataclass
class _Crop:
    """A centred crop of the frame's spectrum and the masks applied on it."""

    size: tuple[int, int]
    rows: tuple[tuple[slice, slice], tuple[slice, slice]]  # see _blocks
    cols: tuple[tuple[slice, slice], tuple[slice, slice]]
    mask: Tensor  # a band's [K, h, w] real analytic masks, or a residual's [h, w]
    synthesis: Tensor | None = None  # a band's [K, h, w // 2 + 1] real two-sided masks, rfft layout


@dataclass
class SteerableCoeffs:
    """A complex steerable pyramid of frames ``[..., H, W]``.

    ``bands[s][k]`` is scale ``s`` (finest first), orientation ``k`` (angle ``pi k / K``
    from the column-frequency axis): complex ``[..., h_s, w_s]``.
    """

    highpass: Tensor
    bands: list[list[Tensor]]
    lowpass: Tensor


class SteerablePyramid:
    """Complex steerable pyramid for ``height x width`` frames, masks precomputed once.

    Parameters
    ----------
    height, width : int
        Frame size; at least 8x8.
    levels : int or None
        Band-pass scales; None gives :attr:`levels_max`.
    orientations : int
        Orientations per scale, 2..16.
    bandwidth : {"octave", "half", "quarter"}
        1, 2 or 4 scales per octave (Wadhwa et al.'s sub-octave pyramids).
    device : torch device or None
        Where the masks live (the frames' device); None is the CPU.

    Examples
    --------
    >>> import torch
    >>> pyr = SteerablePyramid(96, 128, orientations=4)
    >>> pyr.levels, [tuple(b[0].shape[-2:]) for b in pyr.decompose(torch.rand(2, 96, 128)).bands]
    (4, [(96, 128), (48, 64), (24, 32), (12, 16)])
    >>> x = torch.rand(5, 96, 128)
    >>> float((pyr.reconstruct(pyr.decompose(x)) - x).abs().max()) < 1e-5
    True
    """

    def __init__(
        self,
        height: int,
        width: int,
        levels: int | None = None,
        orientations: int = 4,
        bandwidth: str = "octave",
        device: torch.device | str | None = None,
    ) -> None:
        for name, value in (("height", height), ("width", width)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise VmagError(f"{name} must be an integer, got {value!r}")
        if min(height, width) < MIN_SIDE:
            raise VmagError(
                f"a steerable pyramid needs frames of at least {MIN_SIDE}x{MIN_SIDE} pixels, "
                f"got {height}x{width}"
            )
        if (
            isinstance(orientations, bool)
            or not isinstance(orientations, numbers.Integral)
            or not MIN_ORIENTATIONS <= orientations <= MAX_ORIENTATIONS
        ):
            raise VmagError(
                f"orientations must be an integer in {MIN_ORIENTATIONS}..{MAX_ORIENTATIONS}, "
                f"got {orientations!r}"
            )
        self.height, self.width = int(height), int(width)
        self.orientations = int(orientations)
        self.bandwidth = bandwidth
        self.levels_max = max_scales(self.height, self.width, bandwidth)
        if levels is None:
            levels = self.levels_max
        if isinstance(levels, bool) or not isinstance(levels, numbers.Integral) or levels < 1:
            raise VmagError(f"levels must be a positive integer or None, got {levels!r}")
        if levels > self.levels_max:
            raise VmagError(
                f"levels={levels} exceeds the maximum {self.levels_max} for a "
                f"{height}x{width} frame ({bandwidth} bandwidth)"
            )
        self.levels = int(levels)
        self.device = torch.device("cpu") if device is None else torch.device(device)
        # The complex bands are the real analytic masks' outputs times (-i)^(K-1); the real
        # two-sided synthesis masks carry i^(K-1) (pyrtools' convention), which cancels it.
        self._analysis_factor = (-1j) ** (self.orientations - 1)
        self._synthesis_factor = 1j ** (self.orientations - 1)

        step = 1.0 / BANDWIDTHS[bandwidth]  # octaves between scales
        fast = step < 1  # sub-octave crops are not pyrtools', so round them to fast FFT sizes
        self._scales = []
        for s in range(self.levels):
            log_rad, angle = self._grid(self._crop_size(2 ** (-s * step), fast))
            radial = transition(log_rad, -s * step, step)[1]
            radial = radial * transition(log_rad, -(s + 1) * step, step)[0]
            # Real masks, one orientation at a time (float32 storage, small temporaries); the
            # bands' constant phase factors are applied to whole bands or sums of bands.
            analytic, two_sided = [], []
            for k in range(self.orientations):
                m = angular_mask(angle, k, self.orientations, analytic=True) * radial
                analytic.append(m.to(self.device, torch.float32))
                m = angular_mask(angle, k, self.orientations, analytic=False) * radial
                two_sided.append(m[..., : angle.shape[-1] // 2 + 1].to(self.device, torch.float32))
            crop = self._crop(log_rad.shape, torch.stack(analytic))
            crop.synthesis = torch.stack(two_sided)
            self._scales.append(crop)
        log_rad, _ = self._grid(self._crop_size(2 ** (-self.levels * step), fast))
        self._lowpass = self._crop(log_rad.shape, transition(log_rad, -self.levels * step, step)[1])

    @functools.cached_property
    def _highpass(self) -> _Crop:
        """The high-pass residual's mask, a full-frame one: made when first needed, so that
        band-only users (:meth:`bands`, streams) never hold it."""
        log_rad, _ = self._grid((self.height, self.width))
        return self._crop(
            log_rad.shape, transition(log_rad, 0.0, 1.0 / BANDWIDTHS[self.bandwidth])[0]
        )

    def _crop_size(self, radius: float, fast: bool) -> tuple[int, int]:
        """Smallest centred crop holding ``rho < radius``, rounded up to an FFT size if ``fast``."""
        sizes = []
        for n in (self.height, self.width):
            size = min(n, math.ceil(radius * n))
            sizes.append(min(n, next_fast_len(size)) if fast else size)
        return sizes[0], sizes[1]

    def _grid(self, size: tuple[int, int]) -> tuple[Tensor, Tensor]:
        """``log2(rho)`` and angle of a centred crop of ``size`` bins (float64, FFT order)."""
        f_row = (2 * _bins(size[0]).double() / self.height).view(-1, 1)
        f_col = (2 * _bins(size[1]).double() / self.width).view(1, -1)
        log_rad = torch.log2(torch.hypot(f_row, f_col))  # -inf at DC: every band is 0 there
        return log_rad, torch.atan2(f_row, f_col)

    def _crop(self, size: tuple[int, int], mask: Tensor) -> _Crop:
        """A :class:`_Crop` of ``size`` with ``mask`` on the pyramid's device (32-bit)."""
        dtype = torch.complex64 if mask.is_complex() else torch.float32
        return _Crop(
            (size[0], size[1]),
            _blocks(self.height, size[0]),
            _blocks(self.width, size[1]),
            mask.to(self.device, dtype),
        )

    def _check(self, x: Tensor, name: str) -> None:
        """Raise unless ``x`` is a float tensor of this pyramid's frame size."""
        check_frames(x, name)
        if tuple(x.shape[-2:]) != (self.height, self.width):
            raise VmagError(
                f"{name} is {x.shape[-2]}x{x.shape[-1]} but this pyramid was built for "
                f"{self.height}x{self.width} frames"
            )

    def decompose(self, x: Tensor) -> SteerableCoeffs:
        """Split real frames ``[..., H, W]`` into high-pass, complex bands and low-pass.

        Examples
        --------
        >>> import torch
        >>> pyr = SteerablePyramid(64, 64, levels=2, orientations=2)
        >>> c = pyr.decompose(torch.rand(3, 64, 64))
        >>> c.highpass.shape, c.bands[1][0].shape, c.bands[1][0].dtype, c.lowpass.shape
        (torch.Size([3, 64, 64]), torch.Size([3, 32, 32]), torch.complex64, torch.Size([3, 16, 16]))
        """
        self._check(x, "x")
        spectrum = torch.fft.fft2(x, norm="forward")
        crop_buf = spectrum.new_empty(spectrum.shape)
        highpass = self._residual(spectrum, self._highpass, crop_buf)
        bands: list[list[Tensor]] = [[] for _ in self._scales]
        for s, _, band in self._bands(spectrum, crop_buf):
            bands[s].append(band)
        lowpass = self._residual(spectrum, self._lowpass, crop_buf)
        return SteerableCoeffs(highpass, bands, lowpass)

    def bands(self, x: Tensor, *, reuse: bool = False) -> Iterator[tuple[int, int, Tensor]]:
        """The complex bands of real frames ``[..., H, W]`` one at a time, as
        ``(scale, orientation, band)``, finest scale first: the same bands as
        :meth:`decompose` without holding them all (nor the residuals) at once.

        ``reuse=True`` writes every band into one buffer: a band is then valid only until
        the next is drawn (for a consumer done with each band before the next, e.g. a
        stream at 1080p: one frame-sized complex tensor less).

        Examples
        --------
        >>> import torch
        >>> pyr = SteerablePyramid(32, 32, levels=2, orientations=2)
        >>> [(s, k, tuple(b.shape)) for s, k, b in pyr.bands(torch.rand(32, 32))]
        [(0, 0, (32, 32)), (0, 1, (32, 32)), (1, 0, (16, 16)), (1, 1, (16, 16))]
        """
        self._check(x, "x")
        spectrum = torch.fft.fft2(x, norm="forward")
        del x  # the caller's frames may go while the bands are drawn
        # the crops of scales below the frame's size are copied into one buffer
        cropped = [
            c.size[0] * c.size[1] for c in self._scales if c.size != (self.height, self.width)
        ]
        crop_buf = spectrum.new_empty((*spectrum.shape[:-2], max(cropped, default=0)))
        yield from self._bands(spectrum, crop_buf, reuse)

    def _bands(
        self, spectrum: Tensor, crop_buf: Tensor, reuse: bool = False
    ) -> Iterator[tuple[int, int, Tensor]]:
        # Two buffers reused by every crop: big batches fault in fewer fresh pages.
        masked_buf = spectrum.new_empty(spectrum.shape)
        for s, crop in enumerate(self._scales):
            sub = self._cut(spectrum, crop, crop_buf)
            masked = _view(masked_buf, sub.shape)
            for k, mask in enumerate(crop.mask):
                torch.mul(sub, mask, out=masked)
                band = torch.fft.ifft2(masked, norm="forward", out=masked if reuse else None)
                yield s, k, band.mul_(self._analysis_factor)

    def band_sum(self, batch: tuple[int, ...] = ()) -> BandSum:
        """An empty sum of real bands ``[*batch, h_s, w_s]`` for :meth:`BandSum.add`: the
        frames those bands alone reconstruct to (residuals left out).

        Examples
        --------
        >>> import torch
        >>> pyr = SteerablePyramid(32, 32, levels=2, orientations=2)
        >>> x = torch.rand(32, 32)
        >>> total = pyr.band_sum()
        >>> for s, k, band in pyr.bands(x):
        ...     total.add(s, k, band.real)
        >>> c = pyr.decompose(x)
        >>> rest = pyr.reconstruct(c) - total.frames()  # = the residuals' share
        >>> zero = [[torch.zeros_like(b) for b in sc] for sc in c.bands]
        >>> alone = pyr.reconstruct(SteerableCoeffs(c.highpass, zero, c.lowpass))
        >>> float((rest - alone).abs().max()) < 1e-5
        True
        """
        return BandSum(self, batch)

    @staticmethod
    def _cut(spectrum: Tensor, crop: _Crop, buf: Tensor, columns: int | None = None) -> Tensor:
        """``crop`` of ``spectrum``, copied to ``buf``; only its first ``columns`` if given.

        The first ``w // 2 + 1`` columns are the rfft layout of a real crop's spectrum;
        for an even ``w`` the last of them holds bin ``-w/2`` rather than ``+w/2``, which
        is the same bin on the full frame and outside every mask's support on a crop.
        """
        columns = crop.size[1] if columns is None else columns
        if crop.size == tuple(spectrum.shape[-2:]):
            return spectrum[..., :columns]
        out = _view(buf, (*spectrum.shape[:-2], crop.size[0], columns))
        for part, rows in crop.rows:
            for cut, cols in crop.cols:
                if cut.start < columns:
                    stop = min(cut.stop, columns)
                    cols = slice(cols.start, cols.start + stop - cut.start)
                    out[..., part, cut.start : stop] = spectrum[..., rows, cols]
        return out

    def _residual(self, spectrum: Tensor, crop: _Crop, buf: Tensor) -> Tensor:
        """A real residual: its crop's half-spectrum times its mask, inverted at the crop's size."""
        half = crop.size[1] // 2 + 1
        masked = self._cut(spectrum, crop, buf, half) * crop.mask[:, :half]
        return torch.fft.irfft2(masked, s=crop.size, norm="forward")

    @staticmethod
    def _paste(spectrum: Tensor, part: Tensor, crop: _Crop) -> None:
        """Add a crop's half-spectrum ``part`` (rfft layout) into the frame's half-spectrum."""
        columns = slice(0, part.shape[-1])
        for cut, rows in crop.rows:
            spectrum[..., rows, columns] += part[..., cut, :]

    def reconstruct(self, coeffs: SteerableCoeffs) -> Tensor:
        """Real frames ``[..., H, W]`` from :meth:`decompose`'s coefficients (exact inverse).

        Each band contributes its real part filtered by the two-sided mask, so a band
        edited in phase (``band * exp(i dphi)``) reconstructs as the real band it implies.

        Examples
        --------
        >>> import torch
        >>> pyr = SteerablePyramid(48, 60, bandwidth="half")
        >>> x = torch.rand(48, 60)
        >>> float((pyr.reconstruct(pyr.decompose(x)) - x).abs().max()) < 1e-5
        True
        """
        if len(coeffs.bands) != self.levels or any(
            len(b) != self.orientations for b in coeffs.bands
        ):
            raise VmagError(
                f"coeffs must hold {self.levels} scales of {self.orientations} orientations, "
                f"got {[len(b) for b in coeffs.bands]}"
            )
        self._check(coeffs.highpass, "coeffs.highpass")
        hp, lp = self._highpass, self._lowpass
        total = self.band_sum()
        for s, bands in enumerate(coeffs.bands):
            for k, band in enumerate(bands):
                total.add(s, k, band.real)
        spectrum = total.spectrum(tuple(coeffs.highpass.shape[:-2]))
        spectrum += torch.fft.rfft2(coeffs.highpass, norm="forward").mul_(
            hp.mask[:, : spectrum.shape[-1]]
        )
        part = torch.fft.rfft2(coeffs.lowpass, norm="forward")
        self._paste(spectrum, part.mul_(lp.mask[:, : part.shape[-1]]), lp)
        return torch.fft.irfft2(spectrum, s=hp.size, norm="forward")

    def mask_energy(self) -> Tensor:
        """Sum of all squared filter responses at each frequency of the frame's DFT, ``[H, W]``.

        High-pass and low-pass masks squared, plus for every band the two-sided
        filter squared, ``(|m(f)|^2 + |m(-f)|^2) / 4`` of its analytic mask ``m``, each
        read from the crop it is applied on. A tight frame gives 1 everywhere.

        Examples
        --------
        >>> pyr = SteerablePyramid(40, 50, orientations=6, bandwidth="quarter")
        >>> float((pyr.mask_energy() - 1).abs().max()) < 1e-6
        True
        """
        shape = (self.height, self.width)
        energy = torch.zeros(shape, dtype=torch.float64, device=self.device)
        bands = torch.zeros_like(energy)
        crops = [(energy, c.mask.double() ** 2, c) for c in (self._highpass, self._lowpass)]
        crops += [(bands, c.mask.abs().double().pow(2).sum(0) / 4, c) for c in self._scales]
        for total, square, crop in crops:
            for part, rows in crop.rows:
                for cut, cols in crop.cols:
                    total[rows, cols] += square[part, cut]
        flip = [(-torch.arange(n, device=self.device)).remainder(n) for n in shape]
        return energy + bands + bands[flip[0]][:, flip[1]]


class BandSum:
    """The reconstruction of some real bands of a :class:`SteerablePyramid`, summed band by
    band in the Fourier domain (see :meth:`SteerablePyramid.band_sum`): each band is
    filtered by its two-sided mask and pasted into one half-spectrum, so only that
    half-spectrum stays alive however many bands are added.
    """

    def __init__(self, pyramid: SteerablePyramid, batch: tuple[int, ...]) -> None:
        self._pyramid = pyramid
        self._spectrum: Tensor | None = None
        self._batch = tuple(batch)

    def add(self, scale: int, orientation: int, band: Tensor) -> None:
        """Add the real band ``[*batch, h_s, w_s]`` of ``scale`` and ``orientation``."""
        pyr = self._pyramid
        crop = pyr._scales[scale]
        if self._spectrum is None:
            shape = (*band.shape[:-2], pyr.height, pyr.width // 2 + 1)
            self._spectrum = torch.zeros(shape, dtype=torch.complex64, device=band.device)
        part = torch.fft.rfft2(band, norm="forward").mul_(crop.synthesis[orientation])
        pyr._paste(self._spectrum, part, crop)

    def spectrum(self, batch: tuple[int, ...] | None = None) -> Tensor:
        """The sum so far as a half-spectrum ``[*batch, H, W // 2 + 1]`` (``norm="forward"``)."""
        pyr = self._pyramid
        if self._spectrum is None:
            shape = (*(self._batch if batch is None else batch), pyr.height, pyr.width // 2 + 1)
            return torch.zeros(shape, dtype=torch.complex64, device=pyr.device)
        return self._spectrum.mul_(pyr._synthesis_factor)

    def frames(self) -> Tensor:
        """The sum so far as real frames ``[*batch, H, W]``; the sum is used up."""
        pyr = self._pyramid
        return torch.fft.irfft2(self.spectrum(), s=(pyr.height, pyr.width), norm="forward")
