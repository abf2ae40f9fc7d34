"""The report's figures as PNG bytes (matplotlib, Agg backend, no clock in the files)."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..labels import CLASS_NAMES


def _png(fig: Any, tight: bool = True) -> bytes:
    if tight:
        fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, metadata={"Software": None})
    return buf.getvalue()


def _class_matrix(ax: Any, table: dict[str, dict[str, Any]], title: str, fmt: str, least: float, **style: Any) -> None:
    """``table[row][column]`` over the classes as coloured cells, each value of at least ``least`` written in."""
    matrix = np.array([[table[row][column] for column in CLASS_NAMES] for row in CLASS_NAMES])
    ax.imshow(matrix, **style)
    ax.set_xticks(range(len(CLASS_NAMES)), CLASS_NAMES, rotation=60, fontsize=6)
    ax.set_yticks(range(len(CLASS_NAMES)), CLASS_NAMES, fontsize=6)
    ax.set_title(title, fontsize=8)
    for (i, j), value in np.ndenumerate(matrix):
        if value >= least:
            ax.text(j, i, format(value, fmt), ha="center", va="center", fontsize=5)


def composition_figure(comp: dict[str, Any]) -> bytes:
    """Images per class and split (Fig. 1), and per source."""
    fig = Figure(figsize=(12, 4))
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 1]})
    splits = list(comp["by_split_class"])
    width = 0.8 / max(len(splits), 1)
    x = np.arange(len(CLASS_NAMES))
    for k, split in enumerate(splits):
        ax1.bar(x + k * width, [comp["by_split_class"][split][c] for c in CLASS_NAMES], width, label=split)
    ax1.set_xticks(x + width * (len(splits) - 1) / 2, CLASS_NAMES, rotation=30)
    ax1.set(title="Images per class and split", ylabel="images")
    ax1.legend()
    ax2.bar(list(comp["by_source"]), list(comp["by_source"].values()), color="gray")
    ax2.set(title="Images per source")
    ax2.tick_params(axis="x", rotation=30)
    return _png(fig)


def samples_figure(images: np.ndarray, labels: np.ndarray, mask: np.ndarray, title: str, per_class: int = 8) -> bytes:
    """A grid of samples per class (Figs. 2 and 3)."""
    fig = Figure(figsize=(per_class * 0.9, len(CLASS_NAMES) * 0.95))
    axes = fig.subplots(len(CLASS_NAMES), per_class)
    for i, name in enumerate(CLASS_NAMES):
        chosen = np.flatnonzero(mask & (labels == i))[:per_class]
        for j, ax in enumerate(axes[i]):
            ax.axis("off")
            if j < len(chosen):
                ax.imshow(images[chosen[j]], cmap="gray", vmin=0, vmax=255)
        axes[i, 0].set_title(name, fontsize=7, loc="left")
    fig.suptitle(title, fontsize=9)
    return _png(fig)


def means_figure(means: dict[str, np.ndarray], distance: dict[str, dict[str, float]]) -> bytes:
    """Mean image per class and the pairwise distance matrix between them."""
    names = list(means)
    fig = Figure(figsize=(14, 4))
    for k, name in enumerate(names):
        ax = fig.add_subplot(2, 8, (k // 4) * 8 + k % 4 + 1)  # a 2 x 4 block on the left
        ax.imshow(means[name], cmap="gray", vmin=0, vmax=255)
        ax.set_title(name, fontsize=8)
        ax.axis("off")
    ax = fig.add_axes((0.62, 0.08, 0.3, 0.85))
    matrix = np.array([[distance[a][b] for b in names] for a in names])
    ax.imshow(matrix, cmap="viridis")
    ax.set_xticks(range(len(names)), names, rotation=60, fontsize=7)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    ax.set_title("RMS distance between class means", fontsize=9)
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=6, color="white")
    return _png(fig, tight=False)


def intensity_figure(stats: dict[str, Any]) -> bytes:
    """Pixel intensity histograms per class, and brightness/contrast spread."""
    fig = Figure(figsize=(12, 4))
    ax1, ax2 = fig.subplots(1, 2)
    for name, entry in stats["per_class"].items():
        hist = np.asarray(entry["histogram"], dtype=float)
        ax1.plot(hist / max(hist.sum(), 1), label=name, linewidth=1)
    ax1.set(title="Pixel intensity per class", xlabel="gray level", ylabel="share of pixels")
    ax1.legend(fontsize=7)
    names = list(stats["per_class"])
    bright = [stats["per_class"][n]["brightness"]["mean"] for n in names]
    spread = [stats["per_class"][n]["brightness"]["std"] for n in names]
    contrast = [stats["per_class"][n]["contrast"]["mean"] for n in names]
    x = np.arange(len(names))
    ax2.errorbar(x - 0.1, bright, yerr=spread, fmt="o", label="brightness (mean +- std)")
    ax2.plot(x + 0.1, contrast, "s", label="contrast (mean std)")
    ax2.set_xticks(x, names, rotation=30)
    ax2.set(title="Brightness and contrast", ylabel="gray level")
    ax2.legend(fontsize=7)
    return _png(fig)


def colour_figure(colour: dict[str, Any]) -> bytes:
    """Colour dominance of the source images before grayscale conversion (Fig. 7)."""
    names = list(colour) or ["(none)"]
    fig = Figure(figsize=(12, 3.5))
    ax1, ax2 = fig.subplots(1, 2)
    channels = ("red", "green", "blue", "none")
    bottom = np.zeros(len(names))
    for channel, colour_name in zip(channels, ("tab:red", "tab:green", "tab:blue", "lightgray"), strict=True):
        values = np.array([colour.get(n, {}).get("dominant", {}).get(channel, 0) for n in names], dtype=float)
        ax1.bar(names, values, bottom=bottom, color=colour_name, label=channel)
        bottom += values
    grays = [colour.get(n, {}).get("grayscale_images", 0) for n in names]
    ax1.bar(names, grays, bottom=bottom, color="black", label="grayscale original")
    ax1.set(title="Dominant channel of each original", ylabel="images")
    ax1.legend(fontsize=7)
    for k, name in enumerate(names):
        rgb = colour.get(name, {}).get("mean_rgb")
        ax2.add_patch(Rectangle((k, 0), 0.9, 1, color=[v / 255 for v in rgb] if rgb else "white", ec="black"))
        ax2.text(k + 0.45, -0.15, f"{name}\n{rgb if rgb else 'no colour'}", ha="center", va="top", fontsize=7)
    ax2.set_xlim(0, max(len(names), 1))
    ax2.set_ylim(-0.6, 1.1)
    ax2.axis("off")
    ax2.set_title("Mean colour of the colour originals", fontsize=9)
    return _png(fig)


def features_figure(samples: list[tuple[str, np.ndarray, dict[str, Any]]]) -> bytes:
    """Per sample: image, HOG, LBP, Canny, Sobel, segmented region with its bounding box (Figs. 4-6)."""
    cols = ("image", "HOG", "LBP", "Canny edges", "Sobel", "region")
    fig = Figure(figsize=(len(cols) * 1.7, len(samples) * 1.8))
    axes = fig.subplots(len(samples), len(cols), squeeze=False)
    for row, (name, image, maps) in enumerate(samples):
        for ax, key in zip(axes[row], cols, strict=True):
            ax.axis("off")
            ax.imshow(maps[key] if key != "image" else image, cmap="gray" if key != "region" else "nipy_spectral")
            if row == 0:
                ax.set_title(key, fontsize=8)
        props = maps["region_props"]
        if props.get("bbox"):
            r0, c0, r1, c1 = props["bbox"]
            axes[row, -1].add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0, fill=False, ec="white"))
        axes[row, 0].text(-2, 24, name, rotation=90, va="center", ha="right", fontsize=8)
    return _png(fig)


def audit_figure(audit: dict[str, Any], images: np.ndarray) -> bytes:
    """Flagged labels: given vs suggested class, and the most doubtful faces of each class (given -> suggested)."""
    per_class = max((len(v) for v in audit["doubtful"].values()), default=1) or 1
    fig = Figure(figsize=(4 + per_class * 0.9, len(CLASS_NAMES) * 0.95))
    grid = fig.add_gridspec(len(CLASS_NAMES), per_class + 5)
    ax = fig.add_subplot(grid[1:7, :4])
    _class_matrix(ax, audit["matrix"], f"{audit['issues']} flagged labels", "d", 1, cmap="Reds")
    ax.set(xlabel="suggested", ylabel="given")
    for i, name in enumerate(CLASS_NAMES):
        for j in range(per_class):
            face = fig.add_subplot(grid[i, 5 + j])
            face.axis("off")
            if j < len(audit["doubtful"][name]):
                pick = audit["doubtful"][name][j]
                face.imshow(images[pick["position"]], cmap="gray", vmin=0, vmax=255)
                face.set_title(f"{name[:4]}->{pick['suggested'][:4]}", fontsize=5)
    return _png(fig, tight=False)


def votes_figure(votes: dict[str, Any]) -> bytes:
    """Annotators' votes: where each class's votes went, and each class's mean agreement."""
    fig = Figure(figsize=(9, 3.6))
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    _class_matrix(left, votes["vote_shares"], "share of each label's votes", ".2f", 0.01, cmap="Blues", vmin=0, vmax=1)
    left.set(xlabel="voted for", ylabel="label")
    rows = votes["by_class"]
    right.barh(range(len(CLASS_NAMES)), [rows[c]["mean_agreement"] or 0 for c in CLASS_NAMES], color="#4c72b0")
    right.set_yticks(range(len(CLASS_NAMES)), [f"{c} ({rows[c]['images']})" for c in CLASS_NAMES], fontsize=6)
    right.invert_yaxis()
    right.set_xlim(0, 1)
    right.set_title(f"mean agreement ({votes['images']} images with votes)", fontsize=8)
    return _png(fig)
