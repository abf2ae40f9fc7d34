"""``data/{split}-0000i-of-0000N.parquet``: the Hugging Face datasets layout."""

from __future__ import annotations

import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..features import VALUE_COLUMNS, arrow_schema
from ..records import ImageRecord, Manifest
from ..store import ImageStore

#: Largest shard, in PNG bytes (the Hub's own default max_shard_size is 500 MB).
MAX_SHARD_BYTES = 500 * 1024 * 1024

#: Rows per parquet row group: small groups let the Hub viewer and streaming readers fetch little.
ROW_GROUP_SIZE = 1000


def _shards(records: list[ImageRecord], store: ImageStore) -> list[list[ImageRecord]]:
    """``records`` cut into equal runs of at most about ``MAX_SHARD_BYTES`` of PNG."""
    total = sum(store.png_length(r.id) for r in records)
    count = max(1, math.ceil(total / MAX_SHARD_BYTES))
    per = math.ceil(len(records) / count) if records else 0
    return [records[i * per:(i + 1) * per] for i in range(count)]


def write_parquet(manifest: Manifest, out_dir: Path, store: ImageStore) -> list[Path]:
    """Write every split's shards, ``data/{split}-0000i-of-0000N.parquet``, rows in index order; returns the files."""
    schema = arrow_schema(manifest.class_names)
    image_type = schema.field("image").type
    label_ids = {name: i for i, name in enumerate(manifest.class_names)}
    written = []
    (out_dir / "data").mkdir(parents=True, exist_ok=True)
    for split in manifest.split_names:
        shards = _shards(manifest.records_of(split), store)
        for i, shard in enumerate(shards):
            path = out_dir / f"data/{split}-{i:05d}-of-{len(shards):05d}.parquet"
            with pq.ParquetWriter(path, schema, compression="snappy") as writer:
                for start in range(0, max(len(shard), 1), ROW_GROUP_SIZE):
                    chunk = shard[start:start + ROW_GROUP_SIZE]
                    image = pa.StructArray.from_arrays(
                        [pa.array(list(store.iter_png(r.id for r in chunk)), pa.binary()),
                         pa.array([f"{r.id}.png" for r in chunk], pa.string())],
                        fields=list(image_type))  # built from columns: no dict per row
                    columns = {name: [getattr(r, name) for r in chunk] for name, _ in VALUE_COLUMNS}
                    table = pa.Table.from_pydict(
                        {"image": image, "label": [label_ids[r.label] for r in chunk], **columns}, schema=schema)
                    writer.write_table(table, row_group_size=ROW_GROUP_SIZE)
            written.append(path)
    return written


def split_sizes(out_dir: Path, split_names: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """Per split: ``num_examples``, ``num_bytes`` (uncompressed) and ``download_size`` from the shards."""
    sizes = {}
    for split in split_names:
        rows = num_bytes = download = 0
        for path in sorted((out_dir / "data").glob(f"{split}-*.parquet")):
            meta = pq.read_metadata(path)
            rows += meta.num_rows
            num_bytes += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
            download += path.stat().st_size
        sizes[split] = {"num_examples": rows, "num_bytes": num_bytes, "download_size": download}
    return sizes
