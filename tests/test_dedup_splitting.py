"""Exact and near-duplicate handling, and stratified, group-aware, seeded splits."""

from __future__ import annotations

import io
import random
from collections import Counter
from dataclasses import replace

import numpy as np
from PIL import Image

from microe_release.dedup import assign_groups, merge_exact_duplicates, near_duplicate_pairs
from microe_release.fingerprints import content_id, encode_png, perceptual_hash, perceptual_hashes
from microe_release.labels import CLASS_NAMES
from microe_release.records import ImageRecord, SkipReason
from microe_release.splitting import assign_splits


def _record(i: int, label: str = "happy", *, id_: str | None = None, phash: int | None = None,
            subject: str | None = None, source: str = "s", fixed: str | None = None) -> ImageRecord:
    return ImageRecord(id=id_ or f"{i:016x}", label=label, source=source, source_ref=f"f{i}", license="x",
                       subject=subject, fixed_split=fixed, phash=phash if phash is not None else i * 0x9E3779B97F4A7C15 % 2**64,
                       orig_width=1, orig_height=1, orig_mode="L")


def test_merge_exact_duplicates_agreeing_labels_kept_once() -> None:
    records = [_record(1, id_="a"), _record(2, id_="a"), _record(3, id_="b")]
    kept, skipped, merged = merge_exact_duplicates(records)
    assert [r.id for r in kept] == ["a", "b"] and not skipped
    assert merged == [{"id": "a", "label": "happy", "kept": "s:f1", "merged": ["s:f2"]}]


def test_merge_exact_duplicates_conflicting_labels_dropped() -> None:
    records = [_record(1, "happy", id_="a"), _record(2, "sad", id_="a"), _record(3, id_="b")]
    kept, skipped, _ = merge_exact_duplicates(records)
    assert [r.id for r in kept] == ["b"]
    assert [s.reason for s in skipped] == [SkipReason.CONFLICT, SkipReason.CONFLICT]
    assert "s:f1 (happy), s:f2 (sad)" in skipped[0].detail


def test_near_duplicate_pairs_matches_brute_force() -> None:
    rng = np.random.default_rng(5)
    base = [int(x) for x in rng.integers(0, 2**63, size=60, dtype=np.int64)]
    hashes = base + [h ^ (1 << int(rng.integers(0, 64))) ^ (1 << int(rng.integers(0, 64))) for h in base[:20]]
    brute = sorted((i, j) for i in range(len(hashes)) for j in range(i + 1, len(hashes))
                   if (hashes[i] ^ hashes[j]).bit_count() <= 6)
    assert near_duplicate_pairs(hashes) == brute
    assert len(brute) >= 20


def test_assign_groups_joins_near_duplicates_and_subjects() -> None:
    records = [_record(0, phash=0), _record(1, phash=0b111),
               _record(2, phash=0xFFFF_FFFF_0000_0000, subject="S1"),
               _record(3, phash=0x0000_FFFF_FFFF_0000, subject="S1"),
               _record(4, phash=0x00FF_00FF_00FF_00FF, subject="S1", source="other")]
    groups, near = assign_groups(records)
    assert groups[0] == groups[1]  # 3 bits apart: near-duplicates
    assert groups[2] == groups[3]  # same subject of the same source
    assert len({groups[0], groups[2], groups[4]}) == 3  # subject ids are per source
    assert near == [[records[0].id, records[1].id]]


def _population(n: int = 2000) -> list[ImageRecord]:
    rng = np.random.default_rng(1)
    labels = rng.choice(CLASS_NAMES, size=n, p=[0.13, 0.05, 0.07, 0.12, 0.2, 0.17, 0.13, 0.13])
    records = [_record(i, str(lab), subject=f"p{i // 5}") for i, lab in enumerate(labels)]
    groups = assign_groups(records)[0]
    return [replace(r, group=g) for r, g in zip(records, groups, strict=True)]


def test_assign_splits_is_stratified_and_group_disjoint() -> None:
    population = _population()
    splits = assign_splits(population, [r.group for r in population], ratios={"train": 0.7, "validation": 0.2, "test": 0.1},
                            split_names=("train", "validation", "test"), class_names=CLASS_NAMES, seed=7)
    records = [replace(r, split=s) for r, s in zip(population, splits, strict=True)]
    by_group: dict[int, set[str]] = {}
    for r in records:
        by_group.setdefault(r.group, set()).add(r.split)
    assert all(len(s) == 1 for s in by_group.values())
    totals = Counter(r.label for r in records)
    for split, ratio in (("train", 0.7), ("validation", 0.2), ("test", 0.1)):
        counts = Counter(r.label for r in records if r.split == split)
        for label in CLASS_NAMES:
            assert abs(counts[label] - ratio * totals[label]) <= 6, (split, label)


def test_assign_splits_seeded() -> None:
    kwargs = {"ratios": {"train": 0.8, "test": 0.2}, "split_names": ("train", "test"), "class_names": CLASS_NAMES}
    population = _population()
    groups = [r.group for r in population]
    a = assign_splits(population, groups, seed=1, **kwargs)
    b = assign_splits(_population(), groups, seed=1, **kwargs)
    c = assign_splits(population, groups, seed=2, **kwargs)
    assert a == b and a != c


def test_assign_splits_fixed_splits_win_and_validation_falls_back_to_test() -> None:
    records = [replace(r, fixed_split=("validation" if r.group % 2 else "train")) for r in _population(200)]
    out = assign_splits(records, [r.group for r in records], ratios={"train": 0.8, "test": 0.2},
                        split_names=("train", "test"), class_names=CLASS_NAMES, seed=0)
    assert all(s == ("test" if r.group % 2 else "train") for r, s in zip(records, out, strict=True))


def test_near_duplicate_pairs_find_every_near_copy() -> None:
    rng = random.Random(5)
    base = [rng.getrandbits(64) for _ in range(300)]
    hashes = [b ^ (1 << rng.randrange(64)) ^ (1 << rng.randrange(64)) for b in base * 4]
    assert len(near_duplicate_pairs(hashes)) >= 300 * 6  # each base hash has 4 near copies: 6 pairs among them


def test_fingerprints_content_id_is_pinned_and_png_round_trips() -> None:
    assert content_id(np.zeros((2, 2), np.uint8)) == "6721231bea7689c6"  # ids are the release's identity: never change
    pixels = np.array([[0, 255], [7, 42]], dtype=np.uint8)
    assert np.asarray(Image.open(io.BytesIO(encode_png(pixels)))).tolist() == [[0, 255], [7, 42]]
    batch = np.random.default_rng(3).integers(0, 256, size=(4, 48, 40), dtype=np.uint8)
    assert [perceptual_hash(image) for image in batch] == perceptual_hashes(batch)
