"""What MODEL_DIR shows beside the weights: the hardware, the figures and the Hugging Face model card."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml


def describe_hardware(device: Any) -> dict[str, Any]:
    """What the run ran on: CPU model and cores, torch threads, and the GPU when one was used."""
    import os
    import platform

    import torch

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as handle:
        cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), cpu)
    facts: dict[str, Any] = {"cpu": cpu, "cpu_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                             else os.cpu_count(), "torch_threads": torch.get_num_threads(), "device": device.type}
    if device.type == "cuda":
        facts["gpu"] = torch.cuda.get_device_name(device)
    return facts


def describe_device(hardware: dict[str, Any]) -> str:
    """One line: ``NVIDIA H100 (CUDA)`` or ``AMD EPYC, 2 cores (CPU, 2 torch threads)``."""
    if hardware.get("gpu"):
        return f"{hardware['gpu']} (CUDA)"
    return f"{hardware['cpu']}, {hardware['cpu_cores']} cores (CPU, {hardware['torch_threads']} torch threads)"


@contextlib.contextmanager
def _figure(path: Path, *grid: int, **kwargs: Any) -> Iterator[Any]:
    """The axes of ``Figure(**kwargs).subplots(*grid)``, saved to ``path`` on exit (no pyplot, no backend)."""
    from matplotlib.figure import Figure

    fig = Figure(**kwargs)
    yield fig.subplots(*grid)
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})


def plot_curves(history: Sequence[dict[str, float]], path: Path) -> None:
    """Train/validation accuracy and loss by epoch (the paper's Fig. 8)."""
    epochs = [h["epoch"] for h in history]
    with _figure(path, 1, 2, figsize=(10, 4)) as axes:
        for ax, key, ylabel in zip(axes, ("accuracy", "loss"), ("accuracy", "cross-entropy"), strict=True):
            ax.plot(epochs, [h[f"train_{key}"] for h in history], label="train")
            ax.plot(epochs, [h[f"val_{key}"] for h in history], label="validation")
            ax.set(title=key.capitalize(), xlabel="epoch", ylabel=ylabel)
            ax.legend()
            ax.grid(alpha=0.3)


def plot_confusion(matrix: list[list[int]], class_names: tuple[str, ...], path: Path) -> None:
    """The test confusion matrix, counts and row-normalised colours."""
    cm = np.asarray(matrix)
    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    with _figure(path, figsize=(7, 6)) as ax:
        ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
        ax.set_yticks(range(len(class_names)), class_names)
        ax.set(xlabel="predicted", ylabel="true", title="Confusion matrix (test split)")
        for (i, j), count in np.ndenumerate(cm):
            ax.text(j, i, str(count), ha="center", va="center", color="white" if share[i, j] > 0.5 else "black")


def plot_samples(images: Any, true: np.ndarray, probs: np.ndarray, class_names: tuple[str, ...], path: Path,
                 count: int = 16) -> None:
    """Test images with true label, predicted label and confidence (the paper's Fig. 9)."""
    count = min(count, len(true))
    cols = 4
    rows = max(1, (count + cols - 1) // cols)
    with _figure(path, rows, cols, figsize=(cols * 2.4, rows * 2.6)) as axes:
        for k, ax in enumerate(np.atleast_1d(axes).ravel()):
            ax.axis("off")
            if k >= count:
                continue
            pred = int(probs[k].argmax())
            ax.imshow(np.asarray(images[k][0]), cmap="gray", vmin=0, vmax=255)
            ax.set_title(f"true {class_names[int(true[k])]}\npred {class_names[pred]} ({probs[k, pred]:.2f})",
                         fontsize=8, color="green" if pred == int(true[k]) else "red")


def model_card(config: dict[str, Any], metrics: dict[str, Any]) -> str:
    """The Hugging Face model card: YAML with ``model-index``, then templates/model_card.md.j2."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    release = config["release"]
    name = f"{release['name']}-{config['arch']}"
    macro, weighted = metrics["macro"], metrics["weighted"]
    header = {
        "license": "cc-by-4.0",
        "library_name": "pytorch",
        "pipeline_tag": "image-classification",
        "tags": ["image-classification", "facial-expression-recognition", "alexnet", "microe"],
        "datasets": [release["name"]],
        "metrics": ["accuracy", "f1", "precision", "recall"],
        "model-index": [{
            "name": name,
            "results": [{
                "task": {"type": "image-classification", "name": "Facial expression recognition"},
                "dataset": {"type": release["name"], "name": f"{release['name']} {release['version']}",
                            "split": "test", "revision": release["version"]},
                "metrics": [
                    {"type": "accuracy", "value": round(metrics["accuracy"], 4), "name": "Accuracy"},
                    {"type": "f1", "value": round(macro["f1"], 4), "name": "Macro F1", "args": {"average": "macro"}},
                    {"type": "f1", "value": round(weighted["f1"], 4), "name": "Weighted F1", "args": {"average": "weighted"}},
                    {"type": "recall", "value": round(macro["recall"], 4), "name": "Macro recall", "args": {"average": "macro"}},
                ],
            }],
        }],
    }
    environment = Environment(loader=PackageLoader("microe_release.training", "templates"), undefined=StrictUndefined,
                              keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    body = environment.get_template("model_card.md.j2").render(
        name=name, release=release, config=config, metrics=metrics, train=config["train"],
        contempt=metrics["per_class"].get("contempt", {}).get("recall", 0.0), rule=config.get("precision_rule"),
        total=sum(m["support"] for m in metrics["per_class"].values()), decision=config.get("decision", {}),
        device=describe_device(config["hardware"]))
    return f"---\n{yaml.safe_dump(header, sort_keys=False, allow_unicode=True)}---\n\n{body}"
