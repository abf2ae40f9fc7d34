"""``CITATION.cff``: Citation File Format 1.2.0, ``type: dataset``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..licenses import get_license
from ..records import Manifest


def build_citation(manifest: Manifest) -> dict[str, Any]:
    """The CFF document as a dict (dates as strings, as the schema wants)."""
    meta = manifest.metadata
    authors = []
    for c in meta.creators:
        author: dict[str, Any] = {"family-names": c.family, "given-names": c.given}
        if c.affiliation:
            author["affiliation"] = c.affiliation
        if c.orcid:
            author["orcid"] = f"https://orcid.org/{c.orcid}"
        authors.append(author)
    cff: dict[str, Any] = {
        "cff-version": "1.2.0",
        "message": "If you use this dataset, please cite it as below.",
        "type": "dataset",
        "title": meta.citation_title,
        "version": manifest.version,
        "date-released": meta.date_published,
        "abstract": meta.description,
        "authors": authors,
        "license": get_license(meta.license).spdx,
        "keywords": list(meta.keywords),
    }
    if meta.homepage:
        cff["url"] = meta.homepage
    if manifest.doi:
        cff["doi"] = manifest.doi
        cff["identifiers"] = [{"type": "doi", "value": manifest.doi, "description": f"Version {manifest.version}"}]
        if manifest.concept_doi:
            cff["identifiers"].append({"type": "doi", "value": manifest.concept_doi, "description": "All versions"})
    return cff


def write_citation(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Write ``CITATION.cff``; returns the file written."""
    path = out_dir / "CITATION.cff"
    text = yaml.safe_dump(build_citation(manifest), sort_keys=False, allow_unicode=True, width=100)
    path.write_text(text, encoding="utf-8")
    return [path]
