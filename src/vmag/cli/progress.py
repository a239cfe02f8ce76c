"""Rich progress bars with frames per second and time left."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

console = Console(stderr=True)


def say(msg: str) -> None:
    """A log line on stderr (results a script reads go to stdout)."""
    console.print(msg, highlight=False, markup=False, soft_wrap=True)


class RateColumn(ProgressColumn):
    """Items per second of a task, e.g. ``41.3 frames/s``."""

    def render(self, task: Task) -> Text:
        unit = task.fields.get("unit", "frames")
        if task.speed is None:
            return Text(f"- {unit}/s", style="progress.data.speed")
        return Text(f"{task.speed:.1f} {unit}/s", style="progress.data.speed")


@contextmanager
def progress_bar(*extra: ProgressColumn, label: int = 11) -> Iterator[Progress]:
    """A progress display on stderr: description (``label`` characters), bar, done/total,
    rate, elapsed, ETA, then any ``extra`` columns (e.g. a training loss)."""
    bar = Progress(
        TextColumn(f"[bold]{{task.description:<{label}}}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        *extra,
        console=console,
    )
    with bar:
        yield bar
