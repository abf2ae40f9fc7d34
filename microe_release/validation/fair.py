"""A FAIR self-assessment against the F-UJI metrics: judged from the files where that is possible offline."""

from __future__ import annotations

from typing import Any

from .loaded import LoadedRelease

PASS, FAIL, PUBLISHED = "pass", "fail", "needs the published record"


def assess_fair(release: LoadedRelease) -> list[dict[str, str]]:
    """One row per F-UJI metric id: ``metric``, ``name``, ``status``, ``evidence``."""
    package = _mapping(release.json("datapackage.json"))
    croissant = _mapping(release.json("croissant.json"))
    datacite = _mapping(release.json("datacite.json"))
    card = release.card or {}
    doi = datacite.get("doi")

    def has(*names: str) -> bool:
        return all((release.root / name).is_file() for name in names)

    def row(metric: str, name: str, ok: bool | None, evidence: str) -> dict[str, str]:
        return {"metric": metric, "name": name, "status": PUBLISHED if ok is None else PASS if ok else FAIL,
                "evidence": evidence}

    return [
        row("FsF-F1-01MD", "Data and metadata have a globally unique identifier",
            bool(doi) or None, f"DOI {doi}" if doi else "no DOI yet: assigned when published (microe publish)"),
        row("FsF-F1-02MD", "The identifier is persistent", bool(doi) or None,
            "DOI (persistent)" if doi else "resolvable only once the DOI is registered"),
        row("FsF-F2-01M", "Descriptive core metadata (creator, title, publisher, date, summary, keywords)",
            all(datacite.get(k) for k in ("creators", "titles", "publisher", "publicationYear", "descriptions", "subjects")),
            "datacite.json core fields"),
        row("FsF-F3-01M", "Metadata names the data it describes",
            bool(package.get("resources")) and bool(croissant.get("distribution")),
            "datapackage.json resources, croissant.json distribution with sha256"),
        row("FsF-F4-01M", "Metadata can be found by search engines and harvesters", None,
            "schema.org JSON-LD (croissant.json) is ready; indexing needs the Hub and Zenodo records"),
        row("FsF-A1-01M", "Metadata states the access level", None,
            "'access_right' in .zenodo.json; the effective level is set by the repository"),
        row("FsF-A1-02MD", "Metadata and data are retrievable by their identifier", None,
            "needs a resolving DOI and the published files"),
        row("FsF-A1-03D", "Data is retrievable over a standard protocol", None, "HTTPS from the Hub and Zenodo once published"),
        row("FsF-I1-01M", "Metadata uses a formal knowledge representation",
            has("croissant.json") and croissant.get("@context") is not None, "JSON-LD with schema.org and Croissant vocabularies"),
        row("FsF-I2-01M", "Metadata uses semantic resources", "conformsTo" in croissant,
            f"conformsTo {croissant.get('conformsTo', '-')}"),
        row("FsF-I3-01M", "Metadata links related resources", bool(datacite.get("relatedIdentifiers")),
            "relatedIdentifiers (IsDerivedFrom each source)"),
        row("FsF-R1-01MD", "Metadata describes the content of the data",
            bool(card.get("dataset_info")) and bool(package.get("resources")),
            "card dataset_info (features, split sizes); Table Schema of microe.csv"),
        row("FsF-R1.1-01M", "Metadata includes the licence", has("LICENSE") and bool(package.get("licenses")),
            "LICENSE file; licences in datapackage.json, datacite.json, CITATION.cff, card"),
        row("FsF-R1.2-01M", "Metadata includes provenance", has("build-report.json") and bool(package.get("sources")),
            "sources, build-report.json (config hash, tool version, every skipped item), creators"),
        row("FsF-R1.3-01M", "Metadata follows a community standard",
            has("datapackage.json", "croissant.json", "datacite.json", "CITATION.cff"),
            "Frictionless Data Package v2, Croissant 1.1, DataCite 4, CFF 1.2.0"),
        row("FsF-R1.3-02D", "Data is in a long-term, open file format",
            bool(release.shards) and has("microe.csv"), "Apache Parquet, CSV, PNG"),
    ]


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
