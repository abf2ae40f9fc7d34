"""``croissant.json``: MLCommons Croissant 1.1 with the Responsible-AI (RAI) fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..licenses import get_license
from ..records import Manifest
from .common import bibtex, data_files, doi_url, file_sha256, source_urls, write_json

#: Croissant version this writer targets.
CONFORMS_TO = "http://mlcommons.org/croissant/1.1"

#: The JSON-LD context mlcroissant 1.1 writes (same terms, same order).
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

PARQUET = "application/x-parquet"


def _field(record_set: str, name: str, data_type: str, description: str, source: dict[str, Any]) -> dict[str, Any]:
    return {"@type": "cr:Field", "@id": f"{record_set}/{name}", "name": name, "description": description,
            "dataType": data_type, "source": source}


def _parquet_column(column: str, **extra: Any) -> dict[str, Any]:
    return {"fileSet": {"@id": "parquet-files"}, "extract": {"column": column}, **extra}


def build_croissant(manifest: Manifest, out_dir: Path) -> dict[str, Any]:
    """The Croissant JSON-LD as a dict (hashes and sizes read from the written files)."""
    meta = manifest.metadata
    sheet = meta.datasheet
    lic = get_license(meta.license)
    distribution: list[dict[str, Any]] = []
    for path in data_files(out_dir):
        rel = path.relative_to(out_dir).as_posix()
        distribution.append({"@type": "cr:FileObject", "@id": rel, "name": path.name,
                             "description": f"{path.stem.split('-')[0]} split shard",
                             "contentSize": f"{path.stat().st_size} B", "contentUrl": rel,
                             "encodingFormat": PARQUET, "sha256": file_sha256(path)})
    distribution.append({"@type": "cr:FileSet", "@id": "parquet-files", "name": "parquet-files",
                         "description": "All parquet shards; the split is in each file's name.",
                         "encodingFormat": PARQUET, "includes": "data/*.parquet"})
    csv_path = out_dir / "microe.csv"
    distribution.append({"@type": "cr:FileObject", "@id": "microe.csv", "name": "microe.csv",
                         "description": "All images as FER2013-style pixel rows.",
                         "contentSize": f"{csv_path.stat().st_size} B", "contentUrl": "microe.csv",
                         "encodingFormat": "text/csv", "sha256": file_sha256(csv_path)})
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
            _field("examples", "image", "sc:ImageObject",
                   f"{manifest.image_size}x{manifest.image_size} 8-bit grayscale PNG.",
                   _parquet_column("image", transform={"jsonPath": "bytes"})),
            {**_field("examples", "label", "sc:Integer", f"Emotion class id ({names}).", _parquet_column("label")),
             "references": {"field": {"@id": "label_names/id"}}},
            _field("examples", "split", "sc:Text", "train, validation or test (from the shard's file name).",
                   {"fileSet": {"@id": "parquet-files"}, "extract": {"fileProperty": "fullpath"},
                    "transform": {"regex": split_regex}}),
            _field("examples", "id", "sc:Text", "Content id of the processed pixels.", _parquet_column("id")),
            _field("examples", "index", "sc:Integer", "Position in id order (0..N-1).", _parquet_column("index")),
            _field("examples", "source", "sc:Text", "The public source the image comes from.", _parquet_column("source")),
        ],
    }
    croissant: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": manifest.name,
        "description": meta.description,
        "conformsTo": CONFORMS_TO,
        "citeAs": bibtex(manifest),
        "creator": [
            {"@type": "sc:Person", "name": c.full_name,
             **({"affiliation": {"@type": "sc:Organization", "name": c.affiliation}} if c.affiliation else {}),
             **({"identifier": f"https://orcid.org/{c.orcid}"} if c.orcid else {})}
            for c in meta.creators
        ],
        "datePublished": meta.date_published,
        "keywords": list(meta.keywords),
        "license": lic.url,
        "url": doi_url(manifest.doi) if manifest.doi else (meta.homepage or ""),
        "version": manifest.version,
        "isBasedOn": [url for _, url in source_urls(manifest)],
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
        "recordSet": [label_names, examples],
    }
    if manifest.doi:
        croissant["identifier"] = doi_url(manifest.doi)
    return {k: v for k, v in croissant.items() if v not in ("", [], None)}


def write_croissant(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Write ``croissant.json``; returns the file written."""
    return [write_json(out_dir / "croissant.json", build_croissant(manifest, out_dir))]
