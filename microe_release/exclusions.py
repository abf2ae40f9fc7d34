"""``metadata/exclusions.csv`` (``id,reason,date``): images removed on request, e.g. a takedown."""

from __future__ import annotations

import csv
import logging
import re
from pathlib import Path

from .errors import ConfigError
from .records import ImageRecord, SkippedItem, SkipReason

_ID_RE = re.compile(r"^[0-9a-f]{16}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

logger = logging.getLogger(__name__)


def load_exclusions(path: Path | None, *, required: bool = False) -> dict[str, dict[str, str]]:
    """``id -> {"reason", "date", "line"}``; a missing file means none, unless the user named it (``required``)."""
    if path is None or (not required and not path.exists()):
        return {}
    if not path.is_file():
        msg = (f"exclusions file '{path}' does not exist; fix the path in [release] exclusions (or --exclusions), "
               "or write an empty one with the header id,reason,date.")
        raise ConfigError(msg, path=path, field="release.exclusions")
    out: dict[str, dict[str, str]] = {}
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"id", "reason", "date"} <= set(reader.fieldnames):
                msg = f"exclusions file '{path}' must start with the header id,reason,date, got {reader.fieldnames}."
                raise ConfigError(msg, path=path)
            for row in reader:
                image_id, reason, date = ((row.get(k) or "").strip() for k in ("id", "reason", "date"))
                if not _ID_RE.match(image_id) or not reason or not _DATE_RE.match(date):
                    msg = (f"exclusions file '{path}' line {reader.line_num}: expected a 16-hex-digit image id, a "
                           f"reason and a YYYY-MM-DD date, got '{image_id}', '{reason}', '{date}'.")
                    raise ConfigError(msg, path=path)
                out[image_id] = {"reason": reason, "date": date, "line": str(reader.line_num)}
    except UnicodeDecodeError as err:
        msg = f"exclusions file '{path}' is not UTF-8 text (byte {err.start}); save it as UTF-8 CSV."
        raise ConfigError(msg, path=path) from err
    except csv.Error as err:
        msg = f"exclusions file '{path}' is not valid CSV: {err}."
        raise ConfigError(msg, path=path) from err
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
    for image_id in sorted(set(exclusions) - {entry["id"] for entry in excluded}):  # unmatched
        logger.warning("exclusions line %s: id %s matches no image of this build (already gone, or a typo?)",
                       exclusions[image_id].get("line", "?"), image_id)
    return kept, skipped, excluded
