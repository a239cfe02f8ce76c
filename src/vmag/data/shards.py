"""Data sets on disk as shards: fixed-size samples in uncompressed ``.npz`` files.

One format for every generated training set (the motion pairs today; gait and
physiological clips next). A folder holds ``manifest.json`` and ``shard-NNNNN.npz``
files. Each sample has the same named arrays (:class:`Field`: dtype and per-sample
shape); shard ``j`` stacks samples ``[start, start + count)`` of each field.

- :func:`write_shards` generates the samples with ``make(index)``, shard by shard,
  each written atomically through memory-mapped scratch files (a shard of any size
  needs little memory), so an interrupted run resumes where it stopped and a folder
  holding a different data set is refused.
- :class:`Shards` reads a complete folder back through read-only memory maps, so a
  data set larger than memory trains without loading it, and it pickles cheaply into
  DataLoader workers (each maps the files itself).

>>> import tempfile, numpy as np
>>> fields = {"x": Field("float32", (2,)), "label": Field("int64", ())}
>>> make = lambda i: {"x": np.full(2, i, np.float32), "label": np.int64(i % 2)}
>>> with tempfile.TemporaryDirectory() as d:
...     _ = write_shards(d, 5, fields, make, kind="toy", meta={"seed": 0}, shard_size=2)
...     data = Shards(d, kind="toy")
...     len(data), data[3]["x"].tolist(), int(data[4]["label"])
(5, [3.0, 3.0], 0)
"""

from __future__ import annotations

import bisect
import json
import shutil
import struct
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vmag.errors import VmagError, check_count
from vmag.io.atomic import AtomicFile, atomic_write

FORMAT = "vmag-shards"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Field:
    """One named array of every sample: its dtype, its shape per sample, and the value
    of entries a sample leaves unset (e.g. NaN padding of a variable-length list)."""

    dtype: Any
    shape: tuple[int, ...]
    fill: Any = 0

    def describe(self) -> list[Any]:
        return [np.dtype(self.dtype).str, list(self.shape)]


def _manifest(
    n: int, fields: Mapping[str, Field], kind: str, meta: Mapping[str, Any], shard_size: int
) -> dict[str, Any]:
    starts = range(0, n, shard_size)
    shards = [
        {"file": f"shard-{j:05d}.npz", "start": s, "count": min(shard_size, n - s)}
        for j, s in enumerate(starts)
    ]
    return {
        "format": FORMAT,
        "kind": kind,
        "version": 1,
        "n": n,
        "shard_size": shard_size,
        **json.loads(json.dumps(dict(meta))),
        "fields": {k: f.describe() for k, f in fields.items()},
        "shards": shards,
        "complete": False,
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2) + "\n"))


def _member(key: str) -> zipfile.ZipInfo:
    """The .npz member for array ``key``, with a fixed date (byte-identical shards)."""
    return zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))


def _write_shard(
    path: Path,
    start: int,
    count: int,
    fields: Mapping[str, Field],
    make: Callable[[int], Mapping[str, Any]],
    tick: Callable[[], None],
) -> None:
    """Samples ``[start, start + count)`` into ``path`` (an uncompressed .npz), atomically."""
    scratch = path.with_name(path.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    try:
        _fill_shard(path, scratch, start, count, fields, make, tick)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _fill_shard(
    path: Path,
    scratch: Path,
    start: int,
    count: int,
    fields: Mapping[str, Field],
    make: Callable[[int], Mapping[str, Any]],
    tick: Callable[[], None],
) -> None:
    arrays = {}
    for k, f in fields.items():
        arrays[k] = np.lib.format.open_memmap(
            scratch / f"{k}.npy", "w+", np.dtype(f.dtype), (count, *f.shape)
        )
        arrays[k][...] = f.fill
    for j in range(count):
        sample = make(start + j)
        missing = sorted(set(fields) - set(sample))
        if missing:
            raise ValueError(f"sample {start + j} lacks field {', '.join(missing)}")
        for k in fields:
            value = np.asarray(sample[k])
            arrays[k][(j, *(slice(0, n) for n in value.shape))] = value  # pads shorter ones
        tick()
    for mm in arrays.values():
        mm.flush()
    del arrays
    with AtomicFile(path) as out, zipfile.ZipFile(out.path, "w", zipfile.ZIP_STORED, True) as zf:
        for k in fields:
            with (
                zf.open(_member(k), "w", force_zip64=True) as dst,
                open(scratch / f"{k}.npy", "rb") as src,
            ):
                shutil.copyfileobj(src, dst, 1 << 24)


def write_shards(
    out_dir: str | Path,
    n: int,
    fields: Mapping[str, Field],
    make: Callable[[int], Mapping[str, Any]],
    *,
    kind: str,
    meta: Mapping[str, Any],
    shard_size: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write samples ``make(0) .. make(n - 1)`` to ``out_dir`` as shards plus a manifest.

    ``kind`` names the data set ("motion"); ``meta`` (JSON data: seed, generator config)
    identifies it with ``n``, ``shard_size`` and ``fields``: a folder holding another data
    set is refused; the same one resumes, keeping the shards already written.
    ``progress(done, total)`` follows the samples.
    """
    n, shard_size = check_count("n", n), check_count("shard_size", shard_size)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise VmagError(f"{out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(n, fields, kind, meta, shard_size)
    existing = out / MANIFEST
    if existing.is_file():
        try:
            old = json.loads(existing.read_text())
        except (OSError, ValueError) as e:
            raise VmagError(f"cannot read {existing}: {e}") from None
        same = ("format", "kind", "n", "shard_size", "fields", *meta)
        if not isinstance(old, dict) or any(old.get(k) != manifest[k] for k in same):
            raise VmagError(
                f"{out} holds a different data set (its {MANIFEST} differs in n, shard size, "
                f"{', '.join(meta)} or fields); choose another folder"
            )
    _write_json(existing, manifest)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, n)

    paths, pending = [], []
    for shard in manifest["shards"]:
        path = out / shard["file"]
        paths.append(path)
        if path.is_file():
            done += shard["count"]
        else:
            pending.append((path, shard))
    if progress is not None:
        progress(done, n)
    for path, shard in pending:
        _write_shard(path, shard["start"], shard["count"], fields, make, tick)
    manifest["complete"] = True
    _write_json(existing, manifest)
    return paths


def map_npz(path: Path) -> dict[str, np.ndarray]:
    """Read-only memory maps of the arrays in an uncompressed .npz (no copy into memory)."""
    arrays = {}
    with zipfile.ZipFile(path) as zf, open(path, "rb") as f:
        for info in zf.infolist():
            if info.compress_type != zipfile.ZIP_STORED or not info.filename.endswith(".npy"):
                raise VmagError(f"{path}: {info.filename} is not an uncompressed .npy member")
            f.seek(info.header_offset)
            header = f.read(30)
            name_len, extra_len = struct.unpack("<HH", header[26:30])
            f.seek(info.header_offset + 30 + name_len + extra_len)
            version = np.lib.format.read_magic(f)
            read = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, fortran, dtype = read(f)
            order = "F" if fortran else "C"
            arrays[info.filename[:-4]] = np.memmap(
                path, dtype=dtype, mode="r", offset=f.tell(), shape=shape, order=order
            )
    return arrays


class Shards:
    """The samples of a complete :func:`write_shards` folder of ``kind``: ``data[i]`` is a
    dict of sample ``i``'s arrays (read-only views of memory-mapped shards)."""

    def __init__(self, root: str | Path, kind: str) -> None:
        self.root = Path(root)
        path = self.root / MANIFEST
        try:
            manifest = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise VmagError(f"cannot read {path}: {e}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise VmagError(f"{path} is not a vmag data set manifest")
        if manifest.get("kind") != kind:
            raise VmagError(f"{self.root} holds {manifest.get('kind')!r} data, not {kind!r}")
        if not manifest.get("complete"):
            raise VmagError(
                f"{self.root} is incomplete; re-run the command that made it, with the same "
                "arguments, to finish it"
            )
        self.manifest = manifest
        self.n = int(manifest["n"])
        self._starts = [int(s["start"]) for s in manifest["shards"]]
        self._files = [self.root / s["file"] for s in manifest["shards"]]
        missing = [p.name for p in self._files if not p.is_file()]
        if missing:
            raise VmagError(f"{self.root}: shard {missing[0]} is missing")
        self._maps: dict[int, dict[str, np.ndarray]] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_maps"] = {}  # each process maps the files itself
        return state

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict[str, np.ndarray]:
        if isinstance(i, bool) or not isinstance(i, int | np.integer) or not -self.n <= i < self.n:
            raise IndexError(f"sample {i} is out of range for {self.n} samples")
        i = int(i) % self.n
        j = bisect.bisect_right(self._starts, i) - 1
        if j not in self._maps:
            self._maps[j] = map_npz(self._files[j])
        row = i - self._starts[j]
        return {k: a[row] for k, a in self._maps[j].items()}
