"""``microe.csv``: FER2013-style, one row per image, readable with ``pandas.read_csv``."""

from __future__ import annotations

import csv
from pathlib import Path

from ..records import Manifest
from ..store import ImageStore

#: Columns, in order: FER2013's emotion + pixels, plus the release's own identifiers.
CSV_COLUMNS = ("index", "id", "label", "emotion", "pixels", "split", "source", "license")


def write_csv(manifest: Manifest, out_dir: Path, store: ImageStore) -> list[Path]:
    """Write ``microe.csv`` in index order (RFC 4180, ``\\n`` line ends); returns the file written.

    The pixel text was made by the processing workers and waits in the image store.
    """
    label_ids = {name: i for i, name in enumerate(manifest.class_names)}
    path = out_dir / "microe.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for r in manifest.records:
            writer.writerow((r.index, r.id, r.label, label_ids[r.label], store.text(r.id).decode("ascii"),
                             r.split, r.source, r.license))
    return [path]
