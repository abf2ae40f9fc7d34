"""``metadata/relabels.csv`` (``id,new_label,reason,date``): labels a maintainer reviewed, changed where wrong."""

from __future__ import annotations

import csv
import logging
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .labels import CLASS_NAMES
from .records import ImageRecord

_ID_RE = re.compile(r"^[0-9a-f]{16}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

logger = logging.getLogger(__name__)


def load_relabels(path: Path | None, *, required: bool = False) -> dict[str, dict[str, str]]:
    """``id -> {"new_label", "reason", "date", "line"}``; a missing file means none, unless the user named it."""
    if path is None or (not required and not path.exists()):
        return {}
    if not path.is_file():
        msg = (f"relabels file '{path}' does not exist; fix the path in [release] relabels, or write an empty one "
               "with the header id,new_label,reason,date.")
        raise ConfigError(msg, path=path, field="release.relabels")
    out: dict[str, dict[str, str]] = {}
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"id", "new_label", "reason", "date"} <= set(reader.fieldnames):
                msg = f"relabels file '{path}' must start with the header id,new_label,reason,date, got {reader.fieldnames}."
                raise ConfigError(msg, path=path)
            for row in reader:
                image_id, label, reason, date = ((row.get(k) or "").strip() for k in ("id", "new_label", "reason", "date"))
                where = f"relabels file '{path}' line {reader.line_num}"
                if not _ID_RE.match(image_id) or not reason or not _DATE_RE.match(date):
                    msg = (f"{where}: expected a 16-hex-digit image id, a new label, a reason and a YYYY-MM-DD date, "
                           f"got '{image_id}', '{label}', '{reason}', '{date}'.")
                    raise ConfigError(msg, path=path)
                if label not in CLASS_NAMES:
                    msg = f"{where}: new_label '{label}' is not a class; use one of {', '.join(CLASS_NAMES)}."
                    raise ConfigError(msg, path=path)
                if image_id in out:
                    msg = f"{where}: id {image_id} is already relabelled on line {out[image_id]['line']}; keep one line."
                    raise ConfigError(msg, path=path)
                out[image_id] = {"new_label": label, "reason": reason, "date": date, "line": str(reader.line_num)}
    except UnicodeDecodeError as err:
        msg = f"relabels file '{path}' is not UTF-8 text (byte {err.start}); save it as UTF-8 CSV."
        raise ConfigError(msg, path=path) from err
    except csv.Error as err:
        msg = f"relabels file '{path}' is not valid CSV: {err}."
        raise ConfigError(msg, path=path) from err
    return out


def apply_relabels(records: list[ImageRecord], relabels: dict[str, dict[str, str]]
                   ) -> tuple[list[ImageRecord], list[dict[str, Any]]]:
    """Give each reviewed image its new label (every copy of it: the id is its content); returns (records, review
    entries ``{id, old, new, reason, date}`` for manifest.json, diff and CHANGELOG; ``old == new``: reviewed, kept)."""
    found: dict[str, dict[str, Any]] = {}
    out = []
    for record in records:
        entry = relabels.get(record.id)
        if entry is None:
            out.append(record)
            continue
        found.setdefault(record.id, {"id": record.id, "old": record.label, "new": entry["new_label"],
                                     "reason": entry["reason"], "date": entry["date"]})
        out.append(replace(record, label=entry["new_label"]))  # type: ignore[arg-type]  # checked: a class
    for image_id in sorted(set(relabels) - set(found)):
        logger.warning("relabels line %s: id %s matches no image of this build (removed, or a typo?)",
                       relabels[image_id]["line"], image_id)
    return out, [found[i] for i in sorted(found)]
