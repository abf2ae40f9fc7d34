"""One image store per build: every image's processed bytes (PNG and CSV pixel text), by id, on disk."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import WriteError


@dataclass(frozen=True, slots=True)
class _Entry:
    file: int
    offset: int
    png_length: int
    text_length: int


@dataclass(frozen=True, slots=True)
class SpillSink:
    """Where a pool worker appends a processed batch: its own file, opened and closed per call."""

    folder: str

    def append(self, blob: bytes) -> tuple[str, int]:
        """Append ``blob``; returns ``(file, offset)`` where it starts."""
        path = os.path.join(self.folder, f"worker-{os.getpid()}.spill")
        with open(path, "ab") as handle:
            offset = handle.tell()
            handle.write(blob)
        return path, offset


class ImageStore:
    """Processed image bytes by id, in append-only spill files in ``folder`` (the caller removes it).

    Examples
    --------
    >>> import tempfile
    >>> with ImageStore(Path(tempfile.mkdtemp())) as store:
    ...     store.put_batch(b"PNG1text1", [("a", 4, 5)])
    ...     store.png("a"), store.text("a")
    (b'PNG1', b'text1')
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._paths: list[str] = []
        self._entries: dict[str, _Entry] = {}
        self._own = self._register(str(folder / "main.spill"))
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._writer = open(self._paths[self._own], "wb")  # noqa: SIM115 - closed in close()
        except OSError as err:
            msg = f"cannot create the build's image store in '{folder}': {err.strerror}; check free space and permissions."
            raise WriteError(msg, path=folder) from err
        self._written = 0
        self._readers: dict[int, int] = {}

    def _register(self, path: str) -> int:
        if path not in self._paths:
            self._paths.append(path)
        return self._paths.index(path)

    def _add(self, file: int, offset: int, sizes: Iterable[tuple[str, int, int]]) -> None:
        for image_id, png_length, text_length in sizes:
            self._entries.setdefault(image_id, _Entry(file, offset, png_length, text_length))
            offset += png_length + text_length

    def put_batch(self, blob: bytes, sizes: Iterable[tuple[str, int, int]]) -> None:
        """Store a batch: for each ``(id, PNG length, text length)``, PNG then text (first copy of an id kept)."""
        self._writer.write(blob)
        self._add(self._own, self._written, sizes)
        self._written += len(blob)

    def add_spilled(self, file: str, offset: int, sizes: Iterable[tuple[str, int, int]]) -> None:
        """Record a batch a worker appended to ``file`` at ``offset`` (see :class:`SpillSink`)."""
        self._add(self._register(file), offset, sizes)

    def sink(self) -> SpillSink:
        """What pool workers append to (their own files in this store's folder)."""
        return SpillSink(str(self.folder))

    def png_length(self, image_id: str) -> int:
        """Size of an image's PNG in bytes."""
        return self._entries[image_id].png_length

    def _read(self, file: int, offset: int, length: int) -> bytes:
        if not length:
            return b""
        if file == self._own:
            self._writer.flush()
        fd = self._readers.get(file)
        if fd is None:
            fd = self._readers[file] = os.open(self._paths[file], os.O_RDONLY | getattr(os, "O_BINARY", 0))
        return os.pread(fd, length, offset)  # positional: no shared file offset

    def png(self, image_id: str) -> bytes:
        """The PNG bytes of an image."""
        entry = self._entries[image_id]
        return self._read(entry.file, entry.offset, entry.png_length)

    def text(self, image_id: str) -> bytes:
        """The CSV pixel text of an image."""
        entry = self._entries[image_id]
        return self._read(entry.file, entry.offset + entry.png_length, entry.text_length)

    def iter_png(self, image_ids: Iterable[str]) -> Iterator[bytes]:
        """PNG bytes of ``image_ids``, in that order."""
        return (self.png(image_id) for image_id in image_ids)

    def close(self) -> None:
        """Close every file handle."""
        self._writer.close()
        for fd in self._readers.values():
            os.close(fd)
        self._readers.clear()

    def __enter__(self) -> ImageStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
