"""``datapackage.json``: a Frictionless Data Package (v2 profile) over the CSV and the parquet shards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..licenses import get_license
from ..records import Manifest
from .common import data_files, file_sha256, write_json


def _table_schema(manifest: Manifest) -> dict[str, Any]:
    """The Table Schema of ``microe.csv``."""
    side = manifest.image_size
    return {
        "fields": [
            {"name": "index", "type": "integer", "title": "Index",
             "description": "Position of the image in id order (0..N-1).",
             "constraints": {"required": True, "unique": True, "minimum": 0}},
            {"name": "id", "type": "string", "title": "Content id",
             "description": "First 16 hex digits of the sha256 of the processed pixels.",
             "constraints": {"required": True, "unique": True, "pattern": "[0-9a-f]{16}"}},
            {"name": "label", "type": "string", "title": "Emotion class",
             "constraints": {"required": True, "enum": list(manifest.class_names)}},
            {"name": "emotion", "type": "integer", "title": "Class id",
             "description": "Position of label in: " + ", ".join(manifest.class_names) + ".",
             "constraints": {"required": True, "minimum": 0, "maximum": len(manifest.class_names) - 1}},
            {"name": "pixels", "type": "string", "title": "Pixels",
             "description": f"{side * side} space-separated gray values 0..255, row-major, {side}x{side}.",
             "constraints": {"required": True}},
            {"name": "split", "type": "string", "title": "Split",
             "constraints": {"required": True, "enum": list(manifest.split_names)}},
            {"name": "source", "type": "string", "title": "Source",
             "constraints": {"required": True, "enum": sorted({s["name"] for s in manifest.sources})}},
            {"name": "license", "type": "string", "title": "Source licence", "constraints": {"required": True}},
        ],
        "primaryKey": ["index"],
        "uniqueKeys": [["id"]],
    }


def write_datapackage(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Write ``datapackage.json`` (sizes and hashes read from the data files); returns the file written."""
    meta = manifest.metadata
    lic = get_license(meta.license)
    csv_path = out_dir / "microe.csv"
    resources: list[dict[str, Any]] = [{
        "name": "microe-csv", "type": "table", "path": "microe.csv", "title": "All images, FER2013-style CSV",
        "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
        "bytes": csv_path.stat().st_size, "hash": "sha256:" + file_sha256(csv_path),
        "dialect": {"delimiter": ",", "header": True}, "schema": _table_schema(manifest),
    }]
    # No "bytes" for the shards: frictionless reads parquet through pyarrow and reports every parquet byte
    # count as wrong ("actual is None"); the sizes are in croissant.json.
    resources += [{
        "name": path.stem, "path": path.relative_to(out_dir).as_posix(),
        "title": f"{path.stem.split('-')[0]} split, parquet shard (Hugging Face datasets layout)",
        "format": "parquet", "mediatype": "application/vnd.apache.parquet", "hash": "sha256:" + file_sha256(path),
    } for path in data_files(out_dir)]
    package: dict[str, Any] = {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": manifest.name.lower(), "id": f"https://doi.org/{manifest.doi}" if manifest.doi else None,
        "title": meta.title, "description": meta.description, "version": manifest.version,
        "created": f"{meta.date_published}T00:00:00Z", "homepage": meta.homepage, "keywords": list(meta.keywords),
        "licenses": [{"name": lic.spdx, "path": lic.url, "title": lic.title}],
        "contributors": [
            {"title": c.full_name, "givenName": c.given, "familyName": c.family,
             **({"organization": c.affiliation} if c.affiliation else {}),
             **({"path": f"https://orcid.org/{c.orcid}"} if c.orcid else {}),
             "roles": ["creator"]}
            for c in meta.creators
        ] + [{"title": c["name"], "roles": [c.get("role", "contributor")]} for c in meta.contributors],
        "sources": [{"title": f"{s['name']} ({s['format']}, licence {s['license']})",
                     **({"path": s["url"]} if s.get("url") else {})} for s in manifest.sources],
        "resources": resources,
    }
    return [write_json(out_dir / "datapackage.json", {k: v for k, v in package.items() if v not in (None, [], "")})]
