"""One record of the machine a result was measured or a model trained on.

Benchmark reports, model cards and performance figures all carry it, so a number can be
traced to the CPU, the GPU and the library versions that produced it.
"""

from __future__ import annotations

import contextlib
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def cpu_name() -> str:
    """The CPU's model name (Linux: from /proc/cpuinfo), else what ``platform`` says."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def available_memory() -> int:
    """Bytes of memory the system can give a new allocation now (Linux: MemAvailable;
    elsewhere the free physical pages), or a large number when it cannot tell."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    with contextlib.suppress(OSError, ValueError, AttributeError):
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return 1 << 50


def machine_info(device: Any = None, wall_s: float | None = None) -> dict[str, Any]:
    """Platform, CPU, core count, Python, numpy, torch and its threads, vmag, the torch
    ``device`` used and its GPU, the date, and ``wall_s`` when given (all JSON data).

    >>> sorted(machine_info())[:4]
    ['cpu', 'cpu_count', 'date', 'device']
    """
    import numpy as np
    import torch

    import vmag

    dev = torch.device("cpu") if device is None else torch.device(device)
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "torch": str(torch.__version__),  # a str subclass that weights_only loading refuses
        "torch_threads": torch.get_num_threads(),
        "vmag": vmag.__version__,
        "device": dev.type,
        "gpu": torch.cuda.get_device_name(dev) if dev.type == "cuda" else None,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_s": None if wall_s is None else round(float(wall_s), 3),
    }
