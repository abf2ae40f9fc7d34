"""Deterministic, stratified, group-aware splits (no subject or near-duplicate group in two splits)."""

from __future__ import annotations

import logging
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator

from .errors import SplitError
from .records import ImageRecord

logger = logging.getLogger(__name__)

#: Groups placed between two progress reports (a report costs far more than placing a group).
REPORT_EVERY = 1024


def _reported(free: list[int], members: dict[int, list[int]], progress: Callable[[int], object]) -> Iterator[int]:
    """``free``, telling ``progress`` every :data:`REPORT_EVERY` groups how many images were placed."""
    placed = 0
    for number, gid in enumerate(free, start=1):
        yield gid
        placed += len(members[gid])
        if number % REPORT_EVERY == 0:
            progress(placed)
            placed = 0
    if placed:
        progress(placed)


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
    progress: Callable[[int], object] | None = None,
) -> list[str]:
    """The split of every record.

    Groups (``groups[i]`` is record i's group, from :func:`~microe_release.dedup.assign_groups`) are placed whole. Groups a source fixes go to that split; the rest
    go, largest first and otherwise in seeded random order, to the split whose per-class quotas
    they fill best, so each class is split close to ``ratios``. ``progress`` (a progress bar's
    ``update``) is told how many images were placed, ``len(records)`` in all.

    Raises
    ------
    SplitError
        When there are no records, or too few to give every split an image.
    """
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
    if progress is not None:
        progress(len(records) - sum(len(members[gid]) for gid in free))  # the fixed groups' images
    for gid in free if progress is None else _reported(free, members, progress):
        if len(members[gid]) == 1:  # most groups: one image, one class (same arithmetic as below)
            label: str = records[members[gid][0]].label
            best = max(split_names, key=lambda s: ((quota[s][label] - filled[s][label]) / max(quota[s][label], 1e-9),
                                                   ratios[s]))
            choice[gid] = best
            filled[best][label] += 1
            continue
        counts: Counter[str] = Counter(records[i].label for i in members[gid])

        def score(split: str, counts: Counter[str] = counts) -> float:
            return sum(n * (quota[split][c] - filled[split][c]) / max(quota[split][c], 1e-9) for c, n in counts.items())

        best = max(split_names, key=lambda s: (score(s), ratios[s]))
        choice[gid] = best
        for label, n in counts.items():
            filled[best][label] += n
    sizes = {s: sum(filled[s].values()) for s in split_names}
    logger.info("split sizes: %s", sizes)
    empty = [s for s in split_names if sizes[s] == 0]
    if empty:
        msg = (f"split '{empty[0]}' would be empty: {len(records)} image(s) in {len(members)} group(s) are too few "
               f"to give each split its share {ratios} of every class (each class is split on its own); add images "
               "(more sources, a larger --count) or use fewer splits.")
        raise SplitError(msg)
    return [choice[group] for group in groups]
