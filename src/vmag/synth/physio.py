"""Synthetic subjects whose pulse and breathing are known, for DeepMag (Chen & McDuff 2020).

No physiological video data set can be downloaded here, so subjects are drawn: a
face-like head (an ellipse of skin of a random tone and texture, shading, eyes, mouth,
hair) above shoulders, on a dark or patterned background, with

- **pulse** as a colour change of the skin along the dichromatic model's pulsatile
  direction, near (0.33, 0.77, 0.53) in RGB (the paper's Eqs. 5-10): each skin pixel is
  multiplied by ``1 + a p(t) u``, with ``p`` a PPG wave from neurokit2's
  ``ppg_simulate`` (45-150 beats a minute, with heart-rate variability) scaled to unit
  standard deviation, ``u`` the direction scaled to unit mean, ``a`` 0.1-0.5 %;
- **breathing** as a vertical motion of the shoulders and chest, ``b r(t)`` px with ``r``
  from neurokit2's ``rsp_simulate`` (10-30 breaths a minute) scaled to a peak-to-peak of
  1 and ``b`` 0.1-1 px;
- **head motion** of the paper's tasks (:data:`TASKS`): A still (a slight natural sway),
  B and C sweeps of the head's yaw at 10 and 30 degrees a second, D a new random
  orientation every second; drawn as a 2D rotation, translation, scale and horizontal
  foreshortening of the head;
- camera noise.

:func:`render_subject` returns the frames with the truth: the signals, each frame's skin
mask, the rates; with ``pulse_gain`` or ``breath_gain`` it renders the same clip with only
that source's amplitude multiplied, the ground truth of a magnification by ``gain - 1``.
Every draw comes from the subject's seed, so a subject is a pure function of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from vmag._lazy import lazy_import
from vmag.errors import VmagError, check_choice, check_positive
from vmag.synth.clips import fourier_shift, noise_texture

cv2 = lazy_import("cv2")
nk = lazy_import("neurokit2")

#: The pulsatile colour direction of skin (R, G, B), Chen & McDuff 2020, Eq. 9.
PULSE_DIRECTION = (0.33, 0.77, 0.53)
#: Head-motion tasks: what each one draws (the paper's tasks A-D).
TASKS = {
    "A": "still: a slight natural sway",
    "B": "yaw sweeps at 10 degrees a second",
    "C": "yaw sweeps at 30 degrees a second",
    "D": "a random re-orientation every second",
}
#: Skin tones from light to dark (linear RGB albedo), interpolated between neighbours.
SKIN_TONES = np.array(
    [[0.93, 0.74, 0.62], [0.85, 0.62, 0.48], [0.70, 0.48, 0.35], [0.52, 0.34, 0.24],
     [0.36, 0.23, 0.16]]
)


@dataclass(frozen=True)
class PhysioConfig:
    """What a subject's clip is drawn from: size, length and the ranges of its signals."""

    size: int = 128
    fps: float = 30.0
    seconds: float = 10.0
    task: str = "A"
    heart_rate: tuple[float, float] = (45.0, 150.0)  # beats a minute
    breath_rate: tuple[float, float] = (10.0, 30.0)  # breaths a minute
    pulse_amplitude: tuple[float, float] = (0.001, 0.005)  # of the skin's intensity
    breath_amplitude: tuple[float, float] = (0.1, 1.0)  # px, peak to peak
    noise: float = 0.002  # camera noise, standard deviation

    def __post_init__(self) -> None:
        check_choice("task", self.task, tuple(TASKS))
        check_positive("fps", self.fps)
        if self.size < 32:
            raise VmagError(f"size must be at least 32 px, got {self.size}")
        if self.frames < 2 * self.fps:
            raise VmagError(f"seconds must give at least 2 s of frames, got {self.seconds}")

    @property
    def frames(self) -> int:
        """Frames in a clip."""
        return round(self.seconds * self.fps)


@dataclass
class PhysioSubject:
    """A rendered subject: frames (T, H, W, 3) float32 in [0, 1], each frame's skin mask
    (T, H, W) bool, the pulse (relative colour change along the pulse direction) and the
    breathing (chest displacement, px, downward positive) per frame, and the rates."""

    frames: np.ndarray
    skin: np.ndarray
    pulse: np.ndarray
    breath: np.ndarray
    heart_rate: float  # beats a minute
    breath_rate: float  # breaths a minute
    fps: float


def _uniform(rng: np.random.Generator, span: tuple[float, float]) -> float:
    return float(rng.uniform(*span))


def pulse_wave(seconds: float, fps: float, heart_rate: float, seed: int) -> np.ndarray:
    """A PPG wave (neurokit2's ``ppg_simulate``, with heart-rate variability) at ``fps``,
    zero mean and unit standard deviation."""
    rate = max(100, round(fps))  # simulate finely, then sample at the frame times
    wave = nk.ppg_simulate(
        duration=_long_enough(seconds, heart_rate), sampling_rate=rate, heart_rate=heart_rate,
        frequency_modulation=0.1, ibi_randomness=0.1, drift=0.0, motion_amplitude=0.0,
        powerline_amplitude=0.0, burst_number=0, random_state=seed,
    )  # fmt: skip
    out = _sample(np.asarray(wave, np.float64), rate, seconds, fps)
    return ((out - out.mean()) / (out.std() + 1e-12)).astype(np.float32)


def breath_wave(seconds: float, fps: float, breath_rate: float, seed: int) -> np.ndarray:
    """A respiration wave (neurokit2's ``rsp_simulate``) at ``fps``, zero mean and a
    peak-to-peak of 1."""
    rate = max(50, round(fps))
    wave = nk.rsp_simulate(
        duration=_long_enough(seconds, breath_rate), sampling_rate=rate,
        respiratory_rate=breath_rate,
        method="breathmetrics", random_state=seed,
    )  # fmt: skip
    out = _sample(np.asarray(wave, np.float64), rate, seconds, fps)
    out -= out.mean()
    return (out / (np.ptp(out) + 1e-12)).astype(np.float32)


def _long_enough(seconds: float, per_minute: float) -> int:
    """Whole seconds to simulate: the clip and four cycles more (neurokit2's smoothing
    needs several cycles)."""
    return math.ceil(seconds + 4 * 60 / per_minute) + 1


def _sample(wave: np.ndarray, rate: int, seconds: float, fps: float) -> np.ndarray:
    """``wave`` (sampled at ``rate``) at the frame times of ``seconds`` at ``fps``."""
    t = np.arange(round(seconds * fps)) / fps
    return np.interp(t, np.arange(len(wave)) / rate, wave)


def head_pose(task: str, frames: int, fps: float, rng: np.random.Generator) -> np.ndarray:
    """Per frame (roll degrees, yaw degrees, dx px, dy px, scale) of a head doing ``task``;
    dx, dy relative to a 128-px frame."""
    t = np.arange(frames) / fps
    sway = rng.uniform(0, 2 * np.pi, 4)
    pose = np.zeros((frames, 5))
    pose[:, 0] = 0.6 * np.sin(2 * np.pi * 0.13 * t + sway[0])  # a natural sway in every task
    pose[:, 2] = 0.3 * np.sin(2 * np.pi * 0.21 * t + sway[1])
    pose[:, 3] = 0.3 * np.sin(2 * np.pi * 0.17 * t + sway[2])
    pose[:, 4] = 1.0
    if task in ("B", "C"):  # triangle sweeps of yaw between +-span at the task's speed
        speed, span = (10.0, 15.0) if task == "B" else (30.0, 25.0)
        period = 4 * span / speed
        phase = (t / period + rng.uniform()) % 1.0
        pose[:, 1] = span * (4 * np.abs(phase - 0.5) - 1)
        pose[:, 2] += 0.25 * pose[:, 1]  # the head's centre moves with its turn
    elif task == "D":  # each second a new orientation, reached in 0.3 s
        targets = rng.uniform(-1, 1, (int(np.ceil(t[-1])) + 2, 4)) * [10, 20, 4, 3]
        second = np.floor(t).astype(int)
        ease = np.clip((t - second) / 0.3, 0, 1)
        ease = 0.5 - 0.5 * np.cos(np.pi * ease)
        now = targets[second] + (targets[second + 1] - targets[second]) * ease[:, None]
        pose[:, :4] += now
        pose[:, 4] += 0.03 * np.sin(2 * np.pi * 0.5 * t + sway[3])
    return pose


def _smooth_edge(inside: np.ndarray) -> np.ndarray:
    """A signed distance-like field (positive inside, in px) to an anti-aliased mask."""
    return np.clip(0.5 + inside, 0.0, 1.0)


def _ellipse(x: np.ndarray, y: np.ndarray, cx: float, cy: float, ax: float, ay: float):
    """Approximate signed distance (px) inside the ellipse centred (cx, cy), semi-axes ax, ay."""
    r = np.sqrt(((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2)
    return (1.0 - r) * min(ax, ay)


def _head(size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A head on a transparent canvas of side ``size``: colour (H, W, 3), coverage (H, W)
    and skin (H, W), centred."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5
    c = size / 2
    ax, ay = size * rng.uniform(0.25, 0.31), size * rng.uniform(0.33, 0.40)
    face = _smooth_edge(_ellipse(xs, ys, c, c, ax, ay))
    tone = rng.uniform(0, len(SKIN_TONES) - 1)
    lo = int(tone)
    albedo = SKIN_TONES[lo] + (SKIN_TONES[min(lo + 1, len(SKIN_TONES) - 1)] - SKIN_TONES[lo]) * (
        tone - lo
    )
    grain = noise_texture(size, size, blur=rng.uniform(1.0, 3.0), seed=int(rng.integers(2**31)))
    r = np.sqrt(((xs - c) / ax) ** 2 + ((ys - c) / ay) ** 2)
    shade = 0.65 + 0.35 * np.sqrt(np.clip(1 - r**2, 0, 1))  # darker towards the rim
    color = albedo * shade[..., None] * (1 + 0.3 * (grain - 0.5))
    skin = face.copy()
    features = [  # (centre x, centre y, semi-axes, colour): eyes and mouth
        (c - 0.38 * ax, c - 0.12 * ay, 0.16 * ax, 0.07 * ay, (0.08, 0.06, 0.05)),
        (c + 0.38 * ax, c - 0.12 * ay, 0.16 * ax, 0.07 * ay, (0.08, 0.06, 0.05)),
        (c, c + 0.52 * ay, 0.30 * ax, 0.07 * ay, (0.45, 0.18, 0.18)),
    ]
    for fx, fy, fax, fay, rgb in features:
        m = _smooth_edge(_ellipse(xs, ys, fx, fy, fax, fay))
        color = color * (1 - m[..., None]) + np.asarray(rgb) * m[..., None]
        skin *= 1 - m
    hair_color = np.asarray([0.12, 0.08, 0.05]) * rng.uniform(0.5, 2.0)
    top = _smooth_edge(_ellipse(xs, ys, c, c - 0.1 * ay, 1.08 * ax, 1.0 * ay)) * _smooth_edge(
        (c - rng.uniform(0.35, 0.6) * ay) - ys
    )
    hair = top * (0.8 + 0.4 * grain[..., 0])
    hair = np.clip(hair, 0, 1)
    color = color * (1 - hair[..., None]) + hair_color * hair[..., None]
    skin *= 1 - np.clip(top, 0, 1)
    cover = np.maximum(face, np.clip(top, 0, 1))
    return color.astype(np.float32), cover.astype(np.float32), skin.astype(np.float32)


def _background(size: int, rng: np.random.Generator) -> np.ndarray:
    """A dark plain background or a patterned one (both occur in the paper's data)."""
    if rng.uniform() < 0.5:
        return np.full((size, size, 3), rng.uniform(0.03, 0.15), np.float32)
    tex = noise_texture(size, size, blur=rng.uniform(2, 6), seed=int(rng.integers(2**31)))
    return (tex * rng.uniform(0.4, 0.8)).astype(np.float32)


def render_subject(
    seed: int,
    index: int = 0,
    config: PhysioConfig = PhysioConfig(),
    *,
    pulse_gain: float = 1.0,
    breath_gain: float = 1.0,
) -> PhysioSubject:
    """Subject ``index`` of ``seed``: its clip and truth (see the module docstring).
    ``pulse_gain`` / ``breath_gain`` multiply one source's amplitude and nothing else."""
    rng = np.random.default_rng([seed, index])
    seeds = rng.integers(2**31, size=2)
    n, size, fps = config.frames, config.size, config.fps
    heart_rate = _uniform(rng, config.heart_rate)
    breath_rate = _uniform(rng, config.breath_rate)
    pulse = pulse_wave(config.seconds, fps, heart_rate, int(seeds[0])) * _uniform(
        rng, config.pulse_amplitude
    )
    breath = breath_wave(config.seconds, fps, breath_rate, int(seeds[1])) * _uniform(
        rng, config.breath_amplitude
    )
    direction = np.asarray(PULSE_DIRECTION) / np.mean(PULSE_DIRECTION)
    pose = head_pose(config.task, n, fps, rng)
    head_size = int(size * 0.62)
    head, cover, skin = _head(head_size, rng)
    background = _background(size, rng)
    body_color = rng.uniform(0.15, 0.7, 3)
    body_tex = noise_texture(size, size, blur=rng.uniform(1.5, 4), seed=int(rng.integers(2**31)))
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5
    body_ax, body_ay = size * rng.uniform(0.42, 0.5), size * rng.uniform(0.28, 0.34)
    head_centre = np.array([size / 2, size * rng.uniform(0.38, 0.44)])
    noise_rng = np.random.default_rng([seed, index, 1])
    frames = np.empty((n, size, size, 3), np.float32)
    masks = np.empty((n, size, size), bool)
    canvas = np.dstack([head, cover, skin])  # warped together: colour, coverage, skin
    for i in range(n):
        dy = breath_gain * float(breath[i])  # the chest moves down by the breathing
        body = _smooth_edge(_ellipse(xs, ys - dy, size / 2, size * 1.08, body_ax, body_ay))
        clothes = body_color * (0.7 + 0.6 * fourier_shift(body_tex, dy, 0.0))
        frame = background * (1 - body[..., None]) + clothes * body[..., None]
        roll, yaw, dx, dhy, scale = pose[i]
        squash = math.cos(math.radians(yaw))  # the turned head, foreshortened
        m = cv2.getRotationMatrix2D((head_size / 2, head_size / 2), roll, scale)
        m[0] *= squash  # x' = squash * (rotated x), about the canvas centre
        m[0, 2] += (1 - squash) * head_size / 2
        m[:, 2] += head_centre - head_size / 2 + np.array([dx, dhy]) * size / 128
        warped = cv2.warpAffine(
            canvas, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
        )
        color, alpha, skin_now = warped[..., :3], warped[..., 3:4], warped[..., 4]
        color = color * (1 + pulse_gain * float(pulse[i]) * direction * skin_now[..., None])
        frame = frame * (1 - alpha) + color * alpha
        frame += noise_rng.normal(0.0, config.noise, frame.shape)
        frames[i] = np.clip(frame, 0.0, 1.0)
        masks[i] = skin_now > 0.5
    return PhysioSubject(frames, masks, pulse, breath, heart_rate, breath_rate, fps)
