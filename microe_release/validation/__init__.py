"""``microe validate``: check every file of a release, offline, and collect every problem."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from ..distributed import check_engine
from ..errors import ValidationError
from .citation import check_agreement, check_citation_files
from .croissant import check_croissant
from .data import check_load_dataset, check_parquet
from .fair import assess_fair
from .files import check_checksums
from .leakage import check_leakage
from .loaded import LoadedRelease
from .report import Issue, Severity, ValidationReport
from .tabular import check_csv_matches_parquet, check_datapackage

logger = logging.getLogger(__name__)

#: Every check by name, in the order they run.
CHECKS: dict[str, Callable[[LoadedRelease], None]] = {
    "checksums": check_checksums,
    "parquet": check_parquet,
    "load_dataset": check_load_dataset,
    "datapackage": check_datapackage,
    "csv": check_csv_matches_parquet,
    "croissant": check_croissant,
    "citation": check_citation_files,
    "agreement": check_agreement,
    "leakage": check_leakage,
}


def validate_release(release_dir: str | Path, *, checks: list[str] | None = None, engine: str = "local",
                     ray_address: str | None = None) -> ValidationReport:
    """Run every check on a release folder and return the report (never raises for findings).

    Parameters
    ----------
    release_dir : str or Path
        A folder written by ``microe build``.
    checks : list of str, optional
        Names from :data:`CHECKS` to run (default: all).
    engine : {"local", "ray"}
        Where the per-image facts (decode, content id, pHash, pixel text) are computed: this process,
        or Ray Data tasks (a local Ray, or the cluster at ``ray_address``).
    ray_address : str, optional
        A Ray cluster to join with ``engine="ray"``.

    Raises
    ------
    ValidationError
        When ``release_dir`` is not a folder.
    """
    check_engine(engine)
    root = Path(release_dir).resolve()
    if not root.is_dir():
        msg = f"'{root}' is not a folder; pass the folder that `microe build --out` wrote."
        raise ValidationError(msg)
    report = ValidationReport(release=str(root))
    release = LoadedRelease(root, report, engine=engine, ray_address=ray_address)
    timings = {}
    for name in checks or list(CHECKS):
        started = time.perf_counter()
        CHECKS[name](release)
        timings[name] = round(time.perf_counter() - started, 3)
        report.checks.append(name)
    report.fair = assess_fair(release)
    report.stats["images"] = len(release.rows.ids)
    report.stats["seconds"] = timings
    logger.info("validated %s: %d issues", root, len(report.issues))
    return report


__all__ = ["CHECKS", "Issue", "Severity", "ValidationReport", "validate_release"]
