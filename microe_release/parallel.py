"""Process source items on all cores with a bounded window, so memory stays flat on any source size."""

from __future__ import annotations

import itertools
import pickle
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from .distributed import MAX_TASK_RETRIES, ordered_quiet_context, ray_session
from .processing import PackedBatch, load_of, process_loads
from .records import SourceItem
from .store import SpillSink
from .workers import default_workers, worker_pool

#: Items sent to a worker at once: large enough to amortise the round trip, small enough to balance load.
BATCH_SIZE = 128

#: Batches in flight per worker: keeps every core busy while bounding memory.
WINDOW_PER_WORKER = 4


def _batches(items: Iterable[SourceItem], size: int) -> Iterator[list[SourceItem]]:
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def process_batches(
    items: Iterable[SourceItem], *, size: int, workers: int | None = None,
    pool: ProcessPoolExecutor | None = None, sink: SpillSink | None = None,
) -> Iterator[tuple[list[SourceItem], PackedBatch]]:
    """Process items in order on ``workers`` processes (1: in this process), a batch at a time.

    At most ``workers * WINDOW_PER_WORKER`` batches are in flight, so a source of any size streams.
    ``pool`` (from :func:`worker_pool`) is used when given; with ``sink`` pool workers append the
    image bytes to the build's image store themselves.
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


#: Source items per Ray Data block, one task each: Ray's per-task overhead stays small against ~1 s
#: of decoding, and a worker's memory stays bounded (~10 MB).
LISTING_BLOCK = 1024


def _process_listing_batch(batch: Any, size: int) -> Any:
    """Ray task body: a block of pickled loads in, one row (the block's start, its PackedBatch) out."""
    import pyarrow as pa

    loads = [pickle.loads(blob) for blob in batch.column("load").to_pylist()]
    packed = process_loads(loads, size)
    start = batch.column("position")[0].as_py()
    return pa.table({"start": pa.array([start], pa.int64()),
                     "packed": pa.array([pickle.dumps(packed, protocol=5)], pa.large_binary())})


def _listing_blocks(items: list[SourceItem]) -> list[Any]:
    """The source listing as Arrow tables of pickled loads."""
    import pyarrow as pa

    blocks = []
    for start in range(0, len(items), LISTING_BLOCK):
        chunk = items[start:start + LISTING_BLOCK]
        blocks.append(pa.table({
            "position": pa.array(range(start, start + len(chunk)), pa.int64()),
            "load": pa.array([pickle.dumps(load_of(item), protocol=5) for item in chunk], pa.binary())}))
    return blocks


def process_batches_ray(items: Iterable[SourceItem], *, size: int, address: str | None = None,
                        workers: int | None = None) -> Iterator[tuple[list[SourceItem], PackedBatch]]:
    """:func:`process_batches` as Ray Data tasks, in order; a task whose worker dies is run again."""
    with ray_session(address, workers) as ray, ordered_quiet_context(ray):
        listing = list(items)
        blocks = _listing_blocks(listing)
        if not blocks:
            return
        dataset = ray.data.from_arrow(blocks).map_batches(
            _process_listing_batch, batch_size=None, batch_format="pyarrow", fn_kwargs={"size": size},
            max_retries=MAX_TASK_RETRIES)
        for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
            for start, blob in zip(batch.column("start").to_pylist(), batch.column("packed").to_pylist(), strict=True):
                packed = pickle.loads(blob)
                yield listing[start:start + len(packed.results)], packed
