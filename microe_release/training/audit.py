"""``microe audit``: out-of-fold class probabilities from the reference model, label issues from cleanlab."""

from __future__ import annotations

import csv
import io
import logging
import os
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import TrainingError
from ..labels import CLASS_NAMES
from ..shards import decode_gray, read_shards
from ..writers import WRITERS
from ..writers.license import write_checksums
from ..writers.manifest import read_manifest
from .data import carve_validation
from .loop import AUDIT_EPOCHS, AUDIT_FOLDS, BASE_BATCH, TrainConfig, evaluate, fit

logger = logging.getLogger(__name__)

#: The release file the audit writes, and its columns.
AUDIT_FILE = "label-issues.csv"
AUDIT_COLUMNS = ("id", "split", "source", "given_label", "suggested_label", "label_quality", "is_issue")

#: Fewest optimiser steps an epoch should have, and the smallest batch used to get them.
MIN_STEPS, MIN_BATCH = 25, 16

#: The defaults (docs/audit.md).
FOLDS, EPOCHS = AUDIT_FOLDS, AUDIT_EPOCHS

#: What the card and manifest.json say about how the issues were found.
METHOD = ("cleanlab confident learning (filter.find_label_issues, prune_by_noise_rate; label quality: "
          "rank.get_label_quality_scores, self_confidence) on out-of-fold class probabilities")


def _import_cleanlab() -> Any:
    try:
        import cleanlab.filter
        import cleanlab.rank
    except ImportError as err:
        msg = (f"microe audit needs cleanlab and PyTorch: pip install 'microe-release[train]' (on a CPU-only machine "
               f"install torch==2.13.0 first); here '{err.name}' cannot be imported.")
        raise TrainingError(msg) from err
    return cleanlab


def _read_release(root: Path) -> dict[str, Any]:
    """Every image of every split, in index order, with its label, id, split, source and group."""
    manifest = read_manifest(root)
    group = {r.id: r.group for r in manifest.records}
    table = read_shards(root, ["image", "label", "id", "index", "source"])
    if not table.num_rows:
        msg = f"'{root}' has no images in data/*.parquet; audit a release folder written by `microe build`."
        raise TrainingError(msg)
    table = table.take(np.argsort(table.column("index").to_numpy(), kind="stable"))
    ids = table.column("id").to_pylist()
    return {"manifest": manifest, "ids": ids, "splits": table.column("split").to_pylist(),
            "sources": table.column("source").to_pylist(),
            "labels": np.asarray(table.column("label").to_pylist(), dtype=np.int64),
            "groups": np.array([group.get(image_id, -1 - i) for i, image_id in enumerate(ids)]),
            "images": decode_gray(table)[:, None]}


def assign_folds(labels: np.ndarray, groups: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Fold of each image: stratified by label, near-duplicates and subjects kept in one fold, seeded."""
    from sklearn.model_selection import StratifiedGroupKFold

    present = np.bincount(labels, minlength=len(CLASS_NAMES))
    if folds < 2 or present.max() < folds:
        msg = (f"--folds {folds} needs at least 2 folds and a class with {folds} images or more (the largest class "
               f"has {present.max()}); lower --folds.")
        raise TrainingError(msg)
    fold_of = np.empty(len(labels), dtype=np.int64)
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for k, (_, held) in enumerate(splitter.split(np.zeros(len(labels)), labels, groups)):
        fold_of[held] = k
    return fold_of


def audit_batch_size(images: int) -> int:
    """``microe train``'s batch of 128, smaller on a small release so that an epoch is at least
    :data:`MIN_STEPS` optimiser steps (a few dozen steps in all teach the model nothing)."""
    batch = BASE_BATCH
    while batch > MIN_BATCH and images // batch < MIN_STEPS:
        batch //= 2
    return batch


def out_of_fold_probabilities(images: np.ndarray, labels: np.ndarray, fold_of: np.ndarray, *, epochs: int, seed: int,
                              device: str, progress: bool = False) -> tuple[np.ndarray, dict[str, Any]]:
    """Class probabilities of every image from a model that never saw it (one reference model per fold)."""
    import torch

    from ..progress import progress_bar

    x, y = torch.from_numpy(np.ascontiguousarray(images)), torch.from_numpy(labels)
    probs = np.zeros((len(labels), len(CLASS_NAMES)), dtype=np.float64)
    folds = int(fold_of.max()) + 1
    hardware: dict[str, Any] = {}
    with progress_bar(range(folds), desc="audit folds", unit="fold", enabled=progress) as bar:
        for k in bar:
            trained = np.flatnonzero(fold_of != k)
            keep, carved = carve_validation(labels[trained], 1 / 8, seed + k)
            parts = {"train": (x[trained[keep]], y[trained[keep]]), "validation": (x[trained[carved]], y[trained[carved]])}
            config = TrainConfig(epochs=epochs, seed=seed + k, device=device, adjust_logits=False,
                                 batch_size=audit_batch_size(len(keep)))
            model, facts = fit(parts, config, num_classes=len(CLASS_NAMES), progress=progress)
            held = np.flatnonzero(fold_of == k)
            _, p = evaluate(model, x[held], y[held], mean=facts.mean, std=facts.std, side=facts.input_size,
                            device=torch.device(facts.device), precision=facts.precision, tta=True)
            probs[held] = p.float().cpu().numpy()
            hardware = {"device": facts.device, "precision": facts.precision, "torch": torch.__version__}
            logger.info("fold %d/%d: out-of-fold accuracy %.3f", k + 1, folds,
                        float((probs[held].argmax(1) == labels[held]).mean()))
    return probs, hardware


def find_issues(labels: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cleanlab's label issues and label quality scores, over the classes the release has."""
    cleanlab = _import_cleanlab()
    present = np.flatnonzero(np.bincount(labels, minlength=probs.shape[1]))  # cleanlab needs every class it is given
    local = np.searchsorted(present, labels)
    sub = probs[:, present] / probs[:, present].sum(1, keepdims=True)
    issues = cleanlab.filter.find_label_issues(local, sub, filter_by="prune_by_noise_rate", n_jobs=1)
    scores = cleanlab.rank.get_label_quality_scores(local, sub, method="self_confidence")
    return np.asarray(issues, dtype=bool), np.clip(np.asarray(scores, dtype=np.float64), 0.0, 1.0)


def audit_release(release_dir: str | Path, *, folds: int = FOLDS, epochs: int = EPOCHS, seed: int = 0,
                  device: str = "auto", out: str | Path | None = None, progress: bool = False) -> dict[str, Any]:
    """Find the images whose label is probably wrong.

    Parameters
    ----------
    release_dir : str or Path
        A release folder (``microe build``).
    folds, epochs : int
        Cross-validation folds (stratified, near-duplicates and subjects kept together) and epochs per fold.
    seed : int
        Seeds the folds and each fold's model: the same seed, release and hardware give the same file.
    device : {"auto", "cpu", "cuda"}
        Where the models train.
    out : str or Path, optional
        Write ``label-issues.csv`` there and leave the release as it is. By default it becomes a file
        of the release: listed in SHA256SUMS, datapackage.json and croissant.json, described in the card.

    Returns
    -------
    dict
        The audit summary (saved as ``audit`` in manifest.json): counts per class and source, folds, model.

    Raises
    ------
    TrainingError
        Without the ``train`` extra, with too few images for ``folds``, or a release that cannot be read.
    """
    _import_cleanlab()
    root = Path(release_dir)
    if out is None and (root / "publish-state.json").is_file():
        msg = (f"'{root}' is published, or being published (publish-state.json): a published version never "
               "changes. Audit it with --out FILE, or build the next version and audit that.")
        raise TrainingError(msg)
    data = _read_release(root)
    labels = data["labels"]
    fold_of = assign_folds(labels, data["groups"], folds, seed)
    probs, hardware = out_of_fold_probabilities(data["images"], labels, fold_of, epochs=epochs, seed=seed,
                                                device=device, progress=progress)
    issues, scores = find_issues(labels, probs)
    suggested = probs.argmax(1)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(AUDIT_COLUMNS)
    for i, image_id in enumerate(data["ids"]):
        writer.writerow([image_id, data["splits"][i], data["sources"][i], CLASS_NAMES[labels[i]],
                         CLASS_NAMES[suggested[i]], f"{scores[i]:.6f}", "true" if issues[i] else "false"])
    flagged = np.flatnonzero(issues)
    summary = {
        "file": AUDIT_FILE, "method": METHOD, "model": TrainConfig.arch, "folds": folds, "epochs": epochs, "seed": seed,
        "images": len(labels), "issues": len(flagged),
        "out_of_fold_accuracy": round(float((suggested == labels).mean()), 4),
        "by_class": {n: int(c) for n, c in sorted(Counter(CLASS_NAMES[labels[i]] for i in flagged).items())},
        "by_source": dict(sorted(Counter(data["sources"][i] for i in flagged).items())),
        **hardware,
    }
    target = Path(out) if out is not None else root / AUDIT_FILE
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    tmp.write_text(text.getvalue(), encoding="utf-8")
    os.replace(tmp, target)
    if out is None:  # a release file now: every record of the release says so
        manifest = replace(data["manifest"], audit=summary)
        for name in ("manifest", "card", "datapackage", "croissant"):
            WRITERS[name](manifest, root)
        write_checksums(manifest, root)
    logger.info("%d of %d labels flagged -> %s", len(flagged), len(labels), target)
    return summary
