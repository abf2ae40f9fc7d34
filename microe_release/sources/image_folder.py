"""Image sets labelled by their paths: ``PATH/<label>/<file>`` (CK+48) or file names (JAFFE: ``KA.AN1.39.tiff``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from ..records import SkipReason
from .base import (
    Found,
    SourceConfig,
    SourceFormat,
    compile_pattern,
    image_extensions,
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
        for path, ref in walk_files(root):
            suffix = os.path.splitext(ref)[1].lower()
            if suffix not in extensions:
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
