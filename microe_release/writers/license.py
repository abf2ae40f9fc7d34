"""``LICENSE`` (the release's licence text) and ``SHA256SUMS`` (every other file)."""

from __future__ import annotations

from pathlib import Path

from ..licenses import get_license
from ..records import Manifest
from .common import file_sha256, write_text

#: The checksum file's name; it lists every file of the release but itself.
CHECKSUMS = "SHA256SUMS"


def write_license(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Write ``LICENSE``; returns the file written."""
    meta = manifest.metadata
    lic = get_license(meta.license)
    text = lic.text(beside=meta.path.parent if meta.path is not None else None)
    return [write_text(out_dir / "LICENSE", f"{meta.title}, version {manifest.version}\n"
                       f"Licence: {lic.title} ({lic.spdx}), {lic.url}\n"
                       f"Each image also carries its source's licence: see the `license` column.\n\n{text}")]


def release_files(out_dir: Path) -> list[str]:
    """Every file of a release (POSIX paths, sorted) but the checksum file and the publishing state."""
    files = (path.relative_to(out_dir).as_posix() for path in out_dir.rglob("*") if path.is_file())
    return sorted(rel for rel in files if rel not in (CHECKSUMS, "publish-state.json"))


def write_checksums(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Write ``SHA256SUMS`` (``sha256sum -c`` format) over every other file; returns the file written."""
    lines = [f"{file_sha256(out_dir / rel)}  {rel}\n" for rel in release_files(out_dir)]
    return [write_text(out_dir / CHECKSUMS, "".join(lines))]
