"""``build-report.json``: what went in, what came out, and every item left out with its reason."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from ..records import Manifest
from .common import write_json


def build_counts(manifest: Manifest) -> dict[str, Any]:
    """Counts per split, class, source and their crossings (all keys in fixed order)."""
    by_split_class = {s: dict.fromkeys(manifest.class_names, 0) for s in manifest.split_names}
    by_source = {s["name"]: dict.fromkeys(manifest.class_names, 0) for s in manifest.sources}
    for (source, split, label), n in Counter((r.source, str(r.split), r.label) for r in manifest.records).items():
        by_source.setdefault(source, dict.fromkeys(manifest.class_names, 0))[label] += n
        by_split_class[split][label] += n
    return {
        "total": len(manifest.records),
        "by_split": {s: sum(c.values()) for s, c in by_split_class.items()},
        "by_class": {c: sum(counts[c] for counts in by_split_class.values()) for c in manifest.class_names},
        "by_split_class": by_split_class,
        "by_source_class": by_source,
        "by_source": {name: sum(c.values()) for name, c in by_source.items()},
    }


def _by_count(counter: Counter[str]) -> dict[str, int]:
    """Most common first, ties by key."""
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def original_dimensions(manifest: Manifest) -> dict[str, dict[str, Any]]:
    """Per source: image sizes and Pillow modes before processing (the paper's Table I)."""
    out: dict[str, dict[str, Counter[str]]] = {}
    for (source, width, height, mode), n in Counter(
            (r.source, r.orig_width, r.orig_height, r.orig_mode) for r in manifest.records).items():
        entry = out.setdefault(source, {"sizes": Counter(), "modes": Counter()})
        entry["sizes"][f"{width}x{height}"] += n
        entry["modes"][mode] += n
    return {name: {key: _by_count(counter) for key, counter in out[name].items()} for name in sorted(out)}


def colour_dominance(manifest: Manifest) -> dict[str, dict[str, Any]]:
    """Per source: how many originals were colour, their mean RGB, and which channel dominated (Fig. 7)."""
    out: dict[str, dict[str, Any]] = {}
    for record in manifest.records:
        entry = out.setdefault(record.source, {"images": 0, "colour_images": 0, "sum_rgb": [0, 0, 0],
                                               "dominant": {"red": 0, "green": 0, "blue": 0, "none": 0}})
        entry["images"] += 1
        if record.orig_rgb is None:
            continue
        entry["colour_images"] += 1
        entry["sum_rgb"] = [a + b for a, b in zip(entry["sum_rgb"], record.orig_rgb, strict=True)]
        r, g, b = record.orig_rgb
        top = max(r, g, b)
        winners = [name for name, v in (("red", r), ("green", g), ("blue", b)) if v == top]
        entry["dominant"]["none" if len(winners) > 1 or top - min(r, g, b) < 4 else winners[0]] += 1
    for entry in out.values():
        sums = entry.pop("sum_rgb")
        n = entry["colour_images"]
        entry["mean_rgb"] = [round(v / n, 1) for v in sums] if n else None
        entry["grayscale_images"] = entry["images"] - n
    return dict(sorted(out.items()))


def write_build_report(manifest: Manifest, out_dir: Path, *, tool_version: str = "") -> list[Path]:
    """Write ``build-report.json`` (deterministic: no clock, no absolute paths); returns the file written."""
    report = {
        "tool": "microe-release", "tool_version": tool_version, "config_hash": manifest.config_hash,
        "name": manifest.name, "version": manifest.version, "image_size": manifest.image_size, "seed": manifest.seed,
        "class_names": list(manifest.class_names), "splits": list(manifest.split_names), "sources": manifest.sources,
        "counts": build_counts(manifest),
        "original_dimensions": original_dimensions(manifest),
        "colour_dominance": colour_dominance(manifest),
        "skipped_by_reason": dict(sorted(Counter(item.reason.value for item in manifest.skipped).items())),
        "skipped": [item.to_dict() for item in manifest.skipped],
        "duplicates_merged": manifest.duplicates,
        "near_duplicate_groups": manifest.near_duplicate_groups,
        "excluded_on_request": manifest.excluded,
        "dataset_metadata": manifest.metadata.raw,
    }
    return [write_json(out_dir / "build-report.json", report)]
