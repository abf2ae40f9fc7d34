"""Deterministic, stratified, group-aware splits (no subject or near-duplicate group in two splits)."""

from __future__ import annotations

import logging
import random
from collections import Counter, defaultdict
from collections.abc import Callable

from .errors import SplitError
from .records import ImageRecord

logger = logging.getLogger(__name__)


def assign_splits(
    records: list[ImageRecord],
    groups: list[int],
    *,
    ratios: dict[str, float],
    split_names: tuple[str, ...],
    class_names: tuple[str, ...],
    seed: int,
    progress: Callable[[int], object] | None = None,
) -> list[str]:
    """The split of each record, placing ``groups`` whole: where their source fixes it, else by per-class quotas."""
    if not records:
        msg = "no image survived processing, so there is nothing to split; see the skipped items in build-report.json."
        raise SplitError(msg)
    members: dict[int, list[int]] = defaultdict(list)
    for i, group in enumerate(groups):
        members[group].append(i)
    totals: Counter[str] = Counter(r.label for r in records)
    quota = {s: {c: ratios[s] * totals[c] for c in class_names} for s in split_names}
    filled = {s: dict.fromkeys(class_names, 0) for s in split_names}
    choice: dict[int, str] = {}
    free = []
    for gid in sorted(members):
        # the split the group's source fixes (keep_splits), by majority; 'validation' falls back to 'test'
        votes = Counter("test" if name == "validation" and name not in split_names else name
                        for name in (records[i].fixed_split for i in members[gid]) if name)
        if not votes:
            free.append(gid)
            continue
        choice[gid] = fixed = max(split_names, key=votes.__getitem__)  # ties: the first split in order
        for i in members[gid]:
            filled[fixed][records[i].label] += 1
    random.Random(seed).shuffle(free)
    free.sort(key=lambda g: -len(members[g]))  # largest first (stable: ties keep the seeded order)
    if progress is not None:
        progress(len(records) - sum(len(members[gid]) for gid in free))  # the fixed groups' images
    for gid in free:
        counts = Counter(records[i].label for i in members[gid])

        def score(split: str, counts: Counter[str] = counts) -> float:
            return sum(n * (quota[split][c] - filled[split][c]) / max(quota[split][c], 1e-9) for c, n in counts.items())

        best = max(split_names, key=lambda s: (score(s), ratios[s]))  # the split whose quotas it fills best
        choice[gid] = best
        for label, n in counts.items():
            filled[best][label] += n
        if progress is not None:
            progress(len(members[gid]))
    sizes = {s: sum(filled[s].values()) for s in split_names}
    logger.info("split sizes: %s", sizes)
    empty = [s for s in split_names if sizes[s] == 0]
    if empty:
        msg = (f"split '{empty[0]}' would be empty: {len(records)} image(s) in {len(members)} group(s) are too few "
               f"to give each split its share {ratios} of every class (each class is split on its own); add images "
               "(more sources, a larger --count) or use fewer splits.")
        raise SplitError(msg)
    return [choice[group] for group in groups]
