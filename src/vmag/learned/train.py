"""Training the learned networks of :mod:`vmag.learned.zoo` on the synthetic generator:
the motion task (:class:`MotionTask`) on the generic trainer of :mod:`vmag.training`.

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

import dataclasses
import datetime
import json
import math
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from vmag.errors import VmagError
from vmag.io.atomic import atomic_write
from vmag.learned import zoo
from vmag.learned.card import STAGES, model_card, plot_losses
from vmag.learned.net import Batch, MotionNet
from vmag.synth.motion import MotionConfig, MotionDataset, ShardDataset
from vmag.training.config import Table, field_names, read, read_fields, setting
from vmag.training.trainer import (
    Cadence,
    EpochSampler,
    Interrupted,
    Monitor,
    StageParts,
    Trainer,
    worker_init,
)

__all__ = [
    "Interrupted",
    "Monitor",
    "MotionTask",
    "OptimizerConfig",
    "TrainConfig",
    "TrainResult",
    "load_config",
    "parse_config",
    "train",
    "train_step",
    "validate",
]

#: Learning-rate schedules of ``[optimizer] schedule``.
SCHEDULES = ("constant", "step", "cosine")
#: Config keys that do not change the trained weights: they may differ when resuming.
_FREE_KEYS = ("num_workers", "log_every", "checkpoint_every", "validation")
#: Config keys added after checkpoints were first written, and the value a checkpoint
#: without them was made with.
_LATER_KEYS: dict[str, Any] = {"freeze": [], "loss": {}}
#: The noisy inputs of a batch and their noise-free versions.
_CLEAN = {"a": "a_clean", "b": "b_clean", "c": "c_clean"}
#: Top-level keys of a config file.
_TOP = (
    "model, seed, iterations, batch_size, num_workers, log_every, checkpoint_every, "
    "arch, data, optimizer, validation, proxy, init, freeze, loss"
).split(", ")


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

    lr: float = setting(1e-4, low=0, low_open=True)
    betas: tuple[float, float] = setting((0.9, 0.999), low=0, high=1, high_open=True)
    weight_decay: float = setting(0.0, low=0)
    schedule: str = setting("constant", choices=SCHEDULES)
    warmup: int = setting(0, low=0)
    step_size: int | None = setting(None, low=1)
    gamma: float = setting(0.5, low=0, low_open=True)
    min_lr: float = setting(0.0, low=0)

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

    every: int = setting(1000, low=1)
    n: int = setting(16, low=1)
    seed: int = setting(1, low=0)
    batch_size: int = setting(8, low=1)


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
    iterations: int = setting(low=1)
    #: weights the first stage starts from (an earlier run's ``<model>.pt``): a fine-tune,
    #: e.g. on noisy inputs after a run on noise-free ones
    init: Path | None = None
    #: the network's top-level parts (e.g. ``"manipulator"``) held fixed in the main stage:
    #: a fine-tune that retrains only the rest
    freeze: tuple[str, ...] = ()
    #: loss-term weights that differ from the paper's (:attr:`MotionNet.LOSS_WEIGHTS`)
    loss: dict[str, float] = field(default_factory=dict)
    batch_size: int = setting(4, low=1)
    num_workers: int = setting(0, low=0)
    log_every: int = setting(10, low=1)
    checkpoint_every: int = setting(1000, low=1)
    seed: int = setting(0, low=0)
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


def _parse_data(t: Table, base: Path) -> DataConfig:
    given = read_fields(DataConfig, t, ("n", "shards", "seed"), base)
    n, shards = given.get("n"), given.get("shards")
    if (shards is None) == (n is None):
        raise VmagError(
            f"{t.source}: give exactly one of data.n (samples generated on the fly) "
            "or data.shards (a `vmag synth motion` folder)"
        )
    motion_keys = field_names(MotionConfig)
    if shards is not None:
        taken = [k for k in (*t.data, *given) if k == "seed" or k in motion_keys]
        if taken:
            raise t.error(taken[0], "cannot be set with data.shards: the shards fix it")
        t.finish(["n", "shards"])
        dataset = ShardDataset(shards)  # checks the folder now, not hours later
        motion = MotionConfig(**dataset.manifest["config"])
        return DataConfig(motion, seed=int(dataset.manifest["seed"]), shards=shards)
    motion = read(MotionConfig, t, base, finish=False)
    t.finish(["n", "shards", "seed", *motion_keys])
    return DataConfig(motion, seed=given.get("seed", 0), n=n)


def _parse_optimizer(t: Table) -> OptimizerConfig:
    """``[optimizer]``: its fields by type, then the keys only some schedules take."""
    given = set(t.data)
    opt = read(OptimizerConfig, t)
    if opt.schedule == "step" and "step_size" not in given:
        raise t.error("step_size", "is missing")
    only = {"step_size": "step", "gamma": "step", "min_lr": "cosine"}
    for key in sorted(given & set(only)):
        if opt.schedule != only[key]:
            raise t.error(key, f"does not apply to schedule = {opt.schedule!r}")
    if opt.min_lr > opt.lr:
        raise t.error("min_lr", f"must not exceed lr ({opt.lr:g}), got {opt.min_lr:g}")
    return opt


def _parse_proxy(value: Any, source: str, base: Path) -> ProxyConfig:
    if isinstance(value, str):
        t = Table({"weights": value}, "proxy.", source)
        path = read_fields(ProxyConfig, t, ("weights",), base)["weights"]
        if not path.is_file():
            raise VmagError(f"{source}: proxy weights file {path} not found")
        return ProxyConfig(weights=path)
    if not isinstance(value, dict):
        raise VmagError(
            f"{source}: proxy must be a table (proxy = {{ iterations = N }}) or the path of a "
            f"proxy weights file, got {value!r}"
        )
    t = Table(value, "proxy.", source)
    given = read_fields(ProxyConfig, t, ("iterations", "fine_tune"), base)
    t.finish(["iterations", "fine_tune"])
    if given.get("iterations") is None:
        raise t.error("iterations", "is missing")
    return ProxyConfig(**given)


def _check_network(config: TrainConfig) -> None:
    """What only the network can say: its arguments, parts, loss terms and input size."""
    source, name = config.source, config.model
    cls = zoo.model_class(name)
    if config.proxy is not None and not hasattr(cls, "set_proxy"):
        raise VmagError(f"{source}: proxy applies to the lightweight models, not {name}")
    try:
        probe = zoo.build_model(name, **config.arch)
    except (TypeError, VmagError) as e:
        raise VmagError(f"{source}: arch: {e}") from None
    parts = [n for n, _ in probe.named_children()]
    for part in config.freeze:
        if part not in parts:
            raise VmagError(
                f"{source}: freeze: {name} has no part {part!r} (parts: {', '.join(parts)})"
            )
    if config.freeze and set(config.freeze) == set(parts):
        raise VmagError(f"{source}: freeze holds every part of {name}; nothing would train")
    try:
        probe.set_loss_weights(config.loss)
    except VmagError as e:
        raise VmagError(f"{source}: loss: {e}") from None
    if config.data.motion.size % cls.multiple:
        raise VmagError(
            f"{source}: data.size must be a multiple of {cls.multiple} for {name}, "
            f"got {config.data.motion.size}"
        )


def parse_config(
    text: str,
    *,
    model: str | None = None,
    iterations: int | None = None,
    source: str = "config",
    base: str | Path = ".",
) -> TrainConfig:
    """A :class:`TrainConfig` from TOML ``text``; every key is checked (a wrong one raises
    :class:`VmagError` naming it), by the config dataclasses' own types and bounds
    (:mod:`vmag.training.config`). ``model`` must match the file's ``model`` if it has
    one; ``iterations`` replaces the file's (of the main stage). Relative paths
    (``data.shards``, ``proxy``, ``init``) are relative to ``base``.

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
    top = Table(raw, "", source)
    named = read_fields(TrainConfig, top, ("model",))["model"] if "model" in top.data else None
    name = model if model is not None else named
    if name is None:
        raise VmagError(f'{source}: names no model; add model = "..." or pass one')
    if name not in zoo.MODELS:
        raise VmagError(f"{source}: unknown model {name!r}; choose from {', '.join(zoo.MODELS)}")
    if named is not None and named != name:
        raise VmagError(f"{source} is a config for {named}, not {name}")
    if iterations is not None:
        top.data["iterations"] = iterations  # the caller's, checked like the file's
    fields_ = ("seed", "iterations", "batch_size", "num_workers", "log_every", "checkpoint_every")
    values = read_fields(TrainConfig, top, (*fields_, "init"), base)
    arch, freeze, loss = top.take("arch", {}), top.take("freeze", []), top.take("loss", {})
    tables = {k: top.table(k) for k in ("data", "optimizer", "validation")}
    proxy_value = top.take("proxy", None)
    top.finish(_TOP)
    if not isinstance(arch, dict):
        raise VmagError(f"{source}: arch must be a table of the network's arguments")
    if not (isinstance(freeze, list) and all(isinstance(f, str) for f in freeze)):
        raise VmagError(f"{source}: freeze must be a list of part names, got {freeze!r}")
    if not isinstance(loss, dict):
        raise VmagError(f"{source}: loss must be a table of loss-term weights")
    if values.get("init") is not None and not values["init"].is_file():
        raise VmagError(f"{source}: init weights file {values['init']} not found")
    data = _parse_data(tables["data"], base)
    optimizer = _parse_optimizer(tables["optimizer"])
    v = tables["validation"]
    v.data.setdefault("seed", data.seed + 1)
    validation = read(ValidationConfig, v)
    if validation.seed == data.seed:
        raise VmagError(
            f"{source}: validation.seed must differ from the training data's seed "
            f"({data.seed}): the validation set must be held out"
        )
    proxy = None if proxy_value is None else _parse_proxy(proxy_value, source, base)
    config = TrainConfig(
        model=name,
        arch=dict(arch),
        data=data,
        optimizer=optimizer,
        validation=validation,
        proxy=proxy,
        freeze=tuple(freeze),
        loss=loss,
        text=text,
        source=source,
        **values,
    )
    _check_network(config)  # the loss weights too, before they are taken as numbers
    return replace(config, loss={k: float(v) for k, v in loss.items()})


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


# ------------------------------------------------------------------------------ the task


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


@dataclass(frozen=True)
class TrainResult:
    """The files a finished run wrote, and the meta stored in its weights."""

    weights: Path
    card: Path
    plot: Path
    log: Path
    meta: dict[str, Any]


def _to_device(batch: Batch, device: torch.device, clean: bool) -> Batch:
    """The batch on ``device``; ``clean`` puts the noise-free frames in a, b, c."""
    out = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
    if clean:
        out.update({k: out[c] for k, c in _CLEAN.items()})
    return out


def build_loss_weights(config: TrainConfig) -> dict[str, float]:
    """The weight of every loss term in ``config``'s run (the paper's, with its changes)."""
    return {**zoo.model_class(config.model).LOSS_WEIGHTS, **config.loss}


class MotionTask:
    """Training a motion network of :mod:`vmag.learned.zoo` on the synthetic generator:
    the :class:`~vmag.training.trainer.Task` that :func:`train` runs. Stages: ``proxy``
    (the lightweight models' noise-free copy, when the config has one) and ``main``."""

    free_keys = _FREE_KEYS

    def __init__(self, config: TrainConfig, out: Path) -> None:
        self.config, self.out = config, out
        self.text = config.text
        self.cadence = Cadence(
            log_every=config.log_every,
            validate_every=config.validation.every,
            checkpoint_every=config.checkpoint_every,
        )
        self._validation: dict[str, list[Batch]] = {}

    def record(self) -> dict[str, Any]:
        return self.config.as_dict()

    def later_keys(self) -> dict[str, Any]:
        return _LATER_KEYS

    def stages(self) -> list[tuple[str, int]]:
        return self.config.stages()

    def proxy_path(self) -> Path:
        proxy = self.config.proxy
        assert proxy is not None
        return proxy.weights if proxy.weights is not None else self.out / "proxy.pt"

    def start(self, stage: str, device: torch.device) -> StageParts:
        cfg = self.config
        torch.manual_seed(cfg.seed)
        net = zoo.build_model(cfg.model, **cfg.arch)
        net.set_loss_weights(cfg.loss)
        net = net.to(device)
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
            net.set_proxy(proxy.to(device))
        if stage == "main":
            for part in cfg.freeze:
                getattr(net, part).requires_grad_(False)
        opt = cfg.optimizer
        adam = torch.optim.Adam(
            [p for p in net.parameters() if p.requires_grad],
            lr=opt.lr,
            betas=opt.betas,
            weight_decay=opt.weight_decay,
        )
        total = dict(cfg.stages())[stage]
        schedule = torch.optim.lr_scheduler.LambdaLR(adam, lambda i: opt.lr_at(i, total) / opt.lr)
        self.device = device
        return StageParts({"model": net}, {"adam": adam}, {"lr": schedule})

    def batches(self, stage: str, start: int, device: torch.device) -> Iterator[Batch]:
        cfg, clean = self.config, stage == "proxy"
        dataset = cfg.data.dataset(clean)
        loader = DataLoader(
            dataset,
            batch_size=cfg.batch_size,
            sampler=EpochSampler(
                len(dataset), cfg.seed, STAGES.index(stage), start * cfg.batch_size
            ),
            num_workers=cfg.num_workers,
            worker_init_fn=worker_init,
            generator=torch.Generator().manual_seed(cfg.seed),
            pin_memory=device.type == "cuda",
            prefetch_factor=4 if cfg.num_workers else None,
        )
        return (_to_device(batch, device, clean) for batch in loader)

    def step(self, stage: str, parts: StageParts, batch: Batch) -> dict[str, torch.Tensor]:
        return train_step(parts.modules["model"], parts.optimizers["adam"], batch)

    def _validation_set(self, clean: bool) -> list[Batch]:
        """The held-out batches (CPU), with the noise-free inputs in a, b when ``clean``."""
        key = "clean" if clean else "noisy"
        if key not in self._validation:
            v, motion = self.config.validation, self.config.data.motion
            dataset = MotionDataset(v.n, replace(motion, noise=False) if clean else motion, v.seed)
            loader = DataLoader(
                dataset,
                batch_size=v.batch_size,
                num_workers=min(self.config.num_workers, v.n),
                worker_init_fn=worker_init,
            )
            a, b = ("a_clean", "b_clean") if clean else ("a", "b")
            self._validation[key] = [
                {"a": x[a], "b": x[b], "y": x["y"], "amp": x["amp"]} for x in loader
            ]
        return self._validation[key]

    def validate(self, stage: str, parts: StageParts) -> dict[str, float]:
        net = parts.modules["model"]
        return validate(net, self._validation_set(stage == "proxy"), self.device)

    def describe_stage(self, stage: str, iterations: int) -> dict[str, Any]:
        noisy = stage != "proxy" and self.config.data.motion.noise
        return {
            "inputs": "noisy" if noisy else "noise-free",
            "samples_seen": iterations * self.config.batch_size,
        }

    def stage_done(self, stage: str, parts: StageParts, trainer: Trainer) -> None:
        """The proxy stage finished: its weights are the main stage's proxy."""
        meta = {
            **trainer.done[-1],
            "data": self.data_meta(clean=True),
            "hardware": trainer.hardware,
            "config": self.config.text,
        }
        zoo.save_weights(parts.modules["model"], self.proxy_path(), self.config.model, meta)
        trainer.monitor.message(f"proxy done: wrote {self.proxy_path()}")

    def data_meta(self, clean: bool = False) -> dict[str, Any]:
        data = self.config.data
        motion = dataclasses.asdict(replace(data.motion, noise=False) if clean else data.motion)
        return {
            "generator": "vmag.synth.motion",
            "n": data.n if data.shards is None else len(ShardDataset(data.shards)),
            "seed": data.seed,
            "shards": None if data.shards is None else str(data.shards),
            "motion": json.loads(json.dumps(motion)),
        }

    def finish(self, parts: StageParts, trainer: Trainer) -> TrainResult:
        """Write the weights, the model card and the loss plot of the finished run."""
        config, out, net = self.config, self.out, parts.modules["model"]
        stages = list(trainer.done)
        main = stages[-1]
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
            "samples_seen": sum(s["iterations"] * config.batch_size for s in trainer.done),
            "stages": stages,
            "data": self.data_meta(),
            "validation": {
                **(main["validation"] or {}),
                "n": config.validation.n,
                "seed": config.validation.seed,
            },
            "optimizer": dataclasses.asdict(config.optimizer),
            "init": None if config.init is None else config.init.name,
            "freeze": list(config.freeze),
            "loss_weights": build_loss_weights(config),
            "hardware": trainer.hardware,
            "wall_s": round(trainer.elapsed(), 3),
            "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "config": config.text,
        }
        meta["optimizer"]["betas"] = list(meta["optimizer"]["betas"])
        weights = out / f"{config.model}.pt"
        zoo.save_weights(net.cpu(), weights, config.model, meta)
        records = trainer.log.read()
        plot = plot_losses(records, out / "loss.png")
        card = out / "model-card.md"
        text = model_card(net, meta, records)
        atomic_write(card, lambda p: p.write_text(text, encoding="utf-8"))
        trainer.monitor.message(f"wrote {weights}, {card.name}, {plot.name}")
        return TrainResult(weights, card, plot, trainer.log.path, meta)


def train(
    config: TrainConfig,
    out: str | Path,
    *,
    resume: bool = True,
    device: str = "auto",
    monitor: Monitor | None = None,
) -> TrainResult:
    """Train ``config.model`` as ``config`` says, writing into the folder ``out`` (see the
    module docstring and :mod:`vmag.training.trainer`). With ``resume``, a checkpoint in
    ``out`` is continued; without, the run starts over. Ctrl-C writes a checkpoint and
    raises :class:`Interrupted`."""
    trainer = Trainer(
        MotionTask(config, Path(out)), out, device=device, resume=resume, monitor=monitor
    )
    return trainer.run()
