"""``images/{split}/{label}/{id}.png``: the ImageFolder layout (with ``--images``)."""

from __future__ import annotations

from pathlib import Path

from ..records import Manifest
from ..store import ImageStore


def write_images(manifest: Manifest, out_dir: Path, store: ImageStore) -> list[Path]:
    """Write each processed PNG as its own file; returns the files written."""
    written = []
    for split in manifest.split_names:
        for label in manifest.class_names:
            (out_dir / "images" / split / label).mkdir(parents=True, exist_ok=True)
    for record in manifest.records:
        path = out_dir / "images" / str(record.split) / record.label / f"{record.id}.png"
        path.write_bytes(store.png(record.id))
        written.append(path)
    return written
