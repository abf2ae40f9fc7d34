"""Exact duplicates (same processed pixels) and near-duplicate groups (perceptual hash)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable

import numpy as np

from .records import ImageRecord, SkippedItem, SkipReason

logger = logging.getLogger(__name__)

#: Two images whose 64-bit pHashes differ in at most this many bits are near-duplicates: 6/64 catches
#: re-encodes, slight crops, blur and brightness changes while distinct faces sit far above (see README).
NEAR_DUPLICATE_BITS = 6

#: Two hashes within NEAR_DUPLICATE_BITS bits agree exactly on one of NEAR_DUPLICATE_BITS + 1 bands (pigeonhole).
_BANDS = NEAR_DUPLICATE_BITS + 1

#: Steps :func:`assign_groups` reports to its ``progress`` callback: each band searched, then the grouping.
GROUP_STEPS = _BANDS + 1


def merge_exact_duplicates(
    records: Iterable[ImageRecord],
) -> tuple[list[ImageRecord], list[SkippedItem], list[dict[str, object]]]:
    """Keep identical images once, or drop all when labels differ: (kept by id, skipped conflicts, merge report)."""
    by_id: dict[str, list[ImageRecord]] = defaultdict(list)
    for record in records:
        by_id[record.id].append(record)
    kept, skipped, merged = [], [], []
    for image_id in sorted(by_id):
        group = by_id[image_id]
        if len(group) == 1:  # most images: nothing to merge
            kept.append(group[0])
            continue
        # a copy with annotators' votes first (FER+'s file beside FER2013's pixel row): its row keeps them
        group = sorted(group, key=lambda r: (r.votes is None, r.source, r.source_ref))
        labels = sorted({r.label for r in group})
        if len(labels) == 1:
            kept.append(group[0])
            merged.append({"id": image_id, "label": labels[0], "kept": f"{group[0].source}:{group[0].source_ref}",
                           "merged": [f"{r.source}:{r.source_ref}" for r in group[1:]]})
            continue
        refs = ", ".join(f"{r.source}:{r.source_ref} ({r.label})" for r in group)
        for r in group:
            skipped.append(SkippedItem(source=r.source, source_ref=r.source_ref, reason=SkipReason.CONFLICT,
                                       detail=f"identical images {image_id} carry different labels: {refs}"))
    return kept, skipped, merged


def _band_pairs(hashes: np.ndarray, band: int, max_bits: int) -> np.ndarray:
    """Codes ``a * n + b`` (a < b) of the pairs equal on band ``band`` and within ``max_bits`` bits."""
    width = 64 // _BANDS
    lo = band * width
    hi = 64 if band == _BANDS - 1 else lo + width  # the last band takes the leftover bits
    keys = (hashes >> np.uint64(lo)) & np.uint64((1 << (hi - lo)) - 1)
    # Sorted by key, a bucket's members are neighbours: pass d compares each position with the one d further
    # on, in all buckets at once, dropping positions whose bucket ends sooner (work = candidate pairs).
    n = len(hashes)
    order = np.argsort(keys, kind="stable")
    sorted_keys, sorted_hashes = keys[order], hashes[order]
    found = []
    alive = np.arange(n - 1)
    distance = 1
    while len(alive):
        alive = alive[sorted_keys[alive + distance] == sorted_keys[alive]]
        close = alive[np.bitwise_count(sorted_hashes[alive] ^ sorted_hashes[alive + distance]) <= max_bits]
        if len(close):
            a, b = order[close], order[close + distance]
            found.append(np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b))
        distance += 1
        alive = alive[alive + distance < n]
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def near_duplicate_pairs(hashes: list[int], max_bits: int = NEAR_DUPLICATE_BITS,
                         progress: Callable[[int], object] | None = None) -> list[tuple[int, int]]:
    """Sorted index pairs (i < j) of hashes within ``max_bits`` bits."""
    progress = progress or (lambda _steps: None)
    n = len(hashes)
    if n < 2:
        progress(_BANDS)
        return []
    values = np.array(hashes, dtype=np.uint64)
    found = []
    for band in range(_BANDS):
        found.append(_band_pairs(values, band, max_bits))
        progress(1)
    codes = np.unique(np.concatenate(found))
    return list(zip((codes // n).tolist(), (codes % n).tolist(), strict=True))


def assign_groups(records: list[ImageRecord],
                  progress: Callable[[int], object] | None = None) -> tuple[list[int], list[list[str]]]:
    """Group near-duplicates and each source's subjects: (group = first member's index, near-duplicate id lists)."""
    parent = list(range(len(records)))  # union-find: each set named by its smallest member

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        parent[max(ra, rb)] = min(ra, rb)

    for a, b in near_duplicate_pairs([r.phash for r in records], progress=progress):
        union(a, b)
    near_groups: dict[int, list[str]] = defaultdict(list)
    for i, record in enumerate(records):
        near_groups[find(i)].append(record.id)
    first_of_subject: dict[tuple[str, str], int] = {}
    for i, record in enumerate(records):
        if record.subject is not None:
            union(first_of_subject.setdefault((record.source, record.subject), i), i)
    groups = [ids for ids in near_groups.values() if len(ids) > 1]
    logger.info("%d near-duplicate groups covering %d images", len(groups), sum(map(len, groups)))
    if progress is not None:
        progress(1)
    return [find(i) for i in range(len(records))], groups


def copies_of(hashes: list[int], seeds: list[int]) -> dict[int, tuple[int, int]]:
    """``index -> (nearest seed, bits)`` of each hash joined to a seed by near-duplicate pairs (directly or through
    other hashes: the seed's near-duplicate group)."""
    n = len(hashes)
    neighbours: dict[int, list[int]] = defaultdict(list)
    for a, b in near_duplicate_pairs(list(hashes) + list(seeds)):
        neighbours[a].append(b)
        neighbours[b].append(a)
    reached = set(range(n, n + len(seeds)))
    frontier = list(reached)
    while frontier:
        for other in neighbours[frontier.pop()]:
            if other not in reached:
                reached.add(other)
                frontier.append(other)
    found = {}
    for i in sorted(i for i in reached if i < n):
        bits = [(hashes[i] ^ seed).bit_count() for seed in seeds]
        found[i] = (bits.index(min(bits)), min(bits))
    return found
