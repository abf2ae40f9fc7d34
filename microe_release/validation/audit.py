"""``label-issues.csv`` (``microe audit``) against the data and what the card and manifest.json say of it."""

from __future__ import annotations

import csv
import re

from ..labels import CLASS_NAMES
from .loaded import LoadedRelease, report_listed

#: The file, its columns, and what to do when it is wrong.
AUDIT_FILE = "label-issues.csv"
COLUMNS = ["id", "split", "source", "given_label", "suggested_label", "label_quality", "is_issue"]
REAUDIT = "run `microe audit` on the release again (it rewrites the file and every record of it)."


def check_audit(release: LoadedRelease) -> None:
    """Every row names an image of the release with its own split, source and label; scores in [0, 1]; the
    number of issues is the one the card and manifest.json state; no file without a statement, and the reverse."""
    report, path = release.report, release.root / AUDIT_FILE
    stated = (release.json("manifest.json") or {}).get("audit")
    said = re.search(r"\*\*Label issues:\*\* (\d+) of (\d+) images", release.card_text or "")
    if not path.is_file():
        if stated or said:
            report.error("audit-missing", AUDIT_FILE, "the card or manifest.json describes a label audit, but "
                         f"{AUDIT_FILE} is not in the release.", REAUDIT)
        return
    rows = release.rows
    data = {image_id: (split, source, CLASS_NAMES[label] if 0 <= label < len(CLASS_NAMES) else "")
            for image_id, split, source, label in zip(rows.ids, rows.splits, rows.sources, rows.labels, strict=True)}
    problems: list[tuple[str, str]] = []
    issues, seen = 0, set()
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        if next(reader, None) != COLUMNS:
            report.error("audit-format", f"{AUDIT_FILE} > header", f"the header must be {','.join(COLUMNS)}.", REAUDIT)
            return
        for row in reader:
            where = f"{AUDIT_FILE} > line {reader.line_num}"
            if len(row) != len(COLUMNS):
                problems.append((where, f"{len(row)} fields, expected {len(COLUMNS)}"))
                continue
            image_id, split, source, given, suggested, quality, flag = row
            if image_id not in data or image_id in seen:
                problems.append((where, f"id {image_id} is {'listed twice' if image_id in seen else 'not in the data'}"))
                continue
            seen.add(image_id)
            if (split, source, given) != data[image_id]:
                problems.append((where, f"image {image_id} is ({split}, {source}, {given}) here but "
                                        f"({', '.join(map(str, data[image_id]))}) in the data"))
            if suggested not in CLASS_NAMES:
                problems.append((where, f"suggested_label '{suggested}' is not a class"))
            try:
                ok = 0.0 <= float(quality) <= 1.0
            except ValueError:
                ok = False
            if not ok:
                problems.append((where, f"label_quality '{quality}' is not a number in [0, 1]"))
            if flag not in ("true", "false"):
                problems.append((where, f"is_issue '{flag}' is not true or false"))
            issues += flag == "true"
    if len(seen) != len(data) and not any("not in the data" in p for _, p in problems):
        problems.append((AUDIT_FILE, f"{len(data) - len(seen)} images of the release have no row"))
    report_listed(report, "audit-mismatch", [(where, f"{message}.") for where, message in problems], AUDIT_FILE,
                  "more rows are wrong.", REAUDIT)
    claims = [("manifest.json > audit", (stated or {}).get("issues"), (stated or {}).get("images")),
              ("README.md > Label audit", int(said[1]) if said else None, int(said[2]) if said else None)]
    for where, count, total in claims:
        if (count, total) != (issues, len(seen)):
            report.error("count-mismatch", where, f"says {count} issues among {total} images, {AUDIT_FILE} has "
                         f"{issues} among {len(seen)}.", REAUDIT)
