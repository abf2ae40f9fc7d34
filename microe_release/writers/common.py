"""Facts every metadata writer shares: file hashes, creators, sources, DOI, dates."""

from __future__ import annotations

import hashlib
import json
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..records import Manifest

#: Bytes read per step when hashing.
_HASH_BLOCK = 1 << 20

#: Where a DOI resolves.
DOI_RESOLVER = "https://doi.org/"


@lru_cache(maxsize=256)
def _sha256(path: str, size: int, mtime_ns: int, ctime_ns: int, inode: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read from disk (again only while the file is untouched).

    The memo is keyed by the file's status change time (``st_ctime_ns``) and inode as well as its
    size and modification time: every write, and every ``os.utime``, changes the ctime, so an edit
    that keeps size and mtime is read again. Nothing remembered while writing is reused: the
    release's own checks (``microe validate``) hash every file themselves.
    """
    stat = path.stat()
    return _sha256(str(path), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


class HashingWriter:
    """A binary file that hashes what is written to it (``sha256`` once closed).

    Writing and hashing run in a helper thread (both free the GIL on large blocks), so the caller
    prepares the next block meanwhile; at most two blocks wait, so memory stays bounded.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "a.txt"
    >>> with HashingWriter(path) as out:
    ...     out.write(b"abc")
    >>> out.sha256[:16], file_sha256(path)[:16]
    ('ba7816bf8f01cfea', 'ba7816bf8f01cfea')
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sha256 = ""
        self._handle = open(path, "wb")  # noqa: SIM115 - closed in __exit__
        self._digest = hashlib.sha256()
        self._helper = ThreadPoolExecutor(1, thread_name_prefix="microe-hash")
        self._pending: deque[Future[None]] = deque()

    def _store(self, data: bytes) -> None:
        self._handle.write(data)
        self._digest.update(data)

    def write(self, data: bytes) -> None:
        self._pending.append(self._helper.submit(self._store, data))
        while len(self._pending) > 2:
            self._pending.popleft().result()

    def __enter__(self) -> HashingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            self._helper.shutdown()
            self._handle.close()
        if exc[0] is None:
            self.sha256 = self._digest.hexdigest()


def remember_sha256(path: Path, digest: str | None = None) -> str:
    """``digest`` when a writer hashed ``path`` while writing it (maybe in another process), else :func:`file_sha256`.

    The hash handed over is not stored: a later reader of the file (another writer, a check) gets
    it from :func:`file_sha256`, which reads the file.
    """
    return digest if digest is not None else file_sha256(path)


def data_files(out_dir: Path) -> list[Path]:
    """The parquet shards of a release, sorted."""
    return sorted((out_dir / "data").glob("*.parquet"))


def write_json(path: Path, data: Any) -> Path:
    """Write pretty, key-ordered-as-given UTF-8 JSON with a final newline (deterministic)."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def doi_url(doi: str) -> str:
    """``https://doi.org/<doi>``."""
    return DOI_RESOLVER + doi


def source_urls(manifest: Manifest) -> list[tuple[str, str]]:
    """``(source name, url)`` of every source that gives a URL."""
    return [(s["name"], s["url"]) for s in manifest.sources if s.get("url")]


def citation_text(manifest: Manifest) -> str:
    """A one-line, APA-like citation of this version."""
    meta = manifest.metadata
    authors = ", ".join(f"{c.family}, {c.given[:1]}." for c in meta.creators)
    year = meta.date_published[:4]
    doi = f" https://doi.org/{manifest.doi}" if manifest.doi else ""
    return f"{authors} ({year}). {meta.citation_title} (Version {manifest.version}) [Data set]. {meta.publisher or ''}.{doi}".replace(" .", ".")


def bibtex(manifest: Manifest) -> str:
    """A BibTeX ``@misc`` entry for this version."""
    meta = manifest.metadata
    key = f"{meta.creators[0].family.lower()}{meta.date_published[:4]}{manifest.name}"
    fields = {
        "title": meta.citation_title,
        "author": " and ".join(f"{c.family}, {c.given}" for c in meta.creators),
        "year": meta.date_published[:4],
        "version": manifest.version,
        "publisher": meta.publisher or "",
        "howpublished": "Dataset",
    }
    if manifest.doi:
        fields["doi"] = manifest.doi
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields.items() if v)
    return f"@misc{{{key},\n{body}\n}}"
