"""Training, for every task: the generic loop (:mod:`.trainer`: stages, checkpoints with
any number of optimisers, RNG state, Ctrl-C and resume, log, progress) and configs read
from TOML by their dataclasses' types (:mod:`.config`). A task (the motion networks of
:mod:`vmag.learned.train` first) supplies the networks, data, step and outputs."""

from vmag.training.trainer import Cadence, Interrupted, Monitor, StageParts, Task, Trainer

__all__ = ["Cadence", "Interrupted", "Monitor", "StageParts", "Task", "Trainer"]
