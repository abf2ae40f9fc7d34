"""``images/{split}/{label}/{id}.png``: the ImageFolder layout (with ``--images``)."""

from __future__ import annotations

from pathlib import Path

from ..records import Manifest


def write_images(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Write each processed PNG as its own file; returns the files written."""
    written = []
    for split in manifest.split_names:
        for label in manifest.class_names:
            (out_dir / "images" / split / label).mkdir(parents=True, exist_ok=True)
    for record, png in manifest.iter_png(manifest.records):
        path = out_dir / "images" / record.split / record.label / f"{record.id}.png"
        path.write_bytes(png)
        written.append(path)
    return written
