"""Progress bars on stderr (real tqdm bars), silent when off.

No bar starts tqdm's monitor thread: it would outlive the bar, and a live thread stops the build pool
from forking (:func:`microe_release.workers.start_method`), so the next build in the process would spawn.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Iterable
from typing import Any


@functools.cache
def _bar_class() -> type[Any]:
    """tqdm's class for this environment (a notebook widget in Jupyter), without the monitor thread."""
    from tqdm.auto import tqdm

    class _Bar(tqdm):  # type: ignore[misc, valid-type]
        monitor_interval = 0

    return _Bar


def progress_bar(iterable: Iterable[Any] | None = None, *, enabled: bool, **kwargs: Any) -> Any:
    """``tqdm(iterable, **kwargs)`` drawn on ``kwargs["file"]`` (default stderr), or disabled when not ``enabled``."""
    # A terminal that reports a 0 x 0 size (a fresh pty, ``docker run -t``): tqdm would draw nothing there.
    with contextlib.suppress(AttributeError, OSError, ValueError):  # not a terminal, or no file descriptor
        if enabled and 0 in os.get_terminal_size((kwargs.get("file") or sys.stderr).fileno()):
            kwargs.setdefault("ncols", 80)
            kwargs.setdefault("nrows", 20)
    return _bar_class()(iterable, disable=not enabled, **kwargs)


def finish_bar(bar: Any) -> None:
    """Make an estimated total the count reached, so a finished bar reads 100 % (a no-op when off)."""
    if not bar.disable and bar.total is not None and bar.n != bar.total:
        bar.total = bar.n
        bar.refresh()
