"""Synthetic physiological subjects: the signals are there, where and as large as said."""

from __future__ import annotations

import numpy as np
import pytest

from vmag.errors import VmagError
from vmag.synth.physio import (
    PULSE_DIRECTION,
    PhysioConfig,
    breath_wave,
    head_pose,
    pulse_wave,
    render_subject,
)

SMALL = PhysioConfig(size=48, seconds=4.0, noise=0.0)


def dominant_rate(signal: np.ndarray, fps: float) -> float:
    """The strongest frequency of ``signal`` in cycles a minute (zero-padded 8x)."""
    n = 8 * len(signal)
    power = np.abs(np.fft.rfft(signal - signal.mean(), n)) ** 2
    return 60 * np.fft.rfftfreq(n, 1 / fps)[np.argmax(power[1:]) + 1]


def test_waves_run_at_their_rates():
    assert abs(dominant_rate(pulse_wave(20, 30, 72, seed=1), 30) - 72) < 4
    assert abs(dominant_rate(breath_wave(30, 30, 15, seed=1), 30) - 15) < 2
    p = pulse_wave(10, 30, 90, seed=2)
    assert p.shape == (300,) and abs(p.std() - 1) < 1e-3 and abs(p.mean()) < 1e-3


def test_a_subject_is_a_pure_function_of_its_seed():
    a, b = render_subject(3, 1, SMALL), render_subject(3, 1, SMALL)
    assert np.array_equal(a.frames, b.frames) and a.heart_rate == b.heart_rate
    assert not np.array_equal(a.frames, render_subject(3, 2, SMALL).frames)


def test_the_pulse_is_on_the_skin_along_its_colour_direction():
    s = render_subject(0, 0, SMALL)
    still = render_subject(0, 0, SMALL, pulse_gain=0.0)  # the same clip without a pulse
    change = s.frames - still.frames  # (T, H, W, 3)
    on = change[s.skin]
    assert np.abs(change[~s.skin]).max() < 0.3 * np.abs(on).max()  # edges only off the skin
    ratio = np.abs(on).mean(axis=0)
    direction = np.asarray(PULSE_DIRECTION)
    assert np.corrcoef(ratio / still.frames[s.skin].mean(0), direction)[0, 1] > 0.95
    relative = (change[s.skin] / np.maximum(still.frames[s.skin], 1e-3)).mean(axis=1)
    assert 0.0005 < np.abs(relative).max() < 0.02  # 0.1-0.5 % of the skin, times the wave


def test_gains_multiply_one_source_only():
    one = render_subject(1, 0, SMALL)
    zero = render_subject(1, 0, SMALL, pulse_gain=0.0)
    triple = render_subject(1, 0, SMALL, pulse_gain=3.0)
    np.testing.assert_allclose(triple.frames - zero.frames, 3 * (one.frames - zero.frames),
                               atol=2e-6)  # fmt: skip
    still = render_subject(1, 0, SMALL, breath_gain=0.0)
    moved = np.abs(one.frames - still.frames).max(axis=(0, 3))
    rows = np.nonzero(moved > 1e-4)[0]
    assert rows.min() > SMALL.size // 2  # breathing moves the chest below the head


@pytest.mark.parametrize("task", ["A", "B", "C", "D"])
def test_tasks_move_the_head_as_described(task):
    pose = head_pose(task, 300, 30.0, np.random.default_rng(0))
    yaw_speed = np.abs(np.diff(pose[:, 1])).max() * 30
    if task == "A":
        assert np.abs(pose[:, :2]).max() < 1 and yaw_speed < 1
    elif task in ("B", "C"):
        assert yaw_speed == pytest.approx(10 if task == "B" else 30, rel=0.05)
    else:
        jumps = np.abs(np.diff(pose[:, 1]))
        assert (jumps > 0.5).sum() > 10 and np.abs(pose[:, 1]).max() > 5


def test_bad_settings_are_refused():
    with pytest.raises(VmagError, match="task"):
        PhysioConfig(task="E")
    with pytest.raises(VmagError, match="seconds"):
        PhysioConfig(seconds=1.0)
