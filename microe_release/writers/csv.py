"""``microe.csv``: FER2013-style, one row per image, readable with ``pandas.read_csv``."""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

from ..records import Manifest

#: Columns, in order: FER2013's emotion + pixels, plus the release's own identifiers.
CSV_COLUMNS = ("index", "id", "label", "emotion", "pixels", "split", "source", "license")

#: Images turned into text per vectorised step (about 10 MB of tokens).
CHUNK = 1024

# Each gray value as a 4-byte token ("7 \0\0", "42 \0", "255 "): a lookup plus one boolean mask
# turns a batch of images into space-separated text without a Python loop over pixels.
_TOKENS = np.zeros((256, 4), dtype=np.uint8)
for _value in range(256):
    _text = f"{_value} ".encode()
    _TOKENS[_value, : len(_text)] = np.frombuffer(_text, dtype=np.uint8)


def pixel_rows(images: np.ndarray) -> list[bytes]:
    """Space-separated, row-major gray values of each image in a ``(n, h, w)`` uint8 batch."""
    count = images.shape[0]
    flat = _TOKENS[images.reshape(count, -1)].reshape(count, -1)
    keep = flat != 0
    ends = np.cumsum(keep.sum(axis=1))
    starts = np.concatenate(([0], ends[:-1]))
    compact = flat[keep]
    return [compact[s:e - 1].tobytes() for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]


def pixels_to_text(pixels: np.ndarray) -> str:
    """Row-major, space-separated gray values of one image.

    Examples
    --------
    >>> pixels_to_text(np.array([[0, 7], [42, 255]], dtype=np.uint8))
    '0 7 42 255'
    """
    return pixel_rows(pixels[None])[0].decode("ascii")


@lru_cache(maxsize=4096)
def _field(value: str) -> bytes:
    """One CSV field, quoted only where RFC 4180 needs it (free-text licences and names)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([value])
    return buf.getvalue().encode("utf-8")


def write_csv(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Write ``microe.csv`` in index order; returns the file written."""
    path = out_dir / "microe.csv"
    label_ids = {name: i for i, name in enumerate(manifest.class_names)}
    with open(path, "wb") as handle:
        handle.write(",".join(CSV_COLUMNS).encode() + b"\n")
        for start in range(0, len(manifest.records), CHUNK):
            pairs = list(manifest.iter_png(manifest.records[start:start + CHUNK]))
            images = np.stack([np.asarray(Image.open(io.BytesIO(png)), dtype=np.uint8) for _, png in pairs])
            lines = [
                b"%d,%s,%s,%d,%s,%s,%s,%s\n" % (
                    r.index, r.id.encode(), r.label.encode(), label_ids[r.label], text, r.split.encode(),
                    _field(r.source), _field(r.license))
                for (r, _), text in zip(pairs, pixel_rows(images), strict=True)
            ]
            handle.write(b"".join(lines))
    return [path]
