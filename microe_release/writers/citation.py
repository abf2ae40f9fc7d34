"""The citation records: ``CITATION.cff``, ``.zenodo.json`` and ``datacite.json``."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import yaml

from ..licenses import get_license
from ..records import Manifest
from .common import source_urls, write_json


def write_citation(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Write ``CITATION.cff`` (Citation File Format 1.2.0, ``type: dataset``); returns the file written."""
    meta = manifest.metadata
    cff: dict[str, Any] = {
        "cff-version": "1.2.0", "message": "If you use this dataset, please cite it as below.", "type": "dataset",
        "title": meta.citation_title, "version": manifest.version, "date-released": meta.date_published,
        "abstract": meta.description,
        "authors": [{"family-names": c.family, "given-names": c.given,
                     **({"affiliation": c.affiliation} if c.affiliation else {}),
                     **({"orcid": f"https://orcid.org/{c.orcid}"} if c.orcid else {})} for c in meta.creators],
        "license": get_license(meta.license).spdx, "keywords": list(meta.keywords),
    }
    if meta.homepage:
        cff["url"] = meta.homepage
    if manifest.doi:
        cff["doi"] = manifest.doi
        cff["identifiers"] = [{"type": "doi", "value": manifest.doi, "description": f"Version {manifest.version}"}]
        if manifest.concept_doi:
            cff["identifiers"].append({"type": "doi", "value": manifest.concept_doi, "description": "All versions"})
    path = out_dir / "CITATION.cff"
    path.write_text(yaml.safe_dump(cff, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    return [path]


def write_zenodo(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Write ``.zenodo.json``, the deposit metadata Zenodo and ``microe publish`` read; returns the file written."""
    meta = manifest.metadata
    related = [{"identifier": url, "relation": "isDerivedFrom", "resource_type": "dataset", "scheme": "url"}
               for url in source_urls(manifest)]
    if meta.homepage:
        related.append({"identifier": meta.homepage, "relation": "isDocumentedBy", "scheme": "url"})
    record: dict[str, Any] = {
        "upload_type": "dataset", "title": f"{meta.title} (version {manifest.version})",
        "publication_date": meta.date_published, "description": f"<p>{html.escape(meta.description)}</p>",
        "creators": [{"name": f"{c.family}, {c.given}", **({"affiliation": c.affiliation} if c.affiliation else {}),
                      **({"orcid": c.orcid} if c.orcid else {})} for c in meta.creators],
        "access_right": "open", "license": get_license(meta.license).zenodo_id, "keywords": list(meta.keywords),
        "version": manifest.version, "related_identifiers": related,
    }
    if manifest.doi:
        record["doi"] = manifest.doi
    return [write_json(out_dir / ".zenodo.json", record)]


def write_datacite(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Write ``datacite.json`` (DataCite Metadata Schema 4.x, JSON form); returns the file written."""
    meta = manifest.metadata
    lic = get_license(meta.license)
    creators = [{"name": f"{c.family}, {c.given}", "nameType": "Personal", "givenName": c.given, "familyName": c.family,
                 **({"affiliation": [{"name": c.affiliation}]} if c.affiliation else {}),
                 **({"nameIdentifiers": [{"nameIdentifier": f"https://orcid.org/{c.orcid}",
                                          "nameIdentifierScheme": "ORCID", "schemeUri": "https://orcid.org"}]}
                    if c.orcid else {})}
                for c in meta.creators]
    related = [{"relatedIdentifier": url, "relatedIdentifierType": "URL", "relationType": "IsDerivedFrom"}
               for url in source_urls(manifest)]
    if manifest.doi and manifest.concept_doi:
        related.append({"relatedIdentifier": manifest.concept_doi, "relatedIdentifierType": "DOI",
                        "relationType": "IsVersionOf"})
    record: dict[str, Any] = {
        "types": {"resourceTypeGeneral": "Dataset", "resourceType": "Facial expression image dataset"},
        "creators": creators,
        "titles": [{"title": meta.title}, {"title": meta.citation_title, "titleType": "AlternativeTitle"}],
        "publisher": {"name": meta.publisher or meta.creators[0].affiliation or meta.creators[0].full_name},
        "publicationYear": meta.date_published[:4],
        "subjects": [{"subject": k} for k in meta.keywords],
        "dates": [{"date": meta.date_published, "dateType": "Issued"}],
        "language": "en", "sizes": [f"{len(manifest.records)} images"],
        "formats": ["application/vnd.apache.parquet", "text/csv", "image/png"],
        "version": manifest.version,
        "rightsList": [{"rights": lic.title, "rightsUri": lic.url, "rightsIdentifier": lic.spdx.lower(),
                        "rightsIdentifierScheme": "SPDX", "schemeUri": "https://spdx.org/licenses/"}],
        "descriptions": [{"description": meta.description, "descriptionType": "Abstract"}],
        "relatedIdentifiers": related,
        "schemaVersion": "http://datacite.org/schema/kernel-4",
    }
    if manifest.doi:
        record["doi"] = manifest.doi
    return [write_json(out_dir / "datacite.json", record)]
