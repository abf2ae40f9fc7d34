"""A CSV that names image files and their labels, beside an image folder (muxspace layout)."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, ClassVar

from ..errors import SourceError
from ..records import SkippedItem, SkipReason
from .base import (
    Found,
    SourceConfig,
    SourceFormat,
    image_extensions,
    is_inside,
    labelled_item,
    require_path,
    skip,
    walk_files,
)


class LabelledCsv(SourceFormat):
    """Adapter for ``format = "labelled-csv"`` (keys ``csv``, ``image_dir``, ``image_column``, ``label_column``)."""

    name: ClassVar[str] = "labelled-csv"
    OPTIONS: ClassVar[dict[str, tuple[type, Any]]] = {
        "csv": (str, None),
        "image_dir": (str, "."),
        "image_column": (str, "image"),
        "label_column": (str, "label"),
    }

    @classmethod
    def iter_items(cls, source: SourceConfig) -> Iterator[Found]:
        """Yield one item per CSV row, then the images no row names (as unlabelled)."""
        root = require_path(source, source.path, what="source", is_dir=True)
        csv_path = require_path(source, root / source.options["csv"], what="labels CSV", is_dir=False)
        image_dir = require_path(source, root / source.options["image_dir"], what="image", is_dir=True)
        csv_ref = csv_path.relative_to(root).as_posix()
        listed: set[str] = set()
        with open(csv_path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            columns = {}
            for key in ("image_column", "label_column"):
                wanted = source.options[key]
                if wanted not in header:
                    msg = (f"source '{source.name}': '{csv_path}' has no column '{wanted}' ({key}); "
                           f"its header is {header}. Set {key} to one of them.")
                    raise SourceError(msg, source=source.name, path=csv_path)
                columns[key] = header.index(wanted)
            for row in reader:
                if not row:
                    continue
                ref = f"{csv_ref}:line {reader.line_num}"
                if len(row) != len(header):
                    yield skip(source, ref, SkipReason.MALFORMED_ROW, f"{len(row)} fields, expected {len(header)}")
                    continue
                name, raw_label = row[columns["image_column"]].strip(), row[columns["label_column"]].strip()
                if not name or not raw_label:
                    yield skip(source, ref, SkipReason.MALFORMED_ROW, "empty image or label field")
                    continue
                path = image_dir / name
                if not is_inside(image_dir, path):
                    yield skip(source, ref, SkipReason.PATH_ESCAPE, f"image '{name}' resolves outside '{image_dir}'")
                    continue
                file_ref = path.relative_to(root).as_posix()
                if not path.is_file():
                    yield skip(source, file_ref, SkipReason.MISSING, f"named at {ref} but not found in '{image_dir}'")
                    continue
                listed.add(file_ref)
                found = labelled_item(source, file_ref, raw_label, root=root, path=str(path))
                if isinstance(found, SkippedItem):  # a label problem is fixed in the CSV row
                    found = replace(found, source_ref=ref, detail=f"{found.detail} (image {found.source_ref})")
                yield found
        extensions = image_extensions()
        image_prefix = image_dir.relative_to(root).as_posix()
        for _, rel in walk_files(image_dir):
            ref = rel if image_prefix == "." else f"{image_prefix}/{rel}"
            if ref not in listed and os.path.splitext(rel)[1].lower() in extensions:
                yield skip(source, ref, SkipReason.UNKNOWN_LABEL, f"no row of '{csv_ref}' names this image")
