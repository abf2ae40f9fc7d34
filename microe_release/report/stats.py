"""Every number of the analysis report: facts from the release's manifest.json, pixels from its parquet shards."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ReleaseFormatError
from ..labels import CLASS_NAMES
from ..records import Manifest
from ..shards import decode_gray, read_shards
from ..writers.manifest import read_manifest

#: Two class means closer than this share of the median pairwise distance are flagged as hard to tell apart.
CLOSE_MEANS_SHARE = 0.6


def load_images(root: Path, manifest: Manifest | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All images ``(N, H, W)`` uint8 with their class indices and splits, in the manifest's index order."""
    records = sorted((manifest or read_manifest(root)).records, key=lambda r: r.index)
    table = read_shards(root, ["id", "image"])
    if not table.num_rows:
        msg = f"'{root}' has no data/*.parquet; pass a release folder written by `microe build`."
        raise ReleaseFormatError(msg, path=root)
    row = {image_id: i for i, image_id in enumerate(table.column("id").to_pylist())}
    try:
        images = decode_gray(table.take([row[r.id] for r in records]))
    except KeyError as err:
        msg = f"image {err} of '{root}/manifest.json' is in no data/*.parquet shard; run `microe validate {root}`."
        raise ReleaseFormatError(msg, path=root) from None
    class_index = {name: i for i, name in enumerate(CLASS_NAMES)}
    return images, np.asarray([class_index[r.label] for r in records]), np.asarray([r.split for r in records])


def composition(manifest: Manifest) -> dict[str, Any]:
    """Counts per class and split (Fig. 1) and per source, imbalance ratio, licences per source."""
    records = manifest.records
    per: Counter[tuple[str | None, str]] = Counter((r.split, r.label) for r in records)
    by_split: Counter[str | None] = Counter(r.split for r in records)
    by_class: Counter[str] = Counter(r.label for r in records)
    split_names = [s for s in ("train", "validation", "test") if by_split[s]]
    present = [by_class[c] for c in CLASS_NAMES if by_class[c]]
    return {
        "total": len(records),
        "by_class": {c: by_class[c] for c in CLASS_NAMES},
        "by_split": {s: by_split[s] for s in split_names},
        "by_split_class": {s: {c: per[s, c] for c in CLASS_NAMES} for s in split_names},
        "by_source": dict(sorted(Counter(r.source for r in records).items())),
        "imbalance_ratio": round(max(present) / min(present), 3) if present else None,
        "licences": {s["name"]: s.get("license") for s in manifest.sources},
    }


def class_means(images: np.ndarray, labels: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Mean image per class and how far apart the means are (root-mean-square gray-level distance)."""
    means = {c: images[labels == i].astype(np.float64).mean(axis=0) for i, c in enumerate(CLASS_NAMES)
             if (labels == i).any()}
    names = list(means)
    distance = {a: {b: float(np.sqrt(((means[a] - means[b]) ** 2).mean())) for b in names} for a in names}
    pairs = [(distance[a][b], a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    median = float(np.median([d for d, _, _ in pairs])) if pairs else 0.0
    close = [{"classes": [a, b], "distance": round(d, 3)} for d, a, b in sorted(pairs)
             if d < CLOSE_MEANS_SHARE * median]
    return means, {"distance": {a: {b: round(v, 3) for b, v in row.items()} for a, row in distance.items()},
                   "median_distance": round(median, 3), "hard_to_tell_apart": close,
                   "threshold": f"distance under {CLOSE_MEANS_SHARE} x the median pairwise distance"}


def _spread(values: np.ndarray) -> dict[str, float]:
    return {k: round(float(v), 3) for k, v in (("mean", np.mean(values)), ("std", np.std(values)),
                                               ("p5", np.percentile(values, 5)), ("p95", np.percentile(values, 95)))}


def intensity(images: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Pixel histograms per class, and the spread of brightness (mean) and contrast (std) per image."""
    flat = images.reshape(len(images), -1)
    brightness = flat.mean(axis=1)
    contrast = flat.std(axis=1)
    out: dict[str, Any] = {"histogram_bins": 256, "per_class": {}}
    for i, c in enumerate(CLASS_NAMES):
        mask = labels == i
        if mask.any():
            out["per_class"][c] = {"histogram": np.bincount(flat[mask].ravel(), minlength=256).tolist(),
                                   "brightness": _spread(brightness[mask]), "contrast": _spread(contrast[mask])}
    return out


def feature_samples(images: np.ndarray, labels: np.ndarray) -> tuple[list[Any], dict[str, Any]]:
    """HOG, LBP, Canny, Sobel and Otsu-region maps of a happy, a surprised and an angry image, with their numbers."""
    from skimage.feature import canny, hog, local_binary_pattern
    from skimage.filters import sobel, threshold_otsu
    from skimage.measure import label, regionprops

    samples, numbers = [], {}
    for name in ("happy", "surprised", "angry"):
        found = np.flatnonzero(labels == CLASS_NAMES.index(name))
        if not len(found):
            continue
        image = images[found[0]]
        vector, hog_picture = hog(image, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2),
                                  visualize=True, feature_vector=True)
        lbp = local_binary_pattern(image, P=8, R=1, method="uniform")
        canny_map, sobel_map = canny(image.astype(float) / 255.0, sigma=1.0), sobel(image.astype(float) / 255.0)
        threshold = threshold_otsu(image)
        mask = image > threshold
        if mask.mean() > 0.5:  # keep the smaller side as foreground (the face)
            mask = ~mask
        regions = label(mask)
        by_area = sorted(regionprops(regions), key=lambda r: r.area, reverse=True)
        props: dict[str, Any] = {"threshold": float(threshold), "regions": len(by_area)}
        if by_area:
            top = by_area[0]
            props.update(area=int(top.area), perimeter=round(float(top.perimeter), 3), bbox=[int(v) for v in top.bbox],
                         centroid=[round(float(v), 2) for v in top.centroid])
        samples.append((name, image, {"HOG": hog_picture, "LBP": lbp, "Canny edges": canny_map, "Sobel": sobel_map,
                                      "region": regions, "region_props": props}))
        numbers[name] = {
            "hog_lbp": {"hog_length": int(vector.size), "hog_mean": round(float(vector.mean()), 5),
                        "lbp_method": "uniform, P=8, R=1",
                        "lbp_histogram": np.bincount(lbp.astype(int).ravel(), minlength=10).tolist()},
            "edges": {"canny_sigma": 1.0, "edge_pixel_share": round(float(canny_map.mean()), 4),
                      "sobel_mean": round(float(sobel_map.mean()), 5)},
            "region": props,
        }
    return samples, numbers


def quality(root: Path, manifest: Manifest) -> dict[str, Any]:
    """Skipped items by reason, duplicates, conflicts, leakage and a validation summary."""
    from ..validation import validate_release

    report = validate_release(root, checks=["checksums", "parquet", "agreement", "leakage"])
    reasons = dict(sorted(Counter(item.reason.value for item in manifest.skipped).items()))
    return {
        "skipped_by_reason": reasons,
        "skipped_total": len(manifest.skipped),
        "duplicates_merged": len(manifest.duplicates),
        "near_duplicate_groups": len(manifest.near_duplicate_groups),
        "near_duplicate_images": sum(len(g) for g in manifest.near_duplicate_groups),
        "label_conflicts": reasons.get("label conflict", 0),
        "excluded_on_request": len(manifest.excluded),
        "leakage": {"checked": True, "issues": [i.to_dict() for i in report.issues if i.code.startswith("leak")]},
        "validation": {"checks": report.checks, "errors": len(report.errors()),
                       "warnings": len(report.issues) - len(report.errors()),
                       "issues": [i.to_dict() for i in report.sorted_issues()[:50]],
                       "note": "fast checks only; `microe validate` runs every check"},
    }


#: Most doubtful flagged faces shown per class.
DOUBTFUL_PER_CLASS = 8


def label_audit(root: Path, manifest: Manifest) -> dict[str, Any] | None:
    """``label-issues.csv`` (``microe audit``) summed up: issues per class and source, given vs suggested labels,
    and the most doubtful flagged faces of each class (positions in index order); None when not audited."""
    import csv

    path = root / "label-issues.csv"
    if manifest.audit is None or not path.is_file():
        return None
    position = {r.id: r.index for r in manifest.records}
    with open(path, newline="", encoding="utf-8") as handle:
        flagged = [row for row in csv.DictReader(handle) if row["is_issue"] == "true"]
    flagged.sort(key=lambda row: (float(row["label_quality"]), row["id"]))
    matrix = {given: dict.fromkeys(CLASS_NAMES, 0) for given in CLASS_NAMES}
    for row in flagged:
        matrix[row["given_label"]][row["suggested_label"]] += 1
    doubtful = {name: [{"position": position[row["id"]], "id": row["id"], "suggested": row["suggested_label"],
                        "label_quality": float(row["label_quality"])}
                       for row in flagged if row["given_label"] == name][:DOUBTFUL_PER_CLASS] for name in CLASS_NAMES}
    return {**manifest.audit, "matrix": matrix, "doubtful": doubtful}


def annotator_votes(manifest: Manifest) -> dict[str, Any] | None:
    """Agreement per class (:func:`~microe_release.votes.vote_agreement`) and the share of each class's votes that
    went to every class (rows: the label; a row sums to 1); None when no image carries votes."""
    from ..votes import vote_agreement

    agreement = vote_agreement(manifest.records, manifest.class_names)
    if agreement is None:
        return None
    sums = {label: [0] * len(manifest.class_names) for label in manifest.class_names}
    for record in manifest.records:
        if record.votes is not None:
            sums[record.label] = [a + b for a, b in zip(sums[record.label], record.votes, strict=True)]
    shares = {label: {name: round(v / max(sum(row), 1), 3) for name, v in zip(manifest.class_names, row, strict=True)}
              for label, row in sums.items()}
    return {**agreement, "vote_shares": shares}
