"""``--engine ray``: the per-image work of build and validate as Ray Data ``map_batches``.

Only the per-image work runs on Ray: decoding, gray conversion, resizing, hashing and PNG encoding
for ``microe build`` (the same :func:`~microe_release.processing.process_loads` the local pool runs),
and the image facts for ``microe validate`` (the same
:func:`~microe_release.validation.facts.image_facts`). The global steps (exact and near-duplicate
groups, label conflicts, stratified group splits, leakage) stay on the driver and see only small
per-image records, so both engines write byte-identical releases.

Without an address a local Ray is started for the call (and stopped after it); with one
(``--ray-address auto`` or ``ray://host:10001``) the call joins that cluster. A Ray already started
in this process (``ray.init()`` by the caller) is used as it is.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .processing import PackedBatch, load_of, process_loads
from .records import SourceItem

logger = logging.getLogger(__name__)

#: Source items per Ray Data block, processed by one task in one call (Ray Data's own per-batch
#: slicing cost more than it spread): large enough that Ray's per-task overhead is small against
#: ~1 s of decoding, small enough to spread over every worker and bound a worker's memory (~10 MB).
LISTING_BLOCK = 1024

#: Times a task whose worker process dies (killed, out of memory, node lost) is run again. Only such
#: system failures are retried: a bad image is not an exception but a reported skip.
MAX_TASK_RETRIES = 3

#: What to run when the extra is missing.
INSTALL_HINT = "pip install 'microe-release[ray]'"

#: The engines ``--engine`` accepts.
ENGINES = ("local", "ray")


def check_engine(engine: str) -> None:
    """An unknown engine name is a configuration error that lists the valid ones."""
    if engine not in ENGINES:
        msg = f"unknown engine '{engine}'; use one of {', '.join(ENGINES)}."
        raise ConfigError(msg, field="engine")


def import_ray() -> Any:
    """Import Ray Data, or say how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as err:
        msg = f"--engine ray needs Ray Data, which is not installed here ({err}); install it with {INSTALL_HINT}."
        raise ConfigError(msg, field="engine") from err
    return ray


@contextlib.contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator[Any]:
    """Ray, started locally or joined at ``address`` for the block (an already running Ray is reused)."""
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.WARNING}
    try:
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=num_cpus, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as err:
        where = f"the Ray cluster at '{address}'" if address else "a local Ray"
        msg = (f"cannot start or join {where}: {err}. Check --ray-address (e.g. 'auto' on a cluster node, "
               "'ray://HEAD:10001' from outside), or leave it out to start a local Ray.")
        raise ConfigError(msg, field="ray_address") from err
    try:
        yield ray
    finally:
        ray.shutdown()


@contextlib.contextmanager
def _ordered_quiet_context(ray: Any) -> Iterator[None]:
    """Keep rows in input order (so both engines see the same sequence) and Ray's own bars off."""
    context = ray.data.DataContext.get_current()
    saved = (context.execution_options.preserve_order, context.enable_progress_bars)
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    try:
        yield
    finally:
        context.execution_options.preserve_order, context.enable_progress_bars = saved


def _process_listing_batch(batch: Any, size: int) -> Any:
    """Ray task body: a block of pickled loads in, one row out (the block's start and its PackedBatch)."""
    import pyarrow as pa

    loads = [pickle.loads(blob) for blob in batch.column("load").to_pylist()]
    packed = process_loads(loads, size)
    start = batch.column("position")[0].as_py()
    return pa.table({"start": pa.array([start], pa.int64()),
                     "packed": pa.array([pickle.dumps(packed, protocol=5)], pa.large_binary())})


def _listing_blocks(items: list[SourceItem]) -> list[Any]:
    """The source listing as Arrow tables of pickled loads (the only per-image data the driver sends)."""
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
    """Like :func:`~microe_release.parallel.process_batches`, as Ray Data tasks; results stream back in order.

    A task whose worker dies is retried by Ray (its items are processed again, with the same result),
    so a lost worker costs time, not images.
    """
    with ray_session(address, workers) as ray, _ordered_quiet_context(ray):
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


def _facts_schema() -> Any:
    """Arrow types of the facts columns (pHash is an unsigned 64-bit value)."""
    import pyarrow as pa

    return pa.schema([("shape", pa.list_(pa.int64())), ("dtype", pa.string()), ("content_id", pa.string()),
                      ("phash", pa.uint64()), ("text_digest", pa.binary())])


def _facts_batch(batch: Any, size: int) -> Any:
    """Ray task body: parquet ``image`` structs in, image facts out (as columns)."""
    import pyarrow as pa

    from .validation.facts import facts_to_columns, image_facts

    images = batch.column("image").combine_chunks().field("bytes").to_pylist()
    return pa.table(facts_to_columns(image_facts(images, size)), schema=_facts_schema())


def image_facts_ray(shards: list[Path], size: int, *, address: str | None = None,
                    workers: int | None = None) -> list[Any]:
    """:func:`~microe_release.validation.facts.image_facts` of every row of ``shards``, in file and row order."""
    from .validation.facts import facts_from_columns

    if not shards:
        return []
    with ray_session(address, workers) as ray, _ordered_quiet_context(ray):
        dataset = ray.data.read_parquet([str(p) for p in shards]).select_columns(["image"]).map_batches(
            _facts_batch, batch_size=1024, batch_format="pyarrow", fn_kwargs={"size": size},
            max_retries=MAX_TASK_RETRIES)
        facts = []
        for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
            facts += facts_from_columns(batch.to_pydict())
    return facts
