"""Class-per-folder image sets (CK+48, ImageFolder): ``PATH/<label>/<file>``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from ..records import SkipReason
from .base import (
    Found,
    SourceConfig,
    SourceFormat,
    file_item,
    image_extensions,
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
        return file_item(source, root, path, ref, ref.split("/", 1)[0])
