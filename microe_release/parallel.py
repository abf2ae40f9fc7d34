"""Process source items on all cores with a bounded window, so memory stays flat on any source size."""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from .processing import PackedBatch, load_of, process_loads
from .records import ProcessedImage, SkippedItem, SourceItem
from .store import SpillSink

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


def start_method() -> str:
    """``fork`` where the platform has it and this process runs no other thread, else ``spawn``.

    Forked workers start in milliseconds with the parent's imports; a spawned one starts a new
    interpreter and imports numpy, Pillow and the caller's main module (~0.3 s, on every core).
    Forking beside live threads (pyarrow's pools, a progress-bar monitor, a notebook kernel) can
    deadlock the child, so then the pool spawns.
    """
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


@contextlib.contextmanager
def worker_pool(workers: int | None = None) -> Iterator[ProcessPoolExecutor | None]:
    """The build's process pool, its workers started now (None with one worker: work in this process).

    Start it before any thread (so it may fork) and pass it to :func:`process_batches`.
    """
    workers = workers or default_workers()
    if workers == 1:
        yield None
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(start_method())) as pool:
        pool.submit(int).result()  # starts the workers (a fork must come before any thread)
        yield pool


def process_batches(
    items: Iterable[SourceItem], *, size: int, workers: int | None = None,
    pool: ProcessPoolExecutor | None = None, sink: SpillSink | None = None,
) -> Iterator[tuple[list[SourceItem], PackedBatch]]:
    """Process items in order on ``workers`` processes (1: in this process), a batch at a time.

    Workers get only what they read of each item (:func:`~microe_release.processing.load_of`) and
    send back one :class:`~microe_release.processing.PackedBatch`. At most
    ``workers * WINDOW_PER_WORKER`` batches are in flight, so a source of any size is streamed.
    ``pool`` (from :func:`worker_pool`) is used when given, else one is started for the call. With
    ``sink`` (:meth:`ImageStore.sink <microe_release.store.ImageStore.sink>`), pool workers append the
    image bytes to the build's image store themselves (PackedBatch.spill).
    """
    workers = workers or default_workers()
    if pool is not None:
        yield from _pooled(items, size, pool, workers, sink)
        return
    with worker_pool(workers) as own:
        if own is not None:
            yield from _pooled(items, size, own, workers, sink)
            return
    for batch in _batches(items, BATCH_SIZE):
        yield batch, process_loads([load_of(item) for item in batch], size)


def _pooled(items: Iterable[SourceItem], size: int, pool: ProcessPoolExecutor, workers: int,
            sink: SpillSink | None) -> Iterator[tuple[list[SourceItem], PackedBatch]]:
    window: deque[tuple[list[SourceItem], Future[PackedBatch]]] = deque()
    for batch in _batches(items, BATCH_SIZE):
        window.append((batch, pool.submit(process_loads, [load_of(item) for item in batch], size, sink)))
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
