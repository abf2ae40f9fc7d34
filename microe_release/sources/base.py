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
    """A source adapter.

    Attributes
    ----------
    name : str
        The ``format`` value in ``release.toml``.
    EXTENSIONS : frozenset of str
        File extensions it reads (empty when it reads no image files).
    OPTIONS : dict
        Its own ``[[source]]`` keys: ``key -> (type, default)``; a default of None means required.
    NEEDS_PATH : bool
        Whether ``path`` is required.
    """

    name: ClassVar[str]
    EXTENSIONS: ClassVar[frozenset[str]]
    OPTIONS: ClassVar[dict[str, tuple[type, Any]]]
    NEEDS_PATH: ClassVar[bool]

    @classmethod
    def check(cls, source: SourceConfig) -> None:
        """Raise ConfigError for options that are wrong before any file is read."""

    @classmethod
    def count(cls, source: SourceConfig) -> int | None:
        """How many items :meth:`iter_items` will yield, where a listing or a line count gives it cheaply."""

    @classmethod
    def iter_items(cls, source: SourceConfig) -> Iterator[Found]:
        """Yield every item of the source, in a deterministic order."""


def require_path(source: SourceConfig, path: Path, *, what: str, is_dir: bool) -> Path:
    """Return ``path`` or raise SourceNotFoundError naming the source and the key to fix."""
    ok = path.is_dir() if is_dir else path.is_file()
    if not ok:
        kind = "folder" if is_dir else "file"
        msg = (
            f"source '{source.name}': {what} {kind} '{path}' does not exist; "
            f"fix 'path' (relative to the release.toml) or the format's own keys."
        )
        raise SourceNotFoundError(msg, source=source.name, path=path)
    return path


def count_lines(path: Path) -> int:
    """Lines of ``path`` that are not empty (what a csv reader yields a row for), read in binary."""
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.rstrip(b"\r\n"))


def walk_files(root: Path) -> Iterator[tuple[str, str]]:
    """``(absolute path, POSIX path relative to root)`` of every non-hidden file below ``root``.

    Sorted (deterministic on any file system); plain strings, since sources hold many files.
    Folder links are not followed; file links are checked by :func:`file_item`.
    """
    top = str(root)
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel_dir = os.path.relpath(dirpath, top).replace(os.sep, "/")
        prefix = "" if rel_dir == "." else rel_dir + "/"
        for name in sorted(filenames):
            if not name.startswith("."):
                yield os.path.join(dirpath, name), prefix + name


def is_inside(root: Path, candidate: Path) -> bool:
    """True when ``candidate`` (after resolving ``..`` and links) lies inside ``root``."""
    try:
        candidate.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def relative_ref(root: Path, path: Path) -> str:
    """``path`` relative to ``root`` in POSIX form, for ``source_ref``."""
    return path.relative_to(root).as_posix()


def skip(source: SourceConfig, ref: str, reason: SkipReason, detail: str = "") -> SkippedItem:
    """Shorthand for a skipped item of ``source``."""
    return SkippedItem(source=source.name, source_ref=ref, reason=reason, detail=detail)


def subject_of(source: SourceConfig, file_name: str) -> str | None:
    """The subject id that ``subject_pattern`` finds in a file name, if any."""
    if source.subject_pattern is None:
        return None
    match = source.subject_pattern.search(file_name)
    return match.group("subject") if match else None


def labelled_item(
    source: SourceConfig,
    *,
    ref: str,
    raw_label: str,
    path: str | None = None,
    pixels: str | None = None,
    subject: str | None = None,
    split: str | None = None,
    builtin: dict[str, str] | None = None,
) -> Found:
    """Map a raw label (with the source's overrides and exclusions) and build the item.

    ``builtin`` holds a format's own codes (FER2013 integers); the source's ``labels`` win over it.
    """
    raw = raw_label.strip()
    if source.exclude and (raw in source.exclude or raw.lower() in {e.lower() for e in source.exclude}):
        return skip(source, ref, SkipReason.EXCLUDED_LABEL, f"label '{raw}' is in the source's exclude list")
    overrides = {**builtin, **source.labels} if builtin else source.labels
    label = normalize_label(raw, overrides)
    if label is None:
        detail = f"label '{raw}' is not a known synonym; map it with labels = {{ \"{raw}\" = \"<class>\" }} or exclude it"
        return skip(source, ref, SkipReason.UNKNOWN_LABEL, detail)
    if subject is None and path is not None and source.subject_pattern is not None:
        subject = subject_of(source, os.path.basename(path))
    return SourceItem(
        source=source.name,
        source_ref=ref,
        raw_label=raw,
        label=label,
        license=source.license,
        subject=subject,
        split=split if source.keep_splits else None,
        path=path,
        pixels=pixels,
    )


def file_item(source: SourceConfig, root: Path, path: str, ref: str, raw_label: str, **kwargs: Any) -> Found:
    """An item for the image file ``path`` (``ref`` relative to ``root``), refusing links out of root."""
    if os.path.islink(path) and not is_inside(root, Path(path)):
        return skip(source, ref, SkipReason.PATH_ESCAPE, f"link '{ref}' resolves outside '{root}'")
    return labelled_item(source, ref=ref, raw_label=raw_label, path=path, **kwargs)
