"""Every number of the analysis report, computed from a release's own files."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ReleaseFormatError
from ..labels import CLASS_NAMES

#: Two class means closer than this share of the median pairwise distance are flagged as hard to tell apart.
CLOSE_MEANS_SHARE = 0.6


def load_images(root: Path) -> tuple[np.ndarray, np.ndarray, list[str], list[str], list[str], list[int]]:
    """All images ``(N, H, W)`` uint8 with labels, splits, sources, ids and indices, in index order."""
    import pyarrow.parquet as pq
    from PIL import Image

    shards = sorted((root / "data").glob("*.parquet"))
    if not shards:
        msg = f"'{root}' has no data/*.parquet; pass a release folder written by `microe build`."
        raise ReleaseFormatError(msg, path=root)
    images, labels, splits, sources, ids, index = [], [], [], [], [], []
    for path in shards:
        table = pq.read_table(path, columns=["image", "label", "source", "id", "index"])
        images += [np.asarray(Image.open(io.BytesIO(b))) for b in
                   table.column("image").combine_chunks().field("bytes").to_pylist()]
        labels += table.column("label").to_pylist()
        sources += table.column("source").to_pylist()
        ids += table.column("id").to_pylist()
        index += table.column("index").to_pylist()
        splits += [path.name.split("-", 1)[0]] * table.num_rows
    order = np.argsort(index)
    return (np.stack(images)[order], np.asarray(labels)[order], [splits[i] for i in order],
            [sources[i] for i in order], [ids[i] for i in order], [index[i] for i in order])


def composition(labels: np.ndarray, splits: list[str], sources: list[str], build: dict[str, Any]) -> dict[str, Any]:
    """Counts per class and split (Fig. 1) and per source, imbalance ratio, licences per source."""
    split_names = [s for s in ("train", "validation", "test") if s in set(splits)]
    per = Counter(zip(splits, labels.tolist(), strict=True))
    by_class = {c: int((labels == i).sum()) for i, c in enumerate(CLASS_NAMES)}
    present = [v for v in by_class.values() if v]
    return {
        "total": int(len(labels)),
        "by_class": by_class,
        "by_split": {s: splits.count(s) for s in split_names},
        "by_split_class": {s: {c: per.get((s, i), 0) for i, c in enumerate(CLASS_NAMES)} for s in split_names},
        "by_source": dict(sorted(Counter(sources).items())),
        "imbalance_ratio": round(max(present) / min(present), 3) if present else None,
        "licences": {s["name"]: s.get("license") for s in build.get("sources", [])},
    }


def class_means(images: np.ndarray, labels: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Mean image per class and how far apart the means are (root-mean-square gray-level distance)."""
    means = {c: images[labels == i].astype(np.float64).mean(axis=0) for i, c in enumerate(CLASS_NAMES)
             if (labels == i).any()}
    names = list(means)
    distance = {a: {b: float(np.sqrt(((means[a] - means[b]) ** 2).mean())) for b in names} for a in names}
    pairs = [(distance[a][b], a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    median = float(np.median([d for d, _, _ in pairs])) if pairs else 0.0
    close = [{"classes": [a, b], "distance": round(d, 3)} for d, a, b in sorted(pairs) if d < CLOSE_MEANS_SHARE * median]
    return means, {"distance": {a: {b: round(v, 3) for b, v in row.items()} for a, row in distance.items()},
                   "median_distance": round(median, 3), "hard_to_tell_apart": close,
                   "threshold": f"distance under {CLOSE_MEANS_SHARE} x the median pairwise distance"}


def intensity(images: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Pixel histograms per class, and the spread of brightness (mean) and contrast (std) per image."""
    flat = images.reshape(len(images), -1)
    brightness = flat.mean(axis=1)
    contrast = flat.std(axis=1)
    out: dict[str, Any] = {"histogram_bins": 256, "per_class": {}}
    for i, c in enumerate(CLASS_NAMES):
        mask = labels == i
        if not mask.any():
            continue
        hist = np.bincount(flat[mask].ravel(), minlength=256)
        out["per_class"][c] = {
            "histogram": hist.tolist(),
            "brightness": {k: round(float(f(brightness[mask])), 3) for k, f in
                           (("mean", np.mean), ("std", np.std), ("p5", lambda a: np.percentile(a, 5)),
                            ("p95", lambda a: np.percentile(a, 95)))},
            "contrast": {k: round(float(f(contrast[mask])), 3) for k, f in
                         (("mean", np.mean), ("std", np.std), ("p5", lambda a: np.percentile(a, 5)),
                          ("p95", lambda a: np.percentile(a, 95)))},
        }
    return out


def quality(root: Path, build: dict[str, Any]) -> dict[str, Any]:
    """Skipped items by reason, duplicates, conflicts, leakage and a validation summary."""
    from ..validation import validate_release

    report = validate_release(root, checks=["checksums", "parquet", "agreement", "leakage"])
    reasons = build.get("skipped_by_reason", {})
    return {
        "skipped_by_reason": reasons,
        "skipped_total": int(sum(reasons.values())),
        "duplicates_merged": len(build.get("duplicates_merged", [])),
        "near_duplicate_groups": len(build.get("near_duplicate_groups", [])),
        "near_duplicate_images": int(sum(len(g) for g in build.get("near_duplicate_groups", []))),
        "label_conflicts": int(reasons.get("label conflict", 0)),
        "excluded_on_request": len(build.get("excluded_on_request", [])),
        "leakage": {"checked": True, "issues": [i.to_dict() for i in report.issues if i.code.startswith("leak")]},
        "validation": {"checks": report.checks, "errors": len(report.errors()),
                       "warnings": len(report.issues) - len(report.errors()),
                       "issues": [i.to_dict() for i in report.sorted_issues()[:50]],
                       "note": "fast checks only; `microe validate` runs every check"},
    }


def read_build_report(root: Path) -> dict[str, Any]:
    """build-report.json, or {} when absent."""
    path = root / "build-report.json"
    return json.loads(path.read_text()) if path.is_file() else {}
