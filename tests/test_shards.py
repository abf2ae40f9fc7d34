"""One reader of a release's parquet shards for training, the audit, the report and takedowns."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image

from microe_release.shards import decode_gray, read_shards


def _png(value: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.full((4, 4), value, dtype=np.uint8)).save(out, format="PNG")
    return out.getvalue()


def _shard(path: Path, ids: list[str], votes: list[list[int] | None] | None = None) -> None:
    columns = {"image": [{"bytes": _png(i * 10), "path": f"{x}.png"} for i, x in enumerate(ids)], "id": ids}
    if votes is not None:
        columns["votes"] = pa.array(votes, pa.list_(pa.int32()))
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)


def test_read_shards_in_file_order_with_the_split_of_each(tmp_path: Path) -> None:
    _shard(tmp_path / "data" / "train-00000-of-00001.parquet", ["a", "b"], [[1, 2], None])
    _shard(tmp_path / "data" / "test-00000-of-00001.parquet", ["c"])  # from before the votes column
    table = read_shards(tmp_path, ["id", "votes", "image"])
    assert table.column_names == ["id", "votes", "image", "split"]
    assert table.column("id").to_pylist() == ["c", "a", "b"]
    assert table.column("split").to_pylist() == ["test", "train", "train"]
    assert table.column("votes").to_pylist() == [None, [1, 2], None]
    pixels = decode_gray(table)
    assert pixels.shape == (3, 4, 4) and pixels.dtype == np.uint8 and pixels[:, 0, 0].tolist() == [0, 0, 10]


def test_read_shards_only_the_ids_asked_for(tmp_path: Path) -> None:
    _shard(tmp_path / "data" / "train-00000-of-00001.parquet", ["a", "b", "c"])
    table = read_shards(tmp_path, ["id", "image"], ids=["c", "a", "zz"])
    assert table.column("id").to_pylist() == ["a", "c"]
    assert decode_gray(table)[:, 0, 0].tolist() == [0, 20]


def test_read_shards_of_a_folder_without_shards_has_no_rows(tmp_path: Path) -> None:
    table = read_shards(tmp_path, ["id", "image"])
    assert table.num_rows == 0 and table.column_names == ["id", "image", "split"]
    assert decode_gray(table).shape[0] == 0
