"""Progress bars on stderr, and nothing at all when they are off.

A disabled ``tqdm`` still starts tqdm's monitor thread and leaves it running; a live thread in the
process stops the build pool from forking (:func:`microe_release.parallel.start_method`), so a
bar that is off is a plain stand-in here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


class _Silent:
    """The part of tqdm's interface the toolkit uses, doing nothing."""

    def __init__(self, iterable: Iterable[Any] | None = None) -> None:
        self._iterable = iterable

    def __iter__(self) -> Iterator[Any]:
        return iter(self._iterable or ())

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int = 1) -> None:
        return None

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        return None

    def close(self) -> None:
        return None


def progress_bar(iterable: Iterable[Any] | None = None, *, enabled: bool, **kwargs: Any) -> Any:
    """``tqdm(iterable, **kwargs)`` when ``enabled``, else a silent stand-in with the same methods.

    Examples
    --------
    >>> with progress_bar(enabled=False, desc="x") as bar:
    ...     bar.update(3)
    >>> list(progress_bar([1, 2], enabled=False))
    [1, 2]
    """
    if not enabled:
        return _Silent(iterable)
    from tqdm.auto import tqdm

    return tqdm(iterable, **kwargs)
