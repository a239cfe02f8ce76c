"""Recursive (IIR) filters as second-order sections, run over many pixel series at once.

Numpy input runs scipy's ``sosfilt`` in float64; its loops release the GIL, so the
independent pixel columns of a ``[T, pixels]`` array are filtered in chunks on all
cores. Torch input runs the same recursion natively in torch, one frame at a time
over whole frames, on the tensor's device. Streams carry the filter state from block
to block, which makes streaming in blocks give exactly the outputs of one pass over
the whole series.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np
import torch
from scipy.signal import sosfilt, sosfilt_zi, sosfiltfilt

from vmag.temporal.base import Array, StreamingFilter, like, to_numpy

_WORKERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
_CHUNK_ELEMENTS = 1 << 20  # about 8 MB of float64 per chunk: cache-friendly, few calls

#: Smallest ``1 + a1 + a2`` of a section that float32 streams filter accurately.
FLOAT32_MIN_DC_DENOMINATOR = 1e-3
#: The same for :func:`sosfiltfilt_torch`, held to scipy's float64 within about 1e-5.
FILTFILT_FLOAT32_MIN_DC_DENOMINATOR = 5e-3


def map_columns(
    x: np.ndarray, work: Callable[[np.ndarray, slice], np.ndarray], dtype: np.dtype | type
) -> np.ndarray:
    """``y[:, c] = work(x[:, c], c)`` over chunks ``c`` of the columns of ``x [T, P]``.

    Chunks run in parallel threads; ``work`` gets the column slice too, so it can
    read and update per-column filter state.
    """
    rows, cols = x.shape
    width = max(256, _CHUNK_ELEMENTS // max(rows, 1))
    chunks = [slice(s, s + width) for s in range(0, cols, width)]
    y = np.empty(x.shape, dtype)

    def run(c: slice) -> None:
        y[:, c] = work(x[:, c], c)

    if len(chunks) == 1 or _WORKERS == 1:
        for c in chunks:
            run(c)
    else:
        with ThreadPoolExecutor(min(_WORKERS, len(chunks))) as pool:
            list(pool.map(run, chunks))  # list() re-raises a worker's exception
    return y


def state_dtype(sos: np.ndarray) -> torch.dtype:
    """The dtype a torch stream of ``sos`` needs: float32 unless poles are near z = 1.

    A section's denominator at DC, ``A(1) = 1 + a1 + a2 = (1 - p1)(1 - p2)``, is small
    when its poles ``p`` crowd z = 1: bands narrow and low against ``fps``, and high
    orders. Float32 rounding of ``a1``, ``a2`` and of the state (relative 6e-8) then
    moves the poles by about ``eps / A(1)`` relative to their distance from z = 1.
    Measured against scipy's float64 ``sosfilt`` (orders 1, 2, 4; pixel values and
    phases drifting to +-50 rad, over 3000 and 10000 frames), float32 stays within 4e-4
    of the output's amplitude while every ``A(1) >= 1e-3`` (7e-5 for order 1) and
    reaches 1.6e-3 below (order 4, 1-3 Hz at 600 fps), so those filters run in float64.
    Float64 costs about twice the time.
    """
    small = np.abs(np.sum(sos[:, 3:], axis=1)) < FLOAT32_MIN_DC_DENOMINATOR
    return torch.float64 if bool(np.any(small)) else torch.float32


def filtfilt_float32_ok(sos: np.ndarray) -> bool:
    """Whether :func:`sosfiltfilt_torch` in float32 matches scipy's float64 to about 1e-5.

    Measured as for :func:`state_dtype`, relative to the output's amplitude: a single
    section (order 1) with ``A(1) >= 5e-3`` stays within 1.1e-5, lower ``A(1)`` reaches
    6e-5, and two or more sections 2e-5 to 2e-4 on most bands (drifting phases).
    """
    return len(sos) == 1 and abs(float(np.sum(sos[0, 3:]))) >= FILTFILT_FLOAT32_MIN_DC_DENOMINATOR


class Section(NamedTuple):
    """One second-order section (``a0 = 1``) as :func:`sos_section` takes it."""

    b0: float
    b1: float
    b2: float
    a1: float
    a2: float
    #: Factor of the one multiplication, ``b2`` (or ``-a2`` where ``b2 = 0``), as a 0-dim
    #: tensor: torch takes it faster than a Python number.
    factor: torch.Tensor

    @classmethod
    def of(cls, row: np.ndarray) -> Section:
        """The section of an ``sos`` row ``[b0, b1, b2, 1, a1, a2]``."""
        b0, b1, b2, _, a1, a2 = (float(c) for c in row)
        return cls(b0, b1, b2, a1, a2, torch.tensor(b2 or -a2, dtype=torch.float64))


def sos_section(
    x: torch.Tensor, z1: torch.Tensor, z2: torch.Tensor, y: torch.Tensor, c: Section
) -> None:
    """One sample of one section in transposed direct form II; updates ``z1``, ``z2``.

    ``y = b0 x + z1``, ``z1 <- b1 x - a1 y + z2``, ``z2 <- b2 x - a2 y``: a few in-place
    elementwise ops over whole frames (four for a band-pass, whose ``b1`` is 0).
    """
    torch.add(z1, x, alpha=c.b0, out=y)
    if c.b1:
        torch.add(z2, x, alpha=c.b1, out=z1)
        z1.add_(y, alpha=-c.a1)
    else:
        torch.add(z2, y, alpha=-c.a1, out=z1)
    if c.b2:
        torch.mul(x, c.factor, out=z2)
        z2.add_(y, alpha=-c.a2)
    else:
        torch.mul(y, c.factor, out=z2)


class TorchRecursion:
    """Second-order sections ``sos`` running over torch frames ``[pixels]``, with their state.

    The state starts at the steady state of the first frame ``x0``, as if it had always
    been the input (scipy's ``sosfilt_zi(sos) * x0``). By linearity the sections run on
    ``x - x0`` from rest and the DC gain times ``x0`` is added back: the same outputs,
    with rounding that scales with how far the signal moves rather than with its level
    (pixel values, phases far from 0). Arithmetic is in ``x0``'s dtype, on its device.

    ``from_rest=True`` starts from a zero state instead (``x0`` then gives only the
    frame's shape, dtype and device, and is not kept): the state is two frames a section,
    the scratch frames between sections live only during :meth:`run`, and ``y`` must not
    be ``x``.
    """

    def __init__(self, sos: np.ndarray, x0: torch.Tensor, *, from_rest: bool = False) -> None:
        self._sections = [Section.of(row) for row in sos]
        self._z = [(torch.zeros_like(x0), torch.zeros_like(x0)) for _ in self._sections]
        self.x0 = None if from_rest else x0
        dc_gain = float(np.prod(sos[:, :3].sum(axis=1) / sos[:, 3:].sum(axis=1)))
        self._dc = x0 * dc_gain if dc_gain and not from_rest else None  # 0 for band-passes
        self._scratch = () if from_rest else (torch.empty_like(x0), torch.empty_like(x0))

    def run(self, x: Iterable[torch.Tensor], y: Iterable[torch.Tensor]) -> None:
        """Filter the frames ``x``, in order, into the frames ``y`` (which may be ``x``,
        except from rest)."""
        x0, scratch, last = self.x0, self._scratch, len(self._sections) - 1
        if x0 is None and last:  # from rest: scratch for the signals between sections
            scratch = tuple(torch.empty_like(self._z[0][0]) for _ in range(min(last, 2)))
        used = 0 if x0 is None else 1  # scratch frames taken before the sections
        for xi, yi in zip(x, y, strict=True):
            # a frame passes through the sections via the scratch frames; the last writes y
            v = xi if x0 is None else torch.sub(xi, x0, out=scratch[0])
            for k, (section, (z1, z2)) in enumerate(zip(self._sections, self._z, strict=True)):
                out = yi if k == last else scratch[(k + used) % 2]
                sos_section(v, z1, z2, out, section)
                v = out
            if self._dc is not None:
                yi += self._dc


def sosfiltfilt_torch(sos: np.ndarray, x: torch.Tensor, padlen: int) -> torch.Tensor:
    """scipy's ``sosfiltfilt(sos, x, axis=0, padlen=padlen)`` of ``x [T, pixels]`` in torch.

    As scipy does: odd extension by ``padlen`` frames at each end, a forward pass from
    the steady state of the first padded frame, a backward pass from the steady state of
    the forward pass's last output; then the padding is cut. Needs ``1 <= padlen < T``;
    the arithmetic is in ``x``'s (floating) dtype, on its device.
    """
    # odd extension: 2 x[0] - x[padlen..1] before, 2 x[-1] - x[-2..-padlen-1] after
    before = 2 * x[0] - x[1 : padlen + 1].flip(0)
    after = 2 * x[-1] - x[-padlen - 1 : -1].flip(0)
    y = torch.empty_like(x)
    forward = TorchRecursion(sos, before[0].clone())
    forward.run(before.unbind(0), before.unbind(0))  # outputs unused: only the state counts
    forward.run(x.unbind(0), y.unbind(0))
    forward.run(after.unbind(0), after.unbind(0))
    backward = TorchRecursion(sos, after[-1].clone())
    backward.run(reversed(after.unbind(0)), reversed(after.unbind(0)))
    backward.run(reversed(y.unbind(0)), reversed(y.unbind(0)))
    return y


def zero_phase(sos: np.ndarray, x: Array, padlen: int) -> Array:
    """``sosfiltfilt(sos, x, axis=0, padlen=padlen)`` of ``x [T, ...]``: in torch on the
    tensor's device where float32 holds scipy's float64 (:func:`filtfilt_float32_ok`) or
    the input is float64, else scipy's float64 over column chunks in threads."""
    n = len(x)
    if isinstance(x, torch.Tensor) and (x.dtype == torch.float64 or filtfilt_float32_ok(sos)):
        t = x.detach()
        work = torch.float64 if t.dtype == torch.float64 else torch.float32
        y = sosfiltfilt_torch(sos, t.reshape(n, -1).to(work), padlen)
        return y.reshape(t.shape).to(t.dtype if t.is_floating_point() else torch.float32)
    xs = to_numpy(x)
    y = map_columns(
        xs.reshape(n, -1), lambda xc, _: sosfiltfilt(sos, xc, axis=0, padlen=padlen), xs.dtype
    )
    return like(y.reshape(xs.shape), x)


class RecursiveStream(StreamingFilter):
    """Stream the second-order sections ``sos``, carrying the state between blocks (delay 0).

    The state starts at the steady state of the first sample ``x0``, the state the
    filter would have had if ``x0`` had always been the input (scipy's
    ``sosfilt_zi(sos) * x0``). Numpy blocks run scipy's ``sosfilt`` in float64; torch
    blocks run a :class:`TorchRecursion` on the tensor's device, in :func:`state_dtype`
    (float64 for float64 input). The first block fixes the stream's array kind.

    Examples
    --------
    >>> import numpy as np
    >>> from vmag.temporal import IIRDifference
    >>> stream = IIRDifference(0.5, 0.1).stream()
    >>> y = stream.step(np.full((3, 2), 4.0))  # a still scene: no start-up spike
    >>> y.shape, bool(np.abs(y).max() < 1e-12)
    ((3, 2), True)
    """

    delay = 0

    def __init__(self, sos: np.ndarray) -> None:
        super().__init__()
        self.sos = np.asarray(sos, np.float64)
        self.dtype = state_dtype(self.sos)
        self._zi: np.ndarray | None = None  # numpy: scipy's state [sections, 2, pixels]
        self._recursion: TorchRecursion | None = None  # torch

    def step(self, x: Array) -> Array:
        self._check(x)
        if isinstance(self._proto, torch.Tensor):
            return self._step_torch(torch.as_tensor(x, device=self._proto.device))
        xs = to_numpy(x)
        x2 = xs.reshape(len(xs), -1)
        if self._zi is None:
            self._zi = sosfilt_zi(self.sos)[..., None] * x2[0]
        zi = self._zi

        def work(xc: np.ndarray, c: slice) -> np.ndarray:
            yc, zi[..., c] = sosfilt(self.sos, xc, axis=0, zi=zi[..., c])
            return yc

        return self._emit(map_columns(x2, work, x2.dtype))

    def _step_torch(self, x: torch.Tensor) -> torch.Tensor:
        x2 = x.detach().reshape(len(x), -1)
        if self._recursion is None:
            work = torch.float64 if x2.dtype == torch.float64 else self.dtype
            self._recursion = TorchRecursion(self.sos, x2[0].to(work, copy=True))
        y = self._recursion.x0.new_empty(x2.shape)
        self._recursion.run(x2.unbind(0), y.unbind(0))
        assert self._proto is not None
        return y.reshape(x.shape).to(self._proto.dtype)

    def flush(self) -> Array:
        self._zi = self._recursion = None
        return self._end()


def integrating_sos(sos: np.ndarray) -> np.ndarray | None:
    """The sections of ``H(z) / (1 - z^-1)`` when ``H`` (sections ``sos``) has a zero at
    DC, else None: the filter that gives ``H``'s output from a series' increments.

    A section whose numerator vanishes at z = 1 (``b0 + b1 + b2 = 0``, as every
    band-pass has) factors as ``(1 - z^-1)(b0 + (b0 + b1) z^-1)``; dropping the first
    factor leaves the poles, so the same float32 accuracy holds (:func:`state_dtype`).

    >>> from scipy.signal import butter
    >>> integrating_sos(butter(1, [1, 3], "bandpass", fs=30, output="sos"))[0, :3].round(4)
    array([0.1753, 0.1753, 0.    ])
    """
    sos = np.array(sos, np.float64)
    at_dc = np.abs(sos[:, :3].sum(axis=1))
    k = int(np.argmin(at_dc))
    if at_dc[k] > 1e-12 * np.abs(sos[k, :3]).max():
        return None
    b0, b1 = sos[k, 0], sos[k, 1]
    sos[k, :3] = (b0, b0 + b1, 0.0)
    return sos


class IncrementStream(StreamingFilter):
    """The stream of a filter with a zero at DC, fed a series' increments
    ``d_t = x_t - x_{t-1}`` instead of the series: it outputs what the filter's own
    stream would for ``x_t - x_0`` (the first increment, from before the stream, is
    taken as 0), from :func:`integrating_sos` sections started at rest.

    The filter then never needs the series itself: a stream of wrapped phase
    differences keeps no running phase (one frame of state less per coefficient), and
    the increments stay small where a running sum would grow and lose float32 precision.
    Torch blocks run a :class:`TorchRecursion`, numpy blocks scipy's ``sosfilt``.

    >>> import numpy as np
    >>> from vmag.temporal import ButterBandpass
    >>> filt = ButterBandpass((1.0, 3.0), fps=30)
    >>> x = np.cumsum(np.random.default_rng(0).standard_normal((90, 5)), axis=0)
    >>> d = np.diff(x, axis=0, prepend=x[:1])
    >>> bool(np.allclose(filt.increment_stream().step(d), filt.stream().step(x)))
    True
    """

    delay = 0

    def __init__(self, sos: np.ndarray) -> None:
        super().__init__()
        self.sos = np.asarray(sos, np.float64)
        self.dtype = state_dtype(self.sos)
        self._zi: np.ndarray | None = None
        self._recursion: TorchRecursion | None = None

    def step(self, x: Array) -> Array:
        self._check(x)
        first = self._zi is None and self._recursion is None
        if isinstance(self._proto, torch.Tensor):
            x2 = torch.as_tensor(x, device=self._proto.device).detach().reshape(len(x), -1)
            if first:
                work = torch.float64 if x2.dtype == torch.float64 else self.dtype
                self._recursion = TorchRecursion(self.sos, x2[0].to(work), from_rest=True)
            assert self._recursion is not None
            y = self._recursion._z[0][0].new_empty(x2.shape)
            frames = x2.unbind(0)
            if first:  # the first increment counts as 0: the series starts at rest
                y[0].zero_()
                frames = frames[1:]
            self._recursion.run(frames, y[1 if first else 0 :].unbind(0))
            return y.reshape(x.shape).to(self._proto.dtype)
        xs = to_numpy(x)
        x2 = xs.reshape(len(xs), -1).astype(np.float64)
        if first:
            x2[0] = 0.0
            self._zi = np.zeros((len(self.sos), 2, x2.shape[1]))
        y, self._zi = sosfilt(self.sos, x2, axis=0, zi=self._zi)
        return self._emit(y)

    def flush(self) -> Array:
        self._zi = self._recursion = None
        return self._end()
