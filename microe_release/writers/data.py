"""The data files, read from the image store: parquet shards, ``microe.csv`` and the ``images/`` tree."""

from __future__ import annotations

import csv
import functools
import io
import math
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..features import VALUE_COLUMNS, VOTES, arrow_schema
from ..records import Manifest
from ..store import ImageStore

#: Largest shard, in PNG bytes (the Hub's own default max_shard_size is 500 MB).
MAX_SHARD_BYTES = 500 * 1024 * 1024

#: Rows per parquet row group: small groups let the Hub viewer and streaming readers fetch little.
ROW_GROUP_SIZE = 1000

#: Columns, in order: FER2013's emotion + pixels, plus the release's own identifiers and the annotators' votes.
CSV_COLUMNS = ("index", "id", "label", "emotion", "pixels", "split", "source", "license", VOTES)


def write_parquet(manifest: Manifest, out_dir: Path, store: ImageStore) -> list[Path]:
    """Write every split's shards, ``data/{split}-0000i-of-0000N.parquet`` (the Hugging Face datasets layout)."""
    schema = arrow_schema(manifest.class_names)
    image_type = schema.field("image").type
    label_ids = {name: i for i, name in enumerate(manifest.class_names)}
    written = []
    (out_dir / "data").mkdir(parents=True, exist_ok=True)
    for split in manifest.split_names:
        records = manifest.records_of(split)  # cut into equal runs of at most about MAX_SHARD_BYTES of PNG
        count = max(1, math.ceil(sum(store.png_length(r.id) for r in records) / MAX_SHARD_BYTES))
        per = math.ceil(len(records) / count) if records else 0
        shards = [records[i * per:(i + 1) * per] for i in range(count)]
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
                        {"image": image, "label": [label_ids[r.label] for r in chunk], **columns,
                         VOTES: [r.votes for r in chunk]}, schema=schema)
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


@functools.cache  # a release has a handful of sources and licences, and a row each for every image
def _csv_field(value: str) -> bytes:
    """One free-text CSV field (source, licence), quoted only where RFC 4180 needs it."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([value])
    return buf.getvalue().encode("utf-8")


def vote_text(votes: tuple[int, ...] | None) -> bytes:
    """The CSV form of a ``votes`` list: its counts separated by single spaces, empty where there are none."""
    return b"" if votes is None else b" ".join(b"%d" % v for v in votes)


def write_csv(manifest: Manifest, out_dir: Path, store: ImageStore) -> list[Path]:
    """Write ``microe.csv``, FER2013-style, in index order (RFC 4180, ``\\n`` line ends); returns the file written."""
    label_ids = {name: i for i, name in enumerate(manifest.class_names)}
    path = out_dir / "microe.csv"
    with open(path, "wb") as handle:
        handle.write(",".join(CSV_COLUMNS).encode() + b"\n")
        # the pixel text (digits and single spaces, never quoted) comes ready-made from the image store
        handle.writelines(b"%d,%s,%s,%d,%s,%s,%s,%s,%s\n" % (r.index, r.id.encode(), r.label.encode(),
                                                             label_ids[r.label], store.text(r.id), str(r.split).encode(),
                                                             _csv_field(r.source), _csv_field(r.license),
                                                             vote_text(r.votes))
                          for r in manifest.records)
    return [path]


def write_images(manifest: Manifest, out_dir: Path, store: ImageStore) -> list[Path]:
    """Write each PNG as ``images/{split}/{label}/{id}.png`` (the ImageFolder layout); returns the files written."""
    for split in manifest.split_names:
        for label in manifest.class_names:
            (out_dir / "images" / split / label).mkdir(parents=True, exist_ok=True)
    written = [out_dir / "images" / str(r.split) / r.label / f"{r.id}.png" for r in manifest.records]
    for record, path in zip(manifest.records, written, strict=True):
        path.write_bytes(store.png(record.id))
    return written
