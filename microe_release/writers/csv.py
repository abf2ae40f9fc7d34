"""``microe.csv``: FER2013-style, one row per image, readable with ``pandas.read_csv``."""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from pathlib import Path

from ..records import Manifest
from .common import HashingWriter

#: Columns, in order: FER2013's emotion + pixels, plus the release's own identifiers.
CSV_COLUMNS = ("index", "id", "label", "emotion", "pixels", "split", "source", "license")

#: Rows joined per write.
CHUNK = 1024


@lru_cache(maxsize=4096)
def _field(value: str) -> bytes:
    """One CSV field, quoted only where RFC 4180 needs it (free-text licences and names)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([value])
    return buf.getvalue().encode("utf-8")


def write_csv(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Write ``microe.csv`` in index order; returns the file written.

    The pixel text was made by the processing workers (in parallel) and waits in the spill file.
    """
    path = out_dir / "microe.csv"
    label_ids = {name: i for i, name in enumerate(manifest.class_names)}
    with HashingWriter(path) as handle:
        handle.write(",".join(CSV_COLUMNS).encode() + b"\n")
        lines: list[bytes] = []
        for r, text in manifest.iter_pixel_text(manifest.records):
            lines.append(b"%d,%s,%s,%d,%s,%s,%s,%s\n" % (
                r.index, r.id.encode(), r.label.encode(), label_ids[r.label], text, r.split.encode(),
                _field(r.source), _field(r.license)))
            if len(lines) >= CHUNK:
                handle.write(b"".join(lines))
                lines.clear()
        handle.write(b"".join(lines))
    return [path]
