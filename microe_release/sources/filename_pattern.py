"""Image sets whose file names carry the label (JAFFE: ``KA.AN1.39.tiff``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, ClassVar

from ..records import SkipReason
from .base import (
    Found,
    SourceConfig,
    compile_pattern,
    file_item,
    image_extensions,
    require_path,
    skip,
    walk_files,
)


class FilenamePattern:
    """Adapter for ``format = "filename-pattern"``: ``pattern`` has groups ``label`` (and ``subject``)."""

    name: ClassVar[str] = "filename-pattern"
    EXTENSIONS: ClassVar[frozenset[str]] = frozenset()
    OPTIONS: ClassVar[dict[str, tuple[type, Any]]] = {"pattern": (str, None)}
    NEEDS_PATH: ClassVar[bool] = True

    @classmethod
    def check(cls, source: SourceConfig) -> None:
        """The pattern must compile and have a ``label`` group."""
        compile_pattern(source.options["pattern"], field_name=f"source '{source.name}' pattern", path=None,
                        group="label")

    @classmethod
    def count(cls, source: SourceConfig) -> int | None:
        """One item per file (one folder walk)."""
        return sum(1 for _ in walk_files(source.path)) if source.path.is_dir() else None

    @classmethod
    def iter_items(cls, source: SourceConfig) -> Iterator[Found]:
        """Yield one item per file whose name matches the pattern."""
        root = require_path(source, source.path, what="image", is_dir=True)
        pattern = compile_pattern(source.options["pattern"], field_name="pattern", path=None, group="label")
        extensions = image_extensions()
        for path, ref in walk_files(root):
            suffix, name = os.path.splitext(ref)[1].lower(), os.path.basename(ref)
            if suffix not in extensions:
                yield skip(source, ref, SkipReason.UNSUPPORTED, f"'{suffix}' is not an image type Pillow opens")
                continue
            match = pattern.search(name)
            if match is None:
                yield skip(source, ref, SkipReason.NAME_MISMATCH, f"'{name}' does not match '{pattern.pattern}'")
                continue
            groups = match.groupdict()
            yield file_item(source, root, path, ref, groups["label"] or "", subject=groups.get("subject"))
