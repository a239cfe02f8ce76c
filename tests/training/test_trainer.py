"""The generic trainer on a toy task: two optimisers, resume to the same result, logs."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from vmag.errors import VmagError
from vmag.training import Cadence, Interrupted, Monitor, StageParts, Trainer


class ToyTask:
    """Fit y = 3x + 1 with two modules, two optimisers (a GAN-like layout), one stage
    ``warm`` of 3 iterations then ``fit`` of ``total``."""

    free_keys = ("note",)
    text = "toy"

    def __init__(self, total: int = 6, lr: float = 0.1) -> None:
        self.total, self.lr = total, lr
        self.cadence = Cadence(log_every=1, validate_every=2, checkpoint_every=2)
        self.finished: list[str] = []

    def record(self):
        return {"total": self.total, "lr": self.lr, "note": "free"}

    def stages(self):
        return [("warm", 3), ("fit", self.total)]

    def start(self, stage, device):
        torch.manual_seed(0)
        w, b = torch.nn.Linear(1, 1, bias=False), torch.nn.Linear(1, 1)
        opts = {
            "w": torch.optim.SGD(w.parameters(), self.lr),
            "b": torch.optim.Adam(b.parameters(), self.lr),
        }
        sched = {"w": torch.optim.lr_scheduler.StepLR(opts["w"], 2, 0.5)}
        return StageParts({"w": w, "b": b}, opts, sched)

    def batches(self, stage, start, device) -> Iterator[torch.Tensor]:
        i = start
        while True:
            yield torch.linspace(-1, 1, 8).view(-1, 1) + 0.01 * i
            i += 1

    def step(self, stage, parts, x):
        w, b = parts.modules["w"], parts.modules["b"]
        loss = ((w(x) + b(x) - x) - (3 * x + 1 - x)).pow(2).mean()
        for o in parts.optimizers.values():
            o.zero_grad()
        loss.backward()
        for o in parts.optimizers.values():
            o.step()
        return {"total": loss.detach(), "mse": loss.detach()}

    def validate(self, stage, parts):
        x = torch.tensor([[0.5]])
        with torch.no_grad():
            y = parts.modules["w"](x) + parts.modules["b"](x)
        return {"error": float((y - 2.5).abs())}

    def describe_stage(self, stage, iterations):
        return {"kind": "toy"}

    def stage_done(self, stage, parts, trainer):
        self.finished.append(stage)

    def finish(self, parts, trainer):
        return {k: v.state_dict() for k, v in parts.modules.items()}, trainer.done


class StopAt(Monitor):
    def __init__(self, stage: str, at: int) -> None:
        self.where = (stage, at)

    def step(self, name, done, total, loss):
        if (name, done) == self.where:
            os.kill(os.getpid(), signal.SIGINT)


def _log(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]


def test_a_run_trains_every_stage_and_logs(tmp_path):
    task = ToyTask()
    (_, done), out = Trainer(task, tmp_path, device="cpu").run(), tmp_path
    assert [r["stage"] for r in done] == ["warm", "fit"] and done[1]["kind"] == "toy"
    assert task.finished == ["warm"]  # every stage but the last hands over
    log = _log(out)
    train = [r for r in log if r["event"] == "train"]
    assert [(r["stage"], r["iteration"]) for r in train][:4] == [
        ("warm", 1), ("warm", 2), ("warm", 3), ("fit", 1)
    ]  # fmt: skip
    assert {"lr_w", "lr_b", "mse", "total"} <= set(train[0])  # one lr per optimiser
    assert train[0]["lr_w"] == 0.1 and train[2]["lr_w"] == 0.05  # the scheduler stepped
    val = [r for r in log if r["event"] == "validation"]
    assert [(r["stage"], r["iteration"]) for r in val] == [
        ("warm", 2), ("warm", 3), ("fit", 2), ("fit", 4), ("fit", 6)
    ]  # fmt: skip
    ckpt = torch.load(out / "checkpoint.pt", weights_only=True)
    assert set(ckpt["optimizers"]) == {"w", "b"} and set(ckpt["schedulers"]) == {"w"}


def test_interrupt_and_resume_give_the_same_weights(tmp_path):
    straight, _ = Trainer(ToyTask(), tmp_path / "a", device="cpu").run()
    with pytest.raises(Interrupted) as e:
        Trainer(ToyTask(), tmp_path / "b", device="cpu", monitor=StopAt("fit", 3)).run()
    assert (e.value.stage, e.value.iteration) == ("fit", 3)
    resumed, _ = Trainer(ToyTask(), tmp_path / "b", device="cpu").run()
    for name in straight:
        for k, v in straight[name].items():
            torch.testing.assert_close(resumed[name][k], v)
    log = _log(tmp_path / "b")
    fit = [r["iteration"] for r in log if r["event"] == "train" and r["stage"] == "fit"]
    assert fit == [1, 2, 3, 4, 5, 6]  # nothing logged twice


def test_a_checkpoint_of_another_config_is_refused_but_free_keys_may_differ(tmp_path):
    with pytest.raises(Interrupted):
        Trainer(ToyTask(), tmp_path, device="cpu", monitor=StopAt("warm", 2)).run()
    with pytest.raises(VmagError, match=r"another config \(lr differ"):
        Trainer(ToyTask(lr=0.2), tmp_path, device="cpu").run()
    Trainer(ToyTask(), tmp_path, device="cpu", resume=False).run()  # starts over instead


def test_a_diverging_loss_stops_with_one_clear_error(tmp_path):
    with pytest.raises(VmagError, match="the loss became"):
        Trainer(ToyTask(lr=1e6), tmp_path, device="cpu").run()
