"""`microe validate`: a fresh release is clean; each tampering is found, with its exact place."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from microe_release import build_release, demo_config
from microe_release.cli import main
from microe_release.validation import validate_release

pytestmark = pytest.mark.integration

TRAIN = "data/train-00000-of-00001.parquet"
TEST = "data/test-00000-of-00001.parquet"


def _issues(path: Path) -> set[tuple[str, str]]:
    return {(i.code, i.where) for i in validate_release(path).errors()}


def test_validate_fresh_release_is_clean(built: Path) -> None:
    report = validate_release(built)
    assert report.errors() == [], [i.to_dict() for i in report.errors()]
    assert report.checks == ["checksums", "parquet", "load_dataset", "datapackage", "csv", "manifest", "counts", "votes",
                             "audit", "croissant", "citation", "agreement", "leakage"]
    assert report.stats["croissant_records"] == report.stats["csv_rows"] == report.stats["images"] == 240
    metrics = [row["metric"] for row in report.fair]
    assert metrics[0] == "FsF-F1-01MD" and metrics[-1] == "FsF-R1.3-02D"
    assert {row["status"] for row in report.fair} <= {"pass", "fail", "needs the published record"}
    assert next(r for r in report.fair if r["metric"] == "FsF-F1-01MD")["status"] == "needs the published record"


def test_validate_flipped_byte_in_parquet(release: Path) -> None:
    path = release / TRAIN
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    assert ("checksum-mismatch", TRAIN) in _issues(release)


def test_validate_deleted_file(release: Path) -> None:
    (release / "datacite.json").unlink()
    issues = _issues(release)
    assert ("missing-file", "datacite.json") in issues


def test_validate_extra_file(release: Path) -> None:
    (release / "notes.txt").write_text("hello")
    assert _issues(release) == {("unlisted-file", "notes.txt")}


def test_validate_label_edited_in_csv(release: Path) -> None:
    lines = (release / "microe.csv").read_text().splitlines(keepends=True)
    fields = lines[5].split(",")
    fields[2] = "contempt" if fields[2] != "contempt" else "happy"
    lines[5] = ",".join(fields)
    (release / "microe.csv").write_text("".join(lines))
    issues = _issues(release)
    assert ("csv-mismatch", "microe.csv > row 5 > label") in issues
    assert ("checksum-mismatch", "microe.csv") in issues


def test_validate_csv_findings_listed_then_counted(release: Path) -> None:
    """Every row of the CSV wrong gives the first MAX_LISTED findings and one counting the rest, not 240 lines."""
    from microe_release.validation.loaded import MAX_LISTED

    lines = (release / "microe.csv").read_text().splitlines(keepends=True)
    swapped = [lines[0]] + [line.replace(",train,", ",test,") if ",train," in line else line.replace(",test,", ",train,")
                            for line in lines[1:]]
    (release / "microe.csv").write_text("".join(swapped))
    report = validate_release(release, checks=["csv"])
    wrong = [i for i in report.errors() if i.code == "csv-mismatch"]
    assert len(wrong) == MAX_LISTED + 1
    counted = next(i for i in wrong if i.where == "microe.csv")
    assert counted.message == f"{len(lines) - 1 - MAX_LISTED} more such findings (csv-mismatch) in microe.csv."


def test_validate_row_dropped_from_csv(release: Path) -> None:
    lines = (release / "microe.csv").read_text().splitlines(keepends=True)
    dropped_id = lines[10].split(",")[1]
    (release / "microe.csv").write_text("".join(lines[:10] + lines[11:]))
    assert ("csv-missing-row", f"microe.csv > id {dropped_id}") in _issues(release)


def test_validate_split_size_edited_in_card(release: Path) -> None:
    card = (release / "README.md").read_text()
    actual = pq.read_metadata(release / TRAIN).num_rows
    edited = card.replace(f"num_examples: {actual}", f"num_examples: {actual + 1}", 1)
    assert edited != card
    (release / "README.md").write_text(edited)
    assert ("split-size", "README.md > dataset_info > splits > train > num_examples") in _issues(release)


def test_validate_image_copied_from_train_to_test(release: Path) -> None:
    train, test = pq.read_table(release / TRAIN), pq.read_table(release / TEST)
    leaked = pa.concat_tables([test, train.slice(3, 1)])
    pq.write_table(leaked, release / TEST)
    leaked_id = train.column("id")[3].as_py()
    issues = _issues(release)
    assert ("leak-id", f"data/ > id {leaked_id}") in issues
    assert ("leak-identical", f"{TEST} > row {test.num_rows} > image") in issues


def test_validate_wrong_licence_in_citation(release: Path) -> None:
    text = (release / "CITATION.cff").read_text()
    (release / "CITATION.cff").write_text(text.replace("license: CC-BY-4.0", "license: MIT"))
    assert ("metadata-disagree", "CITATION.cff > license") in _issues(release)


def test_validate_missing_creator(release: Path) -> None:
    record = json.loads((release / "datacite.json").read_text())
    record["creators"] = record["creators"][:1]
    (release / "datacite.json").write_text(json.dumps(record, indent=2))
    assert ("metadata-disagree", "datacite.json > creators") in _issues(release)


def test_validate_invalid_json_in_croissant(release: Path) -> None:
    text = (release / "croissant.json").read_text()
    (release / "croissant.json").write_text(text[: len(text) // 2])
    assert ("invalid-json", "croissant.json") in _issues(release)


def test_validate_schema_violations_are_located(release: Path) -> None:
    package = json.loads((release / "datapackage.json").read_text())
    package["resources"][0]["type"] = "file"  # the v2 profile allows only "table"
    (release / "datapackage.json").write_text(json.dumps(package, indent=2))
    zenodo = json.loads((release / ".zenodo.json").read_text())
    del zenodo["publication_date"]
    (release / ".zenodo.json").write_text(json.dumps(zenodo, indent=2))
    issues = _issues(release)
    assert ("datapackage-profile", "datapackage.json > resources > 0 > type") in issues
    assert ("zenodo-field", ".zenodo.json > publication_date") in issues


def test_cli_validate_exit_codes_and_json(built: Path, release: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    clean = runner.invoke(main, ["validate", str(built)])
    assert clean.exit_code == 0, clean.output
    assert "valid, 0 error(s)" in clean.output and "FsF-R1.3-02D" in clean.output
    (release / "notes.txt").write_text("x")
    dirty = runner.invoke(main, ["validate", str(release), "--json"])
    assert dirty.exit_code == 1
    data = json.loads(dirty.output)
    assert data["valid"] is False and data["issues"][0]["where"] == "notes.txt"
    assert runner.invoke(main, ["validate", str(tmp_path / "nope")]).exit_code == 2
    assert runner.invoke(main, ["validate"]).exit_code == 2


def test_cli_validate_strict_turns_warnings_into_errors(tmp_path: Path) -> None:
    build_release(demo_config(count=12), tmp_path / "tiny", workers=1)  # some classes miss a split
    runner = CliRunner()
    lenient = runner.invoke(main, ["validate", str(tmp_path / "tiny")])
    strict = runner.invoke(main, ["validate", str(tmp_path / "tiny"), "--strict"])
    assert lenient.exit_code == 0 and "warning" in lenient.output and "class-missing" not in lenient.output
    assert strict.exit_code == 1 and "INVALID" in strict.output
    frame = pd.read_csv(tmp_path / "tiny" / "microe.csv")
    assert len(frame) == 12


def test_frictionless_reads_parquet_from_arrow_with_the_same_cells(built: Path, tmp_path: Path) -> None:
    from frictionless import Resource

    from microe_release.validation.tabular import _fast_parquet

    odd = tmp_path / "odd.parquet"  # every Arrow type a release or a tampered file may hold
    pq.write_table(pa.table({"n": [1, 2, 3], "s": ["a", "é", ""], "b": [b"\x00", b"", b"x"],
                             "st": [{"bytes": b"1", "path": "p"}] * 3, "f": [0.5, 1.0, 2.25],
                             "ok": [True, False, True]}), odd)
    with_nulls = tmp_path / "nulls.parquet"
    pq.write_table(pa.table({"n": [1, None, 3], "s": ["a", None, "c"], "v": [[1, 2], None, [3]]}), with_nulls)

    def read(path: Path) -> list[list[object]]:
        resource = Resource(str(path))
        resource.infer()
        with resource:
            return list(resource.cell_stream)

    plain = read(odd)
    with _fast_parquet():
        assert repr(read(odd)) == repr(plain)
        # nulls stay None (frictionless's pandas route makes a null integer NaN) and lists stay lists (it makes
        # them numpy arrays, which its schema inference cannot read)
        assert read(with_nulls) == [["n", "s", "v"], [1, "a", [1, 2]], [None, None, None], [3, "c", [3]]]
        for path in (built / TRAIN, built / TEST):
            table = pq.read_table(path)
            assert read(path) == [table.column_names, *(list(row.values()) for row in table.to_pylist())]
    assert plain[1] == [1, "a", b"\x00", {"bytes": b"1", "path": "p"}, 0.5, True]


def test_side_checks_in_worker_processes_report_the_same(release: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import microe_release.validation as validation

    package = json.loads((release / "datapackage.json").read_text())
    package["resources"][0]["type"] = "file"  # a datapackage finding
    (release / "datapackage.json").write_text(json.dumps(package, indent=2))
    croissant = json.loads((release / "croissant.json").read_text())
    del croissant["distribution"]  # a croissant finding (mlcroissant: fields with no source)
    (release / "croissant.json").write_text(json.dumps(croissant, indent=2))
    here = validate_release(release)
    monkeypatch.setattr(validation, "SIDE_PROCESS_BYTES", 0)  # every release is "big": side processes
    pools: list[object] = []
    real_pool = validation.worker_pool

    @contextlib.contextmanager
    def recorded(workers: int) -> Iterator[object]:
        with real_pool(workers) as pool:
            pools.append(pool)
            yield pool

    monkeypatch.setattr(validation, "worker_pool", recorded)
    side = validate_release(release)
    assert pools and pools[0] is not None  # the two side checks ran in worker processes
    assert [i.to_dict() for i in side.sorted_issues()] == [i.to_dict() for i in here.sorted_issues()]
    assert {k: v for k, v in side.stats.items() if k != "seconds"} == {
        k: v for k, v in here.stats.items() if k != "seconds"}
    assert side.checks == here.checks and {"datapackage-profile", "croissant"} <= {i.code for i in side.issues}


def test_manifest_that_disagrees_with_the_data_is_caught(release: Path) -> None:
    import hashlib

    path = release / "manifest.json"
    data = json.loads(path.read_text())
    labels = data["record_fields"].index("label")
    first = data["records"][0]
    first[labels] = "contempt" if first[labels] != "contempt" else "happy"
    del data["records"][1]
    path.write_text(json.dumps(data))
    sums = (release / "SHA256SUMS").read_text().splitlines()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (release / "SHA256SUMS").write_text("".join(
        (f"{digest}  manifest.json" if line.endswith("  manifest.json") else line) + "\n" for line in sums))
    report = validate_release(release, checks=["checksums", "manifest"])
    codes = [(i.code, i.message) for i in report.errors()]
    assert [c for c, _ in codes] == ["manifest-mismatch", "manifest-mismatch"], codes
    assert any("differs from its parquet row: label" in m for _, m in codes)
    assert any("is in the parquet shards but not in manifest.json" in m for _, m in codes)
