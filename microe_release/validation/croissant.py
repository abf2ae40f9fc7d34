"""``croissant.json``: mlcroissant validates it and its records load, as many as the parquet rows."""

from __future__ import annotations

import logging

from .loaded import LoadedRelease

REBUILD = "rebuild the release with `microe build`."


def check_croissant(release: LoadedRelease) -> None:
    """Load the JSON-LD with mlcroissant, report its issues, count the ``examples`` records."""
    report = release.report
    if release.json("croissant.json") is None:
        return
    import mlcroissant as mlc

    logging.getLogger("absl").setLevel(logging.ERROR)
    try:
        dataset = mlc.Dataset(jsonld=str(release.root / "croissant.json"))
    except mlc.ValidationError as err:
        for line in str(err).splitlines():
            if line.strip().startswith("-"):
                report.error("croissant", "croissant.json", f"mlcroissant: {line.strip(' -')}", REBUILD)
        if not any(i.code == "croissant" for i in report.issues):
            report.error("croissant", "croissant.json", f"mlcroissant: {err}", REBUILD)
        return
    except Exception as err:  # noqa: BLE001 - any loader failure is a finding
        report.error("croissant", "croissant.json", f"mlcroissant cannot load it: {type(err).__name__}: {err}", REBUILD)
        return
    for warning in sorted(dataset.metadata.ctx.issues.warnings):
        report.warning("croissant", "croissant.json", f"mlcroissant: {warning}", REBUILD)
    try:
        count = sum(1 for _ in dataset.records(record_set="examples"))
    except Exception as err:  # noqa: BLE001
        report.error("croissant-records", "croissant.json > recordSet > examples",
                     f"mlcroissant cannot read the records: {type(err).__name__}: {err}", REBUILD)
        return
    if count != len(release.rows.ids):
        report.error("croissant-records", "croissant.json > recordSet > examples",
                     f"mlcroissant yields {count} records, the parquet shards hold {len(release.rows.ids)}.", REBUILD)
    report.stats["croissant_records"] = count
