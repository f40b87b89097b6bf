"""One progress bar for every command: rich on a terminal (stderr), silent otherwise."""

from __future__ import annotations

import sys
from contextlib import contextmanager


@contextmanager
def progress_bar(label: str):
    """Yields ``update(done, total=None, description=None)``; a no-op when stderr is no terminal."""
    if not sys.stderr.isatty():
        yield lambda done, total=None, description=None: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int | None = None, description: str | None = None) -> None:
            bar.update(task, completed=done, total=total,
                       **({"description": description} if description else {}))

        yield update
