"""`microe audit`: faces whose label was flipped on purpose are found; label-issues.csv is a checked release file."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from microe_release import build_release
from microe_release.cli import main
from microe_release.config import ReleaseConfig, SourceConfig
from microe_release.errors import TrainingError
from microe_release.training.audit import assign_folds, audit_release
from microe_release.validation import validate_release
from microe_release.writers.manifest import read_manifest
from tests.fixtures.sources import face, save

pytest.importorskip("torch")
pytest.importorskip("cleanlab")
pytestmark = [pytest.mark.integration, pytest.mark.slow]

PER_CLASS, FLIPPED = 100, 20  # 400 faces of four classes, 5 % of them in the wrong class folder
CLASSES = ("angry", "happy", "sad", "surprised")


def _faces(root: Path) -> set[str]:
    """Synthetic faces in class folders, ``FLIPPED`` of them in the next class's folder; returns those refs."""
    flipped = set()
    classes = list(CLASSES)
    for k, label in enumerate(classes):
        for n in range(PER_CLASS):
            wrong = (k * PER_CLASS + n) % (len(classes) * PER_CLASS // FLIPPED) == 0
            folder = classes[(k + 1) % len(classes)] if wrong else label
            ref = f"{folder}/{label}-{n:03d}.png"
            save(face(1000 + k * PER_CLASS + n, label), root / ref)
            if wrong:
                flipped.add(ref)
    return flipped


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str], dict]:
    root = tmp_path_factory.mktemp("audit")
    flipped = _faces(root / "faces")
    source = SourceConfig(name="faces", format="image-folder", path=root / "faces", license="CC-BY-4.0")
    release = root / "release"
    build_release(ReleaseConfig(name="noisy", version="1.0.0", sources=(source,)), release, workers=1)
    manifest = read_manifest(release)
    ids = {r.id for r in manifest.records if r.source_ref in flipped}
    assert len(ids) == FLIPPED
    summary = audit_release(release, folds=3, epochs=14, seed=0)  # about a minute on 2 cores
    return release, ids, summary


def _given(rows: list[dict[str, str]], ids: set[str]) -> dict[str, str]:
    return {r["id"]: r["given_label"] for r in rows if r["id"] in ids}


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_audit_finds_the_flipped_faces(audited: tuple[Path, set[str], dict]) -> None:
    release, flipped, summary = audited
    rows = _rows(release / "label-issues.csv")
    flagged = {r["id"] for r in rows if r["is_issue"] == "true"}
    assert len(flagged & flipped) >= 0.8 * FLIPPED  # recall (measured: 18 of 20)
    assert len(flagged & flipped) >= 0.8 * len(flagged)  # precision (measured: 18 of 19)
    order = sorted(rows, key=lambda r: float(r["label_quality"]))  # the flipped faces rank first
    assert len({r["id"] for r in order[:FLIPPED]} & flipped) >= 0.8 * FLIPPED  # measured: 19 of 20
    suggested = {r["id"]: r["suggested_label"] for r in rows}
    assert sum(suggested[i] != given for i, given in _given(rows, flipped).items()) >= 0.8 * FLIPPED
    assert summary["issues"] == len(flagged) and summary["images"] == len(rows) == len(CLASSES) * PER_CLASS


def test_audit_file_is_a_release_file(audited: tuple[Path, set[str], dict]) -> None:
    release, _, summary = audited
    assert "label-issues.csv" in (release / "SHA256SUMS").read_text()
    package = json.loads((release / "datapackage.json").read_text())
    assert any(r["path"] == "label-issues.csv" and r["schema"]["fields"][-1]["name"] == "is_issue"
               for r in package["resources"])
    croissant = json.loads((release / "croissant.json").read_text())
    assert any(r["@id"] == "label_issues" for r in croissant["recordSet"])
    card = (release / "README.md").read_text()
    assert f"**Label issues:** {summary['issues']} of {summary['images']} images" in card
    assert read_manifest(release).audit == summary
    report = validate_release(release)
    assert report.errors() == [], [(i.where, i.message) for i in report.errors()]


@pytest.mark.parametrize(("edit", "code"), [
    (lambda rows: rows[0].update(label_quality="1.5"), "audit-mismatch"),
    (lambda rows: rows[0].update(given_label="sad" if rows[0]["given_label"] != "sad" else "happy"), "audit-mismatch"),
    (lambda rows: rows[0].update(is_issue="false" if rows[0]["is_issue"] == "true" else "true"), "count-mismatch"),
    (lambda rows: rows.pop(), "audit-mismatch"),
], ids=["score-out-of-range", "label-changed", "issue-count", "row-dropped"])
def test_validate_catches_an_edited_audit(audited: tuple[Path, set[str], dict], tmp_path: Path, edit, code: str) -> None:
    release = tmp_path / "release"
    shutil.copytree(audited[0], release)
    rows = _rows(release / "label-issues.csv")
    edit(rows)
    with open(release / "label-issues.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    found = {i.code for i in validate_release(release, checks=["audit"]).errors()}
    assert code in found


def test_audit_out_leaves_the_release_alone_and_is_deterministic(audited: tuple[Path, set[str], dict],
                                                                  tmp_path: Path) -> None:
    release = audited[0]
    before = hashlib.sha256((release / "SHA256SUMS").read_bytes()).hexdigest()
    result = CliRunner().invoke(main, ["audit", str(release), "--folds", "2", "--epochs", "1",
                                       "--out", str(tmp_path / "a.csv")])
    assert result.exit_code == 0, result.output
    assert "probable label errors" in result.output
    audit_release(release, folds=2, epochs=1, out=tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()  # same seed, same bytes
    assert hashlib.sha256((release / "SHA256SUMS").read_bytes()).hexdigest() == before


def test_folds_are_stratified_and_keep_groups_together() -> None:
    labels = np.repeat(np.arange(4), 30)
    groups = np.arange(120) // 2  # pairs of near-duplicates
    fold_of = assign_folds(labels, groups, 3, seed=1)
    assert all(len(set(fold_of[groups == g])) == 1 for g in np.unique(groups))
    for label in range(4):
        assert all(6 <= n <= 14 for n in np.bincount(fold_of[labels == label], minlength=3))
    assert (assign_folds(labels, groups, 3, seed=1) == fold_of).all()


def test_too_many_folds_is_one_clear_error() -> None:
    with pytest.raises(TrainingError, match="--folds 5 needs"):
        assign_folds(np.array([0, 0, 1, 1]), np.arange(4), 5, seed=0)


def test_report_shows_the_audit(audited: tuple[Path, set[str], dict], tmp_path: Path) -> None:
    from microe_release.report import generate_report

    release, flipped, summary = audited
    numbers = generate_report(release, tmp_path / "report")
    audit = numbers["label_audit"]
    assert audit["issues"] == summary["issues"]
    assert sum(sum(row.values()) for row in audit["matrix"].values()) == summary["issues"]
    shown = [pick["id"] for picks in audit["doubtful"].values() for pick in picks]
    assert len(set(shown) & flipped) >= 0.8 * len(shown)  # the most doubtful faces are the flipped ones
    assert (tmp_path / "report" / "label_audit.png").is_file()
    assert 'id="audit"' in (tmp_path / "report" / "index.html").read_text()


def test_a_published_release_is_audited_only_with_out(audited: tuple[Path, set[str], dict], tmp_path: Path) -> None:
    release = tmp_path / "release"
    shutil.copytree(audited[0], release)
    (release / "publish-state.json").write_text("{}")
    with pytest.raises(TrainingError, match="a published version never changes"):
        audit_release(release, folds=2, epochs=1)
