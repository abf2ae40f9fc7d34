"""What every source adapter implements, and the helpers they share."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from ..errors import ConfigError, SourceNotFoundError
from ..labels import normalize_label
from ..records import SkippedItem, SkipReason, SourceItem


@dataclass(frozen=True, kw_only=True)
class SourceConfig:
    """One ``[[source]]`` table, checked.

    Parameters
    ----------
    name : str
        Becomes the ``source`` column; letters, digits, ``_.-``.
    format : str
        A key of :data:`microe_release.sources.SOURCE_FORMATS`.
    path : Path
        Absolute path of the source (file or folder).
    options : dict
        The format's own keys (``csv``, ``pattern``, ``min_agreement`` ...).
    """

    name: str
    format: str
    path: Path
    license: str = "unknown"
    url: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()
    subject_pattern: re.Pattern[str] | None = None
    keep_splits: bool = False
    options: dict[str, Any] = field(default_factory=dict)


def compile_pattern(pattern: str, *, field_name: str, path: Path | None, group: str) -> re.Pattern[str]:
    """Compile a user regex that must have the named group ``group``."""
    try:
        compiled = re.compile(pattern)
    except re.error as err:
        msg = f"{field_name} '{pattern}' in {path} is not a valid regular expression: {err}."
        raise ConfigError(msg, path=path, field=field_name) from err
    if group not in compiled.groupindex:
        msg = f"{field_name} '{pattern}' in {path} needs a named group (?P<{group}>...)."
        raise ConfigError(msg, path=path, field=field_name)
    return compiled


#: What adapters yield: an item to decode, or an item already known to be unusable.
Found = SourceItem | SkippedItem


def image_extensions() -> frozenset[str]:
    """Lower-case file extensions that the installed Pillow can open (``.jpg``, ``.tiff`` ...)."""
    from PIL import Image

    Image.init()
    return frozenset(ext.lower() for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN)


class SourceFormat(Protocol):
    """A source adapter; adapters subclass it and keep the defaults they need.

    Attributes
    ----------
    name : str
        The ``format`` value in ``release.toml``.
    EXTENSIONS : frozenset of str
        File extensions it reads (empty: every image type Pillow opens, or no image files).
    OPTIONS : dict
        Its own ``[[source]]`` keys: ``key -> (type, default)``; a default of None means required.
    NEEDS_PATH : bool
        Whether ``path`` is required.
    """

    name: ClassVar[str]
    EXTENSIONS: ClassVar[frozenset[str]] = frozenset()
    OPTIONS: ClassVar[dict[str, tuple[type, Any]]] = {}
    NEEDS_PATH: ClassVar[bool] = True

    @classmethod
    def check(cls, source: SourceConfig) -> None:
        """Raise ConfigError for options that are wrong before any file is read (default: none)."""

    @classmethod
    def count(cls, source: SourceConfig) -> int | None:
        """How many items :meth:`iter_items` will yield, where a listing or a line count gives it cheaply."""
        return None

    @classmethod
    def iter_items(cls, source: SourceConfig) -> Iterator[Found]:
        """Yield every item of the source, in a deterministic order."""
        raise NotImplementedError


def require_path(source: SourceConfig, path: Path, *, what: str, is_dir: bool) -> Path:
    """Return ``path`` or raise SourceNotFoundError naming the source and the key to fix."""
    if not (path.is_dir() if is_dir else path.is_file()):
        msg = (f"source '{source.name}': {what} {'folder' if is_dir else 'file'} '{path}' does not exist; "
               "fix 'path' (relative to the release.toml) or the format's own keys.")
        raise SourceNotFoundError(msg, source=source.name, path=path)
    return path


def count_lines(path: Path) -> int:
    """Lines of ``path`` that are not empty (what a csv reader yields a row for), read in binary."""
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.rstrip(b"\r\n"))


def walk_files(root: Path) -> Iterator[tuple[str, str, tuple[SkipReason, str] | None]]:
    """Sorted ``(absolute path, POSIX path relative to root, why it is left out or None)`` of every file; a hidden
    file, a hidden folder or a folder link is one left-out entry (a folder's files are not read)."""
    top = str(root)
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        rel_dir = os.path.relpath(dirpath, top).replace(os.sep, "/")
        prefix = "" if rel_dir == "." else rel_dir + "/"
        kept = []
        for name in sorted(dirnames):
            full = os.path.join(dirpath, name)
            if name.startswith("."):
                yield full, f"{prefix}{name}/", (SkipReason.HIDDEN, "hidden folder (name starts with '.'): not read")
            elif os.path.islink(full):
                yield full, f"{prefix}{name}/", (SkipReason.LINKED_FOLDER, "a link to a folder is not followed; copy "
                                                 "the folder in, or add its target as another [[source]]")
            else:
                kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            hidden = (SkipReason.HIDDEN, "hidden file (name starts with '.')") if name.startswith(".") else None
            yield os.path.join(dirpath, name), prefix + name, hidden


def is_inside(root: Path, candidate: Path) -> bool:
    """True when ``candidate`` (after resolving ``..`` and links) lies inside ``root``."""
    return candidate.resolve().is_relative_to(root.resolve())


def skip(source: SourceConfig, ref: str, reason: SkipReason, detail: str = "") -> SkippedItem:
    """Shorthand for a skipped item of ``source``."""
    return SkippedItem(source=source.name, source_ref=ref, reason=reason, detail=detail)


def labelled_item(source: SourceConfig, ref: str, raw_label: str, *, root: Path | None = None, path: str | None = None,
                  pixels: str | None = None, subject: str | None = None, split: str | None = None,
                  builtin: dict[str, str] | None = None, votes: tuple[int, ...] | None = None) -> Found:
    """Item for ``raw_label`` (``builtin``: format codes, overridden by ``labels``); links out of ``root`` refused."""
    if root and path and os.path.islink(path) and not is_inside(root, Path(path)):
        return skip(source, ref, SkipReason.PATH_ESCAPE, f"link '{ref}' resolves outside '{root}'")
    raw = raw_label.strip()
    if raw.lower() in {e.lower() for e in source.exclude}:
        return skip(source, ref, SkipReason.EXCLUDED_LABEL, f"label '{raw}' is in the source's exclude list")
    label = normalize_label(raw, {**builtin, **source.labels} if builtin else source.labels)
    if label is None:
        detail = f"label '{raw}' is not a known synonym; map it with labels = {{ \"{raw}\" = \"<class>\" }} or exclude it"
        return skip(source, ref, SkipReason.UNKNOWN_LABEL, detail)
    if subject is None and path is not None and source.subject_pattern is not None:
        match = source.subject_pattern.search(os.path.basename(path))
        subject = match.group("subject") if match else None
    return SourceItem(source=source.name, source_ref=ref, raw_label=raw, label=label, license=source.license,
                      subject=subject, split=split if source.keep_splits else None, path=path, pixels=pixels,
                      votes=votes)
