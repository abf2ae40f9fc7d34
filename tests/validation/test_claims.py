"""`microe validate` checks every claim a release makes: counts in the card and build-report.json, and
croissant.json's file hashes and sizes, even when the tamperer re-signs SHA256SUMS (issue 20, item 2)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from microe_release.validation import validate_release

pytestmark = pytest.mark.integration


def _resign(release: Path, name: str) -> None:
    """Put the file's new sha256 into SHA256SUMS, as a careful tamperer would."""
    digest = hashlib.sha256((release / name).read_bytes()).hexdigest()
    lines = (release / "SHA256SUMS").read_text().splitlines()
    (release / "SHA256SUMS").write_text("".join(
        (f"{digest}  {name}" if line.endswith(f"  {name}") else line) + "\n" for line in lines))


def _errors(release: Path) -> list[tuple[str, str]]:
    return [(i.code, i.where) for i in validate_release(release, checks=["checksums", "counts"]).errors()]


def test_counts_fresh_release_states_the_counts_of_its_data(release: Path) -> None:
    assert _errors(release) == []


def test_counts_edited_class_count_in_build_report(release: Path) -> None:
    path = release / "build-report.json"
    data = json.loads(path.read_text())
    data["counts"]["by_class"]["happy"] += 1
    data["counts"]["by_class"]["sad"] -= 1
    path.write_text(json.dumps(data, indent=2) + "\n")
    _resign(release, "build-report.json")
    assert _errors(release) == [("count-mismatch", "build-report.json > counts > by_class")]


def test_counts_edited_class_split_count_in_the_card(release: Path) -> None:
    path = release / "README.md"
    text = path.read_text()
    row = re.search(r"^\| happy \| 4 \| (\d+) \|", text, flags=re.MULTILINE)
    assert row is not None
    text = text.replace(row[0], f"| happy | 4 | {int(row[1]) + 3} |", 1)
    path.write_text(text)
    _resign(release, "README.md")
    assert _errors(release) == [("count-mismatch", "README.md > body > by_split_class")]


def test_counts_croissant_hashes_zeroed_and_sizes_wrong(release: Path) -> None:
    path = release / "croissant.json"
    data = json.loads(path.read_text())
    files = [item for item in data["distribution"] if item.get("contentUrl")]
    for item in files:
        item["sha256"], item["contentSize"] = "0" * 64, "1 B"
    path.write_text(json.dumps(data, indent=2) + "\n")
    _resign(release, "croissant.json")
    found = _errors(release)
    assert len(found) == 2 * len(files) >= 4 and {code for code, _ in found} == {"croissant-file"}
    assert any(where.endswith("(microe.csv) > sha256") for _, where in found)
    assert any(where.endswith("(microe.csv) > contentSize") for _, where in found)
