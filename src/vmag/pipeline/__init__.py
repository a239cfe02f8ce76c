"""The job layer every caller runs magnification through: the CLI, the web page, batch.

>>> from vmag.pipeline import MagnifyJob, run                   # doctest: +SKIP
>>> run(MagnifyJob({"video": "baby.mp4"}, "phase", {"alpha": 10, "band": (0.2, 1.0)},
...                "out.mp4"))                                  # doctest: +SKIP

- :mod:`vmag.pipeline.job`: :class:`MagnifyJob` (plain data) and :func:`plan`, which
  checks everything before any frame is decoded;
- :mod:`vmag.pipeline.runner`: :func:`run` (read → magnify → write, offline or streaming,
  with progress and cancel) and its :class:`Result`.
"""

from vmag.pipeline.job import MagnifyJob, Plan, check_output, plan
from vmag.pipeline.runner import Cancelled, CancelToken, Result, prepare, queue_depth, run

__all__ = [
    "CancelToken",
    "Cancelled",
    "MagnifyJob",
    "Plan",
    "Result",
    "check_output",
    "plan",
    "prepare",
    "queue_depth",
    "run",
]
