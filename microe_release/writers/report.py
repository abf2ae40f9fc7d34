"""``build-report.json``: what went in, what came out, and every item left out with its reason."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from ..records import Manifest


def build_counts(manifest: Manifest) -> dict[str, Any]:
    """Counts per split, class, source and their crossings (all keys in fixed order)."""
    crossed: Counter[tuple[str, str, str]] = Counter((r.source, str(r.split), r.label) for r in manifest.records)  # one pass over the records
    by_source: dict[str, dict[str, int]] = {}
    for source in manifest.sources:
        by_source[source["name"]] = dict.fromkeys(manifest.class_names, 0)
    by_split_class: dict[str, dict[str, int]] = {s: dict.fromkeys(manifest.class_names, 0) for s in manifest.split_names}
    for (source_name, split, label), n in crossed.items():
        by_source.setdefault(source_name, dict.fromkeys(manifest.class_names, 0))[label] += n
        by_split_class[split][label] += n
    by_class = dict.fromkeys(manifest.class_names, 0)
    for counts in by_split_class.values():
        for label, n in counts.items():
            by_class[label] += n
    return {
        "total": len(manifest.records),
        "by_split": {s: sum(c.values()) for s, c in by_split_class.items()},
        "by_class": by_class,
        "by_split_class": by_split_class,
        "by_source_class": by_source,
        "by_source": {name: sum(c.values()) for name, c in by_source.items()},
    }


def original_dimensions(manifest: Manifest) -> dict[str, dict[str, Any]]:
    """Per source: image sizes and Pillow modes before processing (the paper's Table I)."""
    sizes: dict[str, Counter[str]] = {}
    modes: dict[str, Counter[str]] = {}
    crossed = Counter((r.source, r.orig_width, r.orig_height, r.orig_mode) for r in manifest.records)
    for (source, width, height, mode), n in crossed.items():
        sizes.setdefault(source, Counter())[f"{width}x{height}"] += n
        modes.setdefault(source, Counter())[mode] += n
    return {
        name: {"sizes": dict(sorted(sizes[name].items(), key=lambda kv: (-kv[1], kv[0]))),
               "modes": dict(sorted(modes[name].items(), key=lambda kv: (-kv[1], kv[0])))}
        for name in sorted(sizes)
    }


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


def build_report(manifest: Manifest, tool_version: str) -> dict[str, Any]:
    """The report as a JSON-ready dict (deterministic: no clock, no absolute paths)."""
    reasons = Counter(item.reason.value for item in manifest.skipped)
    return {
        "tool": "microe-release",
        "tool_version": tool_version,
        "config_hash": manifest.config_hash,
        "name": manifest.name,
        "version": manifest.version,
        "image_size": manifest.image_size,
        "seed": manifest.seed,
        "class_names": list(manifest.class_names),
        "splits": list(manifest.split_names),
        "sources": manifest.sources,
        "counts": build_counts(manifest),
        "original_dimensions": original_dimensions(manifest),
        "colour_dominance": colour_dominance(manifest),
        "skipped_by_reason": dict(sorted(reasons.items())),
        "skipped": [item.to_dict() for item in manifest.skipped],
        "duplicates_merged": manifest.duplicates,
        "near_duplicate_groups": manifest.near_duplicate_groups,
        "excluded_on_request": manifest.excluded,
        "dataset_metadata": manifest.metadata.raw,
    }


def write_build_report(manifest: Manifest, out_dir: Path, *, tool_version: str = "") -> list[Path]:
    """Write ``build-report.json``; returns the file written."""
    path = out_dir / "build-report.json"
    report = build_report(manifest, tool_version)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [path]
