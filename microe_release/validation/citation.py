"""CITATION.cff, datacite.json and .zenodo.json against their schemas, all metadata files against each other; FAIR."""

from __future__ import annotations

from collections import Counter
from typing import Any

import yaml

from ..errors import ValidationError
from ..schemas import cff_schema, datacite_schema
from .loaded import LoadedRelease
from .spec import ZENODO_REQUIRED

REBUILD = "rebuild the release with `microe build` so that every file is written from metadata/dataset.yaml."


def _schema_errors(release: LoadedRelease, name: str, document: Any, schema: dict[str, Any]) -> None:
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema, format_checker=jsonschema.FormatChecker())
    for err in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        where = " > ".join([name, *map(str, err.absolute_path)])
        release.report.error("schema", where, f"not valid against its schema: {err.message}.", REBUILD)


def load_cff(release: LoadedRelease) -> dict[str, Any] | None:
    """CITATION.cff parsed, or None (with an issue)."""
    path = release.root / "CITATION.cff"
    if not path.is_file():
        release.report.error("missing-file", "CITATION.cff", "CITATION.cff does not exist.", REBUILD)
        return None
    try:
        # BaseLoader keeps every scalar a string, as the CFF schema expects (dates included).
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader is safe
    except yaml.YAMLError as err:
        release.report.error("invalid-yaml", "CITATION.cff", f"CITATION.cff is not valid YAML: {err}.", REBUILD)
        return None
    return data if isinstance(data, dict) else None


def check_citation_files(release: LoadedRelease) -> None:
    """Schemas of CFF and DataCite; Zenodo's required deposit fields."""
    report = release.report
    cff = load_cff(release)
    if cff is not None:
        try:
            _schema_errors(release, "CITATION.cff", cff, cff_schema())
        except ValidationError as err:
            report.error("schema-missing", "CITATION.cff", str(err), "run `make install`.")
    datacite = release.json("datacite.json")
    if datacite is not None:
        _schema_errors(release, "datacite.json", datacite, datacite_schema())
    zenodo = release.json(".zenodo.json")
    if isinstance(zenodo, dict):
        for key in ZENODO_REQUIRED:
            if not zenodo.get(key):
                report.error("zenodo-field", f".zenodo.json > {key}", f"Zenodo requires '{key}' to publish.", REBUILD)
        if zenodo.get("upload_type") != "dataset":
            report.error("zenodo-field", ".zenodo.json > upload_type",
                         f"upload_type is '{zenodo.get('upload_type')}', expected 'dataset'.", REBUILD)


def _people(people: list[dict[str, str]], family: str, given: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((person.get(family, ""), person.get(given, "")) for person in people))


def _facts(release: LoadedRelease) -> dict[str, dict[str, Any]]:
    """Version, licence and creators as each metadata file states them."""
    facts: dict[str, dict[str, Any]] = {}
    card = release.card
    if card:
        facts["README.md"] = {"license": card.get("license", "")}
    package = release.json("datapackage.json")
    if isinstance(package, dict):
        creators = [c for c in package.get("contributors", []) if "creator" in c.get("roles", [])]
        facts["datapackage.json"] = {"version": package.get("version"),
                                     "license": (package.get("licenses") or [{}])[0].get("name", ""),
                                     "creators": _people(creators, "familyName", "givenName")}
    cff = load_cff(release) if (release.root / "CITATION.cff").is_file() else None
    if cff:
        facts["CITATION.cff"] = {"version": cff.get("version"), "license": cff.get("license", ""),
                                 "creators": _people(cff.get("authors", []), "family-names", "given-names")}
    zenodo = release.json(".zenodo.json")
    if isinstance(zenodo, dict):
        names = [(family.strip(), given.strip())  # "Family, Given"
                 for family, _, given in (c.get("name", "").partition(",") for c in zenodo.get("creators", []))]
        facts[".zenodo.json"] = {"version": zenodo.get("version"), "license": zenodo.get("license", ""),
                                 "creators": tuple(sorted(names))}
    datacite = release.json("datacite.json")
    if isinstance(datacite, dict):
        facts["datacite.json"] = {"version": datacite.get("version"),
                                  "license": (datacite.get("rightsList") or [{}])[0].get("rightsIdentifier", ""),
                                  "creators": _people(datacite.get("creators", []), "familyName", "givenName")}
    for name in ("croissant.json", "build-report.json"):
        document = release.json(name)
        if isinstance(document, dict):
            facts[name] = {"version": document.get("version")}
    return facts


def _shown(key: str, value: Any) -> str:
    return "; ".join(", ".join(part for part in person if part) for person in value) if key == "creators" else value


def check_agreement(release: LoadedRelease) -> None:
    """Each fact must be the same in every file; the odd one out is named (majority decides)."""
    facts = _facts(release)
    for key in ("version", "license", "creators"):
        stated = {name: f[key] for name, f in facts.items() if key in f}
        if key == "license":  # ids compared lower case, DataCite's cc-zero as cc0-1.0
            stated = {name: {"cc-zero": "cc0-1.0"}.get(str(v).lower(), str(v).lower()) for name, v in stated.items()}
        if len(set(stated.values())) <= 1:
            continue
        majority, _ = Counter(stated.values()).most_common(1)[0]
        for name, value in sorted(stated.items()):
            if value != majority:
                release.report.error("metadata-disagree", f"{name} > {key}",
                                     f"{key} is '{_shown(key, value)}' here but '{_shown(key, majority)}' in the other "
                                     "metadata files.", REBUILD)


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
