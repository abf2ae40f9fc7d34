"""Facts every metadata writer shares: file hashes, creators, sources, DOI, dates."""

from __future__ import annotations

import hashlib
import json
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
