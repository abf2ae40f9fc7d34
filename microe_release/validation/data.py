"""The data: parquet shards and ``load_dataset``, SHA256SUMS and manifest.json, leakage between splits."""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter, defaultdict
from typing import Any

import numpy as np

from ..labels import CLASS_NAMES
from .loaded import REBUILD, LoadedRelease, report_listed
from .spec import (
    CHECKSUMS,
    NEAR_DUPLICATE_BITS,
    RELEASE_ARROW_TYPES,
    RELEASE_FEATURES,
    SPLIT_ORDER,
    UNLISTED_FILES,
    arrow_type_name,
)

RESTORE = "rebuild the release with `microe build` (or restore the file from the published copy)."
MANIFEST_REBUILD = ("rebuild the release with `microe build`; manifest.json is written from the same records as "
                    "the data.")
LEAK_REBUILD = "rebuild the release with `microe build`: its splits keep identical and near-duplicate images together."

#: What ``manifest.json`` says it is (restated from the release format, not imported from its writer).
FORMAT, FORMAT_VERSION = "microe-release manifest", 1

#: Manifest record fields compared with the parquet rows (and ``votes``, in manifests that have them).
COMPARED = ("index", "label", "split", "source")


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
        for name, expected in RELEASE_ARROW_TYPES.items():
            field = schema.field(name) if name in schema.names else None
            if field is not None and arrow_type_name(field.type) != expected:
                report.error("parquet-schema", f"{rel} > {name}",
                             f"column '{name}' is {arrow_type_name(field.type)}, expected {expected}.", REBUILD)
        meta = json.loads((schema.metadata or {}).get(b"huggingface", b"{}"))
        features = meta.get("info", {}).get("features")
        if features != RELEASE_FEATURES:
            names = (features or {}).get("label", {}).get("names")
            detail = f"class names {names}" if names != list(CLASS_NAMES) else "features differ"
            report.error("parquet-features", f"{rel} > schema",
                         f"datasets features of {rel} are not the release's ({detail}; expected {list(CLASS_NAMES)}).",
                         REBUILD)
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
    first: dict[str, int] = {}
    for i, image_id in enumerate(rows.ids):
        other = first.setdefault(image_id, i)
        if other != i:
            report.error("duplicate-id", f"{rows.place(i)} > id", f"id '{image_id}' is also at {rows.place(other)}.",
                         REBUILD)
    if sorted(rows.index) != list(range(len(rows.index))):
        counts = Counter(rows.index)
        bad = next((i for i in range(len(rows.index)) if counts.get(i) != 1), len(rows.index))
        report.error("index-range", "data/ > index",
                     f"index is not 0..{len(rows.index) - 1} exactly once each (first wrong value: {bad}).", REBUILD)
    elif [i for _, i in sorted(zip(rows.ids, rows.index, strict=True))] != sorted(rows.index):
        report.error("index-order", "data/ > index", "index does not follow id order.", REBUILD)
    counts = Counter(rows.splits)
    if release.card is not None:
        splits = (release.card.get("dataset_info") or {}).get("splits") or []
        declared = {str(s.get("name")): s.get("num_examples") for s in splits if isinstance(s, dict)}
        for name in sorted(set(declared) | set(counts)):
            if declared.get(name) != counts.get(name, 0):
                report.error("split-size", f"README.md > dataset_info > splits > {name} > num_examples",
                             f"the card says {declared.get(name)} examples in '{name}', the parquet shards hold "
                             f"{counts.get(name, 0)}.", REBUILD)
    present = Counter(zip(rows.splits, rows.labels, strict=True))
    for split in sorted(set(rows.splits)):
        for class_id, name in enumerate(CLASS_NAMES):
            if not present.get((split, class_id)):
                report.warning("class-missing", f"data/ > {split} > {name}",
                               f"the '{split}' split has no '{name}' image: per-class metrics on it are undefined.",
                               "add images of that class to the sources, or accept it for this release.")


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
    report.stats["load_dataset_splits"] = sizes


def check_checksums(release: LoadedRelease) -> None:
    """Compare SHA256SUMS with the files on disk."""
    report = release.report
    path = release.root / CHECKSUMS
    if not path.is_file():
        report.error("missing-file", CHECKSUMS, f"{CHECKSUMS} does not exist, so no file can be verified.", RESTORE)
        return
    listed: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            report.error("checksum-format", f"{CHECKSUMS} > line {number}",
                         f"line is not '<sha256>  <path>': '{line[:80]}'.", RESTORE)
            continue
        listed[name] = digest
    on_disk = {path.relative_to(release.root).as_posix() for path in release.root.rglob("*") if path.is_file()}
    on_disk -= set(UNLISTED_FILES)
    for name, digest in sorted(listed.items()):
        if name not in on_disk:
            report.error("missing-file", name, f"{name} is listed in {CHECKSUMS} but does not exist.", RESTORE)
        elif release.sha256(release.root / name) != digest:
            report.error("checksum-mismatch", name,
                         f"sha256 of {name} is {release.sha256(release.root / name)[:16]}..., "
                         f"{CHECKSUMS} says {digest[:16]}...: the file changed after the build.", RESTORE)
    for name in sorted(on_disk - set(listed)):
        report.error("unlisted-file", name, f"{name} is not listed in {CHECKSUMS}.",
                     f"remove it, or rebuild so that {CHECKSUMS} covers it.")


def check_manifest(release: LoadedRelease) -> None:
    """Each manifest record matches the parquet row of its id (index, label, split, source), both ways."""
    data = release.json("manifest.json")
    if data is None:
        return
    report = release.report
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
        report.error("manifest-format", "manifest.json", f"manifest.json is not a {FORMAT} version {FORMAT_VERSION}.",
                     MANIFEST_REBUILD)
        return
    fields = data.get("record_fields", [])
    if not set(COMPARED) | {"id"} <= set(fields):
        report.error("manifest-format", "manifest.json",
                     f"manifest.json records lack fields {sorted(set(COMPARED) - set(fields))}.", MANIFEST_REBUILD)
        return
    records = (dict(zip(fields, row, strict=False)) for row in data.get("records", []))
    claimed: dict[str, dict[str, Any]] = {str(record["id"]): record for record in records}
    rows = release.rows
    found = {}
    for i, image_id in enumerate(rows.ids):
        label = CLASS_NAMES[rows.labels[i]] if 0 <= rows.labels[i] < len(CLASS_NAMES) else rows.labels[i]
        found[image_id] = {"index": rows.index[i], "label": label, "split": rows.splits[i], "source": rows.sources[i],
                           "votes": rows.votes[i]}
    problems = [(image_id, "is in manifest.json but in no parquet shard")
                for image_id in sorted(set(claimed) - set(found))]
    problems += [(image_id, "is in the parquet shards but not in manifest.json")
                 for image_id in sorted(set(found) - set(claimed))]
    removed = {str(e.get("id")): e for e in data.get("excluded") or [] if isinstance(e, dict)}
    problems += [(image_id, f"was removed on request ({removed[image_id].get('reason')}) but is in the parquet shards")
                 for image_id in sorted(set(removed) & set(found))]
    relabelled = {str(e.get("id")): e for e in data.get("relabels") or [] if isinstance(e, dict)}
    problems += [(image_id, f"was relabelled '{entry.get('new')}' ({entry.get('reason')}) but is "
                            f"'{found[image_id]['label']}' in the parquet shards")
                 for image_id, entry in sorted(relabelled.items())
                 if image_id in found and found[image_id]["label"] != entry.get("new")]
    for image_id in sorted(set(found) & set(claimed)):
        differ = [f"{key} {claimed[image_id].get(key)!r} vs {found[image_id][key]!r}" for key in (*COMPARED, "votes")
                  if claimed[image_id].get(key) != found[image_id][key]]
        if differ:
            problems.append((image_id, "differs from its parquet row: " + ", ".join(differ)))
    report_listed(report, "manifest-mismatch",
                  [(f"manifest.json > {image_id}", f"image {image_id} {message}.") for image_id, message in problems],
                  "manifest.json", "more images disagree between manifest.json and the shards.", MANIFEST_REBUILD)


def close_hash_pairs(hashes: list[int], max_bits: int = NEAR_DUPLICATE_BITS) -> list[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of 64-bit hashes at most ``max_bits`` bits apart, sorted."""
    # hashes at most max_bits apart are equal in one of max_bits + 1 bit fields: per field, sort by it and compare
    # each hash with its 1st, 2nd, ... successor while they share the field, all at once per step
    values = np.asarray(hashes, dtype=np.uint64)
    n = len(values)
    fields = max_bits + 1
    found = [np.empty(0, dtype=np.int64)]  # each pair as the code i * n + j
    for number in range(fields):
        lo, hi = 64 * number // fields, 64 * (number + 1) // fields
        keys = (values >> np.uint64(lo)) & np.uint64((1 << (hi - lo)) - 1)
        order = np.argsort(keys, kind="stable")
        keys, ordered = keys[order], values[order]
        position = np.arange(n)
        step = 1
        while True:
            position = position[position + step < n]
            position = position[keys[position + step] == keys[position]]
            if not len(position):
                break
            near = position[np.bitwise_count(ordered[position] ^ ordered[position + step]) <= max_bits]
            a, b = order[near].astype(np.int64), order[near + step].astype(np.int64)
            found.append(np.minimum(a, b) * n + np.maximum(a, b))
            step += 1
    codes = np.unique(np.concatenate(found))
    return list(zip((codes // n).tolist(), (codes % n).tolist(), strict=True))


def check_leakage(release: LoadedRelease) -> None:
    """Compare splits by id, by recomputed content id, and by perceptual hash."""
    report = release.report
    rows = release.rows
    size = release.image_size
    by_id: dict[str, set[str]] = defaultdict(set)
    for image_id, split in zip(rows.ids, rows.splits, strict=True):
        by_id[image_id].add(split)
    for image_id, splits in sorted(by_id.items()):
        if len(splits) > 1:
            report.error("leak-id", f"data/ > id {image_id}", f"id '{image_id}' is in splits {sorted(splits)}.", LEAK_REBUILD)
    facts = release.facts
    valid = [i for i, f in enumerate(facts) if f.is_release_image(size)]
    content: dict[str, list[int]] = defaultdict(list)
    for i in valid:
        content[facts[i].content_id].append(i)
    order = {name: n for n, name in enumerate(SPLIT_ORDER)}
    for members in content.values():
        if len({rows.splits[i] for i in members}) > 1:
            # the copy is reported where it leaked to: train first, then validation, then test
            first, *rest = sorted(members, key=lambda i: (order.get(rows.splits[i], 9), i))
            for i in rest:
                if rows.splits[i] != rows.splits[first]:
                    report.error("leak-identical", f"{rows.place(i)} > image",
                                 f"identical to the image at {rows.place(first)} ('{rows.splits[first]}' split).",
                                 LEAK_REBUILD)
    near = 0
    for a, b in close_hash_pairs([facts[i].phash for i in valid]):
        i, j = valid[a], valid[b]
        # identical pixels have the same content id (and are reported above)
        if rows.splits[i] != rows.splits[j] and facts[i].content_id != facts[j].content_id:
            near += 1
            report.error("leak-near-duplicate", f"{rows.place(j)} > image",
                         f"near-duplicate (pHash within {NEAR_DUPLICATE_BITS} bits) of the image at {rows.place(i)} in "
                         f"the '{rows.splits[i]}' split.", LEAK_REBUILD)
    report.stats["near_duplicate_pairs_across_splits"] = near


def _data_counts(release: LoadedRelease) -> dict[str, Any]:
    """The counts every metadata file states, computed from the parquet rows themselves."""
    rows = release.rows
    classes = [CLASS_NAMES[i] if 0 <= i < len(CLASS_NAMES) else str(i) for i in rows.labels]
    by_split, by_class = Counter(rows.splits), Counter(classes)
    split_names = [s for s in SPLIT_ORDER if s in by_split]
    by_split_class = Counter(zip(rows.splits, classes, strict=True))
    return {
        "total": len(classes),
        "by_split": {s: by_split[s] for s in split_names},
        "by_class": {c: by_class[c] for c in CLASS_NAMES},
        "by_split_class": {s: {c: by_split_class[s, c] for c in CLASS_NAMES} for s in split_names},
        "by_source": dict(sorted(Counter(rows.sources).items())),
    }


def _card_counts(text: str) -> dict[str, Any]:
    """``Images: N`` and the class-by-split table of the card's body, as a reader of the card sees them."""
    stated: dict[str, Any] = {}
    if match := re.search(r"\*\*Images:\*\* ([\d,]+)", text):
        stated["total"] = int(match[1].replace(",", ""))
    lines = text.partition("Images per class and split:")[2].strip().splitlines()
    table = lines[:next((n for n, line in enumerate(lines) if not line.startswith("|")), len(lines))]
    if len(table) > 2:
        head = [c.strip() for c in table[0].strip("|").split("|")]
        splits = head[2:-1]
        stated["by_split_class"] = {s: {} for s in splits}
        for line in table[2:]:
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not line.startswith("|") or len(cells) != len(head) or cells[0] not in CLASS_NAMES:
                continue
            for split, cell in zip(splits, cells[2:-1], strict=True):
                stated["by_split_class"][split][cells[0]] = int(cell.replace(",", ""))
    return stated


def check_counts(release: LoadedRelease) -> None:
    """The counts in build-report.json and the dataset card against the data; croissant's file hashes and sizes."""
    report = release.report
    actual = _data_counts(release)
    build = release.json("build-report.json")
    claims = [("build-report.json > counts", (build or {}).get("counts") or {}, ("total", "by_split", "by_class",
                                                                               "by_split_class", "by_source"))]
    if release.card_text is not None:
        claims.append(("README.md > body", _card_counts(release.card_text), ("total", "by_split_class")))
    for where, stated, keys in claims:
        for key in keys:
            if key == "by_source" and isinstance(stated.get(key), dict):  # a source none of whose images is left
                stated = {**stated, key: {name: n for name, n in stated[key].items() if n != 0}}
            if key in stated and stated[key] != actual[key]:
                report.error("count-mismatch", f"{where} > {key}",
                             f"says {json.dumps(stated[key])}, the parquet rows give {json.dumps(actual[key])}.",
                             REBUILD)
            elif key not in stated:
                report.error("count-mismatch", f"{where} > {key}", "states no count to check.", REBUILD)
    croissant = release.json("croissant.json") or {}
    for number, record_set in enumerate(croissant.get("recordSet") or []):
        said = re.search(r"(\d+) in all", str(record_set.get("description", ""))) if isinstance(record_set, dict) else None
        if said and int(said.group(1)) != actual["total"]:
            report.error("count-mismatch", f"croissant.json > recordSet > {number} > description",
                         f"says {said.group(1)} images in all, the parquet rows give {actual['total']}.", REBUILD)
    for number, item in enumerate(croissant.get("distribution") or []):
        url = item.get("contentUrl") if isinstance(item, dict) else None
        if not url:
            continue
        where, path = f"croissant.json > distribution > {number} ({url})", release.root / url
        if not path.is_file() or not path.resolve().is_relative_to(release.root.resolve()):
            report.error("croissant-file", where, f"{url} is not a file of the release.", REBUILD)
            continue
        if item.get("sha256") != release.sha256(path):
            report.error("croissant-file", f"{where} > sha256", f"says {str(item.get('sha256'))[:16]}..., the file's "
                         f"sha256 is {release.sha256(path)[:16]}....", REBUILD)
        if item.get("contentSize") != f"{path.stat().st_size} B":
            report.error("croissant-file", f"{where} > contentSize",
                         f"says {item.get('contentSize')!r}, the file has {path.stat().st_size} bytes.", REBUILD)
