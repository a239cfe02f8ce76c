"""Atomic writes: the target is whole or untouched; temporaries never collide or linger."""

from __future__ import annotations

import os
import stat

import pytest

from vmag.io.atomic import _UMASK, AtomicFile, atomic_write


def test_commit_moves_the_data_onto_the_target_with_a_new_files_mode(tmp_path):
    target = tmp_path / "sub" / "report.json"
    atomic_write(target, lambda p: p.write_text("{}"))
    assert target.read_text() == "{}"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~_UMASK
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_a_failed_write_leaves_the_old_target_and_no_temporary(tmp_path):
    target = tmp_path / "weights.pt"
    target.write_text("old")

    def fail(path):
        path.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, fail)
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["weights.pt"]


def test_temporaries_are_unique_and_keep_the_suffix(tmp_path):
    a, b = AtomicFile(tmp_path / "x.png"), AtomicFile(tmp_path / "x.png")
    assert a.path != b.path and a.path.name.endswith(".png") and a.path.name.startswith(".x.")
    a.discard()
    b.discard()
    assert os.listdir(tmp_path) == []
