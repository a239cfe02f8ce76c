"""The shard format: samples come back as written, padded, resumable, and kinds kept apart."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from vmag.data import Field, Shards, write_shards
from vmag.errors import VmagError

FIELDS = {
    "image": Field(np.uint8, (4, 4, 3)),
    "points": Field(np.float32, (3, 2), np.nan),
    "name": Field("<U5", ()),
}


def make(i: int) -> dict:
    return {
        "image": np.full((4, 4, 3), i, np.uint8),
        "points": np.arange(2 * (i % 3 + 1), dtype=np.float32).reshape(-1, 2),  # 1-3 rows
        "name": f"s{i}",
    }


def test_samples_come_back_as_written_with_padding(tmp_path):
    paths = write_shards(tmp_path, 7, FIELDS, make, kind="toy", meta={"seed": 1}, shard_size=3)
    assert [p.name for p in paths] == ["shard-00000.npz", "shard-00001.npz", "shard-00002.npz"]
    data = Shards(tmp_path, kind="toy")
    for i in range(7):
        row = data[i]
        assert (row["image"] == i).all() and row["name"] == f"s{i}"
        rows = i % 3 + 1
        np.testing.assert_array_equal(row["points"][:rows], make(i)["points"])
        assert np.isnan(row["points"][rows:]).all()
    assert data[-1]["name"] == "s6"
    with pytest.raises(IndexError):
        data[7]
    again = pickle.loads(pickle.dumps(data))  # DataLoader workers map the files themselves
    assert again[5]["name"] == "s5"


def test_resume_keeps_written_shards_and_other_data_is_refused(tmp_path):
    write_shards(tmp_path, 4, FIELDS, make, kind="toy", meta={"seed": 1}, shard_size=2)
    kept = (tmp_path / "shard-00000.npz").stat().st_mtime_ns
    first = (tmp_path / "shard-00001.npz").read_bytes()
    (tmp_path / "shard-00001.npz").unlink()
    seen = []
    write_shards(tmp_path, 4, FIELDS, make, kind="toy", meta={"seed": 1}, shard_size=2,
                 progress=lambda d, t: seen.append(d))  # fmt: skip
    assert seen == [2, 3, 4] and (tmp_path / "shard-00000.npz").stat().st_mtime_ns == kept
    assert (tmp_path / "shard-00001.npz").read_bytes() == first  # byte-identical again
    with pytest.raises(VmagError, match="different data set"):
        write_shards(tmp_path, 4, FIELDS, make, kind="toy", meta={"seed": 2}, shard_size=2)
    with pytest.raises(VmagError, match="holds 'toy' data, not 'gait'"):
        Shards(tmp_path, kind="gait")
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob(".*tmp*"))


def test_a_sample_missing_a_field_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="lacks field name"):
        write_shards(tmp_path, 1, FIELDS, lambda i: {"image": 0, "points": np.zeros((1, 2))},
                     kind="toy", meta={})  # fmt: skip
    with pytest.raises(VmagError, match="incomplete"):
        Shards(tmp_path, kind="toy")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"]  # no scratch left
