"""Training the learned networks of :mod:`vmag.learned.zoo` on the synthetic generator.

A run is described by a TOML file (:func:`load_config`; ``configs/*.toml`` are the real
runs and ``configs/tiny.toml`` a smoke test) and writes into one folder:

* ``log.jsonl``: one JSON object a line: ``{"event": "train", "stage", "iteration",
  <each loss term>, "lr", "elapsed"}`` every ``log_every`` iterations (the loss terms are
  means over the iterations since the previous line) and ``{"event": "validation",
  "stage", "iteration", "ssim", "l1", "elapsed"}`` every ``validation.every``;
* ``checkpoint.pt``: model, optimiser, scheduler, iteration, RNG states, config and
  elapsed time, written atomically every ``checkpoint_every`` iterations and on Ctrl-C;
  a new run in the same folder resumes from it (and gives the same weights as an
  uninterrupted run: samples are pure functions of their index, the sampling order a pure
  function of the seed and the position);
* at the end, ``<model>.pt`` (:func:`vmag.learned.zoo.save_weights`, with the run's
  record in its meta), ``model-card.md`` and ``loss.png``.

The lightweight models train in two stages (Singh et al., WACV 2023): ``proxy`` trains a
copy on noise-free inputs (``proxy.pt``), then ``main`` trains the network on noisy
inputs with the frozen proxy in its loss (:meth:`Lightweight.set_proxy`); the proxy may
also come from an earlier run's weights file. The main network starts from the same
random initialisation as the proxy did, or with ``[proxy] fine_tune = true`` from the
proxy's weights. ``magnet`` trains in
one stage on noisy inputs (Oh et al., ECCV 2018).

Validation: the magnified output of a fixed held-out set (other seed) against the ground
truth Y, both as RGB in [0, 1] (the output clipped): SSIM by
:func:`skimage.metrics.structural_similarity` with Wang et al.'s (2004) settings (Gaussian
window, sigma 1.5, population covariances, colour channels averaged), and the mean
absolute error (L1).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import math
import signal
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from vmag.device import resolve_device
from vmag.errors import VmagError
from vmag.io.atomic import atomic_write
from vmag.learned import zoo
from vmag.learned.net import Batch, MotionNet
from vmag.machine import machine_info
from vmag.synth.motion import MotionConfig, MotionDataset, ShardDataset

#: Learning-rate schedules of ``[optimizer] schedule``.
SCHEDULES = ("constant", "step", "cosine")
#: Value of the "format" key of a checkpoint.
CHECKPOINT_FORMAT = "vmag-train-checkpoint/1"
#: Config keys that do not change the trained weights: they may differ when resuming.
_FREE_KEYS = ("num_workers", "log_every", "checkpoint_every", "validation")
#: Config keys added after checkpoints were first written, and the value a checkpoint
#: without them was made with.
_LATER_KEYS: dict[str, Any] = {"freeze": [], "loss": {}}
#: The noisy inputs of a batch and their noise-free versions.
_CLEAN = {"a": "a_clean", "b": "b_clean", "c": "c_clean"}
_STAGES = ("proxy", "main")


# ------------------------------------------------------------------------------ the config


@dataclass(frozen=True)
class DataConfig:
    """Training data: ``n`` samples of the generator with ``seed`` and ``motion``, or the
    :func:`~vmag.synth.motion.write_shards` folder ``shards`` (then ``motion`` and
    ``seed`` are the folder's)."""

    motion: MotionConfig
    seed: int = 0
    n: int | None = None
    shards: Path | None = None

    def dataset(self, clean: bool = False) -> Dataset:
        """The training set; ``clean`` generates without input noise (the proxy stage)."""
        if self.shards is not None:
            return ShardDataset(self.shards)
        motion = replace(self.motion, noise=False) if clean else self.motion
        return MotionDataset(self.n, motion, self.seed)


@dataclass(frozen=True)
class OptimizerConfig:
    """Adam and its learning-rate schedule.

    ``lr`` ramps up linearly over ``warmup`` iterations, then follows ``schedule``:
    ``constant``; ``step`` (times ``gamma`` every ``step_size`` iterations); ``cosine``
    (half a cosine from ``lr`` down to ``min_lr`` at the last iteration).

    >>> opt = OptimizerConfig(lr=1e-3, schedule="cosine", min_lr=1e-5)
    >>> [round(opt.lr_at(i, 100), 6) for i in (0, 50, 100)]
    [0.001, 0.000505, 1e-05]
    """

    lr: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.0
    schedule: str = "constant"
    warmup: int = 0
    step_size: int | None = None
    gamma: float = 0.5
    min_lr: float = 0.0

    def lr_at(self, iteration: int, total: int) -> float:
        """The learning rate of step ``iteration`` (0-based) of ``total``."""
        lr = self.lr
        if self.schedule == "step":
            lr *= self.gamma ** (iteration // self.step_size)
        elif self.schedule == "cosine":
            progress = min(1.0, iteration / max(1, total))
            lr = self.min_lr + (self.lr - self.min_lr) * 0.5 * (1 + math.cos(math.pi * progress))
        if iteration < self.warmup:
            lr *= (iteration + 1) / (self.warmup + 1)
        return lr


@dataclass(frozen=True)
class ValidationConfig:
    """``n`` held-out samples of seed ``seed`` scored every ``every`` iterations."""

    every: int = 1000
    n: int = 16
    seed: int = 1
    batch_size: int = 8


@dataclass(frozen=True)
class ProxyConfig:
    """The proxy of the lightweight models: trained for ``iterations`` on noise-free
    inputs, or read from the weights file ``weights``."""

    iterations: int | None = None
    weights: Path | None = None
    #: the main stage starts from the proxy's weights (a fine-tune on noisy inputs) rather
    #: than from the proxy's random initialisation: far fewer iterations on a small budget
    fine_tune: bool = False


@dataclass(frozen=True)
class TrainConfig:
    """A whole training run (see :func:`parse_config` for the TOML keys)."""

    model: str
    arch: dict[str, Any]
    data: DataConfig
    optimizer: OptimizerConfig
    validation: ValidationConfig
    proxy: ProxyConfig | None
    iterations: int
    #: weights the first stage starts from (an earlier run's ``<model>.pt``): a fine-tune,
    #: e.g. on noisy inputs after a run on noise-free ones
    init: Path | None = None
    #: the network's top-level parts (e.g. ``"manipulator"``) held fixed in the main stage:
    #: a fine-tune that retrains only the rest
    freeze: tuple[str, ...] = ()
    #: loss-term weights that differ from the paper's (:attr:`MotionNet.LOSS_WEIGHTS`)
    loss: dict[str, float] = field(default_factory=dict)
    batch_size: int = 4
    num_workers: int = 0
    log_every: int = 10
    checkpoint_every: int = 1000
    seed: int = 0
    #: the TOML text the config was read from, and where from (error messages, the card)
    text: str = ""
    source: str = "config"

    def stages(self) -> list[tuple[str, int]]:
        """``[(stage, iterations), ...]``: a trained proxy first, then the main stage."""
        first = (
            []
            if self.proxy is None or self.proxy.iterations is None
            else [("proxy", self.proxy.iterations)]
        )
        return [*first, ("main", self.iterations)]

    def as_dict(self) -> dict[str, Any]:
        """The config as JSON-like values (paths as strings; no text or source)."""

        def plain(value: Any) -> Any:
            if dataclasses.is_dataclass(value):
                return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [plain(v) for v in value]
            return str(value) if isinstance(value, Path) else value

        out = plain(self)
        del out["text"], out["source"]
        return out


_MISSING = object()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _pair_of(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, list) and len(v) == 2 and all(map(check, v))


#: What each MotionConfig field type accepts in TOML, and how to say so.
_MOTION_TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "int": (_is_int, "an integer"),
    "float": (_is_number, "a number"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "tuple[int, int]": (_pair_of(_is_int), "two integers [low, high]"),
    "tuple[float, float]": (_pair_of(_is_number), "two numbers [low, high]"),
    "tuple[str, ...]": (
        lambda v: isinstance(v, list) and all(isinstance(p, str) for p in v),
        "a list of strings",
    ),
}
_MOTION_FIELDS = {f.name: f.type for f in fields(MotionConfig)}


class _Table:
    """One table of a TOML config: typed look-ups; keys left over are reported by name."""

    def __init__(self, data: Any, where: str, source: str) -> None:
        if not isinstance(data, dict):
            raise VmagError(f"{source}: {where.rstrip('.')} must be a table")
        self.data, self.where, self.source = dict(data), where, source

    def error(self, key: str, message: str) -> VmagError:
        return VmagError(f"{self.source}: {self.where}{key} {message}")

    def take(self, key: str, default: Any = _MISSING) -> Any:
        if key not in self.data:
            if default is _MISSING:
                raise self.error(key, "is missing")
            return default
        return self.data.pop(key)

    def int(self, key: str, default: Any = _MISSING, *, least: int = 1) -> Any:
        value = self.take(key, default)
        if value is not None and not (_is_int(value) and value >= least):
            raise self.error(key, f"must be an integer >= {least}, got {value!r}")
        return value

    def float(self, key: str, default: Any = _MISSING, *, positive: bool = False) -> float:
        value = self.take(key, default)
        ok = _is_number(value) and math.isfinite(value) and (value > 0 if positive else value >= 0)
        if not ok:
            raise self.error(key, f"must be a number {'>' if positive else '>='} 0, got {value!r}")
        return float(value)

    def text(self, key: str, default: Any = _MISSING, choices: tuple[str, ...] = ()) -> Any:
        value = self.take(key, default)
        if value is not None and not isinstance(value, str):
            raise self.error(key, f"must be a string, got {value!r}")
        if choices and value not in choices:
            raise self.error(key, f"must be one of {', '.join(choices)}; got {value!r}")
        return value

    def table(self, key: str) -> _Table:
        return _Table(self.take(key, {}), f"{self.where}{key}.", self.source)

    def finish(self, allowed: str = "") -> None:
        """Raise naming the first key no look-up took."""
        if self.data:
            key = next(iter(self.data))
            hint = f" (allowed: {allowed})" if allowed else ""
            raise VmagError(f"{self.source}: unknown key '{self.where}{key}'{hint}")


def _path(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _parse_data(t: _Table, base: Path) -> DataConfig:
    shards, n = t.text("shards", None), t.int("n", None)
    if (shards is None) == (n is None):
        raise VmagError(
            f"{t.source}: give exactly one of data.n (samples generated on the fly) "
            "or data.shards (a `vmag synth motion` folder)"
        )
    if shards is not None:
        taken = [k for k in t.data if k == "seed" or k in _MOTION_FIELDS]
        if taken:
            raise t.error(taken[0], "cannot be set with data.shards: the shards fix it")
        t.finish("n, shards")
        folder = _path(shards, base)
        dataset = ShardDataset(folder)  # checks the folder now, not hours later
        motion = MotionConfig(**dataset.manifest["config"])
        return DataConfig(motion, seed=int(dataset.manifest["seed"]), shards=folder)
    seed = t.int("seed", 0, least=0)
    kwargs = {}
    for key in list(t.data):
        if key not in _MOTION_FIELDS:
            continue
        value = t.take(key)
        check, says = _MOTION_TYPES[_MOTION_FIELDS[key]]
        if isinstance(value, str) and _MOTION_FIELDS[key] == "tuple[str, ...]":
            value = [value]
        if not check(value):
            raise t.error(key, f"must be {says}, got {value!r}")
        kwargs[key] = value
    t.finish(f"n, shards, seed, {', '.join(_MOTION_FIELDS)}")
    try:
        motion = MotionConfig(**kwargs)
    except VmagError as e:
        raise VmagError(f"{t.source}: data: {e}") from None
    return DataConfig(motion, seed=seed, n=n)


def _parse_optimizer(t: _Table) -> OptimizerConfig:
    lr = t.float("lr", 1e-4, positive=True)
    betas = t.take("betas", [0.9, 0.999])
    if not (_pair_of(_is_number)(betas) and all(0 <= b < 1 for b in betas)):
        raise t.error("betas", f"must be two numbers in [0, 1), got {betas!r}")
    weight_decay = t.float("weight_decay", 0.0)
    schedule = t.text("schedule", "constant", SCHEDULES)
    warmup = t.int("warmup", 0, least=0)
    step_size = gamma = min_lr = None
    if schedule == "step":
        step_size, gamma = t.int("step_size"), t.float("gamma", 0.5, positive=True)
    if schedule == "cosine":
        min_lr = t.float("min_lr", 0.0)
        if min_lr > lr:
            raise t.error("min_lr", f"must not exceed lr ({lr:g}), got {min_lr:g}")
    extra = {"step_size", "gamma", "min_lr"} & set(t.data)
    if extra:
        key = sorted(extra)[0]
        raise t.error(key, f"does not apply to schedule = {schedule!r}")
    t.finish("lr, betas, weight_decay, schedule, warmup, step_size, gamma, min_lr")
    opt = OptimizerConfig(lr, (float(betas[0]), float(betas[1])), weight_decay, schedule, warmup)
    if step_size is not None:
        opt = replace(opt, step_size=step_size, gamma=gamma)
    return replace(opt, min_lr=min_lr) if min_lr is not None else opt


def _parse_proxy(value: Any, source: str, base: Path) -> ProxyConfig:
    if isinstance(value, str):
        path = _path(value, base)
        if not path.is_file():
            raise VmagError(f"{source}: proxy weights file {path} not found")
        return ProxyConfig(weights=path)
    if not isinstance(value, dict):
        raise VmagError(
            f"{source}: proxy must be a table (proxy = {{ iterations = N }}) or the path of a "
            f"proxy weights file, got {value!r}"
        )
    t = _Table(value, "proxy.", source)
    iterations = t.int("iterations")
    fine_tune = t.take("fine_tune", False)
    if not isinstance(fine_tune, bool):
        raise t.error("fine_tune", f"must be true or false, got {fine_tune!r}")
    t.finish("iterations, fine_tune")
    return ProxyConfig(iterations=iterations, fine_tune=fine_tune)


def parse_config(
    text: str,
    *,
    model: str | None = None,
    iterations: int | None = None,
    source: str = "config",
    base: str | Path = ".",
) -> TrainConfig:
    """A :class:`TrainConfig` from TOML ``text``; every key is checked (a wrong one raises
    :class:`VmagError` naming it). ``model`` must match the file's ``model`` if it has
    one; ``iterations`` replaces the file's (of the main stage). Relative paths
    (``data.shards``, ``proxy``) are relative to ``base``.

    Keys (defaults in brackets; ``configs/gpu/magnet.toml`` comments each): ``model``,
    ``seed`` [0], ``iterations``, ``batch_size`` [4], ``num_workers`` [0], ``log_every``
    [10], ``checkpoint_every`` [1000]; ``[arch]``: the network's constructor arguments;
    ``[data]``: ``n`` (generate on the fly) or ``shards`` (a folder), ``seed`` [0] and any
    :class:`~vmag.synth.motion.MotionConfig` field; ``[optimizer]``: ``lr`` [1e-4],
    ``betas`` [[0.9, 0.999]], ``weight_decay`` [0], ``schedule`` [constant] (see
    :class:`OptimizerConfig`), ``warmup`` [0], ``step_size``, ``gamma`` [0.5],
    ``min_lr`` [0]; ``[validation]``: ``every`` [1000], ``n`` [16], ``seed`` [data seed
    + 1], ``batch_size`` [8]; ``proxy`` (lightweight models): ``{ iterations = N,
    fine_tune = false }`` or the path of a proxy weights file; ``init``: a weights file the
    first stage starts from; ``freeze`` [[]]: the network's top-level parts (its
    ``named_children``) that the main stage holds fixed; ``[loss]``: weights of loss
    terms (e.g. ``proxy = 10.0``) in place of the paper's.

    >>> cfg = parse_config('iterations = 2\\n[data]\\nn = 4\\nsize = 32', model="magnet")
    >>> cfg.model, cfg.data.motion.size, cfg.stages()
    ('magnet', 32, [('main', 2)])
    >>> parse_config('iterations = 2\\nbatch = 4', model="magnet")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    vmag.errors.VmagError: config: unknown key 'batch' (allowed: model, seed, iterations, ...)
    """
    base = Path(base)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise VmagError(f"{source}: invalid TOML: {e}") from None
    top = _Table(raw, "", source)
    named = top.text("model", None)
    name = model if model is not None else named
    if name is None:
        raise VmagError(f'{source}: names no model; add model = "..." or pass one')
    if name not in zoo.MODELS:
        raise VmagError(f"{source}: unknown model {name!r}; choose from {', '.join(zoo.MODELS)}")
    if named is not None and named != name:
        raise VmagError(f"{source} is a config for {named}, not {name}")
    seed = top.int("seed", 0, least=0)
    its = top.int("iterations", _MISSING if iterations is None else None)
    if iterations is not None:
        if not (_is_int(iterations) and iterations >= 1):
            raise VmagError(f"iterations must be an integer >= 1, got {iterations!r}")
        its = iterations
    sizes = {k: top.int(k, d) for k, d in (("batch_size", 4), ("log_every", 10))}
    num_workers = top.int("num_workers", 0, least=0)
    checkpoint_every = top.int("checkpoint_every", 1000)
    arch = top.take("arch", {})
    tables = {k: top.table(k) for k in ("data", "optimizer", "validation")}
    loss = top.take("loss", {})
    proxy_value = top.take("proxy", None)
    init_value = top.text("init", None)
    freeze = top.take("freeze", [])
    top.finish(
        "model, seed, iterations, batch_size, num_workers, log_every, checkpoint_every, "
        "arch, data, optimizer, validation, proxy, init, freeze, loss"
    )
    init = None
    if init_value is not None:
        init = _path(init_value, base)
        if not init.is_file():
            raise VmagError(f"{source}: init weights file {init} not found")
    if not isinstance(arch, dict):
        raise VmagError(f"{source}: arch must be a table of the network's arguments")
    data = _parse_data(tables["data"], base)
    optimizer = _parse_optimizer(tables["optimizer"])
    v = tables["validation"]
    validation = ValidationConfig(
        every=v.int("every", 1000),
        n=v.int("n", 16),
        seed=v.int("seed", data.seed + 1, least=0),
        batch_size=v.int("batch_size", 8),
    )
    v.finish("every, n, seed, batch_size")
    if validation.seed == data.seed:
        raise VmagError(
            f"{source}: validation.seed must differ from the training data's seed "
            f"({data.seed}): the validation set must be held out"
        )
    cls = zoo.model_class(name)
    try:
        probe = zoo.build_model(name, **arch)
    except (TypeError, VmagError) as e:
        raise VmagError(f"{source}: arch: {e}") from None
    parts = [n for n, _ in probe.named_children()]
    if not (isinstance(freeze, list) and all(isinstance(f, str) for f in freeze)):
        raise VmagError(f"{source}: freeze must be a list of part names, got {freeze!r}")
    for part in freeze:
        if part not in parts:
            raise VmagError(
                f"{source}: freeze: {name} has no part {part!r} (parts: {', '.join(parts)})"
            )
    if freeze and set(freeze) == set(parts):
        raise VmagError(f"{source}: freeze holds every part of {name}; nothing would train")
    if not isinstance(loss, dict):
        raise VmagError(f"{source}: loss must be a table of loss-term weights")
    try:
        probe.set_loss_weights(loss)
    except VmagError as e:
        raise VmagError(f"{source}: loss: {e}") from None
    if data.motion.size % cls.multiple:
        raise VmagError(
            f"{source}: data.size must be a multiple of {cls.multiple} for {name}, "
            f"got {data.motion.size}"
        )
    proxy = None
    if proxy_value is not None:
        if not hasattr(cls, "set_proxy"):
            raise VmagError(f"{source}: proxy applies to the lightweight models, not {name}")
        proxy = _parse_proxy(proxy_value, source, base)
    return TrainConfig(
        model=name,
        arch=dict(arch),
        data=data,
        optimizer=optimizer,
        validation=validation,
        proxy=proxy,
        init=init,
        freeze=tuple(freeze),
        loss={k: float(v) for k, v in loss.items()},
        iterations=its,
        batch_size=sizes["batch_size"],
        num_workers=num_workers,
        log_every=sizes["log_every"],
        checkpoint_every=checkpoint_every,
        seed=seed,
        text=text,
        source=source,
    )


def load_config(
    path: str | Path, *, model: str | None = None, iterations: int | None = None
) -> TrainConfig:
    """:func:`parse_config` of the TOML file ``path`` (relative paths in it are relative
    to its folder)."""
    path = Path(path)
    if not path.is_file():
        raise VmagError(f"config file {path} not found")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise VmagError(f"cannot read config file {path}: {e}") from None
    return parse_config(
        text, model=model, iterations=iterations, source=path.name, base=path.parent
    )


# ------------------------------------------------------------------------- training parts


def train_step(net: MotionNet, optimizer: torch.optim.Optimizer, batch: Batch) -> dict[str, Any]:
    """One optimisation step on ``batch``; returns the loss terms, detached.

    >>> from vmag.learned.magnet import Magnet
    >>> net = Magnet(channels=4)
    >>> x = torch.zeros(1, 3, 16, 16)
    >>> batch = {k: x for k in ("a", "b", "c", "y", "y_prime")} | {"amp": torch.ones(1)}
    >>> sorted(train_step(net, torch.optim.Adam(net.parameters()), batch))
    ['l1', 'shape_bc', 'texture_ab', 'texture_cy', 'total']
    """
    net.train()
    optimizer.zero_grad(set_to_none=True)
    terms = net.loss(batch)
    terms["total"].backward()
    optimizer.step()
    return {k: v.detach() for k, v in terms.items()}


def _rgb01(x: torch.Tensor) -> np.ndarray:
    """(B, 3, H, W) in [-1, 1] -> (B, H, W, 3) float32 in [0, 1] (clipped) on the CPU."""
    return ((x.clamp(-1, 1) + 1) / 2).permute(0, 2, 3, 1).float().cpu().numpy()


@torch.no_grad()
def validate(net: MotionNet, batches: list[Batch], device: str | torch.device = "cpu") -> dict:
    """``{"ssim", "l1"}``: means over the images of ``batches`` of the SSIM and the mean
    absolute error of ``net(a, b, amp)`` against ``y`` (RGB in [0, 1]; module docstring).

    >>> from vmag.learned.magnet import Magnet
    >>> x = torch.zeros(1, 3, 16, 16)
    >>> scores = validate(Magnet(channels=4), [{"a": x, "b": x, "y": x, "amp": torch.ones(1)}])
    >>> sorted(scores), 0 <= scores["l1"] <= 1
    (['l1', 'ssim'], True)
    """
    from skimage.metrics import structural_similarity

    was_training = net.training
    net.eval()
    ssims, l1s = [], []
    for batch in batches:
        a, b, amp = (batch[k].to(device) for k in ("a", "b", "amp"))
        pred, target = _rgb01(net(a, b, amp)), _rgb01(batch["y"])
        for p, t in zip(pred, target, strict=True):
            ssims.append(
                structural_similarity(
                    p,
                    t,
                    data_range=1.0,
                    channel_axis=-1,
                    gaussian_weights=True,
                    sigma=1.5,
                    use_sample_covariance=False,
                )
            )
        l1s.extend(np.abs(pred - target).mean(axis=(1, 2, 3)).tolist())
    net.train(was_training)
    return {"ssim": float(np.mean(ssims)), "l1": float(np.mean(l1s))}


class EpochSampler(Sampler[int]):
    """Sample indices of an endless run of epochs, each a permutation of ``range(n)`` drawn
    from ``(seed, stream, epoch)``, beginning at position ``start`` (to resume).

    >>> it = iter(EpochSampler(3, seed=0))
    >>> first = [next(it) for _ in range(5)]
    >>> resumed = iter(EpochSampler(3, seed=0, start=3))
    >>> sorted(first[:3]), first[3:] == [next(resumed), next(resumed)]
    ([0, 1, 2], True)
    """

    def __init__(self, n: int, seed: int, stream: int = 0, start: int = 0) -> None:
        self.n, self.seed, self.stream, self.start = n, seed, stream, start

    def __iter__(self) -> Iterator[int]:
        epoch, offset = divmod(self.start, self.n)
        while True:
            order = np.random.default_rng([self.seed, self.stream, epoch]).permutation(self.n)
            yield from order[offset:].tolist()
            epoch, offset = epoch + 1, 0


def _worker_init(worker_id: int) -> None:
    """DataLoader workers leave Ctrl-C to the main process, which checkpoints and then stops
    them. (Torch seeds each worker's generator from the loader's; the samples themselves
    are pure functions of their index.)"""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# ------------------------------------------------------------------------------ the run


class Monitor:
    """What :func:`train` reports as it goes; override the methods (the CLI draws bars)."""

    def message(self, text: str) -> None:
        """A line for the user (resuming, stage done, validation scores)."""

    def stage(self, name: str, done: int, total: int) -> None:
        """Stage ``name`` starts (or resumes) at iteration ``done`` of ``total``."""

    def step(self, name: str, done: int, total: int, loss: float | None) -> None:
        """Iteration ``done`` of ``total`` finished; ``loss`` = the last logged mean total."""


class Interrupted(KeyboardInterrupt):
    """Training stopped by Ctrl-C after writing a checkpoint to resume from."""

    def __init__(self, checkpoint: Path, stage: str, iteration: int) -> None:
        super().__init__(f"interrupted at {stage} iteration {iteration}; saved {checkpoint}")
        self.checkpoint, self.stage, self.iteration = checkpoint, stage, iteration


@dataclass(frozen=True)
class TrainResult:
    """The files a finished run wrote, and the meta stored in its weights."""

    weights: Path
    card: Path
    plot: Path
    log: Path
    meta: dict[str, Any]


@contextlib.contextmanager
def _interrupt_flag() -> Iterator[threading.Event]:
    """An event set by the first Ctrl-C (the loop then checkpoints and stops); a second
    Ctrl-C interrupts at once. Outside the main thread, Ctrl-C is not intercepted."""
    flag = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum: int, frame: Any) -> None:
        flag.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


def _rng_state() -> dict[str, Any]:
    """Torch's CPU and CUDA generator states (vmag draws numpy randomness only from seeded
    ``default_rng`` generators, never the global one)."""
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class _Log:
    """``log.jsonl``: one JSON object a line, appended and flushed at once."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, record: dict[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")

    def read(self) -> list[dict[str, Any]]:
        """The records (a line cut short by a crash is skipped)."""
        if not self.path.is_file():
            return []
        records = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                records.append(json.loads(line))
        return records

    def truncate(self, stage: str, iteration: int) -> None:
        """Drop records after ``iteration`` of ``stage`` (written after the checkpoint)."""
        limit = (_STAGES.index(stage), iteration)
        kept = [
            r
            for r in self.read()
            if (_STAGES.index(r.get("stage", "main")), r.get("iteration", 0)) <= limit
        ]
        text = "".join(json.dumps(r) + "\n" for r in kept)
        atomic_write(self.path, lambda p: p.write_text(text, encoding="utf-8"))


def _to_device(batch: Batch, device: torch.device, clean: bool) -> Batch:
    """The batch on ``device``; ``clean`` puts the noise-free frames in a, b, c."""
    out = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
    if clean:
        out.update({k: out[c] for k, c in _CLEAN.items()})
    return out


class _Run:
    """The state of one :func:`train` call."""

    def __init__(self, config: TrainConfig, out: Path, device: torch.device, monitor: Monitor):
        self.config, self.out, self.device, self.monitor = config, out, device, monitor
        self.checkpoint = out / "checkpoint.pt"
        self.log = _Log(out / "log.jsonl")
        self.started = time.perf_counter()
        self.elapsed_before = 0.0  # seconds spent by earlier runs of this folder
        self.done: list[dict[str, Any]] = []  # records of finished stages before the current
        self.hardware = machine_info(device)

    def elapsed(self) -> float:
        return self.elapsed_before + time.perf_counter() - self.started

    def load_checkpoint(self) -> dict[str, Any] | None:
        if not self.checkpoint.is_file():
            return None
        try:
            ckpt = torch.load(self.checkpoint, map_location="cpu", weights_only=True)
        except Exception as e:
            raise VmagError(
                f"{self.checkpoint} cannot be read ({type(e).__name__}); use --no-resume"
            ) from None
        if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
            raise VmagError(f"{self.checkpoint} is not a vmag training checkpoint")
        theirs, ours = ckpt["config"], self.config.as_dict()
        changed = [
            k for k in ours if k not in _FREE_KEYS and theirs.get(k, _LATER_KEYS.get(k)) != ours[k]
        ]
        if changed:
            raise VmagError(
                f"{self.checkpoint} was made with another config ({', '.join(changed)} "
                "differ); use the same config, another --out, or --no-resume"
            )
        return ckpt

    def save_checkpoint(
        self,
        stage: str,
        iteration: int,
        net,
        optimizer,
        scheduler,
        stage_elapsed: float,
        validation: dict | None,
    ) -> None:
        payload = {
            "format": CHECKPOINT_FORMAT,
            "config": self.config.as_dict(),
            "config_text": self.config.text,
            "done": self.done,
            "stage": stage,
            "iteration": iteration,
            "model": net.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "rng": _rng_state(),
            "elapsed": self.elapsed(),
            "stage_elapsed": stage_elapsed,
            "validation": validation,
        }
        atomic_write(self.checkpoint, lambda p: torch.save(payload, p))

    def validation_set(self, clean: bool) -> list[Batch]:
        """The held-out batches (CPU), with the noise-free inputs in a, b when ``clean``."""
        v, motion = self.config.validation, self.config.data.motion
        dataset = MotionDataset(v.n, replace(motion, noise=False) if clean else motion, v.seed)
        loader = DataLoader(
            dataset,
            batch_size=v.batch_size,
            num_workers=min(self.config.num_workers, v.n),
            worker_init_fn=_worker_init,
        )
        a, b = ("a_clean", "b_clean") if clean else ("a", "b")
        return [{"a": x[a], "b": x[b], "y": x["y"], "amp": x["amp"]} for x in loader]

    def proxy_path(self) -> Path:
        proxy = self.config.proxy
        return proxy.weights if proxy.weights is not None else self.out / "proxy.pt"

    def build(self) -> MotionNet:
        torch.manual_seed(self.config.seed)
        net = zoo.build_model(self.config.model, **self.config.arch)
        net.set_loss_weights(self.config.loss)
        return net.to(self.device)

    def run_stage(self, stage: str, total: int, ckpt: dict | None, flag: threading.Event):
        """Train ``stage`` to ``total`` iterations (from ``ckpt`` when it is this stage's);
        returns the network, the stage's elapsed seconds and its last validation scores."""
        cfg, clean = self.config, stage == "proxy"
        net = self.build()
        if cfg.init is not None and stage == cfg.stages()[0][0]:
            start, _ = zoo.load_weights(cfg.init)
            try:
                net.load_state_dict(start.state_dict())
            except RuntimeError:
                raise VmagError(
                    f"init weights {cfg.init} do not fit {cfg.model} with arch {cfg.arch}"
                ) from None
        if stage == "main" and cfg.proxy is not None:
            proxy, _ = zoo.load_weights(self.proxy_path())
            if cfg.proxy.fine_tune:
                net.load_state_dict(proxy.state_dict())
            net.set_proxy(proxy.to(self.device))
        if stage == "main":
            for part in cfg.freeze:
                getattr(net, part).requires_grad_(False)
        opt = cfg.optimizer
        optimizer = torch.optim.Adam(
            [p for p in net.parameters() if p.requires_grad],
            lr=opt.lr,
            betas=opt.betas,
            weight_decay=opt.weight_decay,
        )
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda i: opt.lr_at(i, total) / opt.lr
        )
        iteration, stage_elapsed, scores = 0, 0.0, None
        if ckpt is not None and ckpt["stage"] == stage:
            net.load_state_dict(ckpt["model"])
            optimizer.load_state_dict(ckpt["optimizer"])
            scheduler.load_state_dict(ckpt["scheduler"])
            _set_rng_state(ckpt["rng"])
            iteration, stage_elapsed = ckpt["iteration"], ckpt["stage_elapsed"]
            scores = ckpt["validation"]
        self.monitor.stage(stage, iteration, total)
        if iteration >= total:
            return net, stage_elapsed, scores
        stage_start = time.perf_counter() - stage_elapsed
        val_set = self.validation_set(clean)
        dataset = cfg.data.dataset(clean)
        cuda = self.device.type == "cuda"
        loader = DataLoader(
            dataset,
            batch_size=cfg.batch_size,
            sampler=EpochSampler(
                len(dataset), cfg.seed, _STAGES.index(stage), iteration * cfg.batch_size
            ),
            num_workers=cfg.num_workers,
            worker_init_fn=_worker_init,
            generator=torch.Generator().manual_seed(cfg.seed),
            pin_memory=cuda,
            prefetch_factor=4 if cfg.num_workers else None,
        )
        batches = iter(loader)
        sums: dict[str, torch.Tensor] = {}
        count, last = 0, None

        def checkpoint() -> None:
            self.save_checkpoint(
                stage,
                iteration,
                net,
                optimizer,
                scheduler,
                time.perf_counter() - stage_start,
                scores,
            )

        while iteration < total:
            if flag.is_set():
                checkpoint()
                raise Interrupted(self.checkpoint, stage, iteration)
            try:
                batch = next(batches)
            except Exception:
                if not flag.is_set():
                    raise
                continue  # a worker died of the Ctrl-C: checkpoint above
            lr = optimizer.param_groups[0]["lr"]
            terms = train_step(net, optimizer, _to_device(batch, self.device, clean))
            scheduler.step()
            iteration += 1
            for k, v in terms.items():
                sums[k] = sums[k] + v if k in sums else v
            count += 1
            if iteration % cfg.log_every == 0 or iteration == total:
                means = {k: float(v) / count for k, v in sums.items()}
                if not math.isfinite(means["total"]):
                    raise VmagError(
                        f"the loss became {means['total']} at {stage} iteration "
                        f"{iteration}; lower optimizer.lr"
                    )
                self.log.write(
                    {
                        "event": "train",
                        "stage": stage,
                        "iteration": iteration,
                        **means,
                        "lr": lr,
                        "elapsed": round(self.elapsed(), 3),
                    }
                )
                sums, count, last = {}, 0, means["total"]
            if iteration % cfg.validation.every == 0 or iteration == total:
                scores = validate(net, val_set, self.device)
                self.log.write(
                    {
                        "event": "validation",
                        "stage": stage,
                        "iteration": iteration,
                        **scores,
                        "elapsed": round(self.elapsed(), 3),
                    }
                )
                self.monitor.message(
                    f"{stage} {iteration}/{total}: validation SSIM "
                    f"{scores['ssim']:.4f}, L1 {scores['l1']:.4f}"
                )
            if iteration % cfg.checkpoint_every == 0 or iteration == total:
                checkpoint()
            self.monitor.step(stage, iteration, total, last)
        del batches  # stops the workers
        return net, time.perf_counter() - stage_start, scores

    def stage_record(self, stage: str, total: int, wall: float, scores: dict | None) -> dict:
        return {
            "stage": stage,
            "inputs": "noise-free"
            if stage == "proxy"
            else ("noisy" if self.config.data.motion.noise else "noise-free"),
            "iterations": total,
            "samples_seen": total * self.config.batch_size,
            "wall_s": round(wall, 3),
            "validation": scores,
        }


def train(
    config: TrainConfig,
    out: str | Path,
    *,
    resume: bool = True,
    device: str = "auto",
    monitor: Monitor | None = None,
) -> TrainResult:
    """Train ``config.model`` as ``config`` says, writing into the folder ``out`` (see the
    module docstring). With ``resume``, a checkpoint in ``out`` is continued; without,
    the run starts over. Ctrl-C writes a checkpoint and raises :class:`Interrupted`.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise VmagError(f"{out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    run = _Run(config, out, resolve_device(device), monitor or Monitor())
    ckpt = run.load_checkpoint() if resume else None
    if ckpt is None:
        run.log.path.unlink(missing_ok=True)
        run.checkpoint.unlink(missing_ok=True)
    else:
        run.log.truncate(ckpt["stage"], ckpt["iteration"])
        run.elapsed_before, run.done = ckpt["elapsed"], ckpt["done"]
        run.monitor.message(
            f"resuming {ckpt['stage']} at iteration {ckpt['iteration']} from {run.checkpoint}"
        )
    benchmark = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = run.device.type == "cuda"
    try:
        with _interrupt_flag() as flag:
            for stage, total in config.stages():
                if any(r["stage"] == stage for r in run.done):
                    continue
                net, wall, scores = run.run_stage(stage, total, ckpt, flag)
                if stage == "proxy":
                    record = run.stage_record(stage, total, wall, scores)
                    zoo.save_weights(
                        net,
                        run.proxy_path(),
                        config.model,
                        {
                            **record,
                            "data": _data_meta(config, clean=True),
                            "hardware": run.hardware,
                            "config": config.text,
                        },
                    )
                    run.done.append(record)
                    run.monitor.message(f"proxy done: wrote {run.proxy_path()}")
    finally:
        torch.backends.cudnn.benchmark = benchmark
    record = run.stage_record("main", config.iterations, wall, scores)
    return _finish(run, net, record)


# ------------------------------------------------------------------------------ the outputs


def _data_meta(config: TrainConfig, clean: bool = False) -> dict[str, Any]:
    data = config.data
    motion = dataclasses.asdict(replace(data.motion, noise=False) if clean else data.motion)
    return {
        "generator": "vmag.synth.motion",
        "n": data.n if data.shards is None else len(ShardDataset(data.shards)),
        "seed": data.seed,
        "shards": None if data.shards is None else str(data.shards),
        "motion": json.loads(json.dumps(motion)),
    }


def _finish(run: _Run, net: MotionNet, main: dict[str, Any]) -> TrainResult:
    """Write the weights, the model card and the loss plot of a finished run."""
    config, out = run.config, run.out
    stages = [*run.done, main]
    if config.proxy is not None and config.proxy.weights is not None:
        _, proxy_meta = zoo.load_weights(config.proxy.weights)
        stages.insert(
            0,
            {
                "stage": "proxy",
                "weights": str(config.proxy.weights),
                "iterations": proxy_meta.get("iterations"),
                "validation": proxy_meta.get("validation"),
            },
        )
    meta = {
        "model": config.model,
        "iterations": config.iterations,
        "batch_size": config.batch_size,
        "samples_seen": sum(s["iterations"] * config.batch_size for s in run.done)
        + main["samples_seen"],
        "stages": stages,
        "data": _data_meta(config),
        "validation": {
            **(main["validation"] or {}),
            "n": config.validation.n,
            "seed": config.validation.seed,
        },
        "optimizer": dataclasses.asdict(config.optimizer),
        "init": None if config.init is None else config.init.name,
        "freeze": list(config.freeze),
        "loss_weights": build_loss_weights(config),
        "hardware": run.hardware,
        "wall_s": round(run.elapsed(), 3),
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "config": config.text,
    }
    meta["optimizer"]["betas"] = list(meta["optimizer"]["betas"])
    weights = out / f"{config.model}.pt"
    zoo.save_weights(net.cpu(), weights, config.model, meta)
    records = run.log.read()
    plot = plot_losses(records, out / "loss.png")
    card = out / "model-card.md"
    text = model_card(net, meta, records)
    atomic_write(card, lambda p: p.write_text(text, encoding="utf-8"))
    run.monitor.message(f"wrote {weights}, {card.name}, {plot.name}")
    return TrainResult(weights, card, plot, run.log.path, meta)


def plot_losses(records: list[dict[str, Any]], path: str | Path) -> Path:
    """``loss.png``: the training loss (left) and validation SSIM (right) of each stage
    against the iteration, from the records of ``log.jsonl``."""
    from vmag.viz._figure import pyplot, save_figure

    plt = pyplot()
    fig, (ax_loss, ax_ssim) = plt.subplots(1, 2, figsize=(10, 3.8))
    for stage in _STAGES:
        train = [r for r in records if r["event"] == "train" and r["stage"] == stage]
        val = [r for r in records if r["event"] == "validation" and r["stage"] == stage]
        label = "proxy (noise-free inputs)" if stage == "proxy" else "main"
        if train:
            ax_loss.plot([r["iteration"] for r in train], [r["total"] for r in train], label=label)
        if val:
            ax_ssim.plot([r["iteration"] for r in val], [r["ssim"] for r in val], "o-", label=label)
    if any(r["event"] == "train" and r["total"] > 0 for r in records):
        ax_loss.set_yscale("log")
    ax_loss.set(xlabel="iteration", ylabel="training loss (total)", title="training loss")
    ax_ssim.set(xlabel="iteration", ylabel="SSIM vs ground truth Y", title="validation SSIM")
    for ax in (ax_loss, ax_ssim):
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
    path = Path(path)
    save_figure(fig, path)
    return path


def _duration(seconds: float) -> str:
    """``3725`` -> ``'1 h 02 min 05 s'``."""
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min {s:02d} s" if h else f"{m} min {s:02d} s" if m else f"{s} s"


def _curve_summary(records: list[dict[str, Any]]) -> list[str]:
    lines = []
    for stage in _STAGES:
        train = [r for r in records if r["event"] == "train" and r["stage"] == stage]
        val = [r for r in records if r["event"] == "validation" and r["stage"] == stage]
        if not train:
            continue
        best = min(train, key=lambda r: r["total"])
        lines.append(
            f"- {stage}: total loss {train[0]['total']:.4g} (iteration {train[0]['iteration']})"
            f" -> {train[-1]['total']:.4g} (iteration {train[-1]['iteration']}); lowest "
            f"{best['total']:.4g} at iteration {best['iteration']}"
        )
        if val:
            step = max(1, math.ceil(len(val) / 8))
            shown = val[::step] if val[::step][-1] is val[-1] else [*val[::step], val[-1]]
            pts = ", ".join(f"{r['iteration']}: {r['ssim']:.4f}" for r in shown)
            lines.append(f"  - validation SSIM by iteration: {pts}")
    return lines


def build_loss_weights(config: TrainConfig) -> dict[str, float]:
    """The weight of every loss term in ``config``'s run (the paper's, with its changes)."""
    return {**zoo.model_class(config.model).LOSS_WEIGHTS, **config.loss}


def _loss_line(net: MotionNet, weights: dict[str, float] | None) -> list[str]:
    """The card's line on the loss weights: each term, marking those not the paper's."""
    if not weights:
        return []
    paper = type(net).LOSS_WEIGHTS
    terms = [
        f"{k} {w:g}" + (f" (paper {paper[k]:g})" if paper.get(k) != w else "")
        for k, w in weights.items()
    ]
    return [f"- Loss weights: {', '.join(terms)}"]


def model_card(net: MotionNet, meta: dict[str, Any], records: list[dict[str, Any]]) -> str:
    """The Markdown model card of a trained network (``model-card.md``)."""
    from vmag.learned.complexity import count_parameters

    data, hw, opt, val = meta["data"], meta["hardware"], meta["optimizer"], meta["validation"]
    motion = data["motion"]
    module = sys.modules[type(net).__module__].__doc__ or ""
    doc = " ".join(module.strip().split("\n\n")[0].split()).replace("``", "`")
    args = ", ".join(f"{k}={v!r}" for k, v in net.architecture_config().items())
    source = (
        f"the shards in `{data['shards']}`" if data["shards"] else "samples generated on the fly"
    )
    schedule = opt["schedule"] + {
        "step": f" (x{opt['gamma']} every {opt['step_size']} iterations)",
        "cosine": f" (down to {opt['min_lr']:g})",
    }.get(opt["schedule"], "")
    gpu = f", GPU {hw['gpu']}" if hw["gpu"] else ""
    rows = []
    for s in meta["stages"]:
        v = s.get("validation") or {}
        scores = f"{v['ssim']:.4f} | {v['l1']:.4f}" if "ssim" in v else "- | -"
        if "weights" in s:
            rows.append(f"| proxy | from `{s['weights']}` | {s['iterations']} | - | - | {scores} |")
        else:
            rows.append(
                f"| {s['stage']} | {s['inputs']} | {s['iterations']} | "
                f"{s['samples_seen']} | {_duration(s['wall_s'])} | {scores} |"
            )
    epochs = meta["samples_seen"] / data["n"]
    lines = [
        f"# {meta['model']}: learned motion magnification",
        "",
        f"Trained with `vmag train {meta['model']}`, finished {meta['finished']}.",
        "",
        "## Architecture",
        "",
        f"- {doc}",
        f"- Class `{type(net).__module__}.{type(net).__name__}` (arch `{net.arch}`)",
        f"- Constructor: `{type(net).__name__}({args})`",
        f"- Parameters: {count_parameters(net):,}",
        "",
        "## Training data",
        "",
        f"- Synthetic generator `vmag.synth.motion` (after Oh et al. 2018), {source}: "
        f"{data['n']:,} samples of {motion['size']}x{motion['size']} px, seed {data['seed']}",
        f"- Parts: {', '.join(motion['parts'])}; input noise: "
        f"{'on' if motion['noise'] else 'off'}; alpha {motion['min_alpha']:g}-"
        f"{motion['max_alpha']:g}; magnified motion <= {motion['max_magnified']:g} px",
        f"- Samples seen: {meta['samples_seen']:,} ({epochs:.2f} passes over the data)",
        "",
        "## Training",
        "",
        "| stage | inputs | iterations | samples seen | wall time | val SSIM | val L1 |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        f"- Batch: {meta['batch_size']}; iterations (main stage): {meta['iterations']:,}",
        f"- Optimiser: Adam, lr {opt['lr']:g}, betas ({opt['betas'][0]:g}, {opt['betas'][1]:g})"
        f", weight decay {opt['weight_decay']:g}, schedule {schedule}"
        + (f", linear warm-up over the first {opt['warmup']} iterations" if opt["warmup"] else ""),
        *([f"- Started from the weights `{meta['init']}`"] if meta.get("init") else []),
        *(
            [f"- Held fixed in the main stage: {', '.join(meta['freeze'])}"]
            if meta.get("freeze")
            else []
        ),
        *_loss_line(net, meta.get("loss_weights")),
        f"- Hardware: {hw['device']}{gpu}; CPU {hw['cpu']} ({hw['cpu_count']} cores); "
        f"torch {hw['torch']}; {hw['platform']}",
        f"- Wall time: {_duration(meta['wall_s'])}",
        "",
        "## Validation",
        "",
        f"{val['n']} held-out samples (seed {val['seed']}); the magnified output against the "
        "ground truth Y, RGB in [0, 1]: SSIM (scikit-image, Gaussian window sigma 1.5) "
        f"**{val.get('ssim', float('nan')):.4f}**, mean absolute error (L1) "
        f"**{val.get('l1', float('nan')):.4f}**.",
        "",
        "## Loss curve",
        "",
        "Logged in `log.jsonl` (means over each logging interval); plotted in `loss.png`.",
        "",
        *_curve_summary(records),
        "",
        "![loss and validation SSIM](loss.png)",
        "",
        "## Config",
        "",
        "```toml",
        meta["config"].rstrip(),
        "```",
        "",
    ]
    return "\n".join(lines)
