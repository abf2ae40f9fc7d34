"""The metadata records: datapackage.json, croissant.json, CITATION.cff, .zenodo.json and datacite.json."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import yaml

from ..licenses import get_license
from ..records import Manifest
from .common import bibtex, file_sha256, source_urls, write_json, write_text

#: Context entries that are not simply ``term: "cr:<term>"``.
_SPECIAL_TERMS: dict[str, Any] = {
    "@language": "en", "@vocab": "https://schema.org/", "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"}, "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/", "examples": {"@id": "cr:examples", "@type": "@json"},
    "sc": "https://schema.org/",
}

#: The JSON-LD context mlcroissant 1.1 writes (same terms, same order).
CONTEXT: dict[str, Any] = {term: _SPECIAL_TERMS.get(term, f"cr:{term}") for term in (
    "@language @vocab citeAs column conformsTo cr rai data dataType dct equivalentProperty examples extract field "
    "fileProperty fileObject fileSet format includes isLiveDataset jsonPath key md5 parentField path recordSet "
    "references regex repeated replace samplingRate sc separator source subField transform").split()}

#: The media type Croissant knows parquet by.
PARQUET = "application/x-parquet"


def _column(name: str, kind: str, title: str, description: str = "", **constraints: Any) -> dict[str, Any]:
    """One required column of the Table Schema."""
    return {"name": name, "type": kind, "title": title, **({"description": description} if description else {}),
            "constraints": {"required": True, **constraints}}


def _table_schema(manifest: Manifest) -> dict[str, Any]:
    """The Table Schema of ``microe.csv``."""
    side, names = manifest.image_size, manifest.class_names
    return {
        "fields": [
            _column("index", "integer", "Index", "Position of the image in id order (0..N-1).", unique=True, minimum=0),
            _column("id", "string", "Content id", "First 16 hex digits of the sha256 of the processed pixels.",
                    unique=True, pattern="[0-9a-f]{16}"),
            _column("label", "string", "Emotion class", enum=list(names)),
            _column("emotion", "integer", "Class id", "Position of label in: " + ", ".join(names) + ".",
                    minimum=0, maximum=len(names) - 1),
            _column("pixels", "string", "Pixels",
                    f"{side * side} space-separated gray values 0..255, row-major, {side}x{side}."),
            _column("split", "string", "Split", enum=list(manifest.split_names)),
            _column("source", "string", "Source", enum=sorted({s["name"] for s in manifest.sources})),
            _column("license", "string", "Source licence"),
            {"name": "votes", "type": "string", "title": "Annotator votes",
             "description": f"Votes per class in class order ({', '.join(names)}), space-separated; empty where "
                            "the source has no votes.",
             "constraints": {"pattern": rf"\d+( \d+){{{len(names) - 1}}}"}},
        ],
        "primaryKey": ["index"],
        "uniqueKeys": [["id"]],
    }


def _parquet_schema(manifest: Manifest) -> dict[str, Any]:
    """The Table Schema of a parquet shard (frictionless cannot infer one for a list column)."""
    names = manifest.class_names
    return {"fields": [
        _column("image", "object", "Image", f"{{bytes, path}}: a {manifest.image_size}x{manifest.image_size} "
                                            "8-bit grayscale PNG and its file name."),
        _column("label", "integer", "Class id", "Position of the class in: " + ", ".join(names) + ".",
                minimum=0, maximum=len(names) - 1),
        _column("id", "string", "Content id", pattern="[0-9a-f]{16}"),
        _column("index", "integer", "Index", minimum=0),
        _column("source", "string", "Source", enum=sorted({s["name"] for s in manifest.sources})),
        _column("source_ref", "string", "Place in the source"),
        _column("license", "string", "Source licence"),
        {"name": "votes", "type": "any", "title": "Annotator votes",
         "description": f"A list of {len(names)} integers, votes per class in class order (Arrow list<int32>); "
                        "null where the source has no votes."},
    ]}


#: ``label-issues.csv`` (``microe audit``): column -> (Table Schema type, title, Croissant data type).
AUDIT_FIELDS = {
    "id": ("string", "Content id", "sc:Text"), "split": ("string", "Split", "sc:Text"),
    "source": ("string", "Source", "sc:Text"), "given_label": ("string", "Label in the release", "sc:Text"),
    "suggested_label": ("string", "Class the audit model suggests", "sc:Text"),
    "label_quality": ("number", "Label quality score in [0, 1] (low: probably wrong)", "sc:Float"),
    "is_issue": ("boolean", "Flagged as a probable label error", "sc:Boolean"),
}


def _audit_resource(manifest: Manifest, audit: dict[str, Any], out_dir: Path) -> dict[str, Any]:
    """The datapackage resource of ``label-issues.csv``."""
    path, names = out_dir / audit["file"], list(manifest.class_names)
    limits: dict[str, dict[str, Any]] = {
        "id": {"unique": True, "pattern": "[0-9a-f]{16}"}, "split": {"enum": list(manifest.split_names)},
        "source": {"enum": sorted({s["name"] for s in manifest.sources})}, "given_label": {"enum": names},
        "suggested_label": {"enum": names}, "label_quality": {"minimum": 0, "maximum": 1}}
    fields = [{**_column(name, kind, title, **limits.get(name, {})),
               **({"trueValues": ["true"], "falseValues": ["false"]} if kind == "boolean" else {})}
              for name, (kind, title, _) in AUDIT_FIELDS.items()]
    return {"name": "label-issues", "type": "table", "path": path.name, "format": "csv", "mediatype": "text/csv",
            "title": "Label audit: every image's label quality (microe audit)", "encoding": "utf-8",
            "bytes": path.stat().st_size, "hash": "sha256:" + file_sha256(path),
            "dialect": {"delimiter": ",", "header": True}, "schema": {"fields": fields, "primaryKey": ["id"]}}


def _audit_record_set(audit: dict[str, Any]) -> dict[str, Any]:
    """The Croissant record set read from ``label-issues.csv``."""
    return {"@type": "cr:RecordSet", "@id": "label_issues", "name": "label_issues", "key": {"@id": "label_issues/id"},
            "description": f"microe audit: {audit['issues']} probable label errors among {audit['images']} images, "
                           "every image's label quality.",
            "field": [{"@type": "cr:Field", "@id": f"label_issues/{name}", "name": name, "description": title,
                       "dataType": data_type,
                       "source": {"fileObject": {"@id": audit["file"]}, "extract": {"column": name}}}
                      for name, (_, title, data_type) in AUDIT_FIELDS.items()]}


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
    parquet_schema = _parquet_schema(manifest)
    # No "bytes" for the shards: frictionless reads parquet through pyarrow and reports every parquet byte
    # count as wrong ("actual is None"); the sizes are in croissant.json.
    resources += [{
        "name": path.stem, "path": path.relative_to(out_dir).as_posix(),
        "title": f"{path.stem.split('-')[0]} split, parquet shard (Hugging Face datasets layout)",
        "format": "parquet", "mediatype": "application/vnd.apache.parquet", "hash": "sha256:" + file_sha256(path),
        "schema": parquet_schema,
    } for path in sorted((out_dir / "data").glob("*.parquet"))]
    if manifest.audit is not None:
        resources.append(_audit_resource(manifest, manifest.audit, out_dir))
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


def _field(name: str, data_type: str, description: str, extract: dict[str, str] | None = None,
           **source: Any) -> dict[str, Any]:
    """A field of the ``examples`` record set, read from the parquet shards (by default, their column ``name``)."""
    return {"@type": "cr:Field", "@id": f"examples/{name}", "name": name, "description": description,
            "dataType": data_type,
            "source": {"fileSet": {"@id": "parquet-files"}, "extract": extract or {"column": name}, **source}}


def _file_object(out_dir: Path, path: Path, description: str, encoding: str) -> dict[str, Any]:
    rel = path.relative_to(out_dir).as_posix()
    return {"@type": "cr:FileObject", "@id": rel, "name": path.name, "description": description,
            "contentSize": f"{path.stat().st_size} B", "contentUrl": rel, "encodingFormat": encoding,
            "sha256": file_sha256(path)}


def write_croissant(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Write ``croissant.json`` (sizes and hashes read from the data files); returns the file written."""
    meta = manifest.metadata
    sheet = meta.datasheet
    shards = sorted((out_dir / "data").glob("*.parquet"))
    distribution = [
        *(_file_object(out_dir, p, f"{p.stem.split('-')[0]} split shard", PARQUET) for p in shards),
        {"@type": "cr:FileSet", "@id": "parquet-files", "name": "parquet-files",
         "description": "All parquet shards; the split is in each file's name.",
         "encodingFormat": PARQUET, "includes": "data/*.parquet"},
        _file_object(out_dir, out_dir / "microe.csv", "All images as FER2013-style pixel rows.", "text/csv"),
    ]
    if manifest.audit is not None:
        distribution.append(_file_object(out_dir, out_dir / manifest.audit["file"],
                                         "Label audit (microe audit): every image's label quality.", "text/csv"))
    names = ", ".join(f"{i} = {n}" for i, n in enumerate(manifest.class_names))
    label_names = {
        "@type": "cr:RecordSet", "@id": "label_names", "name": "label_names",
        "description": "The class names of the label field, by class id.",
        "dataType": "sc:Enumeration", "key": {"@id": "label_names/id"},
        "field": [
            {"@type": "cr:Field", "@id": "label_names/id", "name": "id", "dataType": "sc:Integer"},
            {"@type": "cr:Field", "@id": "label_names/name", "name": "name", "dataType": "sc:Text"},
        ],
        "data": [{"label_names/id": i, "label_names/name": n} for i, n in enumerate(manifest.class_names)],
    }
    split_regex = "^data/(" + "|".join(manifest.split_names) + r")-\d{5}-of-\d{5}\.parquet$"
    examples = {
        "@type": "cr:RecordSet", "@id": "examples", "name": "examples",
        "description": f"One face image per record: {len(manifest.records)} in all.",
        "key": {"@id": "examples/id"},
        "field": [
            _field("image", "sc:ImageObject", f"{manifest.image_size}x{manifest.image_size} 8-bit grayscale PNG.",
                   transform={"jsonPath": "bytes"}),
            {**_field("label", "sc:Integer", f"Emotion class id ({names})."),
             "references": {"field": {"@id": "label_names/id"}}},
            _field("split", "sc:Text", "train, validation or test (from the shard's file name).",
                   {"fileProperty": "fullpath"}, transform={"regex": split_regex}),
            _field("id", "sc:Text", "Content id of the processed pixels."),
            _field("index", "sc:Integer", "Position in id order (0..N-1)."),
            _field("source", "sc:Text", "The public source the image comes from."),
            {**_field("votes", "sc:Integer", "Annotators' votes per class, by class id; empty where the source has "
                                             "none."), "repeated": True},
        ],
    }
    croissant: dict[str, Any] = {
        "@context": CONTEXT, "@type": "sc:Dataset", "name": manifest.name, "description": meta.description,
        "conformsTo": "http://mlcommons.org/croissant/1.1", "citeAs": bibtex(manifest),
        "creator": [
            {"@type": "sc:Person", "name": c.full_name,
             **({"affiliation": {"@type": "sc:Organization", "name": c.affiliation}} if c.affiliation else {}),
             **({"identifier": f"https://orcid.org/{c.orcid}"} if c.orcid else {})}
            for c in meta.creators
        ],
        "datePublished": meta.date_published, "keywords": list(meta.keywords), "license": get_license(meta.license).url,
        "url": f"https://doi.org/{manifest.doi}" if manifest.doi else (meta.homepage or ""),
        "version": manifest.version, "isBasedOn": source_urls(manifest),
        "rai:dataCollection": sheet.get("collection", ""),
        "rai:dataCollectionType": "Secondary Data Analysis",
        "rai:dataPreprocessingProtocol": (
            f"Decoded, EXIF-oriented, converted to 8-bit grayscale, centre-cropped and resized to "
            f"{manifest.image_size}x{manifest.image_size}; identical images merged, label conflicts dropped; "
            f"near-duplicates and subjects kept within one split."),
        "rai:dataBiases": sheet.get("biases", ""),
        "rai:personalSensitiveInformation": sheet.get("personal_information", ""),
        "rai:dataUseCases": sheet.get("uses", ""),
        "rai:dataLimitations": sheet.get("limitations", ""),
        "rai:dataReleaseMaintenancePlan": sheet.get("maintenance", ""),
        "distribution": distribution,
        "recordSet": [label_names, examples, *([_audit_record_set(manifest.audit)] if manifest.audit else [])],
        "identifier": f"https://doi.org/{manifest.doi}" if manifest.doi else None,
    }
    return [write_json(out_dir / "croissant.json", {k: v for k, v in croissant.items() if v not in ("", [], None)})]


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
        **({"url": meta.homepage} if meta.homepage else {}),
    }
    if manifest.doi:
        cff["doi"] = manifest.doi
        cff["identifiers"] = [{"type": "doi", "value": manifest.doi, "description": f"Version {manifest.version}"}]
        if manifest.concept_doi:
            cff["identifiers"].append({"type": "doi", "value": manifest.concept_doi, "description": "All versions"})
    return [write_text(out_dir / "CITATION.cff", yaml.safe_dump(cff, sort_keys=False, allow_unicode=True, width=100))]


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
        **({"doi": manifest.doi} if manifest.doi else {}),
    }
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
        **({"doi": manifest.doi} if manifest.doi else {}),
    }
    return [write_json(out_dir / "datacite.json", record)]
