"""``microe report``: the dataset analysis (the paper's Section V) as one self-contained web page."""

from __future__ import annotations

import base64
import json
import logging
import time
from pathlib import Path
from typing import Any

from ..labels import CLASS_NAMES
from ..progress import progress_bar
from ..writers.manifest import read_manifest
from ..writers.report import colour_dominance, original_dimensions
from . import figures
from .stats import (
    annotator_votes,
    class_means,
    composition,
    feature_samples,
    intensity,
    label_audit,
    load_images,
    quality,
)

logger = logging.getLogger(__name__)

#: The page's sections, in order (each is an element id in index.html).
SECTIONS = ("composition", "samples", "means", "statistics", "features", "quality", "votes", "audit", "model")


def _model_section(model_dir: Path | None) -> tuple[dict[str, Any] | None, dict[str, bytes]]:
    if model_dir is None:
        return None, {}
    metrics = json.loads((model_dir / "metrics.json").read_text())
    metrics.pop("history", None)
    config = json.loads((model_dir / "config.json").read_text())
    pictures = {name: (model_dir / f"{name}.png").read_bytes() for name in
                ("training_curves", "confusion_matrix", "sample_predictions") if (model_dir / f"{name}.png").is_file()}
    return {"arch": config.get("arch"), "release": config.get("release"), "metrics": metrics}, pictures


def generate_report(release_dir: str | Path, out_dir: str | Path, *, model_dir: str | Path | None = None,
                    progress: bool = False) -> dict[str, Any]:
    """Write ``index.html`` (self-contained), each figure as PNG, and every number in ``report.json``.

    The numbers come from the release's ``manifest.json``, the pixels from its ``data/*.parquet``.

    Parameters
    ----------
    release_dir : str or Path
        A folder written by ``microe build``.
    out_dir : str or Path
        Where the page, the figures and report.json go (created if missing).
    model_dir : str or Path, optional
        A folder written by ``microe train``: its metrics and pictures join the page.
    progress : bool
        Show a bar over the figures on stderr.

    Returns
    -------
    dict
        The content of report.json.

    Raises
    ------
    ReleaseFormatError
        When the release has no readable manifest.json or no parquet shards.
    """
    started = time.perf_counter()
    root, out = Path(release_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    bar = progress_bar(desc="report", unit="figure", enabled=progress)
    bar.set_postfix_str("loading images")
    manifest = read_manifest(root)
    images, labels, splits = load_images(root, manifest)
    comp = composition(manifest)
    colour = colour_dominance(manifest)
    means, mean_numbers = class_means(images, labels)
    pixel_stats = intensity(images, labels)
    sample_maps, feature_numbers = feature_samples(images, labels)
    model, model_pictures = _model_section(Path(model_dir) if model_dir else None)
    audit = label_audit(root, manifest)
    votes = annotator_votes(manifest)
    drawings: list[tuple[Any, ...]] = [  # name, drawing function, its arguments
        ("composition", figures.composition_figure, comp),
        *[(f"samples_{split}", figures.samples_figure, images, labels, splits == split, f"{split} split")
          for split in comp["by_split"]],
        ("class_means", figures.means_figure, means, mean_numbers["distance"]),
        ("intensity", figures.intensity_figure, pixel_stats),
        ("colour_dominance", figures.colour_figure, colour),
        ("features", figures.features_figure, sample_maps),
        *([("annotator_votes", figures.votes_figure, votes)] if votes else []),
        *([("label_audit", figures.audit_figure, audit, images)] if audit else []),
    ]
    bar.total = len(drawings)
    pngs: dict[str, bytes] = {}
    for name, draw, *args in drawings:
        bar.set_postfix_str(name)
        pngs[name] = draw(*args)
        bar.update(1)
    bar.close()
    pngs.update({f"model_{k}": v for k, v in model_pictures.items()})
    for name, data in pngs.items():
        (out / f"{name}.png").write_bytes(data)
    numbers = {
        "release": {"name": manifest.name, "version": manifest.version, "image_size": manifest.image_size},
        "composition": comp,
        "class_means": mean_numbers,
        "image_statistics": {"original_dimensions": original_dimensions(manifest), "colour_dominance": colour,
                             "intensity": pixel_stats},
        "features": feature_numbers,
        "quality": quality(root, manifest),
        "annotator_votes": votes,
        "label_audit": audit,
        "model": model,
        "figures": sorted(f"{name}.png" for name in pngs),
    }
    (out / "report.json").write_text(json.dumps(numbers, indent=2) + "\n", encoding="utf-8")
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("microe_release.report", "templates"), autoescape=select_autoescape())
    uri = {name: "data:image/png;base64," + base64.b64encode(data).decode("ascii") for name, data in pngs.items()}
    page = env.get_template("report.html.j2").render(n=numbers, img=uri, sections=SECTIONS, classes=CLASS_NAMES)
    (out / "index.html").write_text(page, encoding="utf-8")
    logger.info("report for %d images in %.1f s", comp["total"], time.perf_counter() - started)
    return numbers


__all__ = ["SECTIONS", "generate_report"]
