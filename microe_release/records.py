"""Typed records handed between the build's stages."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class SkipReason(StrEnum):
    """Why an item did not make it into a release (closed vocabulary, reported per item)."""

    UNREADABLE = "unreadable image"
    TRUNCATED = "truncated image"
    EMPTY = "zero-byte file"
    MISSING = "missing file"
    UNKNOWN_LABEL = "unknown label"
    EXCLUDED_LABEL = "excluded label"
    MALFORMED_ROW = "malformed CSV row"
    PATH_ESCAPE = "path escapes source root"
    BOMB = "decompression bomb"
    CONFLICT = "label conflict"
    UNSUPPORTED = "unsupported file type"
    NAME_MISMATCH = "file name does not match pattern"
    NO_CONSENSUS = "no label consensus"
    EXCLUDED_ON_REQUEST = "excluded on request"


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceItem:
    """One image as a source adapter found it, not yet decoded.

    Exactly one of ``path``, ``pixels`` or ``synthetic`` says where the image comes from.
    """

    source: str
    source_ref: str  # where it is inside the source: relative file path or "file.csv:line N"
    raw_label: str
    label: str  # one of CLASS_NAMES
    license: str
    subject: str | None = None
    split: str | None = None  # a split the source fixes (keep_splits = true)
    path: str | None = None  # absolute path of an image file
    pixels: str | None = None  # FER2013-style space-separated gray values
    synthetic: tuple[int, int] | None = None  # (seed, item number) of the demo generator


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedItem:
    """An item left out of the release, and why."""

    source: str
    source_ref: str
    reason: SkipReason
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        """Return the JSON form used in ``build-report.json``."""
        return {
            "source": self.source,
            "source_ref": self.source_ref,
            "reason": self.reason.value,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessedImage:
    """The processing stage's output for one item: lossless PNG plus what was measured."""

    item: SourceItem
    id: str  # content id from the processed pixels
    png: bytes
    pixels_text: bytes  # the CSV's space-separated gray values, made here since workers run in parallel
    phash: int  # 64-bit perceptual hash of the processed pixels
    orig_width: int
    orig_height: int
    orig_mode: str
    orig_rgb: tuple[int, int, int] | None = None  # mean colour of a colour original (for the report)


@dataclass(slots=True, kw_only=True)
class ImageRecord:
    """One image of a release (the PNG bytes live in the build's spill file).

    ``index``, ``split`` and ``group`` are filled in place once every image is known (no copy of
    each record); the other fields do not change after processing.
    """

    id: str
    label: str
    source: str
    source_ref: str
    license: str
    subject: str | None
    fixed_split: str | None
    phash: int
    orig_width: int
    orig_height: int
    orig_mode: str
    orig_rgb: tuple[int, int, int] | None = None
    blob_offset: int
    blob_length: int  # PNG bytes at blob_offset; the CSV pixel text follows them
    text_length: int = 0
    blob_file: int = 0  # which of the manifest's spill files holds them
    index: int = -1
    split: str = ""
    group: int = -1


class SpillReader:
    """Positional reads from the build's spill files (``os.pread``: no seek, no shared file offset).

    Memory-mapping them would be a little faster, but every page touched would count in the
    process's RSS: a build's memory would grow with the number of images.
    """

    def __init__(self, paths: list[Path]) -> None:
        assert paths, "reading image bytes needs the build's spill files"
        self._fds = [os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0)) for path in paths]

    def read(self, file: int, offset: int, length: int) -> bytes:
        if not length:
            return b""
        if hasattr(os, "pread"):
            return os.pread(self._fds[file], length, offset)
        os.lseek(self._fds[file], offset, os.SEEK_SET)  # pragma: no cover - Windows has no pread
        return os.read(self._fds[file], length)  # pragma: no cover

    def __enter__(self) -> SpillReader:
        return self

    def __exit__(self, *exc: object) -> None:
        for fd in self._fds:
            os.close(fd)


@dataclass(slots=True, kw_only=True)
class Manifest:
    """Everything the writers need to know about a built release."""

    name: str
    version: str
    image_size: int
    class_names: tuple[str, ...]
    split_names: tuple[str, ...]
    records: list[ImageRecord]
    skipped: list[SkippedItem] = field(default_factory=list)
    duplicates: list[dict[str, object]] = field(default_factory=list)
    near_duplicate_groups: list[list[str]] = field(default_factory=list)
    excluded: list[dict[str, str]] = field(default_factory=list)  # images removed on request (exclusions.csv)
    changelog: str | None = None  # CHANGELOG.md text when built against a previous release
    sources: list[dict[str, Any]] = field(default_factory=list)
    metadata: Any = None  # DatasetMetadata of the release
    seed: int = 0
    config_hash: str = ""
    blob_paths: list[Path] = field(default_factory=list)  # the build's spill files (ImageRecord.blob_file)
    doi: str | None = None  # this version's DOI, once reserved (publishing)
    concept_doi: str | None = None  # the DOI of all versions
    timings: dict[str, float] = field(default_factory=dict)  # seconds per build stage (never written out)

    def iter_png(self, records: list[ImageRecord]) -> Any:
        """Yield ``(record, png bytes)`` for ``records`` (read from the spill files)."""
        with SpillReader(self.blob_paths) as spill:
            for record in records:
                yield record, spill.read(record.blob_file, record.blob_offset, record.blob_length)

    def records_of(self, split: str) -> list[ImageRecord]:
        """The records of one split, in index order."""
        return [r for r in self.records if r.split == split]

    def split_counts(self) -> dict[str, int]:
        """Number of images in each split, in split order."""
        counts = {name: 0 for name in self.split_names}
        for record in self.records:
            counts[record.split] += 1
        return counts

    def class_counts(self, split: str | None = None) -> dict[str, int]:
        """Number of images of each class (in one split, or all), in class order."""
        counts = {name: 0 for name in self.class_names}
        for record in self.records:
            if split is None or record.split == split:
                counts[record.label] += 1
        return counts
