"""Release writers: data, manifest, card and report, descriptors, licence; ``write_release_files`` runs them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from ..errors import WriteError
from ..progress import progress_bar
from ..records import Manifest
from ..store import ImageStore
from . import data, descriptors, license, manifest, report
from .common import write_text

logger = logging.getLogger(__name__)

#: The data writers, in build order (``images`` only with ``--images``).
DATA_WRITERS: dict[str, Callable[[Manifest, Path, ImageStore], list[Path]]] = {
    "parquet": data.write_parquet,
    "csv": data.write_csv,
    "images": data.write_images,
}

#: The metadata writers, in build order: after the data, whose sizes and hashes card, datapackage and croissant read.
WRITERS: dict[str, Callable[[Manifest, Path], list[Path]]] = {
    "manifest": manifest.write_manifest,
    "card": report.write_card,
    "datapackage": descriptors.write_datapackage,
    "croissant": descriptors.write_croissant,
    "citation": descriptors.write_citation,
    "zenodo": descriptors.write_zenodo,
    "datacite": descriptors.write_datacite,
    "license": license.write_license,
}


def write_release_files(
    manifest: Manifest, out_dir: Path, store: ImageStore, *, images: bool = False, progress: bool = False,
    tool_version: str = "",
) -> list[Path]:
    """Run every writer (``images`` only when asked), the build report and SHA256SUMS into ``out_dir``."""
    data_names = [name for name in DATA_WRITERS if images or name != "images"]
    bar = progress_bar(total=len(data_names) + len(WRITERS) + 2, desc="write", unit="step", enabled=progress)
    written: list[Path] = []
    steps: list[tuple[str, Callable[[], list[Path]]]] = [
        *((name, partial(DATA_WRITERS[name], manifest, out_dir, store)) for name in data_names),
        *((name, partial(WRITERS[name], manifest, out_dir)) for name in WRITERS),
        ("build report", partial(report.write_build_report, manifest, out_dir, tool_version=tool_version)),
        ("checksums", partial(license.write_checksums, manifest, out_dir)),  # last: it hashes every other file
    ]
    for name, step in steps:
        bar.set_description(f"write {name}" if name in DATA_WRITERS else "write metadata", refresh=False)
        bar.set_postfix_str(name)
        started = time.perf_counter()
        if name == "build report" and manifest.changelog:
            written.append(write_text(out_dir / "CHANGELOG.md", manifest.changelog))
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
