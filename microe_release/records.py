"""Typed records handed between the build's stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .metadata import DatasetMetadata


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
    NOT_A_FILE = "not a regular file"
    HIDDEN = "hidden file or folder"
    LINKED_FOLDER = "folder link not followed"
    TOO_SMALL = "image smaller than min_size"


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceItem:
    """One image as a source adapter found it, undecoded: exactly one of ``path``, ``pixels``, ``synthetic`` is set."""

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
    votes: tuple[int, ...] | None = None  # annotators' votes per class, in CLASS_NAMES order (FER+)


@dataclass(frozen=True, slots=True, kw_only=True)
class SkippedItem:
    """An item left out of the release, and why."""

    source: str
    source_ref: str
    reason: SkipReason
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        """Return the JSON form used in ``build-report.json``."""
        return {**asdict(self), "reason": self.reason.value}


#: A split's name (``release.splits`` may use these three).
Split = Literal["train", "validation", "test"]

#: A class name (:data:`microe_release.labels.CLASS_NAMES`, in the same order).
Label = Literal["angry", "contempt", "disgust", "fear", "happy", "neutral", "sad", "surprised"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageRecord:
    """One image of a release: what is known of it, not where its bytes are (see :mod:`.store`).

    ``index`` (the row in ``microe.csv``, and the order of every file), ``group`` and ``split`` are set once
    every image is known.
    """

    id: str
    label: Label
    source: str
    source_ref: str
    license: str
    subject: str | None
    fixed_split: Split | None
    phash: int
    orig_width: int
    orig_height: int
    orig_mode: str
    orig_rgb: tuple[int, int, int] | None = None
    votes: tuple[int, ...] | None = None  # annotators' votes per class, in class order; None where a source has none
    index: int = -1
    group: int = -1
    split: Split | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    """Everything a release says about its images, saved as ``manifest.json`` beside them.

    Read back (:func:`~microe_release.writers.manifest.read_manifest`) by ``diff``, ``publish``, ``report``
    and ``build --previous``.
    """

    name: str
    version: str
    image_size: int
    class_names: tuple[str, ...]
    split_names: tuple[Split, ...]
    records: tuple[ImageRecord, ...]
    skipped: tuple[SkippedItem, ...] = ()
    duplicates: tuple[dict[str, Any], ...] = ()
    near_duplicate_groups: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[dict[str, Any], ...] = ()  # images removed on request (exclusions.csv), and their copies
    takedowns: tuple[dict[str, Any], ...] = ()  # the requests, with the hashes their copies are found by
    audit: dict[str, Any] | None = None  # what `microe audit` found (label-issues.csv), once run
    relabels: tuple[dict[str, Any], ...] = ()  # labels reviewed by a maintainer (relabels.csv): id, old, new, reason
    changelog: str | None = None  # CHANGELOG.md text when built against a previous release
    sources: tuple[dict[str, Any], ...] = ()
    metadata: DatasetMetadata  # the release's dataset.yaml, parsed
    seed: int = 0
    config_hash: str = ""
    doi: str | None = None  # this version's DOI, once reserved (publishing)
    concept_doi: str | None = None  # the DOI of all versions
    timings: dict[str, float] = field(default_factory=dict, compare=False)  # seconds per stage (not saved)

    def records_of(self, split: str) -> list[ImageRecord]:
        """The records of one split, in index order."""
        return [r for r in self.records if r.split == split]

    def split_counts(self) -> dict[str, int]:
        """Number of images in each split, in split order."""
        counts: dict[str, int] = dict.fromkeys(self.split_names, 0)
        for record in self.records:
            counts[str(record.split)] += 1
        return counts

    def class_counts(self, split: str | None = None) -> dict[str, int]:
        """Number of images of each class (in one split, or all), in class order."""
        counts = dict.fromkeys(self.class_names, 0)
        for record in self.records:
            if split is None or record.split == split:
                counts[record.label] += 1
        return counts
