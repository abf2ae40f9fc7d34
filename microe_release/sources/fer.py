"""FER2013's pixel CSV and FER+'s relabelling of its images by ten vote counts (kept as the ``votes`` column)."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from ..errors import ConfigError, SourceError, SourceNotFoundError
from ..labels import CLASS_NAMES, FER2013_CODES, FERPLUS_COLUMNS, normalize_label
from ..records import SkipReason
from .base import (
    Found,
    SourceConfig,
    SourceFormat,
    count_lines,
    is_inside,
    labelled_item,
    require_path,
    skip,
)

#: FER2013's Usage column, mapped to release split names (kept with keep_splits = true).
USAGE_SPLITS = {"training": "train", "publictest": "validation", "privatetest": "test"}


class Fer2013Csv(SourceFormat):
    """Adapter for ``format = "fer2013-csv"``: header ``emotion,pixels[,Usage]``, one 48x48 face per row."""

    name: ClassVar[str] = "fer2013-csv"
    EXTENSIONS: ClassVar[frozenset[str]] = frozenset({".csv"})

    @classmethod
    def count(cls, source: SourceConfig) -> int | None:
        """One item per non-empty row after the header."""
        return max(count_lines(source.path) - 1, 0) if source.path.is_file() else None

    @classmethod
    def iter_items(cls, source: SourceConfig) -> Iterator[Found]:
        """Stream the CSV row by row (never loads the whole file)."""
        path = require_path(source, source.path, what="FER2013 CSV", is_dir=False)
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [h.strip().lower() for h in next(reader, [])]
            if "emotion" not in header or "pixels" not in header:
                msg = (f"source '{source.name}': '{path}' has header {header}, expected 'emotion,pixels,Usage' "
                       "(FER2013 layout); use format = \"labelled-csv\" for CSVs that name image files.")
                raise SourceError(msg, source=source.name, path=path)
            col_label, col_pixels = header.index("emotion"), header.index("pixels")
            col_usage = header.index("usage") if "usage" in header else None
            for row in reader:
                if not row:
                    continue
                ref = f"{path.name}:line {reader.line_num}"
                if len(row) != len(header):
                    yield skip(source, ref, SkipReason.MALFORMED_ROW,
                               f"{len(row)} fields, expected {len(header)} ({','.join(header)})")
                    continue
                pixels = row[col_pixels].strip()
                if not pixels:
                    yield skip(source, ref, SkipReason.MALFORMED_ROW, "empty pixels field")
                    continue
                split = None
                if col_usage is not None:
                    split = USAGE_SPLITS.get(row[col_usage].strip().lower())
                    if split is None and source.keep_splits:
                        yield skip(source, ref, SkipReason.MALFORMED_ROW,
                                   f"Usage '{row[col_usage]}' is not Training, PublicTest or PrivateTest")
                        continue
                yield labelled_item(source, ref, row[col_label], pixels=pixels, split=split, builtin=FER2013_CODES)


#: FER+ folders and the split each one is (kept with keep_splits = true).
FOLDER_SPLITS = (("FER2013Train", "train"), ("FER2013Valid", "validation"), ("FER2013Test", "test"))

#: Vote columns that mean "no usable emotion" when they win.
NON_EMOTIONS = frozenset({"unknown", "NF"})

#: Largest sum of one image's votes (the release stores them as int32).
MAX_VOTES = 2**31 - 1

#: FER+ columns grouped by the label each gives: (name, class or None, column positions); merged columns share one.
Buckets = list[tuple[str, str | None, list[int]]]


def vote_buckets(source: SourceConfig | None = None) -> Buckets:
    """The ten columns grouped by the class each one maps to through the source's ``labels`` (columns a mapping
    merges count together), each of ``unknown``, ``NF`` and the excluded or unmapped columns on its own, with no
    class. Worked out once per source: every row's majority and votes are read through it."""
    excluded = {e.lower() for e in source.exclude} if source else set()
    buckets: dict[str, tuple[list[str], list[int]]] = {}
    for i, column in enumerate(FERPLUS_COLUMNS):
        keep_apart = column in NON_EMOTIONS or column.lower() in excluded
        name = None if keep_apart else normalize_label(column, source.labels if source else {})
        key = f"class {name}" if name in CLASS_NAMES else f"column {column}"
        buckets.setdefault(key, ([], []))
        buckets[key][0].append(column)
        buckets[key][1].append(i)
    return [("+".join(columns), key.removeprefix("class ") if key.startswith("class ") else None, positions)
            for key, (columns, positions) in buckets.items()]


def bucket_sums(votes: list[int], buckets: Buckets) -> list[int]:
    """A row's ten vote counts summed per bucket of :func:`vote_buckets` (once per row: both readers below use it)."""
    return [sum(votes[i] for i in positions) for _, _, positions in buckets]


def majority_label(sums: list[int], min_agreement: float, buckets: Buckets | None = None) -> tuple[str | None, str]:
    """The FER+ majority vote from :func:`bucket_sums` (a column name; merged columns win together), or (None, why)
    when unknown/NF wins, the top is tied or its share of all ten columns' votes is under ``min_agreement``."""
    total = sum(sums)
    if total == 0:
        return None, "no votes"
    top = max(sums)
    winners = [name for (name, _, _), count in zip(buckets or vote_buckets(), sums, strict=True) if count == top]
    if len(winners) > 1:
        return None, f"tied top vote between {', '.join(winners)}"
    if winners[0] in NON_EMOTIONS:
        return None, f"'{winners[0]}' has the most votes"
    if top / total < min_agreement:
        return None, f"top share {top}/{total} is under min_agreement {min_agreement}"
    return winners[0].split("+", 1)[0], ""


def class_votes(sums: list[int], buckets: Buckets) -> tuple[int, ...]:
    """:func:`bucket_sums` per class, in CLASS_NAMES order (FER+'s ``unknown`` and ``NF``, and excluded columns,
    are no class and are dropped)."""
    out = [0] * len(CLASS_NAMES)
    for (_, name, _), count in zip(buckets, sums, strict=True):
        if name is not None:
            out[CLASS_NAMES.index(name)] += count
    return tuple(out)


def _votes(row: list[str]) -> tuple[list[int], str]:
    """The ten vote counts of a label.csv row, or why the row is malformed."""
    if len(row) != 2 + len(FERPLUS_COLUMNS):
        return [], f"{len(row)} fields, expected 12 (image, box and 10 vote counts)"
    for column, text in zip(FERPLUS_COLUMNS, row[2:], strict=True):
        if not (text.strip().isascii() and text.strip().isdigit()):
            return [], f"the '{column}' vote count '{text}' is not a whole number >= 0"
    votes = [int(v) for v in row[2:]]
    return ([], f"the votes add up to {sum(votes)}, over {MAX_VOTES}") if sum(votes) > MAX_VOTES else (votes, "")


class FerPlus(SourceFormat):
    """Adapter for ``format = "ferplus"``: ``PATH/FER2013{Train,Valid,Test}/label.csv`` (key ``min_agreement``)."""

    name: ClassVar[str] = "ferplus"
    EXTENSIONS: ClassVar[frozenset[str]] = frozenset({".png"})
    OPTIONS: ClassVar[dict[str, tuple[type, Any]]] = {"min_agreement": (float, 0.5)}

    @classmethod
    def check(cls, source: SourceConfig) -> None:
        """``min_agreement`` must be a share in (0, 1]; ``labels`` cannot make a class of unknown or NF."""
        value = source.options["min_agreement"]
        if not 0.0 < value <= 1.0:
            msg = f"source '{source.name}': min_agreement must be in (0, 1], got '{value}'."
            raise ConfigError(msg, field=f"source '{source.name}'.min_agreement")
        mapped = sorted(key for key in source.labels if key.lower() in {n.lower() for n in NON_EMOTIONS})
        if mapped:
            msg = (f"source '{source.name}': labels maps {', '.join(repr(k) for k in mapped)}, but FER+'s unknown and "
                   "NF votes are no emotion: an image they win is always left out. Remove them from labels.")
            raise ConfigError(msg, field=f"source '{source.name}'.labels")

    @classmethod
    def count(cls, source: SourceConfig) -> int | None:
        """One item per non-empty row of the label.csv files (they have no header)."""
        files = [source.path / name / "label.csv" for name, _split in FOLDER_SPLITS]
        return sum(count_lines(path) for path in files if path.is_file())

    @classmethod
    def iter_items(cls, source: SourceConfig) -> Iterator[Found]:
        """Yield the images of each FER2013{Train,Valid,Test} folder present."""
        root = require_path(source, source.path, what="FER+ data", is_dir=True)
        folders = [(root / name, split) for name, split in FOLDER_SPLITS if (root / name / "label.csv").is_file()]
        if not folders:
            msg = (f"source '{source.name}': no FER2013Train/label.csv, FER2013Valid/label.csv or "
                   f"FER2013Test/label.csv under '{root}'; point path at FER+'s data folder.")
            raise SourceNotFoundError(msg, source=source.name, path=root)
        min_agreement, buckets = source.options["min_agreement"], vote_buckets(source)
        for folder, split in folders:
            first_line: dict[str, int] = {}
            with open(folder / "label.csv", newline="", encoding="utf-8-sig") as handle:
                reader = csv.reader(handle)
                for row in reader:
                    if not row:
                        continue
                    at_line = f"{folder.name}/label.csv:line {reader.line_num}"
                    votes, malformed = _votes(row)
                    if malformed:
                        yield skip(source, at_line, SkipReason.MALFORMED_ROW, malformed)
                        continue
                    name = row[0].strip()
                    if not name:
                        yield skip(source, at_line, SkipReason.MALFORMED_ROW, "the image name is empty")
                        continue
                    if name in first_line:  # its votes would be kept or lost by chance
                        first = first_line[name]
                        yield skip(source, at_line, SkipReason.MALFORMED_ROW, f"image '{name}' is named again (first "
                                   f"at line {first}, which alone counts); keep one row per image")
                        continue
                    first_line[name] = reader.line_num
                    path = os.path.join(folder, name)
                    # a bare file name stays in the folder (links out of root are refused by labelled_item)
                    bare = name not in ("", ".", "..") and "/" not in name and os.sep not in name
                    if not bare and not is_inside(folder, Path(path)):
                        yield skip(source, at_line, SkipReason.PATH_ESCAPE,
                                   f"image '{row[0]}' resolves outside '{folder}'")
                        continue
                    sums = bucket_sums(votes, buckets)
                    label, why = majority_label(sums, min_agreement, buckets)
                    if label is None:
                        yield skip(source, at_line, SkipReason.NO_CONSENSUS, why)
                    elif not os.path.isfile(path):
                        yield skip(source, f"{folder.name}/{name}", SkipReason.MISSING, f"named at {at_line}")
                    else:
                        ref = f"{folder.name}/{os.path.basename(path)}"
                        yield labelled_item(source, ref, label, root=root, path=path, split=split,
                                            votes=class_votes(sums, buckets))
