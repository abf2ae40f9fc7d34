"""``datacite.json``: DataCite Metadata Schema 4.x, JSON form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..licenses import get_license
from ..records import Manifest
from .common import source_urls, write_json


def build_datacite(manifest: Manifest) -> dict[str, Any]:
    """The DataCite record as a dict."""
    meta = manifest.metadata
    lic = get_license(meta.license)
    creators = []
    for c in meta.creators:
        creator: dict[str, Any] = {"name": f"{c.family}, {c.given}", "nameType": "Personal",
                                   "givenName": c.given, "familyName": c.family}
        if c.affiliation:
            creator["affiliation"] = [{"name": c.affiliation}]
        if c.orcid:
            creator["nameIdentifiers"] = [{"nameIdentifier": f"https://orcid.org/{c.orcid}",
                                           "nameIdentifierScheme": "ORCID", "schemeUri": "https://orcid.org"}]
        creators.append(creator)
    record: dict[str, Any] = {
        "types": {"resourceTypeGeneral": "Dataset", "resourceType": "Facial expression image dataset"},
        "creators": creators,
        "titles": [{"title": meta.title}, {"title": meta.citation_title, "titleType": "AlternativeTitle"}],
        "publisher": {"name": meta.publisher or meta.creators[0].affiliation or meta.creators[0].full_name},
        "publicationYear": meta.date_published[:4],
        "subjects": [{"subject": k} for k in meta.keywords],
        "dates": [{"date": meta.date_published, "dateType": "Issued"}],
        "language": "en",
        "sizes": [f"{len(manifest.records)} images"],
        "formats": ["application/vnd.apache.parquet", "text/csv", "image/png"],
        "version": manifest.version,
        "rightsList": [{"rights": lic.title, "rightsUri": lic.url, "rightsIdentifier": lic.spdx.lower(),
                        "rightsIdentifierScheme": "SPDX", "schemeUri": "https://spdx.org/licenses/"}],
        "descriptions": [{"description": meta.description, "descriptionType": "Abstract"}],
        "relatedIdentifiers": [{"relatedIdentifier": url, "relatedIdentifierType": "URL",
                                "relationType": "IsDerivedFrom"} for _, url in source_urls(manifest)],
        "schemaVersion": "http://datacite.org/schema/kernel-4",
    }
    if manifest.doi:
        record["doi"] = manifest.doi
        if manifest.concept_doi:
            record["relatedIdentifiers"].append({"relatedIdentifier": manifest.concept_doi,
                                                 "relatedIdentifierType": "DOI", "relationType": "IsVersionOf"})
    return record


def write_datacite(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Write ``datacite.json``; returns the file written."""
    return [write_json(out_dir / "datacite.json", build_datacite(manifest))]
