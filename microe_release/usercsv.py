"""The maintainer's own CSV files beside dataset.yaml: ``exclusions.csv`` and ``relabels.csv``."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from .errors import ConfigError

_ID_RE = re.compile(r"^[0-9a-f]{16}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def read_rows(path: Path | None, *, what: str, columns: tuple[str, ...], expect: str, required: bool,
              option: str = "") -> list[tuple[int, dict[str, str]]]:
    """``(line, {column: stripped value})`` of each row, every id 16 hex digits, every reason set, every date
    YYYY-MM-DD; a missing file means no rows, unless the user named it (``required``)."""
    if path is None or (not required and not path.exists()):
        return []
    header = ",".join(columns)
    if not path.is_file():
        msg = (f"{what} file '{path}' does not exist; fix the path in [release] {what}{option}, "
               f"or write an empty one with the header {header}.")
        raise ConfigError(msg, path=path, field=f"release.{what}")
    rows = []
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not set(columns) <= set(reader.fieldnames):
                msg = f"{what} file '{path}' must start with the header {header}, got {reader.fieldnames}."
                raise ConfigError(msg, path=path)
            for row in reader:
                values = {key: (row.get(key) or "").strip() for key in columns}
                if not _ID_RE.match(values["id"]) or not values["reason"] or not _DATE_RE.match(values["date"]):
                    got = ", ".join(f"'{values[key]}'" for key in columns)
                    msg = f"{what} file '{path}' line {reader.line_num}: expected {expect}, got {got}."
                    raise ConfigError(msg, path=path)
                rows.append((reader.line_num, values))
    except UnicodeDecodeError as err:
        msg = f"{what} file '{path}' is not UTF-8 text (byte {err.start}); save it as UTF-8 CSV."
        raise ConfigError(msg, path=path) from err
    except csv.Error as err:
        msg = f"{what} file '{path}' is not valid CSV: {err}."
        raise ConfigError(msg, path=path) from err
    return rows
