"""The ``votes`` column: well-formed, behind each label, and as the card's *Annotator votes* section states."""

from __future__ import annotations

import re
from fractions import Fraction

from ..labels import CLASS_NAMES
from .loaded import REBUILD, LoadedRelease, report_listed

#: The card's statement and the rows of its agreement table.
STATED = re.compile(r"\*\*Images with annotator votes:\*\* (\d+) of (\d+)")
TABLE_ROW = re.compile(r"^\| (\w+) \| (\d+) \| ([\d.]+|-) \| (\d+) \| (\d+) \|$", re.MULTILINE)


def _problem(votes: object) -> str:
    """What is wrong with one row's votes ('' when nothing)."""
    if not isinstance(votes, list) or len(votes) != len(CLASS_NAMES):
        return f"votes {votes!r} are not a list of {len(CLASS_NAMES)} counts, one per class"
    if any(not isinstance(v, int) or v < 0 for v in votes):
        return f"votes {votes} hold a value that is not a count >= 0"
    return "" if sum(votes) else "votes are all zero (null means 'no votes')"


def check_votes(release: LoadedRelease) -> None:
    """Each row's votes: null, or one count >= 0 per class with at least one vote for its label (unless a
    maintainer relabelled it); the card's counts and agreement per class recomputed from the rows."""
    report, rows = release.report, release.rows
    relabelled = {str(e.get("id")) for e in (release.json("manifest.json") or {}).get("relabels") or []
                  if isinstance(e, dict)}
    problems: list[tuple[str, str]] = []
    table: dict[str, list[object]] = {name: [0, Fraction(0), 0, 0] for name in CLASS_NAMES}
    for i, votes in enumerate(rows.votes):
        if votes is None:
            continue
        where = f"{rows.place(i)} > votes"
        label = rows.labels[i]
        if problem := _problem(votes):
            problems.append((where, problem + "."))
            continue
        if not 0 <= label < len(CLASS_NAMES):
            continue  # reported by the parquet check
        if votes[label] == 0 and rows.ids[i] not in relabelled:
            problems.append((where, f"label '{CLASS_NAMES[label]}' got none of the votes {votes} (class order "
                                    f"{', '.join(CLASS_NAMES)}), and manifest.json records no relabel of it."))
        counts = table[CLASS_NAMES[label]]
        counts[0] += 1  # type: ignore[operator]
        counts[1] += Fraction(votes[label], sum(votes))  # type: ignore[operator]
        counts[2] += votes[label] == sum(votes)  # type: ignore[operator]
        counts[3] += max(votes) > votes[label]  # type: ignore[operator]
    report_listed(report, "votes-invalid", problems, "data/ > votes", "more rows have such votes.", REBUILD)
    with_votes = sum(1 for v in rows.votes if v is not None)
    _check_card(release, table, with_votes)
    report.stats["images_with_votes"] = with_votes


def _check_card(release: LoadedRelease, table: dict[str, list[object]], with_votes: int) -> None:
    """The card's *Annotator votes* section against ``table`` (per class: images, agreement sum, unanimous,
    out-voted) and the number of images ``with_votes``."""
    text = release.card_text
    if text is None:
        return  # reported by the card checks
    said = STATED.search(text)
    if said is None:
        if with_votes:
            release.report.error("count-mismatch", "README.md > Annotator votes",
                                 f"{with_votes} images carry votes, but the card has no 'Annotator votes' section.",
                                 REBUILD)
        return
    where = "README.md > Annotator votes"
    if (int(said.group(1)), int(said.group(2))) != (with_votes, len(release.rows.ids)):
        release.report.error("count-mismatch", where, f"says {said.group(1)} of {said.group(2)} images have votes, "
                             f"the parquet rows give {with_votes} of {len(release.rows.ids)}.", REBUILD)
    section = text[said.end():].split("\n## ", 1)[0]
    stated = {m.group(1): m.groups()[1:] for m in TABLE_ROW.finditer(section)}
    for name, (images, share, unanimous, outvoted) in table.items():
        agreement = f"{float(share / images):.3f}" if images else "-"  # type: ignore[operator]
        actual = (str(images), agreement, str(unanimous), str(outvoted))
        if stated.get(name) != actual:
            release.report.error("count-mismatch", f"{where} > {name}",
                                 f"says (images, agreement, unanimous, out-voted) {stated.get(name)}, the parquet "
                                 f"rows give {actual}.", REBUILD)
