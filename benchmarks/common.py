"""Shared benchmark helpers: generated source trees and a timer."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from PIL import Image

from microe_release.labels import CLASS_NAMES, FERPLUS_COLUMNS
from microe_release.synthetic import plan_faces, render_face

#: Side of the generated source photos: the size of most of the real muxspace sample (350x350 JPEG).
PHOTO_SIZE = 350


def _write_face(args: tuple[Path, int, str, int]) -> None:
    root, number, label, side = args
    img = Image.fromarray(render_face(4321, number, label), "L").resize((side, side))
    img.convert("RGB").save(root / label / f"face_{number:06d}.jpg", quality=90)


def make_image_folder(root: Path, count: int, side: int = PHOTO_SIZE) -> list[Path]:
    """An image-folder source of ``count`` RGB JPEG faces ``side`` px square (made once, reused)."""
    marker = root.with_name(f"{root.name}.complete-{count}")  # beside the source: a build reports hidden files
    if not marker.exists():
        for label in CLASS_NAMES:
            (root / label).mkdir(parents=True, exist_ok=True)
        jobs = [(root, n, label, side) for n, (label, _) in enumerate(plan_faces(count, 4321))]
        with ProcessPoolExecutor(os.cpu_count()) as pool:
            list(pool.map(_write_face, jobs, chunksize=64))
        marker.write_text("ok")
    return sorted(root.rglob("*.jpg"))


#: FER+ vote column that wins for each class (the class names of the release -> FER+'s words).
_FERPLUS_WORD = {"angry": "anger", "contempt": "contempt", "disgust": "disgust", "fear": "fear", "happy": "happiness",
                 "neutral": "neutral", "sad": "sadness", "surprised": "surprise"}

#: FER+ folders and the share of the images in each (FER2013's Training / PublicTest / PrivateTest).
_FERPLUS_FOLDERS = (("FER2013Train", 0.8), ("FER2013Valid", 0.1), ("FER2013Test", 0.1))


def _write_small_face(args: tuple[Path, int, str]) -> None:
    path, number, label = args
    Image.fromarray(render_face(4321, number, label), "L").resize((48, 48)).save(path)


def make_ferplus_folder(root: Path, count: int) -> list[Path]:
    """A FER+ layout of ``count`` 48x48 gray PNG faces: ``FER2013{Train,Valid,Test}/`` + ``label.csv``.

    Each row has ten votes, 8 of them for the face's class (made once, reused).
    """
    marker = root.with_name(f"{root.name}.complete-{count}")  # beside the source: a build reports hidden files
    plan = plan_faces(count, 4321)
    jobs, start = [], 0
    for folder, share in _FERPLUS_FOLDERS:
        end = count if folder == "FER2013Test" else start + int(count * share)
        (root / folder).mkdir(parents=True, exist_ok=True)
        lines = []
        for number in range(start, end):
            label = plan[number][0]
            votes = [8 if word == _FERPLUS_WORD[label] else 0 for word in FERPLUS_COLUMNS]
            votes[FERPLUS_COLUMNS.index("unknown")] = 2
            name = f"fer{number:07d}.png"
            lines.append(f'{name},"(0, 0, 48, 48)",' + ",".join(map(str, votes)))
            jobs.append((root / folder / name, number, label))
        if not marker.exists():
            (root / folder / "label.csv").write_text("\n".join(lines) + "\n")
        start = end
    if not marker.exists():
        with ProcessPoolExecutor(os.cpu_count()) as pool:
            list(pool.map(_write_small_face, jobs, chunksize=256))
        marker.write_text("ok")
    return [job[0] for job in jobs]


def timed(func: Callable[[], Any], repeat: int = 1) -> float:
    """Best wall time of ``repeat`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - started)
    return best
