"""What several writers share: file hashes, JSON output, source URLs and the citation texts."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from ..records import Manifest


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file; the same file, unchanged, is hashed once (datapackage, croissant and SHA256SUMS ask)."""
    stat = path.stat()  # part of the cache key: any write changes ctime
    return _sha256(str(path), (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino))


@functools.lru_cache(maxsize=256)
def _sha256(path: str, _stat: tuple[int, int, int, int]) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` as UTF-8; returns ``path``."""
    path.write_text(text, encoding="utf-8")
    return path


def write_json(path: Path, data: Any) -> Path:
    """Write pretty, key-ordered-as-given UTF-8 JSON with a final newline (deterministic)."""
    return write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def source_urls(manifest: Manifest) -> list[str]:
    """The URL of every source that gives one."""
    return [s["url"] for s in manifest.sources if s.get("url")]


def citation_text(manifest: Manifest) -> str:
    """A one-line, APA-like citation of this version."""
    meta = manifest.metadata
    authors = ", ".join(f"{c.family}, {c.given[:1]}." for c in meta.creators)
    doi = f" https://doi.org/{manifest.doi}" if manifest.doi else ""
    text = f"{authors} ({meta.date_published[:4]}). {meta.citation_title} (Version {manifest.version}) [Data set]."
    return f"{text} {meta.publisher or ''}.{doi}".replace(" .", ".")


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
        "doi": manifest.doi,
    }
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields.items() if v)
    return f"@misc{{{key},\n{body}\n}}"
