"""The metadata files: one source of truth, agreeing with each other, the DOI everywhere once known."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from microe_release import build_release, demo_config
from microe_release.metadata import load_metadata
from microe_release.records import Manifest
from microe_release.validation import validate_release
from microe_release.writers import WRITERS
from microe_release.writers.license import write_checksums

pytestmark = pytest.mark.integration

METADATA_WRITERS = ("card", "datapackage", "croissant", "citation", "zenodo", "datacite", "license")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    out = tmp_path_factory.mktemp("meta") / "release"
    return out, build_release(demo_config(count=120), out, workers=1)


def _card(out: Path) -> tuple[dict, str]:
    text = (out / "README.md").read_text()
    _, header, body = text.split("---\n", 2)
    return yaml.safe_load(header), body


def test_card_has_datasheet_sections_and_balance(built: tuple[Path, Manifest]) -> None:
    out, manifest = built
    header, body = _card(out)
    for section in ("## Motivation", "## Composition", "## Collection process", "## Preprocessing", "## Uses",
                    "## Distribution", "## Maintenance", "## Personal and sensitive information",
                    "## Bias, risks and limitations", "## How to cite", "## How to load"):
        assert section in body, section
    counts = manifest.class_counts()
    rarest = min((n, k) for k, n in counts.items() if n)[1]
    assert f"as many images as the rarest, {rarest}" in body
    assert "torch.utils.data.DataLoader" in body and "pd.read_csv" in body
    assert header["license"] == "cc-by-4.0" and "extra_gated_fields" not in header
    assert "doi.org" not in (out / "README.md").read_text()


def test_metadata_files_carry_no_doi_before_publishing(built: tuple[Path, Manifest]) -> None:
    out, _ = built
    for name in ("datapackage.json", "croissant.json", ".zenodo.json", "datacite.json", "CITATION.cff", "README.md"):
        text = (out / name).read_text()
        assert '"doi"' not in text and "\ndoi:" not in text and "doi.org" not in text, name


def test_doi_is_written_into_every_file(built: tuple[Path, Manifest], tmp_path: Path) -> None:
    out, manifest = built
    import shutil

    copy = tmp_path / "r"
    shutil.copytree(out, copy)
    published = replace(manifest, doi="10.5281/zenodo.1234568", concept_doi="10.5281/zenodo.1234567")
    for name in METADATA_WRITERS:
        WRITERS[name](published, copy)
    write_checksums(published, copy)
    for name in ("README.md", "datapackage.json", "croissant.json", ".zenodo.json", "datacite.json", "CITATION.cff"):
        assert "10.5281/zenodo.1234568" in (copy / name).read_text(), name
    assert "10.5281/zenodo.1234567" in (copy / "CITATION.cff").read_text()
    assert json.loads((copy / "datacite.json").read_text())["doi"] == "10.5281/zenodo.1234568"
    report = validate_release(copy)
    assert report.errors() == []
    assert next(r for r in report.fair if r["metric"] == "FsF-F1-01MD")["status"] == "pass"


def test_gated_adds_access_request_fields(built: tuple[Path, Manifest], tmp_path: Path) -> None:
    out, manifest = built
    import shutil

    copy = tmp_path / "g"
    shutil.copytree(out, copy)
    gated = replace(manifest, metadata=replace(manifest.metadata, gated=True))
    WRITERS["card"](gated, copy)
    header, _ = _card(copy)
    assert "faces" in header["extra_gated_prompt"]
    assert header["extra_gated_fields"]["Affiliation"] == "text"


def test_metadata_agrees_with_dataset_yaml(built: tuple[Path, Manifest]) -> None:
    out, manifest = built
    meta = load_metadata(manifest.metadata.path)
    cff = yaml.safe_load((out / "CITATION.cff").read_text())
    zenodo = json.loads((out / ".zenodo.json").read_text())
    datacite = json.loads((out / "datacite.json").read_text())
    package = json.loads((out / "datapackage.json").read_text())
    croissant = json.loads((out / "croissant.json").read_text())
    families = [c.family for c in meta.creators]
    assert [a["family-names"] for a in cff["authors"]] == families
    assert [c["name"].split(",")[0] for c in zenodo["creators"]] == families
    assert [c["familyName"] for c in datacite["creators"]] == families
    assert cff["type"] == "dataset" and cff["date-released"] == meta.date_published
    assert zenodo["upload_type"] == "dataset" and zenodo["license"] == "cc-by-4.0"
    assert package["$schema"].endswith("/2.0/datapackage.json")
    assert package["resources"][0]["schema"]["fields"][2]["constraints"]["enum"] == list(manifest.class_names)
    assert croissant["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    assert {"rai:dataBiases", "rai:personalSensitiveInformation", "rai:dataUseCases", "rai:dataLimitations",
            "rai:dataReleaseMaintenancePlan", "rai:dataCollection"} <= set(croissant)
    assert (out / "LICENSE").read_text().count("Creative Commons Attribution 4.0 International") >= 1
    sums = (out / "SHA256SUMS").read_text().splitlines()
    assert {line.split("  ")[1] for line in sums} >= {"README.md", "microe.csv", "croissant.json", "LICENSE"}
