"""Process source items on all cores with a bounded window, so memory stays flat on any source size."""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from .processing import PackedBatch, load_of, process_loads
from .records import ProcessedImage, SkippedItem, SourceItem

#: Items sent to a worker at once: large enough to amortise the round trip, small enough to balance load.
BATCH_SIZE = 128

#: Batches in flight per worker: keeps every core busy while bounding memory.
WINDOW_PER_WORKER = 4


def default_workers() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _batches(items: Iterable[SourceItem], size: int) -> Iterator[list[SourceItem]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def process_batches(
    items: Iterable[SourceItem], *, size: int, workers: int | None = None
) -> Iterator[tuple[list[SourceItem], PackedBatch]]:
    """Process items in order on ``workers`` processes (1: in this process), a batch at a time.

    Workers get only what they read of each item (:func:`~microe_release.processing.load_of`) and
    send back one :class:`~microe_release.processing.PackedBatch`. At most
    ``workers * WINDOW_PER_WORKER`` batches are in flight, so a source of any size is streamed.
    """
    workers = workers or default_workers()
    if workers == 1:
        for batch in _batches(items, BATCH_SIZE):
            yield batch, process_loads([load_of(item) for item in batch], size)
        return
    # spawn: the parent may hold threads (pyarrow, tqdm) that make fork unsafe.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        window: deque[tuple[list[SourceItem], Future[PackedBatch]]] = deque()
        for batch in _batches(items, BATCH_SIZE):
            window.append((batch, pool.submit(process_loads, [load_of(item) for item in batch], size)))
            if len(window) >= workers * WINDOW_PER_WORKER:
                done, future = window.popleft()
                yield done, future.result()
        while window:
            done, future = window.popleft()
            yield done, future.result()


def process_items(
    items: Iterable[SourceItem], *, size: int, workers: int | None = None
) -> Iterator[ProcessedImage | SkippedItem]:
    """:func:`process_batches`, one processed image or skip report per item, in order."""
    for batch, packed in process_batches(items, size=size, workers=workers):
        yield from packed.unpack(batch)
