"""``manifest.json`` against the data: every image it claims is in the shards, as it says, and no other."""

from __future__ import annotations

from typing import Any

from ..labels import CLASS_NAMES
from .loaded import LoadedRelease

#: What ``manifest.json`` says it is (restated from the release format, not imported from its writer).
FORMAT, FORMAT_VERSION = "microe-release manifest", 1

#: Record fields compared with the parquet rows.
COMPARED = ("index", "label", "split", "source")

REBUILD = "rebuild the release with `microe build`; manifest.json is written from the same records as the data."

#: Mismatching rows reported one by one before the rest are counted in one line.
MAX_LISTED = 20


def check_manifest(release: LoadedRelease) -> None:
    """Each manifest record matches the parquet row of its id (index, label, split, source), both ways."""
    data = release.json("manifest.json")
    if data is None:
        return
    report = release.report
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
        report.error("manifest-format", "manifest.json", f"manifest.json is not a {FORMAT} version {FORMAT_VERSION}.",
                     REBUILD)
        return
    fields = data.get("record_fields", [])
    if not set(COMPARED) | {"id"} <= set(fields):
        report.error("manifest-format", "manifest.json", f"manifest.json records lack fields {sorted(set(COMPARED) - set(fields))}.",
                     REBUILD)
        return
    claimed: dict[str, dict[str, Any]] = {}
    for row in data.get("records", []):
        record = dict(zip(fields, row, strict=False))
        claimed[str(record["id"])] = record
    rows = release.rows
    found = {}
    for i, image_id in enumerate(rows.ids):
        label = CLASS_NAMES[rows.labels[i]] if 0 <= rows.labels[i] < len(CLASS_NAMES) else rows.labels[i]
        found[image_id] = {"index": rows.index[i], "label": label, "split": rows.splits[i], "source": rows.sources[i]}
    problems = []
    for image_id in sorted(set(claimed) - set(found)):
        problems.append((f"manifest.json > {image_id}", "is in manifest.json but in no parquet shard"))
    for image_id in sorted(set(found) - set(claimed)):
        problems.append((f"manifest.json > {image_id}", "is in the parquet shards but not in manifest.json"))
    for image_id in sorted(set(found) & set(claimed)):
        differ = [f"{key} {claimed[image_id].get(key)!r} vs {found[image_id][key]!r}" for key in COMPARED
                  if claimed[image_id].get(key) != found[image_id][key]]
        if differ:
            problems.append((f"manifest.json > {image_id}", "differs from its parquet row: " + ", ".join(differ)))
    for where, message in problems[:MAX_LISTED]:
        report.error("manifest-mismatch", where, f"image {where.rsplit('> ', 1)[1]} {message}.", REBUILD)
    if len(problems) > MAX_LISTED:
        report.error("manifest-mismatch", "manifest.json",
                     f"{len(problems) - MAX_LISTED} more images disagree between manifest.json and the shards.", REBUILD)
