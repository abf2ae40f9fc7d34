"""Leakage between splits: no id, identical image or near-duplicate in two splits."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .loaded import LoadedRelease
from .spec import NEAR_DUPLICATE_BITS, SPLIT_ORDER

REBUILD = "rebuild the release with `microe build`: its splits keep identical and near-duplicate images together."


def close_hash_pairs(hashes: list[int], max_bits: int = NEAR_DUPLICATE_BITS) -> list[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of 64-bit hashes at most ``max_bits`` bits apart, sorted."""
    # hashes at most max_bits apart are equal in one of max_bits + 1 bit fields: per field, sort by it and compare
    # each hash with its 1st, 2nd, ... successor while they share the field, all at once per step
    values = np.asarray(hashes, dtype=np.uint64)
    n = len(values)
    fields = max_bits + 1
    found = [np.empty(0, dtype=np.int64)]  # each pair as the code i * n + j
    for number in range(fields):
        lo, hi = 64 * number // fields, 64 * (number + 1) // fields
        keys = (values >> np.uint64(lo)) & np.uint64((1 << (hi - lo)) - 1)
        order = np.argsort(keys, kind="stable")
        keys, ordered = keys[order], values[order]
        position = np.arange(n)
        step = 1
        while True:
            position = position[position + step < n]
            position = position[keys[position + step] == keys[position]]
            if not len(position):
                break
            near = position[np.bitwise_count(ordered[position] ^ ordered[position + step]) <= max_bits]
            a, b = order[near].astype(np.int64), order[near + step].astype(np.int64)
            found.append(np.minimum(a, b) * n + np.maximum(a, b))
            step += 1
    codes = np.unique(np.concatenate(found))
    return list(zip((codes // n).tolist(), (codes % n).tolist(), strict=True))


def check_leakage(release: LoadedRelease) -> None:
    """Compare splits by id, by recomputed content id, and by perceptual hash."""
    report = release.report
    rows = release.rows
    size = release.image_size
    by_id: dict[str, set[str]] = defaultdict(set)
    for image_id, split in zip(rows.ids, rows.splits, strict=True):
        by_id[image_id].add(split)
    for image_id, splits in sorted(by_id.items()):
        if len(splits) > 1:
            report.error("leak-id", f"data/ > id {image_id}", f"id '{image_id}' is in splits {sorted(splits)}.", REBUILD)
    facts = release.facts
    valid = [i for i, f in enumerate(facts) if f.is_release_image(size)]
    content: dict[str, list[int]] = defaultdict(list)
    for i in valid:
        content[facts[i].content_id].append(i)
    order = {name: n for n, name in enumerate(SPLIT_ORDER)}
    for members in content.values():
        if len({rows.splits[i] for i in members}) > 1:
            # the copy is reported where it leaked to: train first, then validation, then test
            first, *rest = sorted(members, key=lambda i: (order.get(rows.splits[i], 9), i))
            for i in rest:
                if rows.splits[i] != rows.splits[first]:
                    file, row = rows.where[i]
                    report.error("leak-identical", f"{file} > row {row} > image",
                                 f"identical to the image at {rows.where[first][0]} > row {rows.where[first][1]} "
                                 f"('{rows.splits[first]}' split).", REBUILD)
    near = 0
    for a, b in close_hash_pairs([facts[i].phash for i in valid]):
        i, j = valid[a], valid[b]
        # identical pixels have the same content id (and are reported above)
        if rows.splits[i] != rows.splits[j] and facts[i].content_id != facts[j].content_id:
            near += 1
            file, row = rows.where[j]
            report.error("leak-near-duplicate", f"{file} > row {row} > image",
                         f"near-duplicate (pHash within {NEAR_DUPLICATE_BITS} bits) of the image at "
                         f"{rows.where[i][0]} > row {rows.where[i][1]} in the '{rows.splits[i]}' split.", REBUILD)
    report.stats["near_duplicate_pairs_across_splits"] = near
