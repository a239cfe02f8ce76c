"""Zero-phase IIR filtering of series too long to hold: ``sosfiltfilt`` in two passes.

A zero-phase filter runs forward over the whole series, then backward over the result,
so its output at time t depends on every later sample and no stream can give it. But
both passes are linear, and a second-order-section filter carries only ``S = 2 x
sections`` numbers per series between samples. So over a chunk of ``L`` samples, with
``x`` the chunk's samples, ``z`` the forward state entering it and ``B`` the backward
state entering it from its end, everything is a matrix product:

    z' = Gx x + Gz z            the forward state after the chunk
    c  = Wx x + Wz z            what the chunk alone leaves in the backward state
    y  = Yx x + Yz z + YB B     the chunk's zero-phase output

and the backward states chain from the end, ``B_k-1 = c_k + E(L_k) B_k``, ``E`` letting
a state decay over a chunk with no input. :class:`TwoPassZeroPhase` runs
``sosfiltfilt(sos, x, padlen=padlen)`` (scipy's odd extension by ``padlen`` samples at
each end included) of many series (a magnifier's bands, each of any shape) over a clip
of a known number of frames that is read twice:

0. :meth:`~TwoPassZeroPhase.start`: the first ``padlen + 1`` samples, for the forward
   state the padding before the clip leaves (``z0``).
1. :meth:`~TwoPassZeroPhase.analyse`: every chunk, in order: carry ``z``, keep ``c``
   (and, over the last ``padlen + 1`` samples, the state the padding after the clip
   gives the backward pass); :meth:`~TwoPassZeroPhase.settle` then chains the ``B``.
2. :meth:`~TwoPassZeroPhase.filtered`: every chunk again, in order: its output.

Per series it holds one chunk and ``S`` numbers per value and chunk; those go to a
:class:`StateStore` (a temporary file, so memory does not grow with the clip). The
matrices are built in float64 by running scipy's ``sosfilt`` on unit inputs; the products
run in the series' dtype (float32: agrees with scipy's float64 ``sosfiltfilt`` to ~1e-6
of the signal). A magnifier that feeds a series' increments (``increments=True``,
``x_t - x_t-1``, 0 at the clip's first frame) gets the output for the series itself:
the running sum is folded into the matrices.
"""

from __future__ import annotations

import functools
import os
import queue
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy.signal import sosfilt, sosfilt_zi

from vmag.errors import VmagError


def plan_chunks(total: int, chunk: int, tail: int) -> list[tuple[int, int]]:
    """``[start, stop)`` chunks of at most ``chunk`` samples covering ``[0, total)``, with a
    boundary at ``total - tail`` (where the end padding's samples begin).

    >>> plan_chunks(10, 4, 3)
    [(0, 4), (4, 7), (7, 10)]
    """
    if total < 1 or chunk < 1:
        raise VmagError(f"need total >= 1 and chunk >= 1, got {total} and {chunk}")
    end = max(0, total - tail)
    cuts = [*range(0, end, chunk), *range(end, total, chunk)]
    return [(a, b) for a, b in zip(cuts, [*cuts[1:], total], strict=True)]


class _Sections:
    """``sos``'s forward and backward passes over unit inputs, in float64: each matrix
    below maps a chunk's inputs (samples, then states) to one of its outputs."""

    def __init__(self, sos: np.ndarray) -> None:
        self.sos = np.asarray(sos, np.float64)
        self.sections = len(self.sos)
        self.size = 2 * self.sections  # S
        self.zi = sosfilt_zi(self.sos).reshape(-1)  # the steady state of a unit input

    def run(self, x: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Filter columns ``x (L, m)`` from states ``z (S, m)``: outputs and final states."""
        m = x.shape[1]
        y, zf = sosfilt(self.sos, x, axis=0, zi=z.reshape(self.sections, 2, m))
        return y, zf.reshape(self.size, m)

    def chunk(self, length: int) -> dict[str, np.ndarray]:
        """The matrices of a chunk of ``length`` samples (see the module docstring)."""
        s, n = self.size, length
        eye = np.eye(n + s)
        x, z = eye[:n], eye[n:]  # columns: unit samples, then unit forward states
        u, zf = self.run(x, z)
        g = zf  # (S, L + S): [Gx | Gz]
        _, c = self.run(u[::-1], np.zeros((s, n + s)))  # backward from rest
        # the output with a backward state B too: columns [x | z | B]
        ub = np.concatenate([u, np.zeros((n, s))], axis=1)
        bz = np.concatenate([np.zeros((s, n + s)), np.eye(s)], axis=1)
        yr, _ = self.run(ub[::-1], bz)
        _, decay = self.run(np.zeros((n, s)), np.eye(s))
        return {"g": g, "c": c, "y": yr[::-1].copy(), "e": decay}

    def start(self, padlen: int) -> np.ndarray:
        """(S, padlen + 1): the forward state at the clip's first sample from its first
        ``padlen + 1`` samples: the run over ``2 x_0 - x_padlen .. 2 x_0 - x_1`` from the
        steady state of its first sample (just that steady state when ``padlen`` is 0)."""
        x = np.eye(padlen + 1)
        before = 2 * x[:1] - x[padlen:0:-1]  # (padlen, padlen + 1)
        if padlen == 0:
            return self.zi[:, None] * x[:1]
        _, z = self.run(before, self.zi[:, None] * before[:1])
        return z

    def end(self, padlen: int) -> np.ndarray:
        """(S, S + padlen + 1): the backward state entering the clip's last sample from
        the forward state ``padlen + 1`` samples before the end and those samples: the
        forward run over them and over ``2 x_-1 - x_-2 .. 2 x_-1 - x_-padlen-1``, then the
        backward run over the padding from the steady state of its last output."""
        m, s = padlen + 1, self.size
        eye = np.eye(s + m)
        z, x = eye[:s], eye[s:]
        after = 2 * x[-1:] - x[-2::-1][:padlen]  # (padlen, S + m)
        u, _ = self.run(np.concatenate([x, after]), z)
        last = u[-1:]
        b = self.zi[:, None] * last
        if padlen:
            _, b = self.run(u[m:][::-1], b)
        return b


def _integrate(matrix: np.ndarray, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns ``matrix[:, :length]`` (acting on samples) rewritten to act on increments
    ``d`` and the running value ``v`` before them, ``x_t = v + d_0 + .. + d_t``:
    ``(matrix @ cumsum-matrix, matrix @ ones)``."""
    m = matrix[:, :length]
    return np.cumsum(m[:, ::-1], axis=1)[:, ::-1].copy(), m.sum(1, keepdims=True)


@dataclass
class _Carry:
    """One series' state between chunks: the forward state (S, n), the running value of
    an increments series (1, n), and the chunks seen in this pass."""

    z: torch.Tensor
    value: torch.Tensor | None
    chunk: int = 0


class StateStore:
    """Arrays of ``(series, chunk)`` in one temporary file per series, read and written
    with ``pread``/``pwrite``: the page cache, not the process, holds them, so memory does
    not grow with the clip. Every chunk of one series has the same shape and dtype.

    Writes go through a thread (a file's first write of a page costs about as much as
    computing it, 0.5 GB/s here), one array behind; a read waits for it."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="vmag-states-", dir=directory)
        self._files: dict[int, int] = {}
        self._kinds: dict[int, tuple[tuple[int, ...], np.dtype]] = {}
        self._pending: queue.Queue[tuple[int, np.ndarray, int] | None] = queue.Queue(1)
        self._failed: list[BaseException] = []
        self._writer = threading.Thread(target=self._write_all, name="vmag-states", daemon=True)
        self._writer.start()

    def _fd(self, series: int) -> int:
        if series not in self._files:
            path = os.path.join(self._dir.name, f"{series}.bin")
            self._files[series] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._files[series]

    def _write_all(self) -> None:
        while (item := self._pending.get()) is not None:
            fd, array, offset = item
            try:
                view = memoryview(array).cast("B")
                while view:  # pwrite may write less than asked
                    done = os.pwrite(fd, view, offset)
                    view, offset = view[done:], offset + done
            except BaseException as e:  # a full disk: raised at the next read or close
                self._failed.append(e)
            finally:
                self._pending.task_done()

    def _settle_writes(self) -> None:
        self._pending.join()
        if self._failed:
            raise self._failed.pop()

    def write(self, series: int, chunk: int, value: torch.Tensor) -> None:
        """Keep ``value`` as ``(series, chunk)``."""
        array = np.ascontiguousarray(value.detach().cpu().numpy())
        kind = self._kinds.setdefault(series, (array.shape, array.dtype))
        if (array.shape, array.dtype) != kind:
            raise ValueError(f"series {series}: {array.dtype} {array.shape}, kept {kind} before")
        if self._failed:
            self._settle_writes()
        self._pending.put((self._fd(series), array, chunk * array.nbytes))

    def read(self, series: int, chunk: int) -> torch.Tensor:
        """The array kept as ``(series, chunk)``."""
        self._settle_writes()
        out = np.empty(*self._kinds[series])
        view, offset = memoryview(out).cast("B"), chunk * out.nbytes
        while view:
            done = os.preadv(self._fd(series), [view], offset)
            if done == 0:
                raise ValueError(f"series {series} has no chunk {chunk}")
            view, offset = view[done:], offset + done
        return torch.from_numpy(out)

    def close(self) -> None:
        """Finish the writes and delete the files."""
        self._pending.put(None)
        self._writer.join()
        for fd in self._files.values():
            os.close(fd)
        self._files.clear()
        self._dir.cleanup()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TwoPassZeroPhase:
    """``sosfiltfilt(sos, ·, padlen=padlen)`` along time of any number of series over a
    clip of ``total`` frames read twice, in the chunks ``bounds`` (see the module
    docstring for the three steps). Series are named by an integer and given as tensors
    ``(frames of the chunk, ...)``, the same shape at every chunk.

    >>> from scipy.signal import butter, sosfiltfilt
    >>> sos = butter(1, [1, 3], "bandpass", fs=30, output="sos")
    >>> x = torch.randn(40, 5, dtype=torch.float64)
    >>> bounds = plan_chunks(40, 6, 4)
    >>> with StateStore() as store:
    ...     f = TwoPassZeroPhase(sos, 3, bounds, store)
    ...     f.start(0, x[:4])
    ...     for a, b in bounds:
    ...         f.analyse(0, x[a:b])
    ...     f.settle()
    ...     y = torch.cat([f.filtered(0, x[a:b]) for a, b in bounds])
    >>> bool(np.allclose(y, sosfiltfilt(sos, x.numpy(), axis=0, padlen=3)))
    True
    """

    def __init__(
        self,
        sos: np.ndarray,
        padlen: int,
        bounds: list[tuple[int, int]],
        store: StateStore,
        *,
        increments: bool = False,
    ) -> None:
        self._sec = _Sections(sos)
        self.padlen = int(padlen)
        self.bounds = list(bounds)
        self.total = self.bounds[-1][1]
        if self.total < self.padlen + 1:
            raise VmagError(f"{self.total} frames; the filter pads {self.padlen} at each end")
        self.store = store
        self.increments = increments
        self._tail = self.total - self.padlen - 1  # the first of the last padlen + 1 samples
        self._carry: dict[int, _Carry] = {}
        self._ends: dict[int, torch.Tensor] = {}  # the backward state entering the last sample
        self._z0: dict[int, torch.Tensor] = {}  # step 0's sums while its samples come in
        self._settled = False

    # -- matrices, float64, by chunk length; increments folded in ----------------------------
    @functools.cache  # noqa: B019 - one filter's few chunk lengths, for its lifetime
    def _chunk(self, length: int) -> dict[str, np.ndarray]:
        m = self._sec.chunk(length)
        if self.increments:
            for key in ("g", "c", "y"):
                d, v = _integrate(m[key], length)
                m[key] = np.concatenate([d, m[key][:, length:], v], axis=1)
        # the products of each pass in one: [G; W] on [x | z | value], and [Y; G] on
        # [x | z | B | value] (G takes no B): each reads the chunk's samples once
        s = self._sec.size
        g = m["g"]
        no_b = np.concatenate([g[:, : length + s], np.zeros((s, s)), g[:, length + s :]], 1)
        m["first"] = np.concatenate([g, m["c"]])
        m["second"] = np.concatenate([m["y"], no_b])
        return m

    @functools.cached_property
    def _start(self) -> np.ndarray:
        m = self._sec.start(self.padlen)
        return _integrate(m, self.padlen + 1)[0] if self.increments else m

    @functools.cached_property
    def _end(self) -> np.ndarray:
        return self._sec.end(self.padlen)  # [z | x_tail]: the tail's samples are folded per chunk

    # -- the three steps -------------------------------------------------------------------
    def _begin(self, series: int, flat: torch.Tensor) -> _Carry:
        """The series' carry; at a pass's start, from the forward state the padding before
        the clip leaves (kept by :meth:`start` in the store's slot after the chunks)."""
        carry = self._carry.get(series)
        if carry is None:
            z = self.store.read(series, len(self.bounds)).to(flat.dtype)
            value = flat.new_zeros((1, flat.shape[1])) if self.increments else None
            carry = self._carry[series] = _Carry(z, value)
        return carry

    def _apply(
        self, matrix: np.ndarray, flat: torch.Tensor, carry: _Carry, *extra: torch.Tensor
    ) -> torch.Tensor:
        """``matrix @ [x | z | extra.. | value]``, without stacking the inputs."""
        m = torch.from_numpy(matrix).to(flat.dtype)
        n, s = len(flat), self._sec.size
        out = m[:, :n] @ flat
        out.addmm_(m[:, n : n + s], carry.z)
        col = n + s
        for e in extra:
            out.addmm_(m[:, col : col + s], e)
            col += s
        if carry.value is not None:
            out.addmm_(m[:, col : col + 1], carry.value)
        return out

    def _chunk_of(self, carry: _Carry, flat: torch.Tensor) -> tuple[int, int, int]:
        k = carry.chunk
        if k < 0:
            raise ValueError("this pass has seen every chunk")
        a, b = self.bounds[k]
        if len(flat) != b - a:
            raise ValueError(f"chunk {k} has {b - a} frames, got {len(flat)}")
        return k, a, b

    def _advance(self, carry: _Carry, z: torch.Tensor, flat: torch.Tensor) -> None:
        carry.z = z
        if carry.value is not None:
            carry.value = carry.value + flat.sum(0, keepdim=True)
        carry.chunk += 1
        if carry.chunk == len(self.bounds):
            carry.chunk = -1  # the pass is over

    def start(self, series: int, x: torch.Tensor, offset: int = 0) -> None:
        """Step 0: samples (or increments) ``offset ..`` of the clip's first ``padlen + 1``
        of ``series``, in order, in one block or several."""
        flat = x.reshape(len(x), -1)
        if offset + len(flat) > self.padlen + 1:
            raise ValueError(f"start takes the first {self.padlen + 1} samples only")
        part = torch.from_numpy(self._start[:, offset : offset + len(flat)]).to(flat.dtype)
        z0 = part @ flat if offset == 0 else self._z0.pop(series).addmm_(part, flat)
        if offset + len(flat) == self.padlen + 1:
            self.store.write(series, len(self.bounds), z0)
        else:
            self._z0[series] = z0

    def analyse(self, series: int, x: torch.Tensor) -> None:
        """Step 1: the next chunk of ``series``, in order."""
        flat = x.reshape(len(x), -1)
        carry = self._begin(series, flat)
        k, a, b = self._chunk_of(carry, flat)
        s = self._sec.size
        if a >= self._tail:  # the end padding's samples: fold them into the end state
            if a == self._tail:  # the forward state there
                self._ends[series] = torch.from_numpy(self._end[:, :s]).to(flat.dtype) @ carry.z
            cols = self._end[:, s + a - self._tail : s + b - self._tail]
            if self.increments:  # samples = the value before + the increments' running sum
                d, v = _integrate(cols, b - a)
                end = torch.from_numpy(d).to(flat.dtype) @ flat
                end.addmm_(torch.from_numpy(v).to(flat.dtype), carry.value)
            else:
                end = torch.from_numpy(cols).to(flat.dtype) @ flat
            self._ends[series] += end
        both = self._apply(self._chunk(b - a)["first"], flat, carry)
        self.store.write(series, k, both[s:])
        self._advance(carry, both[:s], flat)

    def settle(self) -> None:
        """Between the passes: the backward state entering each chunk from its end, from
        the end of the clip back (each series' kept ``c`` is replaced by it)."""
        for series, carry in self._carry.items():
            if carry.chunk != -1:
                raise ValueError(f"series {series} saw {carry.chunk} of {len(self.bounds)} chunks")
            state = self._ends[series]
            for k in reversed(range(len(self.bounds))):
                c = self.store.read(series, k).to(state.dtype)
                self.store.write(series, k, state)
                a, b = self.bounds[k]
                decay = torch.from_numpy(self._chunk(b - a)["e"]).to(state.dtype)
                state = c.addmm_(decay, state)
        self._carry.clear()
        self._ends.clear()
        self._settled = True

    def filtered(self, series: int, x: torch.Tensor) -> torch.Tensor:
        """Step 2: the zero-phase output of the next chunk of ``series``, in order."""
        if not self._settled:
            raise ValueError("settle() comes between the two passes")
        flat = x.reshape(len(x), -1)
        carry = self._begin(series, flat)
        k, a, b = self._chunk_of(carry, flat)
        entering = self.store.read(series, k).to(flat.dtype)
        both = self._apply(self._chunk(b - a)["second"], flat, carry, entering)
        self._advance(carry, both[b - a :].clone(), flat)
        return both[: b - a].reshape(x.shape)
