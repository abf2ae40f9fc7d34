"""A release decoded once into uint8 tensors, and its train/validation/test parts."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import TrainingError
from ..labels import CLASS_NAMES
from ..shards import decode_gray, read_shards


@dataclass
class ReleaseTensors:
    """Images ``(N, 1, H, W)`` uint8 and labels ``(N,)`` int64 of each part, plus where they came from."""

    parts: dict[str, tuple[Any, Any]]  # name -> (images, labels)
    votes: dict[str, Any]  # name -> annotators' votes (N, classes) int64, a row of zeros where an image has none
    name: str
    version: str
    content_hash: str
    carved_validation: bool


def carve_validation(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified, seeded split of positions into (keep, carved); ``fraction`` of each class is carved."""
    rng = np.random.default_rng(seed)
    keep, carved = [], []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        rng.shuffle(members)
        n = int(round(len(members) * fraction))
        carved.append(members[:n])
        keep.append(members[n:])
    return np.sort(np.concatenate(keep)), np.sort(np.concatenate(carved))


#: Fewest classes a training split needs: with one there is nothing to tell apart.
MIN_CLASSES = 2


def check_release_trainable(release_dir: str | Path) -> dict[str, np.ndarray]:
    """Labels of each split, read without decoding an image; a TrainingError for a release that cannot be trained."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = Path(release_dir)
    shards = sorted((root / "data").glob("*.parquet"))
    if not shards:
        msg = f"'{root}' has no data/*.parquet; pass a release folder written by `microe build`."
        raise TrainingError(msg)
    columns: dict[str, list[int]] = {}
    for path in shards:
        try:
            column = pq.read_table(path, columns=["label"]).column("label").to_pylist()
        except (pa.ArrowException, OSError) as err:
            msg = (f"cannot read the labels of '{path}': {err}; rebuild the release with `microe build` "
                   "or check it with `microe validate`.")
            raise TrainingError(msg) from err
        columns.setdefault(path.name.split("-", 1)[0], []).extend(column)
    labels = {split: np.asarray(values, dtype=np.int64) for split, values in columns.items()}
    for split in ("train", "test"):
        if not len(labels.get(split, ())):
            found = ", ".join(f"{s} {len(values)}" for s, values in sorted(labels.items())) or "none"
            msg = (f"release '{root}' cannot be trained: its {split} split is empty or missing "
                   f"(images per split: {found}); rebuild it with `microe build` from sources that give "
                   "both train and test images.")
            raise TrainingError(msg)
    every = np.concatenate(list(labels.values()))
    if every.min() < 0 or every.max() >= len(CLASS_NAMES):
        bad = int(every[(every < 0) | (every >= len(CLASS_NAMES))][0])
        msg = (f"release '{root}' has label '{bad}' outside the {len(CLASS_NAMES)} classes; "
               "check it with `microe validate` and rebuild it with `microe build`.")
        raise TrainingError(msg)
    if len(np.unique(labels["train"])) < MIN_CLASSES:
        where = "the whole release has" if len(np.unique(every)) < MIN_CLASSES else "its training split has"
        counts = np.bincount(labels["train"], minlength=len(CLASS_NAMES))
        names = ", ".join(f"'{CLASS_NAMES[i]}' {counts[i]}" for i in np.flatnonzero(counts))
        msg = (f"release '{root}' cannot be trained: {where} only one class ({names} "
               f"images in train), expected at least {MIN_CLASSES}; rebuild it with `microe build` from "
               "sources with images of several classes in train.")
        raise TrainingError(msg)
    return labels


def load_release_tensors(release_dir: str | Path, *, seed: int = 0) -> ReleaseTensors:
    """Every image of a release decoded once into memory (41,000 x 48 x 48 is 94 MB).

    A release with only train and test gets a seeded, stratified validation part carved out of train:
    an eighth of it, so that train/test/validation are 70/20/10 of the whole as in the paper.
    """
    import torch

    root = Path(release_dir)
    labels = check_release_trainable(root)
    table = read_shards(root, ["image", "votes"])
    split_of = np.asarray(table.column("split").to_pylist())
    every = decode_gray(table)[:, None]
    no_votes = [0] * len(CLASS_NAMES)
    all_votes = np.asarray([v or no_votes for v in table.column("votes").to_pylist()], dtype=np.int64)
    all_votes = all_votes.reshape(-1, len(CLASS_NAMES))
    arrays = {s: (every[split_of == s], labels[s]) for s in labels}
    counts = {s: all_votes[split_of == s] for s in labels}
    carved = "validation" not in arrays
    if carved:
        x, y = arrays["train"]
        keep, cut = carve_validation(y, 1 / 8, seed)
        arrays["validation"] = (x[cut], y[cut])
        arrays["train"] = (x[keep], y[keep])
        counts["validation"], counts["train"] = counts["train"][cut], counts["train"][keep]
    report = json.loads((root / "build-report.json").read_text()) if (root / "build-report.json").is_file() else {}
    sums = root / "SHA256SUMS"  # its digest is the release's content hash
    digest = hashlib.sha256(sums.read_bytes()).hexdigest() if sums.is_file() else ""
    parts = {s: (torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y)) for s, (x, y) in arrays.items()}
    return ReleaseTensors(parts=parts, votes={s: torch.from_numpy(v) for s, v in counts.items()},
                          name=str(report.get("name", root.name)), version=str(report.get("version", "")),
                          content_hash=f"sha256:{digest}", carved_validation=carved)
