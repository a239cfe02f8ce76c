"""The training loop every task shares: stages, checkpoints, resume, Ctrl-C, log, progress.

A :class:`Trainer` runs a :class:`Task` in a folder. It knows nothing of networks or
losses: the task builds each stage's modules, optimisers and schedulers
(:class:`StageParts`, any number of each: a GAN has two optimisers), hands out batches,
takes one step and scores a validation; the trainer does the rest, the same for every
task:

* ``log.jsonl``: ``{"event": "train", "stage", "iteration", <each loss term>, "lr",
  "elapsed"}`` every ``log_every`` iterations (means since the previous line), and
  ``{"event": "validation", "stage", "iteration", <scores>, "elapsed"}`` every
  ``validate_every``;
* ``checkpoint.pt``: every module, optimiser and scheduler state, the iteration, torch's
  RNG states, the config and the time spent, written atomically every
  ``checkpoint_every`` iterations and on Ctrl-C; a new run in the folder resumes from
  it, and (samples being pure functions of their index, the order a pure function of
  the seed and the position) ends with the weights an uninterrupted run gives;
* at the end the task writes its own outputs (weights, model card).
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch.utils.data import Sampler

from vmag.device import resolve_device
from vmag.errors import VmagError
from vmag.io.atomic import atomic_write
from vmag.machine import machine_info

#: Value of the "format" key of a checkpoint.
CHECKPOINT_FORMAT = "vmag-train-checkpoint/2"


class Monitor:
    """What a run reports as it goes; override the methods (the CLI draws bars)."""

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
class Cadence:
    """How often, in iterations, the trainer logs, validates and checkpoints."""

    log_every: int = 10
    validate_every: int = 1000
    checkpoint_every: int = 1000


@dataclass
class StageParts:
    """What one stage trains, by name: its modules, their optimisers and schedulers."""

    modules: dict[str, torch.nn.Module]
    optimizers: dict[str, torch.optim.Optimizer]
    schedulers: dict[str, Any] = field(default_factory=dict)

    def state(self) -> dict[str, Any]:
        def states(d: dict[str, Any]) -> dict[str, Any]:
            return {k: v.state_dict() for k, v in d.items()}

        return {
            "modules": states(self.modules),
            "optimizers": states(self.optimizers),
            "schedulers": states(self.schedulers),
        }

    def load(self, state: dict[str, Any]) -> None:
        for group in ("modules", "optimizers", "schedulers"):
            for name, obj in getattr(self, group).items():
                obj.load_state_dict(state[group][name])


class Task(Protocol):
    """What a training task supplies; :class:`Trainer` runs it.

    ``record`` is the config as JSON data: a checkpoint resumes only if it was written
    with the same record, apart from ``free_keys`` (settings that do not change the
    result); a task may also define ``later_keys()``, ``{key: value}`` for keys added to
    its config after checkpoints were first written (the value an older checkpoint
    implies). ``text`` is the config file's text, kept in the checkpoint.
    """

    cadence: Cadence
    free_keys: tuple[str, ...]
    text: str

    def record(self) -> dict[str, Any]: ...

    def stages(self) -> list[tuple[str, int]]:
        """``[(stage, iterations), ...]`` in order."""
        ...

    def start(self, stage: str, device: torch.device) -> StageParts:
        """Fresh parts of ``stage`` (a checkpoint's states are loaded over them)."""
        ...

    def batches(self, stage: str, start: int, device: torch.device) -> Iterator[Any]:
        """The stage's endless batches from iteration ``start`` on (for a resume)."""
        ...

    def step(self, stage: str, parts: StageParts, batch: Any) -> dict[str, torch.Tensor]:
        """One optimisation step; the loss terms (detached), ``"total"`` among them."""
        ...

    def validate(self, stage: str, parts: StageParts) -> dict[str, float]:
        """Held-out scores of the stage's current parts."""
        ...

    def describe_stage(self, stage: str, iterations: int) -> dict[str, Any]:
        """What the record of a finished stage says beyond iterations, time and scores."""
        ...

    def stage_done(self, stage: str, parts: StageParts, trainer: Trainer) -> None:
        """A stage other than the last finished, its record last in ``trainer.done``
        (e.g. write its weights for the next)."""
        ...

    def finish(self, parts: StageParts, trainer: Trainer) -> Any:
        """The run finished: write the task's outputs; returns the run's result."""
        ...


@contextlib.contextmanager
def interrupt_flag() -> Iterator[threading.Event]:
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


def rng_state() -> dict[str, Any]:
    """Torch's CPU and CUDA generator states (vmag draws numpy randomness only from seeded
    ``default_rng`` generators, never the global one)."""
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


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


def worker_init(worker_id: int) -> None:
    """DataLoader workers leave Ctrl-C to the main process, which checkpoints and then stops
    them. (Torch seeds each worker's generator from the loader's; the samples themselves
    are pure functions of their index.)"""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class TrainLog:
    """``log.jsonl``: one JSON object a line, appended and flushed at once."""

    def __init__(self, path: Path, stages: list[str]) -> None:
        self.path, self.stages = path, stages

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
        rank = {s: i for i, s in enumerate(self.stages)}
        limit = (rank[stage], iteration)
        kept = [
            r
            for r in self.read()
            if (rank.get(r.get("stage"), len(rank)), r.get("iteration", 0)) <= limit
        ]
        text = "".join(json.dumps(r) + "\n" for r in kept)
        atomic_write(self.path, lambda p: p.write_text(text, encoding="utf-8"))


class Trainer:
    """Runs ``task`` in the folder ``out`` on ``device`` (see the module docstring).
    With ``resume``, a checkpoint in ``out`` is continued; without, the run starts over.
    Ctrl-C writes a checkpoint and raises :class:`Interrupted`."""

    def __init__(
        self,
        task: Task,
        out: str | Path,
        *,
        device: str = "auto",
        resume: bool = True,
        monitor: Monitor | None = None,
    ) -> None:
        self.task, self.out = task, Path(out)
        if self.out.exists() and not self.out.is_dir():
            raise VmagError(f"{self.out} exists and is not a folder")
        self.device = resolve_device(device)
        self.resume = resume
        self.monitor = monitor or Monitor()
        self.checkpoint = self.out / "checkpoint.pt"
        self.log = TrainLog(self.out / "log.jsonl", [s for s, _ in task.stages()])
        self.hardware = machine_info(self.device)
        self.started = time.perf_counter()
        self.elapsed_before = 0.0  # seconds spent by earlier runs of this folder
        self.done: list[dict[str, Any]] = []  # records of the stages finished so far

    def elapsed(self) -> float:
        """Seconds of training in this folder, earlier interrupted runs included."""
        return self.elapsed_before + time.perf_counter() - self.started

    # -- checkpoints -------------------------------------------------------------------
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
            raise VmagError(
                f"{self.checkpoint} is not a vmag training checkpoint (of this version)"
            )
        theirs, ours = ckpt["config"], self.task.record()
        free, later = self.task.free_keys, getattr(self.task, "later_keys", dict)()
        changed = [k for k in ours if k not in free and theirs.get(k, later.get(k)) != ours[k]]
        if changed:
            raise VmagError(
                f"{self.checkpoint} was made with another config ({', '.join(changed)} "
                "differ); use the same config, another --out, or --no-resume"
            )
        return ckpt

    def save_checkpoint(
        self, stage: str, iteration: int, parts: StageParts, stage_elapsed: float, scores: Any
    ) -> None:
        payload = {
            "format": CHECKPOINT_FORMAT,
            "config": self.task.record(),
            "config_text": self.task.text,
            "done": self.done,
            "stage": stage,
            "iteration": iteration,
            **parts.state(),
            "rng": rng_state(),
            "elapsed": self.elapsed(),
            "stage_elapsed": stage_elapsed,
            "validation": scores,
        }
        atomic_write(self.checkpoint, lambda p: torch.save(payload, p))

    # -- the loop ----------------------------------------------------------------------
    def run(self) -> Any:
        """Train every stage not yet done, then let the task write its outputs."""
        self.out.mkdir(parents=True, exist_ok=True)
        ckpt = self.load_checkpoint() if self.resume else None
        if ckpt is None:
            self.log.path.unlink(missing_ok=True)
            self.checkpoint.unlink(missing_ok=True)
        else:
            self.log.truncate(ckpt["stage"], ckpt["iteration"])
            self.elapsed_before, self.done = ckpt["elapsed"], ckpt["done"]
            self.monitor.message(
                f"resuming {ckpt['stage']} at iteration {ckpt['iteration']} from {self.checkpoint}"
            )
        stages = self.task.stages()
        benchmark = torch.backends.cudnn.benchmark
        torch.backends.cudnn.benchmark = self.device.type == "cuda"
        try:
            with interrupt_flag() as flag:
                for k, (stage, total) in enumerate(stages):
                    if any(r["stage"] == stage for r in self.done):
                        continue
                    parts, wall, scores = self.run_stage(stage, total, ckpt, flag)
                    self.done.append(self.stage_record(stage, total, wall, scores))
                    if k < len(stages) - 1:
                        self.task.stage_done(stage, parts, self)
        finally:
            torch.backends.cudnn.benchmark = benchmark
        return self.task.finish(parts, self)

    def stage_record(self, stage: str, total: int, wall: float, scores: Any) -> dict[str, Any]:
        """What the weights' meta and the model card say of a finished stage."""
        return {
            "stage": stage,
            **self.task.describe_stage(stage, total),
            "iterations": total,
            "wall_s": round(wall, 3),
            "validation": scores,
        }

    def _log_train(self, stage: str, iteration: int, sums: dict, count: int, lrs: dict) -> float:
        means = {k: float(v) / count for k, v in sums.items()}
        if not math.isfinite(means["total"]):
            raise VmagError(
                f"the loss became {means['total']} at {stage} iteration {iteration}; "
                "lower optimizer.lr"
            )
        self.log.write(
            {
                "event": "train",
                "stage": stage,
                "iteration": iteration,
                **means,
                **lrs,
                "elapsed": round(self.elapsed(), 3),
            }
        )
        return means["total"]

    def run_stage(
        self, stage: str, total: int, ckpt: dict[str, Any] | None, flag: threading.Event
    ) -> tuple[StageParts, float, Any]:
        """Train ``stage`` to ``total`` iterations (from ``ckpt`` when it is this stage's);
        returns its parts, its elapsed seconds and its last validation scores."""
        task, cadence = self.task, self.task.cadence
        parts = task.start(stage, self.device)
        iteration, stage_elapsed, scores = 0, 0.0, None
        if ckpt is not None and ckpt["stage"] == stage:
            parts.load(ckpt)
            set_rng_state(ckpt["rng"])
            iteration, stage_elapsed = ckpt["iteration"], ckpt["stage_elapsed"]
            scores = ckpt["validation"]
        self.monitor.stage(stage, iteration, total)
        if iteration >= total:
            return parts, stage_elapsed, scores
        stage_start = time.perf_counter() - stage_elapsed
        batches = task.batches(stage, iteration, self.device)
        sums: dict[str, torch.Tensor] = {}
        count, last = 0, None

        def checkpoint() -> None:
            elapsed = time.perf_counter() - stage_start
            self.save_checkpoint(stage, iteration, parts, elapsed, scores)

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
            lrs = {
                ("lr" if len(parts.optimizers) == 1 else f"lr_{name}"): o.param_groups[0]["lr"]
                for name, o in parts.optimizers.items()
            }
            terms = task.step(stage, parts, batch)
            for s in parts.schedulers.values():
                s.step()
            iteration += 1
            for k, v in terms.items():
                sums[k] = sums[k] + v if k in sums else v
            count += 1
            if iteration % cadence.log_every == 0 or iteration == total:
                last = self._log_train(stage, iteration, sums, count, lrs)
                sums, count = {}, 0
            if iteration % cadence.validate_every == 0 or iteration == total:
                scores = task.validate(stage, parts)
                self.log.write(
                    {
                        "event": "validation",
                        "stage": stage,
                        "iteration": iteration,
                        **scores,
                        "elapsed": round(self.elapsed(), 3),
                    }
                )
                shown = ", ".join(f"{k} {v:.4f}" for k, v in scores.items())
                self.monitor.message(f"{stage} {iteration}/{total}: validation {shown}")
            if iteration % cadence.checkpoint_every == 0 or iteration == total:
                checkpoint()
            self.monitor.step(stage, iteration, total, last)
        del batches  # stops the workers
        return parts, time.perf_counter() - stage_start, scores
