"""``microe validate``: check every file of a release, offline, and collect every problem."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..distributed import check_engine
from ..errors import ValidationError
from ..progress import progress_bar
from ..workers import default_workers, worker_pool
from .audit import check_audit
from .citation import assess_fair, check_agreement, check_citation_files
from .data import (
    check_checksums,
    check_counts,
    check_leakage,
    check_load_dataset,
    check_manifest,
    check_parquet,
)
from .loaded import LoadedRelease
from .report import Issue, Severity, ValidationReport
from .tabular import check_croissant, check_csv_matches_parquet, check_datapackage
from .votes import check_votes

logger = logging.getLogger(__name__)

#: Checks that only read files: on a big release each runs in its own worker process (frictionless
#: and mlcroissant walk every row in Python).
SIDE_CHECKS = ("datapackage", "croissant")

#: Data bytes (microe.csv + parquet shards) from which a release is big (below, processes cost more than they save).
SIDE_PROCESS_BYTES = 32 * 1024 * 1024

#: Checks that need every image decoded, in the order they run last while worker processes decode a big
#: release's images (the CSV first: it parses its pixel text before it needs them).
NEEDS_IMAGES = ("csv", "parquet", "leakage")

#: A folder with none of these is not a release (one clear error instead of a finding per missing file).
RELEASE_MARKERS = ("SHA256SUMS", "build-report.json", "datapackage.json", "croissant.json", "data")

#: A check's issues, the stats it set, and its seconds.
_Found = tuple[list[Issue], dict[str, Any], float]

#: Every check by name, in the order they run.
CHECKS: dict[str, Callable[[LoadedRelease], None]] = {
    "checksums": check_checksums,
    "parquet": check_parquet,
    "load_dataset": check_load_dataset,
    "datapackage": check_datapackage,
    "csv": check_csv_matches_parquet,
    "manifest": check_manifest,
    "counts": check_counts,
    "votes": check_votes,
    "audit": check_audit,
    "croissant": check_croissant,
    "citation": check_citation_files,
    "agreement": check_agreement,
    "leakage": check_leakage,
}


def validate_release(release_dir: str | Path, *, checks: list[str] | None = None, engine: str = "local",
                     ray_address: str | None = None, progress: bool = False) -> ValidationReport:
    """Run the checks on a release folder and return the report (never raises for findings).

    Parameters
    ----------
    release_dir : str or Path
        A folder written by ``microe build``.
    checks : list of str, optional
        Names from :data:`CHECKS` to run (default: all).
    engine : {"local", "ray"}
        Where the per-image facts are computed: this machine (worker processes on a big release) or Ray Data tasks.
    ray_address : str, optional
        A Ray cluster to join with ``engine="ray"`` (default: a local Ray).
    progress : bool
        Show a progress bar over the checks on stderr.

    Returns
    -------
    ValidationReport
        Every issue found, the checks run, their stats and seconds, and the FAIR self-assessment.

    Raises
    ------
    ValidationError
        When ``release_dir`` is not a folder, or not a release folder at all.
    """
    check_engine(engine)
    root = Path(release_dir).resolve()
    if not root.is_dir():
        msg = f"'{root}' is not a folder; pass the folder that `microe build --out` wrote."
        raise ValidationError(msg)
    if not any((root / name).exists() for name in RELEASE_MARKERS):
        msg = (f"'{root}' is not a release folder: it has none of {', '.join(RELEASE_MARKERS)}; "
               "pass the folder that `microe build --out` wrote.")
        raise ValidationError(msg)
    names = checks or list(CHECKS)
    data = [root / "microe.csv", *(root / "data").glob("*.parquet")]
    big = engine == "local" and sum(path.stat().st_size for path in data if path.is_file()) >= SIDE_PROCESS_BYTES
    side = [name for name in names if name in SIDE_CHECKS] if big else []
    decoders = max(1, default_workers() - len(side) - 1) if big and set(names) & set(NEEDS_IMAGES) else 0
    report = ValidationReport(release=str(root))
    found: dict[str, _Found] = {}
    # the pool before anything else, so that it may fork (see workers.start_method)
    with (worker_pool(min(len(side), default_workers()) + decoders or 1) as pool,
          progress_bar(total=len(names), desc="validate", unit="check", enabled=progress) as bar):
        futures = {name: pool.submit(_run_check, root, name) for name in side} if pool else {}
        release = LoadedRelease(root, report, engine=engine, ray_address=ray_address)
        order = names
        if pool is not None and decoders:
            release.decode_in(pool)  # the images decode in worker processes while the checks run here
            order = sorted(names, key=lambda name: NEEDS_IMAGES.index(name) + 1 if name in NEEDS_IMAGES else 0)
        for name in [name for name in order if name not in futures] + list(futures):
            bar.set_postfix_str(name)
            found[name] = futures[name].result() if name in futures else _run_here(release, name)
            bar.update(1)
    # a side process reads the files again, so a file-level finding (invalid JSON) may come twice
    report.issues = list(dict.fromkeys(issue for name in names for issue in found[name][0]))
    for name in names:
        report.stats.update(found[name][1])
    report.checks = list(names)
    report.fair = assess_fair(release)
    report.stats["images"] = len(release.rows.ids)
    report.stats["seconds"] = {name: found[name][2] for name in names}
    logger.info("validated %s: %d issues", root, len(report.issues))
    return report


def _run_here(release: LoadedRelease, name: str) -> _Found:
    """Run one check on ``release``; returns its issues, the stats it set and its seconds."""
    report = release.report
    before, stats_before = len(report.issues), dict(report.stats)
    started = time.perf_counter()
    CHECKS[name](release)
    seconds = round(time.perf_counter() - started, 3)
    stats = {k: v for k, v in report.stats.items() if k not in stats_before or stats_before[k] != v}
    return report.issues[before:], stats, seconds


def _run_check(root: Path, name: str) -> _Found:
    """Worker process body: one check on its own view of the release."""
    return _run_here(LoadedRelease(root, ValidationReport(release=str(root))), name)


__all__ = ["CHECKS", "Issue", "Severity", "ValidationReport", "validate_release"]
