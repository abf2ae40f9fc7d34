"""Release writers, one module per output format; ``write_release_files`` runs them all."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import WriteError
from ..progress import progress_bar
from ..records import Manifest
from ..store import ImageStore
from .card import write_card
from .citation import write_citation, write_datacite, write_zenodo
from .data import write_csv, write_images, write_parquet
from .descriptors import write_croissant, write_datapackage
from .license import write_checksums, write_license
from .manifest import write_manifest
from .report import write_build_report

logger = logging.getLogger(__name__)

#: The data writers, in build order (``images`` only with ``--images``).
DATA_WRITERS: dict[str, Callable[[Manifest, Path, ImageStore], list[Path]]] = {
    "parquet": write_parquet,
    "csv": write_csv,
    "images": write_images,
}

#: The metadata writers, in build order: after the data, whose sizes and hashes card, datapackage and croissant read.
WRITERS: dict[str, Callable[[Manifest, Path], list[Path]]] = {
    "manifest": write_manifest,
    "card": write_card,
    "datapackage": write_datapackage,
    "croissant": write_croissant,
    "citation": write_citation,
    "zenodo": write_zenodo,
    "datacite": write_datacite,
    "license": write_license,
}


def write_release_files(
    manifest: Manifest, out_dir: Path, store: ImageStore, *, images: bool = False, progress: bool = False,
    tool_version: str = "",
) -> list[Path]:
    """Run every writer (``images`` only when asked), the build report and SHA256SUMS into ``out_dir``."""
    data = [name for name in DATA_WRITERS if images or name != "images"]
    bar = progress_bar(total=len(data) + len(WRITERS) + 2, desc="write", unit="step", enabled=progress)
    written: list[Path] = []
    steps: list[tuple[str, Callable[[], list[Path]]]] = [
        *((name, lambda name=name: DATA_WRITERS[name](manifest, out_dir, store)) for name in data),
        *((name, lambda name=name: WRITERS[name](manifest, out_dir)) for name in WRITERS),
        ("build report", lambda: write_build_report(manifest, out_dir, tool_version=tool_version)),
        ("checksums", lambda: write_checksums(manifest, out_dir)),  # last: it hashes every other file
    ]
    for name, step in steps:
        bar.set_description(f"write {name}" if name in DATA_WRITERS else "write metadata", refresh=False)
        bar.set_postfix_str(name)
        started = time.perf_counter()
        if name == "build report" and manifest.changelog:
            (out_dir / "CHANGELOG.md").write_text(manifest.changelog, encoding="utf-8")
            written.append(out_dir / "CHANGELOG.md")
        try:
            written += step()
        except OSError as err:
            msg = f"writing the {name} files into '{out_dir}' failed: {err}; check free space and permissions."
            raise WriteError(msg, path=out_dir) from err
        logger.info("wrote %s in %.2f s", name, time.perf_counter() - started)
        bar.update(1)
    bar.close()
    logger.info("wrote %d files", len(written))
    return written


__all__ = ["DATA_WRITERS", "WRITERS", "write_release_files"]
