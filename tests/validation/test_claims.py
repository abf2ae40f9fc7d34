"""`microe validate` checks every claim a release makes: counts in the card and build-report.json, and
croissant.json's file hashes, sizes and total, taken-down images, and files named like the build's spill folders,
even when the tamperer re-signs SHA256SUMS (issue 20, item 2)."""

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


def test_counts_croissant_total_edited(release: Path) -> None:
    path = release / "croissant.json"
    text = re.sub(r"One face image per record: (\d+) in all", lambda m: m[0].replace(m[1], str(int(m[1]) + 1)),
                  path.read_text())
    path.write_text(text)
    _resign(release, "croissant.json")
    found = _errors(release)
    assert len(found) == 1 and found[0][0] == "count-mismatch"
    assert re.fullmatch(r"croissant.json > recordSet > \d+ > description", found[0][1])


def test_counts_row_relabelled_in_parquet_and_csv(release: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    shard = sorted((release / "data").glob("train-*.parquet"))[0]
    table = pq.read_table(shard)
    labels = table.column("label").to_pylist()
    old = labels[0]
    labels[0] = (old + 1) % 8
    pq.write_table(table.set_column(table.schema.get_field_index("label"), "label",
                                    pa.array(labels, type=table.schema.field("label").type)), shard)
    _resign(release, f"data/{shard.name}")
    names = ["angry", "contempt", "disgust", "fear", "happy", "neutral", "sad", "surprised"]
    lines = (release / "microe.csv").read_text().splitlines(keepends=True)
    row_id = table.column("id")[0].as_py()
    lines = [line.replace(f",{names[old]},{old},", f",{names[labels[0]]},{labels[0]},", 1) if row_id in line else line
             for line in lines]
    (release / "microe.csv").write_text("".join(lines))
    _resign(release, "microe.csv")
    found = {where for code, where in _errors(release) if code == "count-mismatch"}
    assert "build-report.json > counts > by_class" in found and "README.md > body > by_split_class" in found


def test_files_named_like_build_spill_are_not_exempt(release: Path) -> None:
    (release / ".images.spill-123").mkdir()
    (release / ".images.spill-123" / "main.spill").write_bytes(b"\x89PNG leftover")
    found = validate_release(release, checks=["checksums"]).errors()
    assert any(".images.spill-123/main.spill" in i.where or ".images.spill-123/main.spill" in i.message for i in found)


def test_taken_down_image_still_in_the_data(release: Path) -> None:
    path = release / "manifest.json"
    data = json.loads(path.read_text())
    fields = data["record_fields"]
    victim = dict(zip(fields, data["records"][0], strict=True))["id"]
    data["excluded"] = [{"id": victim, "reason": "takedown request", "date": "2026-11-30", "source": "synthetic",
                         "source_ref": "x", "request": victim, "match": "requested image", "bits": 0}]
    path.write_text(json.dumps(data))
    _resign(release, "manifest.json")
    found = validate_release(release, checks=["checksums", "manifest"]).errors()
    assert [i.code for i in found] == ["manifest-mismatch"] and "removed on request" in found[0].message

