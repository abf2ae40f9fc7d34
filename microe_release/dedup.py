"""Exact duplicates (same processed pixels) and near-duplicate groups (perceptual hash)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Executor

import numpy as np

from .records import ImageRecord, SkippedItem, SkipReason

logger = logging.getLogger(__name__)

#: Two images whose 64-bit pHashes differ in at most this many bits are near-duplicates.
#: 6/64 catches re-encodes, slight crops, blur and brightness changes of one photo while distinct
#: faces (even of one person) sit far above it; measured on the demo source, see README.
NEAR_DUPLICATE_BITS = 6

#: Hashes from which a pool, when given, searches half of the bands (below, sending them costs more).
POOL_MIN_HASHES = 20_000

#: Bands the hash is cut into for candidate search: two hashes within NEAR_DUPLICATE_BITS bits
#: agree exactly on at least one of NEAR_DUPLICATE_BITS + 1 bands (pigeonhole principle).
_BANDS = NEAR_DUPLICATE_BITS + 1

#: Steps :func:`assign_groups` reports to its ``progress`` callback: each band searched, then the grouping.
GROUP_STEPS = _BANDS + 1


def merge_exact_duplicates(
    records: Iterable[ImageRecord],
) -> tuple[list[ImageRecord], list[SkippedItem], list[dict[str, object]]]:
    """Keep one record per content id.

    Identical images with the same label are kept once (the first by source and source_ref);
    identical images with different labels are all dropped as label conflicts.

    Returns
    -------
    (kept records sorted by id, skipped conflicts, merged-duplicate report entries)
    """
    by_id: dict[str, list[ImageRecord]] = defaultdict(list)
    for record in records:
        by_id[record.id].append(record)
    kept: list[ImageRecord] = []
    skipped: list[SkippedItem] = []
    merged: list[dict[str, object]] = []
    for image_id in sorted(by_id):
        group = by_id[image_id]
        if len(group) == 1:  # most images: nothing to merge
            kept.append(group[0])
            continue
        group = sorted(group, key=lambda r: (r.source, r.source_ref))
        labels = sorted({r.label for r in group})
        if len(labels) == 1:
            kept.append(group[0])
            if len(group) > 1:
                merged.append({"id": image_id, "label": labels[0],
                               "kept": f"{group[0].source}:{group[0].source_ref}",
                               "merged": [f"{r.source}:{r.source_ref}" for r in group[1:]]})
            continue
        refs = ", ".join(f"{r.source}:{r.source_ref} ({r.label})" for r in group)
        for r in group:
            skipped.append(SkippedItem(source=r.source, source_ref=r.source_ref, reason=SkipReason.CONFLICT,
                                       detail=f"identical images {image_id} carry different labels: {refs}"))
    return kept, skipped, merged


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _band_values(hashes: np.ndarray, band: int) -> np.ndarray:
    """Band ``band`` of every hash (the last band takes the leftover bits)."""
    width = 64 // _BANDS
    lo = band * width
    hi = 64 if band == _BANDS - 1 else lo + width
    return (hashes >> np.uint64(lo)) & np.uint64((1 << (hi - lo)) - 1)


def _close_pairs_in_buckets(hashes: np.ndarray, keys: np.ndarray, max_bits: int) -> np.ndarray:
    """Codes ``a * n + b`` (a < b) of the pairs sharing a key whose hashes differ in <= ``max_bits`` bits.

    After a sort by key, the members of a bucket are neighbours: pass ``d`` compares every position
    with the one ``d`` further on, over all buckets at once, keeping only positions whose bucket
    reaches that far (so the work is the number of candidate pairs, not buckets x passes).
    """
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


def _bands_close_pairs(values: np.ndarray, bands: list[int], max_bits: int) -> np.ndarray:
    """:func:`_close_pairs_in_buckets` over some of the bands (the unit of work of a helper process)."""
    found = [_close_pairs_in_buckets(values, _band_values(values, band), max_bits) for band in bands]
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def near_duplicate_pairs(hashes: list[int], max_bits: int = NEAR_DUPLICATE_BITS, pool: Executor | None = None,
                         progress: Callable[[int], object] | None = None) -> list[tuple[int, int]]:
    """Index pairs (i < j) whose hashes differ in at most ``max_bits`` bits, sorted.

    Multi-index hashing: two hashes within ``max_bits`` bits agree exactly on one of ``max_bits + 1``
    bands, so only hashes sharing a band value are compared, each bucket as one vectorised
    XOR + popcount (tens of millions of candidate pairs per second). With ``pool`` (the build's
    idle worker processes) half of the bands are searched there meanwhile. ``progress`` (a progress
    bar's ``update``) is called with the number of bands searched, ``NEAR_DUPLICATE_BITS + 1`` in all.

    Examples
    --------
    >>> near_duplicate_pairs([0b0, 0b111, 0xFFFF_FFFF_FFFF_FFFF])
    [(0, 1)]
    """
    n = len(hashes)
    if n < 2:
        if progress is not None:
            progress(_BANDS)
        return []
    values = np.array(hashes, dtype=np.uint64)
    future, half = None, _BANDS
    if pool is not None and n >= POOL_MIN_HASHES:  # the upper bands there, the lower ones here
        half = _BANDS // 2
        future = pool.submit(_bands_close_pairs, values, list(range(half, _BANDS)), max_bits)
    found = []
    for band in range(half):
        found.append(_close_pairs_in_buckets(values, _band_values(values, band), max_bits))
        if progress is not None:
            progress(1)
    if future is not None:
        found.append(future.result())
        if progress is not None:
            progress(_BANDS - half)
    codes = np.unique(np.concatenate(found))
    return list(zip((codes // n).tolist(), (codes % n).tolist(), strict=True))


def assign_groups(records: list[ImageRecord], pool: Executor | None = None,
                  progress: Callable[[int], object] | None = None) -> tuple[list[int], list[list[str]]]:
    """Group records: near-duplicates and images of one subject (per source) share a group.

    A group is numbered by the position of its first record, so numbering is deterministic.
    ``progress`` (a progress bar's ``update``) hears of :data:`GROUP_STEPS` steps.

    Returns
    -------
    (group number of each record, near-duplicate groups as lists of ids)
    """
    uf = _UnionFind(len(records))
    near = _UnionFind(len(records))
    for a, b in near_duplicate_pairs([r.phash for r in records], pool=pool, progress=progress):
        uf.union(a, b)
        near.union(a, b)
    first_of_subject: dict[tuple[str, str], int] = {}
    for i, record in enumerate(records):
        if record.subject is not None:
            key = (record.source, record.subject)
            uf.union(first_of_subject.setdefault(key, i), i)
    near_groups: dict[int, list[str]] = defaultdict(list)
    for i, record in enumerate(records):
        near_groups[near.find(i)].append(record.id)
    groups = [ids for ids in near_groups.values() if len(ids) > 1]
    logger.info("%d near-duplicate groups covering %d images", len(groups), sum(map(len, groups)))
    if progress is not None:
        progress(1)
    return [uf.find(i) for i in range(len(records))], groups
