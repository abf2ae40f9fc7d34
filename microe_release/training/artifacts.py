"""MODEL_DIR: weights (safetensors), config, metrics, figures and the Hugging Face model card."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

#: The paper's AlexNet results (Table II), shown beside ours in the model card.
PAPER_RESULTS = {"accuracy": 0.85, "macro_f1": 0.81, "contempt_recall": 0.64}


def describe_hardware(device: Any) -> dict[str, Any]:
    """What the run ran on: CPU model and cores, torch threads, and the GPU when one was used."""
    import os
    import platform

    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), cpu)
    except OSError:
        pass
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


def save_json(path: Path, data: Any) -> None:
    """Pretty UTF-8 JSON with a final newline."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def plot_curves(history: Sequence[dict[str, float]], path: Path) -> None:
    """Train/validation accuracy and loss by epoch (the paper's Fig. 8)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(epochs, [h["train_accuracy"] for h in history], label="train")
    ax1.plot(epochs, [h["val_accuracy"] for h in history], label="validation")
    ax1.set(title="Accuracy", xlabel="epoch", ylabel="accuracy")
    ax2.plot(epochs, [h["train_loss"] for h in history], label="train")
    ax2.plot(epochs, [h["val_loss"] for h in history], label="validation")
    ax2.set(title="Loss", xlabel="epoch", ylabel="cross-entropy")
    for ax in (ax1, ax2):
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def plot_confusion(matrix: list[list[int]], class_names: tuple[str, ...], path: Path) -> None:
    """The test confusion matrix, counts and row-normalised colours."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(matrix)
    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(7, 6))
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
    ax.set_yticks(range(len(class_names)), class_names)
    ax.set(xlabel="predicted", ylabel="true", title="Confusion matrix (test split)")
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", color="white" if share[i, j] > 0.5 else "black")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def plot_samples(images: Any, true: np.ndarray, probs: np.ndarray, class_names: tuple[str, ...], path: Path,
                 count: int = 16) -> None:
    """Test images with true label, predicted label and confidence (the paper's Fig. 9)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    count = min(count, len(true))
    cols = 4
    rows = max(1, (count + cols - 1) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 2.4, rows * 2.6))
    for k, ax in enumerate(np.atleast_1d(axes).ravel()):
        ax.axis("off")
        if k >= count:
            continue
        pred = int(probs[k].argmax())
        ax.imshow(np.asarray(images[k][0]), cmap="gray", vmin=0, vmax=255)
        ok = pred == int(true[k])
        ax.set_title(f"true {class_names[int(true[k])]}\npred {class_names[pred]} ({probs[k, pred]:.2f})",
                     fontsize=8, color="green" if ok else "red")
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def model_card(config: dict[str, Any], metrics: dict[str, Any]) -> str:
    """The Hugging Face model card (YAML with ``model-index``, then prose)."""
    release = config["release"]
    name = f"{release['name']}-{config['arch']}"
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
                    {"type": "f1", "value": round(metrics["macro"]["f1"], 4), "name": "Macro F1", "args": {"average": "macro"}},
                    {"type": "f1", "value": round(metrics["weighted"]["f1"], 4), "name": "Weighted F1",
                     "args": {"average": "weighted"}},
                    {"type": "recall", "value": round(metrics["macro"]["recall"], 4), "name": "Macro recall",
                     "args": {"average": "macro"}},
                ],
            }],
        }],
    }
    rows = "\n".join(f"| {c} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |"
                     for c, m in metrics["per_class"].items())
    contempt = metrics["per_class"].get("contempt", {}).get("recall", 0.0)
    train = config["train"]
    total = sum(m["support"] for m in metrics["per_class"].values())
    decision = config.get("decision", {})
    adjustment = decision.get("logit_adjustment")
    decision_text = ("the mean of the image's and its mirror's log-probabilities; " if decision.get("tta") else "")
    if adjustment:
        decision_text += (f"logits minus {adjustment['tau']} x log(training class prior), tau chosen on the "
                          f"validation part for macro F1 (validation macro F1 {adjustment['val_macro_f1_plain']:.3f} "
                          f"-> {adjustment['val_macro_f1']:.3f}, accuracy {adjustment['val_accuracy_plain']:.3f} -> "
                          f"{adjustment['val_accuracy']:.3f}).")
    else:
        decision_text += "the plain argmax."
    rule = config.get("precision_rule")
    precision_text = f" ({rule})" if rule else ""
    body = f"""# {name}: reference AlexNet for {release['name']} {release['version']}

The reference model shipped with the release, trained by `microe train` (architecture `{config['arch']}`,
input {config['input_size']}x{config['input_size']} grayscale, normalised by /255 and the training mean
{config['normalisation']['mean']:.4f} and std {config['normalisation']['std']:.4f}). It shows what the data
supports; it is not a production emotion recogniser.

## Results on the test split (touched once, after training)

| | this model | paper (AlexNet, Table II) |
|---|---|---|
| accuracy | {metrics['accuracy']:.3f} | {PAPER_RESULTS['accuracy']:.2f} |
| macro F1 | {metrics['macro']['f1']:.3f} | {PAPER_RESULTS['macro_f1']:.2f} |
| contempt recall | {contempt:.3f} | {PAPER_RESULTS['contempt_recall']:.2f} |

Per class, in the layout of the paper's Table II:

| class | precision | recall | F1 | support |
|---|---|---|---|---|
{rows}
| **macro** | {metrics['macro']['precision']:.3f} | {metrics['macro']['recall']:.3f} | {metrics['macro']['f1']:.3f} | {total} |
| **weighted** | {metrics['weighted']['precision']:.3f} | {metrics['weighted']['recall']:.3f} | {metrics['weighted']['f1']:.3f} | {total} |

Figures: `training_curves.png`, `confusion_matrix.png`, `sample_predictions.png`; every number is in
`metrics.json`.

## Training

- **Data**: release `{release['name']}` version {release['version']} (content hash `{release['content_hash']}`);
  splits {config['splits']}{' (validation carved from train, seeded and stratified)' if config['carved_validation'] else ''}.
- **Run**: {config['epochs_run']} epochs (best {config['best_epoch']} by validation accuracy), AdamW with a
  one-cycle schedule peaking at lr {config['peak_lr']:.2g}, weight decay {train['weight_decay']}, batch
  {config['batch_size']}, label smoothing {train['label_smoothing']}, class weights
  {'on' if train['class_weights'] else 'off'}{', class-balanced weights in the last quarter of the epochs' if train.get('deferred_weights') else ''}, {config['precision']} arithmetic{precision_text}, seed **{train['seed']}**.
- **Augmentation** (on the fly): horizontal flip, rotation up to 10 degrees, scale and shift (random
  crop), Gaussian blur.
- **Decision**: {decision_text}
- **Hardware**: {describe_device(config['hardware'])}; torch {config['torch_version']}.
- **Time**: {metrics['train_seconds']:.0f} s training ({metrics['images_per_second']:.0f} training images/s),
  {metrics['wall_seconds']:.0f} s wall for the whole `microe train` (loading, training, evaluation).

The same seed, release and device give the same weights and metrics: the arithmetic is chosen from
the hardware (the rule above), never by timing.

## Intended use

Research and teaching on facial-expression recognition; a baseline to compare new models with on this
release. Load it with `microe_release.load_model("{name}")` or predict with
`microe predict MODEL_DIR image.jpg`.

## Limitations and ethical considerations

Recognising a facial *expression* is not recognising an *emotion*: expressions are posed or suppressed,
and their reading differs between cultures and people. The training data over-represents some
demographics and under-represents rare classes (contempt, disgust), so errors are not evenly spread
across groups or classes. Do not use this model to make or support decisions about people (hiring,
education, policing, health, border control, surveillance), to infer their inner state without their
informed consent, or on people who have not agreed to it. Per-class recall above shows where it fails.
"""
    return f"---\n{yaml.safe_dump(header, sort_keys=False, allow_unicode=True)}---\n\n{body}"
