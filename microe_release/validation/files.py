"""SHA256SUMS: every listed file exists and matches; no file is unlisted."""

from __future__ import annotations

from pathlib import Path

from .loaded import LoadedRelease
from .spec import CHECKSUMS, UNLISTED_FILES

REBUILD = "rebuild the release with `microe build` (or restore the file from the published copy)."


def files_on_disk(root: Path) -> set[str]:
    """Every file under ``root`` (POSIX paths) that SHA256SUMS must list: all but :data:`~.spec.UNLISTED_FILES`."""
    found = {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}
    return found - set(UNLISTED_FILES)


def check_checksums(release: LoadedRelease) -> None:
    """Compare SHA256SUMS with the files on disk."""
    report = release.report
    path = release.root / CHECKSUMS
    if not path.is_file():
        report.error("missing-file", CHECKSUMS, f"{CHECKSUMS} does not exist, so no file can be verified.", REBUILD)
        return
    listed: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            report.error("checksum-format", f"{CHECKSUMS} > line {number}",
                         f"line is not '<sha256>  <path>': '{line[:80]}'.", REBUILD)
            continue
        listed[name] = digest
    on_disk = files_on_disk(release.root)
    for name, digest in sorted(listed.items()):
        if name not in on_disk:
            report.error("missing-file", name, f"{name} is listed in {CHECKSUMS} but does not exist.", REBUILD)
        elif release.sha256(release.root / name) != digest:
            report.error("checksum-mismatch", name,
                         f"sha256 of {name} is {release.sha256(release.root / name)[:16]}..., "
                         f"{CHECKSUMS} says {digest[:16]}...: the file changed after the build.", REBUILD)
    for name in sorted(on_disk - set(listed)):
        report.error("unlisted-file", name, f"{name} is not listed in {CHECKSUMS}.",
                     f"remove it, or rebuild so that {CHECKSUMS} covers it.")
