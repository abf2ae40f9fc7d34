"""A release's parquet shards read back (by training, the audit, the report and takedowns): columns, then pixels."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def read_shards(root: Path, columns: list[str], *, ids: list[str] | None = None) -> pa.Table:
    """The ``columns`` of every ``data/*.parquet`` shard, in file order, and ``split`` (from each file's name);
    only the rows of ``ids`` when given. A column a shard lacks (``votes`` before it existed) reads as nulls;
    no shard gives no rows."""
    tables = []
    for path in sorted(Path(root, "data").glob("*.parquet")):
        present = [c for c in columns if c in pq.read_schema(path).names]
        table = pq.read_table(path, columns=present, filters=[("id", "in", ids)] if ids is not None else None)
        for name in columns:
            if name not in present:
                table = table.append_column(name, pa.nulls(table.num_rows))
        split = path.name.split("-", 1)[0]
        tables.append(table.select(columns).append_column("split", pa.array([split] * table.num_rows, pa.string())))
    if not tables:
        return pa.table({**{name: pa.nulls(0) for name in columns}, "split": pa.array([], pa.string())})
    return pa.concat_tables(tables, promote_options="permissive")


def decode_gray(table: pa.Table) -> np.ndarray:
    """The ``image`` column's PNGs decoded by Pillow into one ``(N, H, W)`` uint8 gray array."""
    from PIL import Image

    data = table.column("image").combine_chunks().field("bytes").to_pylist() if table.num_rows else []
    if not data:
        return np.zeros((0, 0, 0), dtype=np.uint8)
    return np.stack([np.asarray(Image.open(io.BytesIO(png)).convert("L")) for png in data])
