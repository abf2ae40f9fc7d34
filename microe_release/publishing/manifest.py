"""Write a DOI into every metadata file of a release (and its manifest.json)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..records import Manifest
from ..writers import WRITERS
from ..writers.license import write_checksums

#: The writers whose files carry the DOI.
DOI_WRITERS = ("manifest", "card", "datapackage", "croissant", "citation", "zenodo", "datacite")


def write_doi(release_dir: Path, manifest: Manifest, doi: str, concept_doi: str | None) -> None:
    """Rewrite every metadata file of ``release_dir`` (described by ``manifest``) with the DOI, then SHA256SUMS."""
    manifest = replace(manifest, doi=doi, concept_doi=concept_doi)
    for name in DOI_WRITERS:
        WRITERS[name](manifest, release_dir)
    write_checksums(manifest, release_dir)
