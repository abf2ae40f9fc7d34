"""Each source format: what it yields and every bad input it reports."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from microe_release.config import load_config
from microe_release.errors import ConfigError, SourceError, SourceNotFoundError
from microe_release.labels import CLASS_NAMES
from microe_release.records import SkippedItem, SkipReason, SourceItem
from microe_release.sources import get_source_format
from microe_release.sources.base import SourceConfig
from microe_release.sources.fer import FerPlus, _votes, bucket_sums, majority_label, vote_buckets


def _items(config_path: Path, name: str) -> tuple[list[SourceItem], list[SkippedItem]]:
    source = next(s for s in load_config(config_path).sources if s.name == name)
    found = list(get_source_format(source.format).iter_items(source))
    return ([f for f in found if isinstance(f, SourceItem)], [f for f in found if isinstance(f, SkippedItem)])


def _reasons(skipped: list[SkippedItem]) -> Counter[SkipReason]:
    return Counter(s.reason for s in skipped)


def test_fer2013_csv_rows_and_malformed_rows(multi_source_config: Path) -> None:
    items, skipped = _items(multi_source_config, "fer2013")
    assert len(items) == 42  # 40 good + 2 whose pixels only the decoder can judge (see test_build)
    assert {i.label for i in items} == {"angry", "disgust", "fear", "happy", "sad", "surprised", "neutral"}
    assert items[0].source_ref == "fer2013.csv:line 2" and items[0].license == "research-only"
    assert items[1].label == "disgust"  # FER2013 code 1
    assert all(i.split is None for i in items)  # keep_splits is off
    assert _reasons(skipped) == {SkipReason.UNKNOWN_LABEL: 1, SkipReason.MALFORMED_ROW: 2}
    refs = {s.source_ref for s in skipped}
    assert "fer2013.csv:line 44" in refs  # emotion 9
    # rows with a bad pixel count or values are caught by the decoder, in the build


def test_fer2013_csv_keep_splits_maps_usage(multi_source_config: Path) -> None:
    text = multi_source_config.read_text().replace('license = "research-only"', 'license = "research-only"\nkeep_splits = true')
    multi_source_config.write_text(text)
    items, _ = _items(multi_source_config, "fer2013")
    assert Counter(i.split for i in items) == {"train": 16, "validation": 13, "test": 13}


def test_fer2013_csv_wrong_header_is_a_source_error(multi_source_config: Path, fer2013_csv: Path) -> None:
    fer2013_csv.write_text("label,data\n1,2\n")
    with pytest.raises(SourceError, match=r"fer2013.csv' has header \['label', 'data'\], expected 'emotion,pixels"):
        _items(multi_source_config, "fer2013")


def test_image_folder_labels_from_folders_and_subjects(multi_source_config: Path, ckplus_tree: Path) -> None:
    (ckplus_tree / "bored").mkdir()
    (ckplus_tree / "bored" / "S099_001_00000001.png").write_bytes((ckplus_tree / "happy" / "S010_001_00000011.png").read_bytes())
    (ckplus_tree / "notes.txt").write_text("not an image")
    (ckplus_tree / "stray.png").write_bytes(b"")
    items, skipped = _items(multi_source_config, "ckplus")
    assert len(items) == 42
    assert Counter(i.label for i in items)["sad"] == 6  # folder 'sadness'
    assert {i.subject for i in items} == {"S010", "S011", "S012"}
    assert items[0].source_ref.count("/") == 1
    assert _reasons(skipped) == {SkipReason.UNKNOWN_LABEL: 2, SkipReason.UNSUPPORTED: 1}


def test_image_folder_missing_path_names_the_source(multi_source_config: Path, ckplus_tree: Path) -> None:
    ckplus_tree.rename(ckplus_tree.with_name("moved"))
    with pytest.raises(SourceNotFoundError, match=r"source 'ckplus': image folder '.*CK\+48' does not exist"):
        _items(multi_source_config, "ckplus")


def test_ferplus_majority_vote_and_drops(multi_source_config: Path) -> None:
    items, skipped = _items(multi_source_config, "ferplus")
    assert [(i.label, i.source_ref) for i in items] == [
        ("happy", "FER2013Train/fer0000000.png"),
        ("neutral", "FER2013Train/fer0000001.png"),
        ("contempt", "FER2013Train/fer0000002.png"),
        ("sad", "FER2013Valid/fer0000100.png"),
        ("angry", "FER2013Test/fer0000200.png"),
    ]
    assert _reasons(skipped) == {SkipReason.NO_CONSENSUS: 3, SkipReason.MISSING: 1}
    details = sorted(s.detail for s in skipped if s.reason is SkipReason.NO_CONSENSUS)
    assert any("tied" in d for d in details) and any("'unknown'" in d for d in details)
    assert any("min_agreement" in d for d in details)


def test_ferplus_majority_label_min_agreement() -> None:
    votes = [4, 3, 3, 0, 0, 0, 0, 0, 0, 0]
    assert majority_label(votes, 0.4) == ("neutral", "")
    assert majority_label(votes, 0.5)[0] is None
    assert majority_label([0] * 10, 0.5) == (None, "no votes")
    assert majority_label([0, 8, 2, 0, 0, 0, 0, 0, 0, 0], 0.5) == ("happiness", "")
    assert majority_label([5, 5, 0, 0, 0, 0, 0, 0, 0, 0], 0.5) == (None, "tied top vote between neutral, happiness")


def test_ferplus_columns_a_mapping_merges_win_together(tmp_path: Path) -> None:
    merged = SourceConfig(name="f", format="ferplus", path=tmp_path, labels={"contempt": "angry"})
    merge = vote_buckets(merged)
    votes = [0, 0, 0, 0, 4, 0, 0, 4, 0, 0]  # anger 4, contempt 4: both are angry here
    assert majority_label(votes, 0.5) == (None, "tied top vote between anger, contempt")
    assert majority_label(bucket_sums(votes, merge), 0.5, merge) == ("anger", "")
    assert majority_label(bucket_sums([0, 0, 0, 0, 3, 0, 0, 3, 4, 0], merge), 0.5, merge) == ("anger", "")
    assert majority_label(bucket_sums([0, 0, 0, 0, 2, 0, 0, 2, 5, 0], merge), 0.5, merge) == (
        None, "'unknown' has the most votes")
    excluded = SourceConfig(name="f", format="ferplus", path=tmp_path, labels={"contempt": "angry"},
                            exclude=("contempt",))  # an excluded column keeps its own votes: its images are left out
    apart = vote_buckets(excluded)
    assert majority_label(bucket_sums([0, 0, 0, 0, 3, 0, 0, 4, 0, 0], apart), 0.5, apart) == ("contempt", "")


@pytest.mark.parametrize(("counts", "problem"), [
    (["1_0"] + ["0"] * 9, "the 'neutral' vote count '1_0' is not a whole number >= 0"),
    (["0", "\u0663"] + ["0"] * 8, "the 'happiness' vote count '\u0663' is not a whole number >= 0"),
    (["0", "0", "+5"] + ["0"] * 7, "the 'surprise' vote count '+5' is not a whole number >= 0"),
    (["0", "0", "0", "-1"] + ["0"] * 6, "the 'sadness' vote count '-1' is not a whole number >= 0"),
    (["0", "0", "0", "0", "2.0"] + ["0"] * 5, "the 'anger' vote count '2.0' is not a whole number >= 0"),
    (["2147483647", "1"] + ["0"] * 8, "the votes add up to 2147483648, over 2147483647"),
])
def test_ferplus_vote_counts_must_be_plain_whole_numbers(counts: list[str], problem: str) -> None:
    assert _votes(["x.png", "(0, 0, 48, 48)", *counts]) == ([], problem)
    assert _votes(["x.png", "(0, 0, 48, 48)", " 3 ", *["0"] * 9]) == ([3] + [0] * 9, "")


def test_ferplus_labels_cannot_map_unknown_or_nf(tmp_path: Path) -> None:
    source = SourceConfig(name="f", format="ferplus", path=tmp_path, labels={"unknown": "neutral"},
                          options={"min_agreement": 0.5})
    with pytest.raises(ConfigError, match=r"source 'f': labels maps 'unknown', but FER\+'s unknown and NF votes"):
        FerPlus.check(source)


def test_ferplus_empty_image_name_is_a_malformed_row(multi_source_config: Path, ferplus_tree: Path) -> None:
    label_csv = ferplus_tree / "FER2013Valid" / "label.csv"
    label_csv.write_text(label_csv.read_text() + ' ,"(0, 0, 48, 48)",0,9,0,0,0,0,0,0,0,0\n')
    _, skipped = _items(multi_source_config, "ferplus")
    empty = [s for s in skipped if s.source_ref == "FER2013Valid/label.csv:line 2"]
    assert [(s.reason, s.detail) for s in empty] == [(SkipReason.MALFORMED_ROW, "the image name is empty")]


def test_labelled_csv_messy_rows(multi_source_config: Path) -> None:
    items, skipped = _items(multi_source_config, "faces")
    assert len(items) == 16
    assert Counter(i.label for i in items) == {name: 2 for name in
                                               ("happy", "angry", "neutral", "sad", "surprised", "fear", "disgust", "contempt")}
    reasons = {s.reason: s for s in skipped}
    assert set(reasons) == {SkipReason.MISSING, SkipReason.PATH_ESCAPE, SkipReason.MALFORMED_ROW, SkipReason.UNKNOWN_LABEL}
    assert reasons[SkipReason.PATH_ESCAPE].source_ref == "data/legend.csv:line 19"
    unknown = sorted(s.source_ref for s in skipped if s.reason is SkipReason.UNKNOWN_LABEL)
    assert unknown == ["data/legend.csv:line 21", "images/Unlisted_0001.jpg"]


def test_labelled_csv_wrong_column_lists_header(multi_source_config: Path) -> None:
    multi_source_config.write_text(multi_source_config.read_text().replace('label_column = "emotion"', 'label_column = "mood"'))
    with pytest.raises(SourceError, match=r"has no column 'mood' \(label_column\); its header is \['user.id', 'image', 'emotion'\]"):
        _items(multi_source_config, "faces")


def test_filename_pattern_labels_and_subjects(multi_source_config: Path) -> None:
    items, skipped = _items(multi_source_config, "jaffe")
    assert len(items) == 21
    assert {i.subject for i in items} == {"KA", "KL", "KM"}
    assert items[0].label == "angry" and items[0].raw_label == "AN"
    assert _reasons(skipped) == {SkipReason.NAME_MISMATCH: 1, SkipReason.UNSUPPORTED: 1}


def test_exclude_and_label_overrides(multi_source_config: Path) -> None:
    text = multi_source_config.read_text().replace(
        'label_column = "emotion"', 'label_column = "emotion"\nexclude = ["contempt"]\nlabels = { bored = "neutral" }')
    multi_source_config.write_text(text)
    items, skipped = _items(multi_source_config, "faces")
    assert "contempt" not in {i.label for i in items}
    assert sum(1 for s in skipped if s.reason is SkipReason.EXCLUDED_LABEL) == 2
    assert any(i.raw_label == "bored" and i.label == "neutral" for i in items)


def test_ferplus_links_and_folders_named_in_label_csv(multi_source_config: Path, tmp_path: Path) -> None:
    """A link to a file in root is an image, one out of root is refused; folders and dangling links are missing."""
    train = next(tmp_path.rglob("FERPlus/data/FER2013Train"))
    outside = tmp_path / "outside.png"
    outside.write_bytes((train / "fer0000000.png").read_bytes())
    (train / "fer0000010.png").symlink_to(train / "fer0000001.png")
    (train / "fer0000011.png").symlink_to(outside)
    (train / "fer0000012.png").mkdir()
    (train / "fer0000013.png").symlink_to(train / "gone.png")  # a dangling link
    votes = ",0,9,1,0,0,0,0,0,0,0\n"
    with open(train / "label.csv", "a") as handle:
        for n in range(10, 14):
            handle.write(f'fer00000{n}.png,"(0, 0, 48, 48)"{votes}')
    items, skipped = _items(multi_source_config, "ferplus")
    assert "FER2013Train/fer0000010.png" in {i.source_ref for i in items}
    reasons = {s.source_ref: s.reason for s in skipped}
    assert reasons["FER2013Train/fer0000011.png"] is SkipReason.PATH_ESCAPE
    assert reasons["FER2013Train/fer0000012.png"] is SkipReason.MISSING
    assert reasons["FER2013Train/fer0000013.png"] is SkipReason.MISSING


def test_ferplus_image_named_twice_keeps_the_first_row(multi_source_config: Path, tmp_path: Path) -> None:
    """A second row for the same image is reported (with both lines), never merged by chance with other votes."""
    train = next(tmp_path.rglob("FERPlus/data/FER2013Train"))
    label_csv = train / "label.csv"
    rows = label_csv.read_text().splitlines()
    first = next(i for i, row in enumerate(rows, 1) if row.startswith("fer0000001.png"))
    with open(label_csv, "a") as handle:
        handle.write('fer0000001.png,"(0, 0, 48, 48)",0,0,9,1,0,0,0,0,0,0\n')
    items, skipped = _items(multi_source_config, "ferplus")
    again = [s for s in skipped if s.source_ref == f"FER2013Train/label.csv:line {len(rows) + 1}"]
    assert [s.reason for s in again] == [SkipReason.MALFORMED_ROW]
    assert f"'fer0000001.png' is named again (first at line {first}" in again[0].detail
    kept = [i for i in items if i.source_ref == "FER2013Train/fer0000001.png"]
    assert len(kept) == 1 and kept[0].votes is not None and kept[0].votes[CLASS_NAMES.index("surprised")] == 0
