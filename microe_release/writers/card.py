"""``README.md``: the Hugging Face dataset card (YAML header that ``load_dataset`` reads + prose)."""

from __future__ import annotations

import bisect
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined

from ..dedup import NEAR_DUPLICATE_BITS
from ..features import features_yaml
from ..licenses import get_license
from ..processing import ALPHA_BACKGROUND, MAX_IMAGE_PIXELS
from ..records import Manifest
from .common import bibtex, citation_text
from .data import split_sizes
from .report import build_counts


def size_category(count: int) -> str:
    """The Hub's ``size_categories`` bucket, e.g. ``'10K<n<100K'`` for 41,000."""
    names = ("n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "n>10M")
    return names[bisect.bisect_right((1_000, 10_000, 100_000, 1_000_000, 10_000_000), count)]


def card_yaml(manifest: Manifest, out_dir: Path) -> dict[str, Any]:
    """The card's YAML header: configs, dataset_info (features, split sizes), licence, categories."""
    meta = manifest.metadata
    sizes = split_sizes(out_dir, manifest.split_names)
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
        "size_categories": [size_category(len(manifest.records))],
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


def balance_figures(manifest: Manifest) -> dict[str, Any]:
    """Class balance figures for the card's bias section."""
    counts = manifest.class_counts()
    total = max(sum(counts.values()), 1)
    present = sorted((n, k) for k, n in counts.items() if n)  # rarest first, ties by name
    return {
        "shares": {k: 100.0 * v / total for k, v in counts.items()},
        "rarest": present[0][1] if present else "", "commonest": present[-1][1] if present else "",
        "ratio": present[-1][0] / present[0][0] if present else 0.0,
        "missing": [k for k, v in counts.items() if not v],
    }


@cache
def _template() -> Any:
    """The card template, compiled once per process."""
    return Environment(loader=PackageLoader("microe_release.writers", "templates"), undefined=StrictUndefined,
                       keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True).get_template("card.md.j2")


def write_card(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Write ``README.md``; returns the file written."""
    header = yaml.safe_dump(card_yaml(manifest, out_dir), sort_keys=False, allow_unicode=True, width=100)
    body = _template().render(
        meta=manifest.metadata, manifest=manifest, counts=build_counts(manifest), balance=balance_figures(manifest),
        skipped=len(manifest.skipped), merged=len(manifest.duplicates), near_groups=len(manifest.near_duplicate_groups),
        reason_counts=dict(sorted(Counter(s.reason.value for s in manifest.skipped).items())),
        near_bits=NEAR_DUPLICATE_BITS, max_pixels=MAX_IMAGE_PIXELS, alpha_background=ALPHA_BACKGROUND,
        citation=citation_text(manifest), bibtex=bibtex(manifest), doi=manifest.doi, concept_doi=manifest.concept_doi,
        license_url=get_license(manifest.metadata.license).url,
    )
    path = out_dir / "README.md"
    path.write_text(f"---\n{header}---\n\n{body}", encoding="utf-8")
    return [path]
