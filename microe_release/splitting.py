"""Deterministic, stratified, group-aware splits (no subject or near-duplicate group in two splits)."""

from __future__ import annotations

import logging
import random
from collections import Counter, defaultdict

from .errors import SplitError
from .records import ImageRecord

logger = logging.getLogger(__name__)


def _fixed_split(records: list[ImageRecord], split_names: tuple[str, ...]) -> str | None:
    """The split a group's source fixes (keep_splits), if any; 'validation' falls back to 'test'."""
    votes: Counter[str] = Counter()
    for record in records:
        if record.fixed_split:
            name = record.fixed_split
            if name not in split_names:
                name = "test" if name == "validation" else name
            votes[name] += 1
    if not votes:
        return None
    return max(split_names, key=lambda s: (votes.get(s, 0), -split_names.index(s)))


def assign_splits(
    records: list[ImageRecord],
    groups: list[int],
    *,
    ratios: dict[str, float],
    split_names: tuple[str, ...],
    class_names: tuple[str, ...],
    seed: int,
) -> list[str]:
    """The split of every record.

    Groups (``groups[i]`` is record i's group, from :func:`~microe_release.dedup.assign_groups`) are placed whole. Groups a source fixes go to that split; the rest
    go, largest first and otherwise in seeded random order, to the split whose per-class quotas
    they fill best, so each class is split close to ``ratios``.

    Raises
    ------
    SplitError
        When there are no records.
    """
    if not records:
        msg = "no image survived processing, so there is nothing to split; see the skipped items in build-report.json."
        raise SplitError(msg)
    members: dict[int, list[int]] = defaultdict(list)
    for i, group in enumerate(groups):
        members[group].append(i)
    totals = Counter(r.label for r in records)
    quota = {s: {c: ratios[s] * totals[c] for c in class_names} for s in split_names}
    filled = {s: dict.fromkeys(class_names, 0) for s in split_names}
    choice: dict[int, str] = {}
    free = []
    for gid in sorted(members):
        if all(records[i].fixed_split is None for i in members[gid]):  # the common case: nothing fixed
            free.append(gid)
            continue
        fixed = _fixed_split([records[i] for i in members[gid]], split_names)
        if fixed is None:
            free.append(gid)
            continue
        choice[gid] = fixed
        for i in members[gid]:
            filled[fixed][records[i].label] += 1
    random.Random(seed).shuffle(free)
    free.sort(key=lambda g: -len(members[g]))  # stable: ties keep the seeded order
    for gid in free:
        if len(members[gid]) == 1:  # most groups: one image, one class (same arithmetic as below)
            label = records[members[gid][0]].label
            best = max(split_names, key=lambda s: ((quota[s][label] - filled[s][label]) / max(quota[s][label], 1e-9),
                                                   ratios[s]))
            choice[gid] = best
            filled[best][label] += 1
            continue
        counts = Counter(records[i].label for i in members[gid])

        def score(split: str, counts: Counter[str] = counts) -> float:
            return sum(n * (quota[split][c] - filled[split][c]) / max(quota[split][c], 1e-9) for c, n in counts.items())

        best = max(split_names, key=lambda s: (score(s), ratios[s]))
        choice[gid] = best
        for label, n in counts.items():
            filled[best][label] += n
    logger.info("split sizes: %s", {s: sum(filled[s].values()) for s in split_names})
    return [choice[group] for group in groups]
