"""Shared benchmark helpers: generated source trees and a timer."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from PIL import Image

from microe_release.labels import CLASS_NAMES
from microe_release.synthetic import plan_faces, render_face

#: Side of the generated source photos: the size of most of the real muxspace sample (350x350 JPEG).
PHOTO_SIZE = 350


def _write_face(args: tuple[Path, int, str, int]) -> None:
    root, number, label, side = args
    img = Image.fromarray(render_face(4321, number, label), "L").resize((side, side))
    img.convert("RGB").save(root / label / f"face_{number:06d}.jpg", quality=90)


def make_image_folder(root: Path, count: int, side: int = PHOTO_SIZE) -> list[Path]:
    """An image-folder source of ``count`` RGB JPEG faces ``side`` px square (made once, reused)."""
    marker = root / f".complete-{count}"
    if not marker.exists():
        for label in CLASS_NAMES:
            (root / label).mkdir(parents=True, exist_ok=True)
        jobs = [(root, n, label, side) for n, (label, _) in enumerate(plan_faces(count, 4321))]
        with ProcessPoolExecutor(os.cpu_count()) as pool:
            list(pool.map(_write_face, jobs, chunksize=64))
        marker.write_text("ok")
    return sorted(root.rglob("*.jpg"))


def timed(func: Callable[[], Any], repeat: int = 1) -> float:
    """Best wall time of ``repeat`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - started)
    return best
