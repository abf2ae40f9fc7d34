"""SHA256SUMS and manifest.json: every file and image they list is there, as listed, and no other."""

from __future__ import annotations

from typing import Any

from ..labels import CLASS_NAMES
from .loaded import LoadedRelease
from .spec import CHECKSUMS, UNLISTED_FILES

REBUILD = "rebuild the release with `microe build` (or restore the file from the published copy)."
MANIFEST_REBUILD = ("rebuild the release with `microe build`; manifest.json is written from the same records as "
                    "the data.")

#: What ``manifest.json`` says it is (restated from the release format, not imported from its writer).
FORMAT, FORMAT_VERSION = "microe-release manifest", 1

#: Manifest record fields compared with the parquet rows.
COMPARED = ("index", "label", "split", "source")

#: Mismatching manifest records reported one by one before the rest are counted in one line.
MAX_LISTED = 20


def check_checksums(release: LoadedRelease) -> None:
    """Compare SHA256SUMS with the files on disk."""
    report = release.report
    path = release.root / CHECKSUMS
    if not path.is_file():
        report.error("missing-file", CHECKSUMS, f"{CHECKSUMS} does not exist, so no file can be verified.", REBUILD)
        return
    listed: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            report.error("checksum-format", f"{CHECKSUMS} > line {number}",
                         f"line is not '<sha256>  <path>': '{line[:80]}'.", REBUILD)
            continue
        listed[name] = digest
    on_disk = {path.relative_to(release.root).as_posix() for path in release.root.rglob("*") if path.is_file()}
    on_disk -= set(UNLISTED_FILES)
    for name, digest in sorted(listed.items()):
        if name not in on_disk:
            report.error("missing-file", name, f"{name} is listed in {CHECKSUMS} but does not exist.", REBUILD)
        elif release.sha256(release.root / name) != digest:
            report.error("checksum-mismatch", name,
                         f"sha256 of {name} is {release.sha256(release.root / name)[:16]}..., "
                         f"{CHECKSUMS} says {digest[:16]}...: the file changed after the build.", REBUILD)
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
        found[image_id] = {"index": rows.index[i], "label": label, "split": rows.splits[i], "source": rows.sources[i]}
    problems = [(image_id, "is in manifest.json but in no parquet shard")
                for image_id in sorted(set(claimed) - set(found))]
    problems += [(image_id, "is in the parquet shards but not in manifest.json")
                 for image_id in sorted(set(found) - set(claimed))]
    for image_id in sorted(set(found) & set(claimed)):
        differ = [f"{key} {claimed[image_id].get(key)!r} vs {found[image_id][key]!r}" for key in COMPARED
                  if claimed[image_id].get(key) != found[image_id][key]]
        if differ:
            problems.append((image_id, "differs from its parquet row: " + ", ".join(differ)))
    for image_id, message in problems[:MAX_LISTED]:
        report.error("manifest-mismatch", f"manifest.json > {image_id}", f"image {image_id} {message}.",
                     MANIFEST_REBUILD)
    if len(problems) > MAX_LISTED:
        report.error("manifest-mismatch", "manifest.json",
                     f"{len(problems) - MAX_LISTED} more images disagree between manifest.json and the shards.",
                     MANIFEST_REBUILD)
