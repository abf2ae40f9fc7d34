"""Progress bars on stderr, and nothing at all when they are off.

A tqdm bar starts tqdm's monitor thread (``tqdm.monitor_interval``, 10 s) and leaves it running
for the rest of the process; a live thread stops the build pool from forking
(:func:`microe_release.parallel.start_method`), so the next build in the same process would
spawn its workers. The bars here are a tqdm subclass without that thread, and a bar that is off
is a plain stand-in (a disabled tqdm would still start the thread).
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import ReleaseConfig, SourceConfig


class _Silent:
    """The part of tqdm's interface the toolkit uses, doing nothing."""

    def __init__(self, iterable: Iterable[Any] | None = None, total: int | None = None) -> None:
        self._iterable = iterable
        self.total = total
        self.n = 0

    def __iter__(self) -> Iterator[Any]:
        return iter(self._iterable or ())

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        return None

    def set_description(self, *args: Any, **kwargs: Any) -> None:
        return None

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        return None

    def set_postfix_str(self, *args: Any, **kwargs: Any) -> None:
        return None

    def refresh(self) -> None:
        return None

    def close(self) -> None:
        return None


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
    """``tqdm(iterable, **kwargs)`` when ``enabled``, else a silent stand-in with the same methods.

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
    tqdm or stand-in
        Both support ``update``, ``set_description``, ``set_postfix(_str)``, ``refresh``, ``close``,
        iteration and ``with``; the bar never starts tqdm's monitor thread.

    Examples
    --------
    >>> with progress_bar(enabled=False, desc="x") as bar:
    ...     bar.update(3)
    >>> list(progress_bar([1, 2], enabled=False))
    [1, 2]
    """
    if not enabled:
        return _Silent(iterable, kwargs.get("total"))
    if _unsized_terminal(kwargs.get("file") or sys.stderr):
        kwargs.setdefault("ncols", 80)
        kwargs.setdefault("nrows", 20)
    return _bar_class()(iterable, **kwargs)


def finish_bar(bar: Any) -> None:
    """Make an estimated total the count reached, so a finished bar reads 100 % (a no-op when off).

    Parameters
    ----------
    bar : tqdm or stand-in
        From :func:`progress_bar`, after its last ``update``.

    Examples
    --------
    >>> finish_bar(progress_bar(total=5, enabled=False))
    """
    if isinstance(bar, _Silent) or bar.total is None or bar.n == bar.total:
        return
    bar.total = bar.n
    bar.refresh()


def _count_lines(path: Path) -> int:
    """Lines of ``path`` that are not empty (what a csv reader yields a row for), read in binary."""
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.rstrip(b"\r\n"))


def _count_source(source: SourceConfig) -> int | None:
    """Items the adapter of ``source`` will yield, where a listing or line count gives it cheaply."""
    from .sources.base import walk_files
    from .sources.ferplus import FOLDER_SPLITS

    try:
        if source.format == "synthetic":
            return int(source.options["count"])
        if source.format == "fer2013-csv":  # one item per row after the header
            return max(_count_lines(source.path) - 1, 0)
        if source.format == "ferplus":  # label.csv files have no header
            files = [source.path / name / "label.csv" for name, _split in FOLDER_SPLITS]
            return sum(_count_lines(path) for path in files if path.is_file())
        if source.format in ("image-folder", "filename-pattern") and source.path.is_dir():
            return sum(1 for _ in walk_files(source.path))  # one item per file
    except OSError:  # the adapter reports a missing or unreadable source itself
        return None
    return None  # labelled-csv: rows plus the images no row names; no cheap count


def count_source_items(config: ReleaseConfig) -> int | None:
    """The number of items the build reads from ``config``'s sources, or None where one is not cheap.

    Synthetic sources give ``count``; FER2013 and FER+ CSVs their non-empty rows; image-folder and
    filename-pattern sources their files (one folder walk). A labelled-csv source (rows plus the
    images no row names) has no cheap count, and then the whole total is None. The count is the
    progress bar's total, an estimate: a quoted CSV field that spans lines counts once per line.

    Parameters
    ----------
    config : ReleaseConfig
        The build's configuration.

    Returns
    -------
    int or None
        Items over all sources (decoded and skipped alike), or None.

    Examples
    --------
    >>> from microe_release import demo_config
    >>> count_source_items(demo_config(count=40))
    40
    """
    total = 0
    for source in config.sources:
        found = _count_source(source)
        if found is None:
            return None
        total += found
    return total
