"""``.zenodo.json``: Zenodo deposit metadata (read by Zenodo's GitHub integration and by ``microe publish``)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from ..licenses import get_license
from ..records import Manifest
from .common import source_urls, write_json

#: Fields Zenodo's deposit API refuses to publish without.
ZENODO_REQUIRED = ("upload_type", "publication_date", "title", "creators", "description", "access_right", "license")


def build_zenodo(manifest: Manifest) -> dict[str, Any]:
    """The deposit metadata as a dict."""
    meta = manifest.metadata
    creators = []
    for c in meta.creators:
        creator: dict[str, Any] = {"name": f"{c.family}, {c.given}"}
        if c.affiliation:
            creator["affiliation"] = c.affiliation
        if c.orcid:
            creator["orcid"] = c.orcid
        creators.append(creator)
    related = [{"identifier": url, "relation": "isDerivedFrom", "resource_type": "dataset", "scheme": "url"}
               for _, url in source_urls(manifest)]
    if meta.homepage:
        related.append({"identifier": meta.homepage, "relation": "isDocumentedBy", "scheme": "url"})
    record: dict[str, Any] = {
        "upload_type": "dataset",
        "title": f"{meta.title} (version {manifest.version})",
        "publication_date": meta.date_published,
        "description": f"<p>{html.escape(meta.description)}</p>",
        "creators": creators,
        "access_right": "open",
        "license": get_license(meta.license).zenodo_id,
        "keywords": list(meta.keywords),
        "version": manifest.version,
        "related_identifiers": related,
    }
    if manifest.doi:
        record["doi"] = manifest.doi
    return record


def write_zenodo(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Write ``.zenodo.json``; returns the file written."""
    return [write_json(out_dir / ".zenodo.json", build_zenodo(manifest))]
