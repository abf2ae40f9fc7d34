"""Progress bars on stderr, and nothing at all when they are off.

A tqdm bar starts tqdm's monitor thread (``tqdm.monitor_interval``, 10 s) and leaves it running
for the rest of the process; a live thread stops the build pool from forking
(:func:`microe_release.workers.start_method`), so the next build in the same process would
spawn its workers. The bars here are a tqdm subclass without that thread; a bar that is off is the
same class, disabled.
"""

from __future__ import annotations

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
        monitor_interval = 0  # no monitor thread: see the module docstring

    return _Bar


def _unsized_terminal(stream: Any) -> bool:
    """True for a terminal that reports a 0 x 0 size (a fresh pty, ``docker run -t``): tqdm would draw nothing."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):  # not a terminal, or no file descriptor
        return False
    return size.columns == 0 or size.lines == 0


def progress_bar(iterable: Iterable[Any] | None = None, *, enabled: bool, **kwargs: Any) -> Any:
    """``tqdm(iterable, **kwargs)``, drawn when ``enabled`` and disabled (silent) when not.

    Parameters
    ----------
    iterable : iterable, optional
        What to iterate over, as for tqdm.
    enabled : bool
        Draw the bar (on ``kwargs["file"]``, default stderr); False: draw nothing, start nothing.
    **kwargs
        tqdm's own keywords (``total``, ``desc``, ``unit``, ``file`` ...).

    Returns
    -------
    tqdm
        A real tqdm bar that never starts tqdm's monitor thread.

    Examples
    --------
    >>> with progress_bar(enabled=False, desc="x") as bar:
    ...     bar.update(3)
    >>> list(progress_bar([1, 2], enabled=False))
    [1, 2]
    """
    if not enabled:
        return _bar_class()(iterable, disable=True, **kwargs)
    if _unsized_terminal(kwargs.get("file") or sys.stderr):
        kwargs.setdefault("ncols", 80)
        kwargs.setdefault("nrows", 20)
    return _bar_class()(iterable, **kwargs)


def finish_bar(bar: Any) -> None:
    """Make an estimated total the count reached, so a finished bar reads 100 % (a no-op when off).

    Parameters
    ----------
    bar : tqdm
        From :func:`progress_bar`, after its last ``update``.

    Examples
    --------
    >>> finish_bar(progress_bar(total=5, enabled=False))
    """
    if bar.disable or bar.total is None or bar.n == bar.total:
        return
    bar.total = bar.n
    bar.refresh()
