"""``metadata/exclusions.csv`` (``id,reason,date``): images removed on request, e.g. a takedown."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from .errors import ConfigError
from .records import ImageRecord, SkippedItem, SkipReason

_ID_RE = re.compile(r"^[0-9a-f]{16}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def load_exclusions(path: Path | None) -> dict[str, dict[str, str]]:
    """``id -> {"reason", "date"}``; an absent file means no exclusion.

    Raises
    ------
    ConfigError
        On a malformed row, naming the line.
    """
    if path is None or not path.is_file():
        return {}
    out: dict[str, dict[str, str]] = {}
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"id", "reason", "date"} <= set(reader.fieldnames):
            msg = f"'{path}' must have the header id,reason,date, got {reader.fieldnames}."
            raise ConfigError(msg, path=path)
        for row in reader:
            image_id, reason, date = (row.get(k, "").strip() for k in ("id", "reason", "date"))
            if not _ID_RE.match(image_id) or not reason or not _DATE_RE.match(date):
                msg = (f"'{path}' line {reader.line_num}: expected a 16-hex-digit image id, a reason and a "
                       f"YYYY-MM-DD date, got '{image_id}', '{reason}', '{date}'.")
                raise ConfigError(msg, path=path)
            out[image_id] = {"reason": reason, "date": date}
    return out


def apply_exclusions(
    records: list[ImageRecord], exclusions: dict[str, dict[str, str]]
) -> tuple[list[ImageRecord], list[SkippedItem], list[dict[str, str]]]:
    """Drop excluded images; returns (kept, skipped items, excluded entries for build-report.json)."""
    kept, skipped, excluded = [], [], []
    for record in records:
        entry = exclusions.get(record.id)
        if entry is None:
            kept.append(record)
            continue
        skipped.append(SkippedItem(source=record.source, source_ref=record.source_ref,
                                   reason=SkipReason.EXCLUDED_ON_REQUEST,
                                   detail=f"id {record.id}: {entry['reason']} ({entry['date']})"))
        excluded.append({"id": record.id, "reason": entry["reason"], "date": entry["date"],
                         "source": record.source, "source_ref": record.source_ref})
    return kept, skipped, excluded
