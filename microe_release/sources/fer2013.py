"""FER2013-style pixel CSV: header ``emotion,pixels[,Usage]``, one 48x48 face per row."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import ClassVar

from ..errors import SourceError
from ..labels import FER2013_CODES
from ..records import SkipReason
from .base import Found, SourceConfig, SourceFormat, count_lines, labelled_item, require_path, skip

#: FER2013's Usage column, mapped to release split names (kept with keep_splits = true).
USAGE_SPLITS = {"training": "train", "publictest": "validation", "privatetest": "test"}


class Fer2013Csv(SourceFormat):
    """Adapter for ``format = "fer2013-csv"``."""

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
