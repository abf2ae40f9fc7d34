"""Image files labelled by their folder (CK+48), their file name (JAFFE) or a CSV beside them (muxspace)."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from ..errors import SourceError
from ..records import SkippedItem, SkipReason
from .base import (
    Found,
    SourceConfig,
    SourceFormat,
    compile_pattern,
    image_extensions,
    is_inside,
    labelled_item,
    require_path,
    skip,
    walk_files,
)


class ImageFolder(SourceFormat):
    """Adapter for ``format = "image-folder"``: the label is the first folder under PATH."""

    name: ClassVar[str] = "image-folder"

    @classmethod
    def count(cls, source: SourceConfig) -> int | None:
        """One item per file (one folder walk)."""
        return sum(1 for _ in walk_files(source.path)) if source.path.is_dir() else None

    @classmethod
    def iter_items(cls, source: SourceConfig) -> Iterator[Found]:
        """Yield one item per image file (labelled by :meth:`item`), skipping other files."""
        root = require_path(source, source.path, what="image", is_dir=True)
        extensions = image_extensions()
        for path, ref, left_out in walk_files(root):
            suffix = os.path.splitext(ref)[1].lower()
            if left_out:
                yield skip(source, ref, *left_out)
            elif suffix not in extensions:
                yield skip(source, ref, SkipReason.UNSUPPORTED, f"'{suffix}' is not an image type Pillow opens")
            else:
                yield cls.item(source, root, path, ref)

    @classmethod
    def item(cls, source: SourceConfig, root: Path, path: str, ref: str) -> Found:
        """The image labelled by its top folder."""
        if "/" not in ref:
            return skip(source, ref, SkipReason.UNKNOWN_LABEL, "file is not inside a <label>/ folder")
        return labelled_item(source, ref, ref.split("/", 1)[0], root=root, path=path)


class FilenamePattern(ImageFolder):
    """Adapter for ``format = "filename-pattern"``: ``pattern`` has groups ``label`` (and ``subject``)."""

    name: ClassVar[str] = "filename-pattern"
    OPTIONS: ClassVar[dict[str, tuple[type, Any]]] = {"pattern": (str, None)}

    @classmethod
    def check(cls, source: SourceConfig) -> None:
        """The pattern must compile and have a ``label`` group."""
        compile_pattern(source.options["pattern"], field_name=f"source '{source.name}' pattern", path=None,
                        group="label")

    @classmethod
    def item(cls, source: SourceConfig, root: Path, path: str, ref: str) -> Found:
        """The image labelled by the pattern's groups in its file name."""
        pattern = compile_pattern(source.options["pattern"], field_name="pattern", path=None, group="label")
        name = os.path.basename(ref)
        match = pattern.search(name)
        if match is None:
            return skip(source, ref, SkipReason.NAME_MISMATCH, f"'{name}' does not match '{pattern.pattern}'")
        groups = match.groupdict()
        return labelled_item(source, ref, groups["label"] or "", root=root, path=path, subject=groups.get("subject"))


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
        for _, rel, left_out in walk_files(image_dir):
            ref = rel if image_prefix == "." else f"{image_prefix}/{rel}"
            if left_out and ref not in listed:
                yield skip(source, ref, *left_out)
            elif ref not in listed and os.path.splitext(rel)[1].lower() in extensions:
                yield skip(source, ref, SkipReason.UNKNOWN_LABEL, f"no row of '{csv_ref}' names this image")
