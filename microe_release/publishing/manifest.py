"""Rebuild a release's Manifest from its own files, and write a DOI into every metadata file."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from ..errors import PublishError
from ..labels import CLASS_NAMES
from ..metadata import parse_metadata
from ..records import ImageRecord, Manifest, SkippedItem, SkipReason
from ..writers import WRITERS
from ..writers.license import write_checksums

#: The writers whose files carry the DOI.
DOI_WRITERS = ("card", "datapackage", "croissant", "citation", "zenodo", "datacite")


def load_manifest(release_dir: Path) -> Manifest:
    """A Manifest from build-report.json and the parquet shards (enough for every metadata writer)."""
    import pyarrow.parquet as pq

    report_path = release_dir / "build-report.json"
    if not report_path.is_file():
        msg = f"'{release_dir}' has no build-report.json; publish a folder written by `microe build`."
        raise PublishError(msg)
    report = json.loads(report_path.read_text())
    records = []
    for path in sorted((release_dir / "data").glob("*.parquet")):
        split = path.name.split("-", 1)[0]
        table = pq.read_table(path, columns=["id", "label", "index", "source", "source_ref", "license"]).to_pydict()
        for i in range(len(table["id"])):
            records.append(ImageRecord(
                id=table["id"][i], label=CLASS_NAMES[table["label"][i]], source=table["source"][i],
                source_ref=table["source_ref"][i], license=table["license"][i], subject=None, fixed_split=None,
                phash=0, orig_width=0, orig_height=0, orig_mode="", blob_offset=0, blob_length=0,
                index=table["index"][i], split=split))
    records.sort(key=lambda r: r.index)
    return Manifest(
        name=report["name"], version=report["version"], image_size=report["image_size"],
        class_names=tuple(report["class_names"]), split_names=tuple(report["splits"]), records=records,
        skipped=[SkippedItem(source=s["source"], source_ref=s["source_ref"], reason=SkipReason(s["reason"]),
                             detail=s["detail"]) for s in report["skipped"]],
        duplicates=report["duplicates_merged"], near_duplicate_groups=report["near_duplicate_groups"],
        excluded=report.get("excluded_on_request", []), sources=report["sources"],
        metadata=parse_metadata(report["dataset_metadata"]), seed=report["seed"], config_hash=report["config_hash"],
    )


def write_doi(release_dir: Path, manifest: Manifest, doi: str, concept_doi: str | None) -> None:
    """Rewrite every metadata file of ``release_dir`` (described by ``manifest``) with the DOI, then SHA256SUMS."""
    manifest = replace(manifest, doi=doi, concept_doi=concept_doi)
    for name in DOI_WRITERS:
        WRITERS[name](manifest, release_dir)
    write_checksums(manifest, release_dir)
