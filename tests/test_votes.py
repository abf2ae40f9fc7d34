"""Annotators' votes (issue 21, item 5): FER+'s votes per class kept in the `votes` column of the parquet and CSV,
declared in every metadata file, checked by `microe validate`, shown by `microe report`, learnt by --soft-labels."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from microe_release import build_release, load_config
from microe_release.errors import TrainingError
from microe_release.labels import CLASS_NAMES
from microe_release.sources.base import SourceConfig
from microe_release.sources.fer import bucket_sums, class_votes, vote_buckets
from microe_release.validation import validate_release
from microe_release.writers.manifest import read_manifest
from tests.fixtures.sources import make_ckplus_tree, make_ferplus_tree, resign_release

pytestmark = pytest.mark.integration

#: FER+ fixture rows (tests/fixtures/sources.py) as votes in class order: angry, contempt, disgust, fear, happy,
#: neutral, sad, surprised (its "unknown" votes dropped).
EXPECTED = {
    "FER2013Train/fer0000000.png": ("happy", [0, 0, 0, 0, 9, 0, 0, 1]),
    "FER2013Train/fer0000001.png": ("neutral", [0, 0, 0, 0, 0, 8, 2, 0]),
    "FER2013Train/fer0000002.png": ("contempt", [0, 6, 0, 0, 0, 0, 0, 0]),
    "FER2013Valid/fer0000100.png": ("sad", [1, 0, 0, 0, 0, 0, 9, 0]),
    "FER2013Test/fer0000200.png": ("angry", [10, 0, 0, 0, 0, 0, 0, 0]),
}


def _config(root: Path, extra: str = "") -> Path:
    """FER+ (votes), CK+ (none), and a FER2013 CSV whose one row is FER+'s happy face again (same label)."""
    ferplus = make_ferplus_tree(root)
    make_ckplus_tree(root)
    happy = np.asarray(Image.open(ferplus / "FER2013Train" / "fer0000000.png").convert("L"))
    (root / "fer2013.csv").write_text(f"emotion,pixels\n3,{' '.join(map(str, happy.ravel()))}\n")
    config = root / "release.toml"
    config.write_text(textwrap.dedent(f"""\
        [release]
        name = "votes"
        version = "1.0.0"
        seed = 3
        splits = {{ train = 0.8, test = 0.2 }}
        {extra}
        [[source]]
        name = "ckplus"
        format = "image-folder"
        path = "CK+48"
        subject_pattern = '^(?P<subject>S\\d+)_'

        [[source]]
        name = "fer2013"
        format = "fer2013-csv"
        path = "fer2013.csv"

        [[source]]
        name = "ferplus"
        format = "ferplus"
        path = "FERPlus/data"
        """))
    return config


@pytest.fixture(scope="module")
def voted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("votes")
    out = root / "release"
    build_release(load_config(_config(root)), out, workers=1)
    return out


def _copy(voted: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "release"
    shutil.copytree(voted, copy)
    return copy


def _parquet_rows(release: Path) -> list[dict]:
    return [row for path in sorted((release / "data").glob("*.parquet"))
            for row in pq.read_table(path, columns=["id", "label", "source", "source_ref", "votes"]).to_pylist()]


def test_ferplus_votes_are_kept_per_class_in_class_order(voted: Path) -> None:
    rows = {r["source_ref"]: (CLASS_NAMES[r["label"]], r["votes"]) for r in _parquet_rows(voted)
            if r["source"] == "ferplus"}
    assert rows == EXPECTED
    others = [r for r in _parquet_rows(voted) if r["source"] == "ckplus"]
    assert others and all(r["votes"] is None for r in others)


def test_merged_copies_keep_the_row_that_has_votes(voted: Path) -> None:
    assert not [r for r in _parquet_rows(voted) if r["source"] == "fer2013"]
    row = next(r for r in _parquet_rows(voted) if r["source_ref"] == "FER2013Train/fer0000000.png")
    assert (CLASS_NAMES[row["label"]], row["votes"]) == EXPECTED["FER2013Train/fer0000000.png"]
    merged = read_manifest(voted).duplicates
    assert [(d["kept"], d["merged"]) for d in merged] == [("ferplus:FER2013Train/fer0000000.png",
                                                         ["fer2013:fer2013.csv:line 2"])]


def _per_class(votes: list[int], source: SourceConfig) -> tuple[int, ...]:
    buckets = vote_buckets(source)
    return class_votes(bucket_sums(votes, buckets), buckets)


def test_votes_mapped_through_the_sources_labels_and_exclude(tmp_path: Path) -> None:
    votes = [1, 2, 0, 0, 3, 0, 0, 4, 5, 6]  # neutral happiness surprise sadness anger disgust fear contempt unknown NF
    plain = SourceConfig(name="f", format="ferplus", path=tmp_path)
    assert _per_class(votes, plain) == (3, 4, 0, 0, 2, 1, 0, 0)
    merged = SourceConfig(name="f", format="ferplus", path=tmp_path, labels={"contempt": "disgust"},
                          exclude=("happiness",))
    assert _per_class(votes, merged) == (3, 0, 4, 0, 0, 1, 0, 0)
    no_neutral = SourceConfig(name="f", format="ferplus", path=tmp_path, exclude=("neutral",))  # also a class name
    assert _per_class(votes, no_neutral) == (3, 4, 0, 0, 2, 0, 0, 0)


def test_votes_column_in_every_reader(voted: Path) -> None:
    import datasets
    import mlcroissant as mlc

    loaded = datasets.load_dataset(str(voted))
    assert loaded["train"].features["votes"] == datasets.List(datasets.Value("int32"))
    by_id = {r["id"]: r["votes"] for r in _parquet_rows(voted)}
    for split in loaded:
        assert {row["id"]: row["votes"] for row in loaded[split]} == {i: by_id[i] for i in loaded[split]["id"]}
    records = list(mlc.Dataset(jsonld=str(voted / "croissant.json")).records("examples"))
    from_croissant = {r["examples/id"].decode(): r["examples/votes"] for r in records}
    assert {i: (list(v) if v is not None else None) for i, v in from_croissant.items()} == by_id
    lines = (voted / "microe.csv").read_text().splitlines()
    assert lines[0].split(",")[-1] == "votes"
    csv_votes = {line.split(",")[1]: line.rsplit(",", 1)[1] for line in lines[1:]}
    assert csv_votes == {i: "" if v is None else " ".join(map(str, v)) for i, v in by_id.items()}
    package = json.loads((voted / "datapackage.json").read_text())
    declared = [next(f for f in r["schema"]["fields"] if f["name"] == "votes") for r in package["resources"]]
    assert len(declared) == len(package["resources"]) >= 3
    card = (voted / "README.md").read_text()
    assert "  - name: votes\n    list: int32" in card and "| `votes` | list of int32 |" in card
    assert {r.id: r.votes for r in read_manifest(voted).records} == {i: v and tuple(v) for i, v in by_id.items()}


def test_card_states_the_agreement_per_class(voted: Path) -> None:
    card = (voted / "README.md").read_text()
    assert "**Images with annotator votes:** 5 of" in card and "(ferplus 5)" in card
    assert re.search(r"^\| happy \| 1 \| 0\.900 \| 0 \| 0 \|$", card, re.MULTILINE)
    assert re.search(r"^\| contempt \| 1 \| 1\.000 \| 1 \| 0 \|$", card, re.MULTILINE)
    assert re.search(r"^\| fear \| 0 \| - \| 0 \| 0 \|$", card, re.MULTILINE)
    assert validate_release(voted).errors() == []


def _set_votes(release: Path, change: dict[str, list[int] | None]) -> None:
    for path in sorted((release / "data").glob("*.parquet")):
        table = pq.read_table(path)
        votes = [change.get(i, v) for i, v in zip(table.column("id").to_pylist(), table.column("votes").to_pylist(),
                                                    strict=True)]
        at = table.schema.get_field_index("votes")
        table = table.set_column(at, table.schema.field("votes"), pa.array(votes, pa.list_(pa.int32())))
        pq.write_table(table, path)


def _errors(release: Path) -> set[tuple[str, str]]:
    return {(i.code, i.where) for i in validate_release(release, checks=["checksums", "csv", "votes"]).errors()}


def _ferplus_row(release: Path, ref: str) -> tuple[str, str, int]:
    """(id, shard, row) of a FER+ image."""
    for path in sorted((release / "data").glob("*.parquet")):
        refs = pq.read_table(path, columns=["source_ref"]).column("source_ref").to_pylist()
        if ref in refs:
            ids = pq.read_table(path, columns=["id"]).column("id").to_pylist()
            return ids[refs.index(ref)], f"data/{path.name}", refs.index(ref)
    raise AssertionError(ref)


@pytest.mark.parametrize(("votes", "problem"), [
    ([0, 0, 0, 8, 2, 0], "are not a list of 8 counts"),
    ([0, 0, 0, 0, 0, 8, -2, 0], "not a count >= 0"),
    ([0] * 8, "all zero"),
    ([0, 0, 0, 0, 0, 0, 8, 2], "label 'neutral' got none of the votes"),  # shifted by one class
])
def test_validate_catches_bad_votes_in_parquet(voted: Path, tmp_path: Path, votes: list[int], problem: str) -> None:
    release = _copy(voted, tmp_path)
    image_id, shard, row = _ferplus_row(release, "FER2013Train/fer0000001.png")
    _set_votes(release, {image_id: votes})
    resign_release(release)
    report = validate_release(release, checks=["checksums", "csv", "votes"])
    found = {(i.code, i.where): i.message for i in report.errors()}
    assert problem in found.pop(("votes-invalid", f"{shard} > row {row} > votes"))
    assert {code for code, _ in found} <= {"csv-mismatch", "count-mismatch"}
    assert any(code == "csv-mismatch" and where.endswith("> votes") for code, where in found)


def test_validate_catches_votes_edited_in_the_csv_only(voted: Path, tmp_path: Path) -> None:
    release = _copy(voted, tmp_path)
    text = (release / "microe.csv").read_text()
    assert text.count(",0 0 0 0 0 8 2 0\n") == 1
    (release / "microe.csv").write_text(text.replace(",0 0 0 0 0 8 2 0\n", ",0 0 0 0 0 7 3 0\n"))
    resign_release(release)
    errors = _errors(release)
    assert len(errors) == 1 and next(iter(errors))[0] == "csv-mismatch"
    assert next(iter(errors))[1].endswith("> votes")


def test_validate_catches_an_edited_agreement_table(voted: Path, tmp_path: Path) -> None:
    release = _copy(voted, tmp_path)
    card = (release / "README.md").read_text()
    (release / "README.md").write_text(card.replace("| neutral | 1 | 0.800 | 0 | 0 |", "| neutral | 1 | 0.950 | 1 | 0 |"))
    resign_release(release)
    assert _errors(release) == {("count-mismatch", "README.md > Annotator votes > neutral")}


def test_validate_catches_a_votes_total_edited_in_the_card(voted: Path, tmp_path: Path) -> None:
    release = _copy(voted, tmp_path)
    card = (release / "README.md").read_text()
    (release / "README.md").write_text(re.sub(r"(annotator votes:\*\* 5 of )(\d+)", r"\g<1>999", card))
    resign_release(release)
    assert _errors(release) == {("count-mismatch", "README.md > Annotator votes")}


def test_validate_catches_votes_edited_in_manifest_json(voted: Path, tmp_path: Path) -> None:
    release = _copy(voted, tmp_path)
    path = release / "manifest.json"
    assert path.read_text().count(",[0,0,0,0,0,8,2,0]]") == 1
    path.write_text(path.read_text().replace(",[0,0,0,0,0,8,2,0]]", ",[0,0,0,0,0,7,3,0]]"))
    resign_release(release)
    errors = validate_release(release, checks=["checksums", "manifest"]).errors()
    assert [(i.code, "votes [0, 0, 0, 0, 0, 7, 3, 0] vs [0, 0, 0, 0, 0, 8, 2, 0]" in i.message) for i in errors] == [
        ("manifest-mismatch", True)]


def test_malformed_votes_in_manifest_json_are_a_format_error(voted: Path, tmp_path: Path) -> None:
    from microe_release.errors import ReleaseFormatError

    release = _copy(voted, tmp_path)
    path = release / "manifest.json"
    path.write_text(path.read_text().replace(",[0,0,0,0,0,8,2,0]]", ",[6,0,3]]"))
    with pytest.raises(ReleaseFormatError, match=r"the votes \[6, 0, 3\] of image \w+ are not one count >= 0 per class"):
        read_manifest(release)


def test_validate_catches_votes_of_another_arrow_type(voted: Path, tmp_path: Path) -> None:
    release = _copy(voted, tmp_path)
    path = next(p for p in sorted((release / "data").glob("*.parquet")))
    table = pq.read_table(path)
    at = table.schema.get_field_index("votes")
    table = table.set_column(at, pa.field("votes", pa.list_(pa.int64())), table.column("votes").cast(pa.list_(pa.int64())))
    pq.write_table(table.replace_schema_metadata(pq.read_schema(path).metadata), path)
    resign_release(release)
    errors = {(i.code, i.where): i.message for i in validate_release(release, checks=["parquet"]).errors()}
    assert errors == {("parquet-schema", f"data/{path.name} > votes"):
                      "column 'votes' is list<int64>, expected list<int32>."}


def test_validate_catches_votes_without_the_card_section(voted: Path, tmp_path: Path) -> None:
    release = _copy(voted, tmp_path)
    card = (release / "README.md").read_text()
    start, end = card.index("## Annotator votes"), card.index("## Distribution")
    (release / "README.md").write_text(card[:start] + card[end:])
    resign_release(release)
    assert _errors(release) == {("count-mismatch", "README.md > Annotator votes")}


def test_relabelled_image_may_have_no_vote_for_its_new_label(tmp_path: Path) -> None:
    first = build_release(load_config(_config(tmp_path / "a")), tmp_path / "v1", workers=1)
    neutral = next(r for r in first.records if r.source_ref == "FER2013Train/fer0000001.png")
    relabels = tmp_path / "b" / "relabels.csv"
    relabels.parent.mkdir()
    relabels.write_text(f"id,new_label,reason,date\n{neutral.id},fear,review: frightened,2026-12-03\n")
    config = _config(tmp_path / "b", extra='relabels = "relabels.csv"')
    second = build_release(load_config(config), tmp_path / "v2", workers=1)
    record = next(r for r in second.records if r.id == neutral.id)
    assert (record.label, record.votes) == ("fear", (0, 0, 0, 0, 0, 8, 2, 0))
    assert validate_release(tmp_path / "v2").errors() == []
    assert re.search(r"^\| fear \| 1 \| 0\.000 \| 0 \| 1 \|$", (tmp_path / "v2" / "README.md").read_text(), re.MULTILINE)


def test_report_shows_the_agreement_per_class(voted: Path, tmp_path: Path) -> None:
    from microe_release.report import generate_report

    numbers = generate_report(voted, tmp_path / "report")
    votes = numbers["annotator_votes"]
    assert votes["images"] == 5 and votes["by_source"] == {"ferplus": 5}
    assert votes["by_class"]["neutral"] == {"images": 1, "mean_agreement": 0.8, "unanimous": 0, "outvoted": 0}
    assert votes["vote_shares"]["neutral"]["sad"] == 0.2 and "annotator_votes.png" in numbers["figures"]
    page = (tmp_path / "report" / "index.html").read_text()
    assert '<section id="votes">' in page and 'href="#votes"' in page


def test_soft_targets_are_vote_shares_or_the_one_hot_label() -> None:
    import torch

    from microe_release.training.loop import soft_targets

    labels = torch.tensor([5, 1])
    votes = torch.tensor([[0, 0, 0, 0, 0, 8, 2, 0], [0] * 8])
    targets = soft_targets(labels, votes, 8)
    expected = torch.tensor([[0, 0, 0, 0, 0, 0.8, 0.2, 0], [0, 1, 0, 0, 0, 0, 0, 0]])
    assert torch.equal(targets, expected)
    with pytest.raises(TrainingError, match="--soft-labels needs annotators' votes"):
        soft_targets(labels, torch.zeros(2, 8, dtype=torch.int64), 8)


def test_soft_labels_change_what_is_learnt(voted: Path) -> None:
    from microe_release.training.data import load_release_tensors
    from microe_release.training.loop import TrainConfig, fit

    tensors = load_release_tensors(voted)
    assert int((tensors.votes["train"].sum(1) > 0).sum()) + int((tensors.votes["validation"].sum(1) > 0).sum()) \
        + int((tensors.votes["test"].sum(1) > 0).sum()) == 5
    options = {"epochs": 1, "batch_size": 16, "device": "cpu", "augment": False, "adjust_logits": False}
    hard, _ = fit(tensors.parts, TrainConfig(**options), num_classes=8, votes=tensors.votes["train"])
    soft, _ = fit(tensors.parts, TrainConfig(**options, soft_labels=True), num_classes=8, votes=tensors.votes["train"])
    again, _ = fit(tensors.parts, TrainConfig(**options, soft_labels=True), num_classes=8, votes=tensors.votes["train"])
    weights = [dict(m.state_dict()) for m in (hard, soft, again)]
    assert any(not (weights[0][k] == weights[1][k]).all() for k in weights[0])
    assert all((weights[1][k] == weights[2][k]).all() for k in weights[1])


def test_bench_soft_labels_trains_with_and_without_the_votes(voted: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    script = Path(__file__).parents[1] / "benchmarks" / "bench_soft_labels.py"
    done = subprocess.run([sys.executable, str(script), "--release", str(voted), "--json", str(tmp_path / "s.json"),
                           "--", "--epochs", "1", "--batch-size", "16", "--device", "cpu"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads((tmp_path / "s.json").read_text())
    assert figures["options"] == ["--epochs", "1", "--batch-size", "16", "--device", "cpu"]
    assert figures["votes"]["images_with_votes"] == figures["labels"]["images_with_votes"]
    assert 0 <= figures["labels"]["accuracy"] <= 1 and 0 <= figures["votes"]["macro_f1"] <= 1
    assert "macro_f1" in done.stdout and "gain" in done.stdout


def test_train_soft_labels_says_so_in_the_model_card(voted: Path, tmp_path: Path) -> None:
    from microe_release.training import train

    metrics = train(voted, tmp_path / "m", epochs=1, batch_size=16, device="cpu", soft_labels=True)
    counts = metrics["data"]["images_with_votes"]
    assert sum(counts.values()) == 5 and counts["train"] >= 1
    assert json.loads((tmp_path / "m" / "config.json").read_text())["train"]["soft_labels"] is True
    assert "soft labels (each image's annotator vote shares" in (tmp_path / "m" / "README.md").read_text()
