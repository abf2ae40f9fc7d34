"""``microe validate --engine ray``: the image facts of every parquet row, as Ray Data tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..distributed import MAX_TASK_RETRIES, ordered_quiet_context, ray_session


def _facts_batch(batch: Any, size: int) -> Any:
    """Ray task body: parquet ``image`` structs in, image facts out (as columns; the pHash unsigned 64-bit)."""
    import pyarrow as pa

    from .facts import facts_to_columns, image_facts

    schema = pa.schema([("shape", pa.list_(pa.int64())), ("dtype", pa.string()), ("content_id", pa.string()),
                        ("phash", pa.uint64()), ("pixel_digest", pa.binary())])
    images = batch.column("image").combine_chunks().field("bytes").to_pylist()
    return pa.table(facts_to_columns(image_facts(images, size)), schema=schema)


def image_facts_ray(shards: list[Path], size: int, *, address: str | None = None) -> list[Any]:
    """:func:`~microe_release.validation.facts.image_facts` of every row of ``shards``, in file and row order."""
    from .facts import facts_from_columns

    if not shards:
        return []
    with ray_session(address) as ray, ordered_quiet_context(ray):
        dataset = ray.data.read_parquet([str(p) for p in shards]).select_columns(["image"]).map_batches(
            _facts_batch, batch_size=1024, batch_format="pyarrow", fn_kwargs={"size": size},
            max_retries=MAX_TASK_RETRIES)
        facts = []
        for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
            facts += facts_from_columns(batch.to_pydict())
    return facts
