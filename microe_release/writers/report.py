"""``build-report.json``: what went in, what came out, and every item left out with its reason."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from ..records import ImageRecord, Manifest
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


def _by_source(manifest: Manifest) -> dict[str, list[ImageRecord]]:
    """The records of each source, sources sorted by name."""
    groups: dict[str, list[ImageRecord]] = {}
    for record in manifest.records:
        groups.setdefault(record.source, []).append(record)
    return dict(sorted(groups.items()))


def original_dimensions(manifest: Manifest) -> dict[str, dict[str, Any]]:
    """Per source: image sizes and Pillow modes before processing (the paper's Table I)."""
    return {source: {"sizes": _by_count(Counter(f"{r.orig_width}x{r.orig_height}" for r in records)),
                     "modes": _by_count(Counter(r.orig_mode for r in records))}
            for source, records in _by_source(manifest).items()}


def colour_dominance(manifest: Manifest) -> dict[str, dict[str, Any]]:
    """Per source: how many originals were colour, their mean RGB, and which channel dominated (Fig. 7)."""
    out: dict[str, dict[str, Any]] = {}
    for source, records in _by_source(manifest).items():
        colours = [r.orig_rgb for r in records if r.orig_rgb is not None]
        dominant = dict.fromkeys(("red", "green", "blue", "none"), 0)
        for rgb in colours:
            top = max(rgb)
            winners = [name for name, v in zip(("red", "green", "blue"), rgb, strict=True) if v == top]
            dominant["none" if len(winners) > 1 or top - min(rgb) < 4 else winners[0]] += 1
        mean = [round(sum(c) / len(colours), 1) for c in zip(*colours, strict=True)] if colours else None
        out[source] = {"images": len(records), "colour_images": len(colours), "dominant": dominant, "mean_rgb": mean,
                       "grayscale_images": len(records) - len(colours)}
    return out


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
