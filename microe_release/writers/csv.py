"""``microe.csv``: FER2013-style, one row per image, readable with ``pandas.read_csv``."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
from PIL import Image

from ..records import Manifest

#: Columns, in order: FER2013's emotion + pixels, plus the release's own identifiers.
CSV_COLUMNS = ("index", "id", "label", "emotion", "pixels", "split", "source", "license")

# Each gray value as a 4-byte token ("7 \0\0", "42 \0", "255 "): a lookup plus one boolean mask
# turns a whole image into its space-separated text without a Python loop over pixels.
_TOKENS = np.zeros((256, 4), dtype=np.uint8)
for _value in range(256):
    _text = f"{_value} ".encode()
    _TOKENS[_value, : len(_text)] = np.frombuffer(_text, dtype=np.uint8)


def pixels_to_text(pixels: np.ndarray) -> str:
    """Row-major, space-separated gray values.

    Examples
    --------
    >>> pixels_to_text(np.array([[0, 7], [42, 255]], dtype=np.uint8))
    '0 7 42 255'
    """
    tokens = _TOKENS[pixels.ravel()].ravel()
    return tokens[tokens != 0].tobytes()[:-1].decode("ascii")


def write_csv(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Write ``microe.csv`` in index order; returns the file written."""
    path = out_dir / "microe.csv"
    label_ids = {name: i for i, name in enumerate(manifest.class_names)}
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for record, png in manifest.iter_png(manifest.records):
            pixels = np.asarray(Image.open(io.BytesIO(png)), dtype=np.uint8)
            writer.writerow((record.index, record.id, record.label, label_ids[record.label],
                             pixels_to_text(pixels), record.split, record.source, record.license))
    return [path]
