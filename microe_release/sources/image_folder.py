"""Class-per-folder image sets (CK+48, ImageFolder): ``PATH/<label>/<file>``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, ClassVar

from ..records import SkipReason
from .base import Found, SourceConfig, file_item, image_extensions, require_path, skip, walk_files


class ImageFolder:
    """Adapter for ``format = "image-folder"``: the label is the first folder under PATH."""

    name: ClassVar[str] = "image-folder"
    EXTENSIONS: ClassVar[frozenset[str]] = frozenset()  # every extension Pillow opens
    OPTIONS: ClassVar[dict[str, tuple[type, Any]]] = {}
    NEEDS_PATH: ClassVar[bool] = True

    @classmethod
    def check(cls, source: SourceConfig) -> None:
        """Nothing to check beyond the common keys."""

    @classmethod
    def count(cls, source: SourceConfig) -> int | None:
        """One item per file (one folder walk)."""
        return sum(1 for _ in walk_files(source.path)) if source.path.is_dir() else None

    @classmethod
    def iter_items(cls, source: SourceConfig) -> Iterator[Found]:
        """Yield one item per file, labelled by its top folder."""
        root = require_path(source, source.path, what="image", is_dir=True)
        extensions = image_extensions()
        for path, ref in walk_files(root):
            suffix = os.path.splitext(ref)[1].lower()
            if suffix not in extensions:
                yield skip(source, ref, SkipReason.UNSUPPORTED, f"'{suffix}' is not an image type Pillow opens")
            elif "/" not in ref:
                yield skip(source, ref, SkipReason.UNKNOWN_LABEL, "file is not inside a <label>/ folder")
            else:
                yield file_item(source, root, path, ref, ref.split("/", 1)[0])
