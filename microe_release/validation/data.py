"""Parquet shards: schema, class names, images, ids, index, split sizes; ``load_dataset`` round trip."""

from __future__ import annotations

import json
import tempfile
from collections import Counter

from ..labels import CLASS_NAMES
from .loaded import REBUILD, LoadedRelease
from .spec import RELEASE_FEATURES


def check_parquet(release: LoadedRelease) -> None:
    """Schema and features of each shard, then every row."""
    import pyarrow.parquet as pq

    report = release.report
    if not release.shards:
        report.error("missing-file", "data/", "no parquet shard in data/.", REBUILD)
        return
    for path in release.shards:
        rel = path.relative_to(release.root).as_posix()
        try:
            schema = pq.read_schema(path)
        except Exception:  # noqa: BLE001 - the rows loader reports unreadable files
            continue
        meta = json.loads((schema.metadata or {}).get(b"huggingface", b"{}"))
        features = meta.get("info", {}).get("features")
        if features != RELEASE_FEATURES:
            names = (features or {}).get("label", {}).get("names")
            detail = f"class names {names}" if names != list(CLASS_NAMES) else "features differ"
            report.error("parquet-features", f"{rel} > schema",
                         f"datasets features of {rel} are not the release's ({detail}; expected {list(CLASS_NAMES)}).",
                         REBUILD)
    _check_rows(release)


def _check_rows(release: LoadedRelease) -> None:
    report = release.report
    rows = release.rows
    size = release.image_size
    for facts, label, image_id, (file, row) in zip(release.facts, rows.labels, rows.ids, rows.where, strict=True):
        if facts.shape is None:
            report.error("image-undecodable", f"{file} > row {row} > image", "the image bytes do not decode.", REBUILD)
        elif not facts.is_release_image(size):
            report.error("image-shape", f"{file} > row {row} > image",
                         f"image is {facts.shape} {facts.dtype}, expected {size}x{size} mode L.", REBUILD)
        elif facts.content_id != image_id:
            report.error("id-mismatch", f"{file} > row {row} > id",
                         f"id '{image_id}' is not the content id of the row's image ('{facts.content_id}': "
                         f"the first 16 hex digits of the sha256 of '{size}x{size}:' and its pixels).", REBUILD)
        if not isinstance(label, int) or not 0 <= label < len(CLASS_NAMES):
            report.error("label-range", f"{file} > row {row} > label",
                         f"label {label} is not a class id 0..{len(CLASS_NAMES) - 1}.", REBUILD)
    first: dict[str, tuple[str, int]] = {}
    for image_id, (file, row) in zip(rows.ids, rows.where, strict=True):
        other = first.setdefault(image_id, (file, row))
        if other != (file, row):
            report.error("duplicate-id", f"{file} > row {row} > id",
                         f"id '{image_id}' is also at {other[0]} > row {other[1]}.", REBUILD)
    if sorted(rows.index) != list(range(len(rows.index))):
        counts = Counter(rows.index)
        bad = next((i for i in range(len(rows.index)) if counts.get(i) != 1), len(rows.index))
        report.error("index-range", "data/ > index",
                     f"index is not 0..{len(rows.index) - 1} exactly once each (first wrong value: {bad}).", REBUILD)
    elif [i for _, i in sorted(zip(rows.ids, rows.index, strict=True))] != sorted(rows.index):
        report.error("index-order", "data/ > index", "index does not follow id order.", REBUILD)
    _check_split_sizes(release, Counter(rows.splits))
    present = Counter(zip(rows.splits, rows.labels, strict=True))
    for split in sorted(set(rows.splits)):
        for class_id, name in enumerate(CLASS_NAMES):
            if not present.get((split, class_id)):
                report.warning("class-missing", f"data/ > {split} > {name}",
                               f"the '{split}' split has no '{name}' image: per-class metrics on it are undefined.",
                               "add images of that class to the sources, or accept it for this release.")


def _check_split_sizes(release: LoadedRelease, counts: Counter[str]) -> None:
    card = release.card
    if card is None:
        return
    splits = (card.get("dataset_info") or {}).get("splits") or []
    declared = {str(s.get("name")): s.get("num_examples") for s in splits if isinstance(s, dict)}
    for name in sorted(set(declared) | set(counts)):
        if declared.get(name) != counts.get(name, 0):
            release.report.error(
                "split-size", f"README.md > dataset_info > splits > {name} > num_examples",
                f"the card says {declared.get(name)} examples in '{name}', the parquet shards hold {counts.get(name, 0)}.",
                REBUILD)


def check_load_dataset(release: LoadedRelease) -> None:
    """``datasets.load_dataset(DIR)`` must work offline and give the card's features and sizes."""
    from datasets import ClassLabel, load_dataset
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()
    report = release.report
    try:
        with tempfile.TemporaryDirectory(prefix="microe-validate-") as cache:
            ds = load_dataset(str(release.root), cache_dir=cache)
            sizes = {name: ds[name].num_rows for name in ds}
            label = ds[next(iter(ds))].features.get("label")
    except Exception as err:  # noqa: BLE001 - any failure of the real loader is a finding
        report.error("load-dataset", "README.md > configs",
                     f"datasets.load_dataset('{release.root}') fails: {type(err).__name__}: {err}", REBUILD)
        return
    if not isinstance(label, ClassLabel) or label.names != list(CLASS_NAMES):
        report.error("load-dataset", "README.md > dataset_info > features > label",
                     f"load_dataset gives label {label}, expected ClassLabel{list(CLASS_NAMES)}.", REBUILD)
    release.report.stats["load_dataset_splits"] = sizes
