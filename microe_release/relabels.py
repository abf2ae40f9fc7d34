"""``metadata/relabels.csv`` (``id,new_label,reason,date``): labels a maintainer reviewed, changed where wrong."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .labels import CLASS_NAMES
from .records import ImageRecord
from .usercsv import read_rows

logger = logging.getLogger(__name__)


def load_relabels(path: Path | None, *, required: bool = False) -> dict[str, dict[str, str]]:
    """``id -> {"new_label", "reason", "date", "line"}``; a missing file means none, unless the user named it."""
    out: dict[str, dict[str, str]] = {}
    for line, row in read_rows(path, what="relabels", columns=("id", "new_label", "reason", "date"), required=required,
                               expect="a 16-hex-digit image id, a new label, a reason and a YYYY-MM-DD date"):
        where = f"relabels file '{path}' line {line}"
        if row["new_label"] not in CLASS_NAMES:
            msg = f"{where}: new_label '{row['new_label']}' is not a class; use one of {', '.join(CLASS_NAMES)}."
            raise ConfigError(msg, path=path)
        if row["id"] in out:
            msg = f"{where}: id {row['id']} is already relabelled on line {out[row['id']]['line']}; keep one line."
            raise ConfigError(msg, path=path)
        out[row["id"]] = {"new_label": row["new_label"], "reason": row["reason"], "date": row["date"], "line": str(line)}
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
