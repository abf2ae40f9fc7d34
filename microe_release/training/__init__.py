"""``microe train`` / ``microe predict``: the release's reference AlexNet, reproducible and honest."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import TrainingError
from ..labels import CLASS_NAMES
from ..models import build_model
from .artifacts import (
    describe_hardware,
    model_card,
    plot_confusion,
    plot_curves,
    plot_samples,
    save_json,
)
from .data import load_release_tensors
from .decision import predict_logits
from .loop import TrainConfig, evaluate, fit, resolve_device
from .metrics import classification_metrics

logger = logging.getLogger(__name__)


def train(release_dir: str | Path, out_dir: str | Path, *, progress: bool = False, **options: Any) -> dict[str, Any]:
    """Train the reference model on a release and write MODEL_DIR.

    Parameters
    ----------
    release_dir : str or Path
        A release folder (``microe build``).
    out_dir : str or Path
        MODEL_DIR to write (created; existing files replaced).
    **options
        Fields of :class:`TrainConfig`: ``arch``, ``epochs``, ``patience``, ``batch_size``, ``lr``,
        ``weight_decay``, ``label_smoothing``, ``seed``, ``device``, ``precision``, ``class_weights``,
        ``augment``, ``tta``, ``adjust_logits``.

    Returns
    -------
    dict
        The test metrics (as in ``metrics.json``).
    """
    import torch
    from safetensors.torch import save_file

    started = time.perf_counter()
    config = TrainConfig(**options)
    tensors = load_release_tensors(release_dir, seed=config.seed)
    model, facts = fit(tensors.parts, config, num_classes=len(CLASS_NAMES), progress=progress)
    x_test, y_test = tensors.parts["test"]
    device = resolve_device(config.device)
    decision = facts["logit_adjustment"]
    offsets = torch.tensor(decision["offsets"]) if decision else None
    _, probs = evaluate(model, x_test, y_test, mean=facts["mean"], std=facts["std"], side=facts["input_size"],
                        device=device, precision=facts["precision"], tta=config.tta, adjustment=offsets)
    probs_np = probs.numpy()
    metrics = classification_metrics(y_test.numpy(), probs_np.argmax(1), CLASS_NAMES)
    hardware = describe_hardware(device)
    metrics.update({"epochs_run": facts["epochs_run"], "best_epoch": facts["best_epoch"],
                    "train_seconds": round(facts["train_seconds"], 2),
                    "images_per_second": round(facts["images_per_second"], 1),
                    "wall_seconds": round(time.perf_counter() - started, 2),
                    "seed": config.seed, "hardware": hardware, "precision": facts["precision"],
                    "precision_speeds": facts["precision_speeds"],
                    "data": {"release": tensors.name, "version": tensors.version,
                             "content_hash": tensors.content_hash,
                             "splits": {k: len(v[1]) for k, v in tensors.parts.items()}},
                    "history": facts["history"]})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, str(out / "model.safetensors"))
    run = asdict(config)
    run.pop("history")
    model_config = {
        "arch": config.arch, "class_names": list(CLASS_NAMES), "input_size": facts["input_size"],
        "normalisation": {"scale": 1 / 255, "mean": facts["mean"], "std": facts["std"]},
        "decision": {"tta": config.tta, "logit_adjustment": decision},
        "release": {"name": tensors.name, "version": tensors.version, "content_hash": tensors.content_hash},
        "splits": {k: len(v[1]) for k, v in tensors.parts.items()}, "carved_validation": tensors.carved_validation,
        "train": run, "device": facts["device"], "precision": facts["precision"],
        "precision_speeds": facts["precision_speeds"], "batch_size": facts["batch_size"],
        "peak_lr": facts["peak_lr"], "epochs_run": facts["epochs_run"], "best_epoch": facts["best_epoch"],
        "hardware": hardware, "torch_version": torch.__version__,
    }
    save_json(out / "config.json", model_config)
    save_json(out / "metrics.json", metrics)
    plot_curves(facts["history"], out / "training_curves.png")
    plot_confusion(metrics["confusion_matrix"], CLASS_NAMES, out / "confusion_matrix.png")
    plot_samples(x_test, y_test.numpy(), probs_np, CLASS_NAMES, out / "sample_predictions.png")
    (out / "README.md").write_text(model_card(model_config, metrics), encoding="utf-8")
    logger.info("test accuracy %.3f, macro F1 %.3f", metrics["accuracy"], metrics["macro"]["f1"])
    return metrics


class ReferenceModel:
    """A trained model loaded from MODEL_DIR, with its preprocessing."""

    def __init__(self, model: Any, config: dict[str, Any]) -> None:
        self.model = model
        self.config = config
        self.class_names = tuple(config["class_names"])

    def predict_pixels(self, pixels: np.ndarray) -> np.ndarray:
        """Class probabilities ``(N, classes)`` for uint8 images ``(N, 48, 48)``."""
        import torch

        x = torch.from_numpy(np.ascontiguousarray(pixels, dtype=np.uint8))[:, None]
        norm = self.config["normalisation"]
        decision = self.config.get("decision", {})
        logits = predict_logits(self.model, x, mean=norm["mean"], std=norm["std"], side=self.config["input_size"],
                                device=torch.device("cpu"), precision=self.config.get("precision", "fp32"),
                                tta=decision.get("tta", False))
        if decision.get("logit_adjustment"):
            logits = logits - torch.tensor(decision["logit_adjustment"]["offsets"])
        return torch.softmax(logits, dim=1).numpy()

    def predict_files(self, paths: list[str | Path]) -> list[dict[str, Any]]:
        """Label and per-class confidence of image files, preprocessed exactly as the build does."""
        from ..processing import _Skip, decode_image

        results, pixels = [], []
        for path in paths:
            try:
                array, *_ = decode_image(Path(path).read_bytes(), 48)
            except _Skip as skip:
                msg = f"cannot read '{path}': {skip.reason.value} ({skip.detail}); pass an image file Pillow opens."
                raise TrainingError(msg) from None
            except OSError as err:
                msg = f"cannot read '{path}': {err}."
                raise TrainingError(msg) from err
            pixels.append(array)
        probs = self.predict_pixels(np.stack(pixels)) if pixels else np.zeros((0, len(self.class_names)))
        for path, p in zip(paths, probs, strict=True):
            best = int(p.argmax())
            results.append({"file": str(path), "label": self.class_names[best], "confidence": float(p[best]),
                            "probabilities": {n: float(v) for n, v in zip(self.class_names, p, strict=True)}})
        return results


def load_model(model_dir: str | Path) -> ReferenceModel:
    """Load MODEL_DIR written by :func:`train`.

    Raises
    ------
    TrainingError
        When the folder lacks config.json or model.safetensors, or they do not fit together.
    """
    import json

    import torch
    from safetensors.torch import load_file

    root = Path(model_dir)
    try:
        config = json.loads((root / "config.json").read_text())
        state = load_file(str(root / "model.safetensors"))
    except FileNotFoundError as err:
        msg = f"'{root}' is not a model folder (needs config.json and model.safetensors from `microe train`)."
        raise TrainingError(msg) from err
    model = build_model(config["arch"], len(config["class_names"]))
    model = model.to(memory_format=torch.channels_last)
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        msg = f"weights in '{root / 'model.safetensors'}' do not fit architecture '{config['arch']}': {err}"
        raise TrainingError(msg) from err
    model.eval()
    return ReferenceModel(model, config)


__all__ = ["ReferenceModel", "TrainConfig", "load_model", "train"]
