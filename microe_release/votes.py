"""Annotators' votes (the ``votes`` column): how far they agree with each image's label, per class."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import Any

from .records import ImageRecord


def vote_agreement(records: Iterable[ImageRecord], class_names: tuple[str, ...]) -> dict[str, Any] | None:
    """Per class: images with votes, their mean share of votes for the label (exact, then rounded to 3 places),
    how many were unanimous and how many have a label another class out-voted; None when no image has votes."""
    per: dict[str, list[Any]] = {name: [0, Fraction(0), 0, 0] for name in class_names}
    sources: dict[str, int] = {}
    for record in records:
        if record.votes is None:
            continue
        votes, at = record.votes, class_names.index(record.label)
        total = sum(votes)
        row = per[record.label]
        row[0] += 1
        row[1] += Fraction(votes[at], total) if total else Fraction(0)
        row[2] += votes[at] == total > 0
        row[3] += max(votes) > votes[at]
        sources[record.source] = sources.get(record.source, 0) + 1
    if not sources:
        return None
    classes = {name: {"images": n, "mean_agreement": round(float(share / n), 3) if n else None, "unanimous": unanimous,
                      "outvoted": outvoted} for name, (n, share, unanimous, outvoted) in per.items()}
    return {"images": sum(sources.values()), "by_source": dict(sorted(sources.items())), "by_class": classes}
