"""Image sets whose file names carry the label (JAFFE: ``KA.AN1.39.tiff``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from ..records import SkipReason
from .base import Found, SourceConfig, compile_pattern, file_item, skip
from .image_folder import ImageFolder


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
        return file_item(source, root, path, ref, groups["label"] or "", subject=groups.get("subject"))
