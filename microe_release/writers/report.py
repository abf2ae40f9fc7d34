"""``build-report.json`` (what went in, what came out, every item left out and why) and ``README.md``, the card."""

from __future__ import annotations

import bisect
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined

from ..dedup import NEAR_DUPLICATE_BITS
from ..features import features_yaml
from ..licenses import get_license
from ..processing import ALPHA_BACKGROUND, MAX_IMAGE_PIXELS
from ..records import ImageRecord, Manifest
from ..votes import vote_agreement
from .common import bibtex, citation_text, write_json, write_text
from .data import split_sizes


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


def card_yaml(manifest: Manifest, out_dir: Path) -> dict[str, Any]:
    """The card's YAML header: configs, dataset_info (features, split sizes), licence, categories."""
    meta = manifest.metadata
    sizes = split_sizes(out_dir, manifest.split_names)
    buckets = ("n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "n>10M")  # the Hub's size_categories
    info = {
        "features": features_yaml(manifest.class_names),
        "splits": [{"name": s, "num_bytes": n["num_bytes"], "num_examples": n["num_examples"]}
                   for s, n in sizes.items()],
        "download_size": sum(s["download_size"] for s in sizes.values()),
        "dataset_size": sum(s["num_bytes"] for s in sizes.values()),
    }
    header: dict[str, Any] = {
        "pretty_name": meta.pretty_name,
        "license": meta.license.lower(),
        "task_categories": list(meta.task_categories),
        **({"task_ids": list(meta.task_ids)} if meta.task_ids else {}),
        "size_categories": [buckets[bisect.bisect_right((1e3, 1e4, 1e5, 1e6, 1e7), len(manifest.records))]],
        "tags": ["facial-expression-recognition", "emotion", "faces", "microe"],
        "configs": [{"config_name": "default",
                     "data_files": [{"split": s, "path": f"data/{s}-*"} for s in manifest.split_names]}],
        "dataset_info": info,
    }
    if meta.gated:
        header["extra_gated_prompt"] = (
            "This dataset contains images of human faces. To access it, agree to use it for research on "
            "facial-expression recognition only, not to identify people, and to honour takedown requests.")
        header["extra_gated_fields"] = {
            "Name": "text", "Affiliation": "text", "Country": "country", "Intended use": "text",
            "I agree not to use this dataset to identify people or to make decisions about them": "checkbox",
        }
    return header


#: Compiled once per process (Jinja's own template cache).
_CARD = Environment(loader=PackageLoader("microe_release.writers", "templates"), undefined=StrictUndefined,
                    keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)


def write_card(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Write ``README.md``; returns the file written."""
    header = yaml.safe_dump(card_yaml(manifest, out_dir), sort_keys=False, allow_unicode=True, width=100)
    counts = manifest.class_counts()
    present = sorted((n, k) for k, n in counts.items() if n)  # rarest first, ties by name
    balance = {  # for the bias section
        "shares": {k: 100.0 * v / max(sum(counts.values()), 1) for k, v in counts.items()},
        "rarest": present[0][1] if present else "", "commonest": present[-1][1] if present else "",
        "ratio": present[-1][0] / present[0][0] if present else 0.0,
        "missing": [k for k, v in counts.items() if not v],
    }
    body = _CARD.get_template("card.md.j2").render(
        meta=manifest.metadata, manifest=manifest, counts=build_counts(manifest), balance=balance,
        skipped=len(manifest.skipped), merged=len(manifest.duplicates), near_groups=len(manifest.near_duplicate_groups),
        reason_counts=dict(sorted(Counter(s.reason.value for s in manifest.skipped).items())),
        near_bits=NEAR_DUPLICATE_BITS, max_pixels=MAX_IMAGE_PIXELS, alpha_background=ALPHA_BACKGROUND,
        citation=citation_text(manifest), bibtex=bibtex(manifest), doi=manifest.doi, concept_doi=manifest.concept_doi,
        license_url=get_license(manifest.metadata.license).url,
        changed_labels=sum(e["old"] != e["new"] for e in manifest.relabels),
        votes=vote_agreement(manifest.records, manifest.class_names),
    )
    return [write_text(out_dir / "README.md", f"---\n{header}---\n\n{body}")]
