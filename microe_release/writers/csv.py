"""``microe.csv``: FER2013-style, one row per image, readable with ``pandas.read_csv``."""

from __future__ import annotations

import csv
import io
from functools import cache
from pathlib import Path

from ..records import Manifest
from ..store import ImageStore

#: Columns, in order: FER2013's emotion + pixels, plus the release's own identifiers.
CSV_COLUMNS = ("index", "id", "label", "emotion", "pixels", "split", "source", "license")

#: Rows joined per write.
CHUNK = 1024


@cache
def _field(value: str) -> bytes:
    """One free-text CSV field (source, licence), quoted only where RFC 4180 needs it."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([value])
    return buf.getvalue().encode("utf-8")


def write_csv(manifest: Manifest, out_dir: Path, store: ImageStore) -> list[Path]:
    """Write ``microe.csv`` in index order (RFC 4180, ``\\n`` line ends); returns the file written.

    The pixel text (digits and single spaces, never quoted) was made by the processing workers and
    waits in the image store; only the free-text fields go through the csv module's quoting.
    """
    label_ids = {name: i for i, name in enumerate(manifest.class_names)}
    path = out_dir / "microe.csv"
    with open(path, "wb") as handle:
        handle.write(",".join(CSV_COLUMNS).encode() + b"\n")
        for start in range(0, len(manifest.records), CHUNK):
            handle.write(b"".join(
                b"%d,%s,%s,%d,%s,%s,%s,%s\n" % (r.index, r.id.encode(), r.label.encode(), label_ids[r.label],
                                                 store.text(r.id), str(r.split).encode(), _field(r.source),
                                                 _field(r.license))
                for r in manifest.records[start:start + CHUNK]))
    return [path]
