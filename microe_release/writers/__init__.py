"""Release writers, one module per output format, each ``write_<format>(manifest, out_dir) -> list[Path]``."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from ..errors import WriteError
from ..progress import progress_bar
from ..records import Manifest
from .card import write_card
from .citation import write_citation
from .common import file_sha256, remember_sha256
from .croissant import write_croissant
from .csv import csv_job, run_csv_job, write_csv
from .datacite import write_datacite
from .datapackage import write_datapackage
from .images import write_images
from .license import write_checksums, write_license
from .parquet import write_parquet
from .report import write_build_report
from .zenodo import write_zenodo

logger = logging.getLogger(__name__)

#: Every writer by name, in the order a build runs them (the card, datapackage and croissant read
#: the data files' sizes and hashes; SHA256SUMS is written after all of them).
WRITERS: dict[str, Callable[[Manifest, Path], list[Path]]] = {
    "parquet": write_parquet,
    "csv": write_csv,
    "images": write_images,
    "card": write_card,
    "datapackage": write_datapackage,
    "croissant": write_croissant,
    "citation": write_citation,
    "zenodo": write_zenodo,
    "datacite": write_datacite,
    "license": write_license,
}


#: Writers that describe microe.csv (its hash and size), so they run once it is written.
READS_CSV = ("datapackage", "croissant")


def _write_csv_in(processes: ProcessPoolExecutor, manifest: Manifest, out_dir: Path) -> list[Path]:
    """The CSV written by a worker process (no GIL shared with the parquet writer); its hash kept here."""
    job = csv_job(manifest, out_dir)
    remember_sha256(Path(job.path), processes.submit(run_csv_job, job).result())
    return [Path(job.path)]


def _run_writer(name: str, manifest: Manifest, out_dir: Path,
                processes: ProcessPoolExecutor | None = None) -> list[Path]:
    started = time.perf_counter()
    try:
        if name == "csv" and processes is not None:
            written = _write_csv_in(processes, manifest, out_dir)
        else:
            written = WRITERS[name](manifest, out_dir)
        if name == "parquet":  # hash the shards here, beside the CSV writer, not later alone
            for path in written:
                file_sha256(path)
    except OSError as err:
        msg = f"writing the {name} files into '{out_dir}' failed: {err}; check free space and permissions."
        raise WriteError(msg, path=out_dir) from err
    logger.info("wrote %s in %.2f s", name, time.perf_counter() - started)
    return written


def _stage(name: str) -> str:
    """The write stage a writer belongs to, as the progress bar names it."""
    return f"write {name}" if name in ("parquet", "csv", "images") else "write metadata"


def write_release_files(
    manifest: Manifest, out_dir: Path, *, images: bool = False, progress: bool = False, tool_version: str = "",
    processes: ProcessPoolExecutor | None = None,
) -> list[Path]:
    """Run every writer (``images`` only when asked) and the build report into ``out_dir``.

    ``processes`` (the build's worker pool) writes the CSV while this process writes the rest.
    With ``progress``, a bar on stderr counts the writers, the build report and SHA256SUMS, named by
    stage ("write parquet", "write csv", "write images", "write metadata") with the file on the right.
    """
    names = [name for name in WRITERS if images or name != "images"]
    beside = [name for name in names if name in ("csv", "images")]
    bar = progress_bar(total=len(names) + 2, desc="write", unit="step", enabled=progress)

    def started(name: str) -> None:
        bar.set_description(_stage(name), refresh=False)
        bar.set_postfix_str(name)

    outputs: dict[str, list[Path]] = {}
    # the CSV (in a worker process when there is one) and the images are written beside this thread,
    # which writes the parquet shards and then every file that does not describe the CSV
    with ThreadPoolExecutor(len(beside), thread_name_prefix="microe-write") as pool:
        futures = {name: pool.submit(_run_writer, name, manifest, out_dir, processes) for name in beside}
        for name in names:
            if name not in futures and name not in READS_CSV:
                started(name)
                outputs[name] = _run_writer(name, manifest, out_dir)
                bar.update(1)
        for name, future in futures.items():
            started(name)
            outputs[name] = future.result()
            bar.update(1)
    for name in READS_CSV:
        started(name)
        outputs[name] = _run_writer(name, manifest, out_dir)
        bar.update(1)
    written = [path for name in names for path in outputs[name]]
    if manifest.changelog:
        (out_dir / "CHANGELOG.md").write_text(manifest.changelog, encoding="utf-8")
        written.append(out_dir / "CHANGELOG.md")
    started("build report")
    written += write_build_report(manifest, out_dir, tool_version=tool_version)
    bar.update(1)
    started("checksums")
    written += write_checksums(manifest, out_dir)  # last: it hashes every other file
    bar.update(1)
    bar.close()
    logger.info("wrote %d files", len(written))
    return written


__all__ = ["WRITERS", "write_release_files"]
