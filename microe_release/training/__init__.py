"""``microe train`` / ``microe predict``: the release's reference AlexNet, reproducible and honest."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..errors import ImageRejectedError, TrainingError
from ..labels import CLASS_NAMES
from ..models import INPUT_SIZES, build_model
from . import artifacts
from .data import load_release_tensors
from .decision import classification_metrics, predict_logits
from .loop import TrainConfig, evaluate, fit

logger = logging.getLogger(__name__)


def _import_train_extra(command: str) -> tuple[ModuleType, ModuleType]:
    """``torch`` and ``safetensors.torch``, or a TrainingError naming ``command`` and how to install them."""
    try:
        import safetensors.torch as safetensors_torch
        import torch
    except ImportError as err:  # torch first on a CPU-only machine: an unpinned torch pulls GBs of CUDA packages
        msg = (f"{command} needs PyTorch and safetensors: pip install 'microe-release[train]' (on a CPU-only machine "
               f"install torch==2.13.0 first); here '{err.name or 'torch'}' cannot be imported ({err}).")
        raise TrainingError(msg) from err
    return torch, safetensors_torch


def train(release_dir: str | Path, out_dir: str | Path, *, progress: bool = False, **options: Any) -> dict[str, Any]:
    """Train the reference model on a release and write MODEL_DIR.

    Parameters
    ----------
    release_dir : str or Path
        A release folder (``microe build``).
    out_dir : str or Path
        MODEL_DIR to write (created; existing files replaced).
    progress : bool
        Show a progress bar over the epochs.
    **options
        Fields of :class:`TrainConfig` (``epochs``, ``device``, ``precision``, ...).

    Returns
    -------
    dict
        The test metrics (as in ``metrics.json``).

    Raises
    ------
    TrainingError
        Without the ``train`` extra, for a bad option, or for a release that cannot be trained (one class
        in train, an empty train or test split); all of these before any image is decoded.
    """
    torch, safetensors_torch = _import_train_extra("microe train")
    started = time.perf_counter()
    config = TrainConfig(**options)
    tensors = load_release_tensors(release_dir, seed=config.seed)
    model, facts = fit(tensors.parts, config, num_classes=len(CLASS_NAMES), progress=progress,
                       votes=tensors.votes["train"])
    x_test, y_test = tensors.parts["test"]
    device = torch.device(facts.device)
    decision = facts.logit_adjustment
    offsets = torch.tensor(decision["offsets"]) if decision else None
    probs = evaluate(model, x_test, y_test, mean=facts.mean, std=facts.std, side=facts.input_size,
                     device=device, precision=facts.precision, tta=config.tta, adjustment=offsets)[1].numpy()
    metrics = classification_metrics(y_test.numpy(), probs.argmax(1), CLASS_NAMES)
    hardware = artifacts.describe_hardware(device)
    splits = {k: len(v[1]) for k, v in tensors.parts.items()}
    with_votes = {k: int((v.sum(1) > 0).sum()) for k, v in tensors.votes.items()}
    metrics.update({"epochs_run": facts.epochs_run, "best_epoch": facts.best_epoch,
                    "train_seconds": round(facts.train_seconds, 2),
                    "images_per_second": round(facts.images_per_second, 1),
                    "wall_seconds": round(time.perf_counter() - started, 2),
                    "seed": config.seed, "hardware": hardware, "precision": facts.precision,
                    "precision_rule": facts.precision_rule,
                    "data": {"release": tensors.name, "version": tensors.version,
                             "content_hash": tensors.content_hash, "splits": splits,
                             "images_with_votes": with_votes},
                    "history": list(facts.history)})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    safetensors_torch.save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()},
                                str(out / "model.safetensors"))
    model_config = {
        "arch": config.arch, "class_names": list(CLASS_NAMES), "image_size": int(x_test.shape[-1]),
        "input_size": facts.input_size,
        "normalisation": {"scale": 1 / 255, "mean": facts.mean, "std": facts.std},
        "decision": {"tta": config.tta, "logit_adjustment": decision},
        "release": {"name": tensors.name, "version": tensors.version, "content_hash": tensors.content_hash},
        "splits": splits, "carved_validation": tensors.carved_validation,
        "train": asdict(config), "device": facts.device, "precision": facts.precision,
        "precision_rule": facts.precision_rule, "batch_size": facts.batch_size,
        "peak_lr": facts.peak_lr, "epochs_run": facts.epochs_run, "best_epoch": facts.best_epoch,
        "hardware": hardware, "torch_version": torch.__version__,
    }
    for name, data in (("config.json", model_config), ("metrics.json", metrics)):
        (out / name).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    artifacts.plot_curves(facts.history, out / "training_curves.png")
    artifacts.plot_confusion(metrics["confusion_matrix"], CLASS_NAMES, out / "confusion_matrix.png")
    artifacts.plot_samples(x_test, y_test.numpy(), probs, CLASS_NAMES, out / "sample_predictions.png")
    (out / "README.md").write_text(artifacts.model_card(model_config, metrics), encoding="utf-8")
    logger.info("test accuracy %.3f, macro F1 %.3f", metrics["accuracy"], metrics["macro"]["f1"])
    return metrics


class ReferenceModel:
    """A trained model loaded from MODEL_DIR, with its preprocessing.

    Attributes
    ----------
    image_size : int
        Side the images are decoded to, as the release's were (``image_size`` in config.json; 48 for
        model folders written before it was recorded).
    """

    def __init__(self, model: Any, config: dict[str, Any]) -> None:
        self.model = model
        self.config = config
        self.class_names = tuple(config["class_names"])
        self.image_size = int(config.get("image_size", 48))  # 48: folders written before it was recorded

    def predict_pixels(self, pixels: np.ndarray) -> np.ndarray:
        """Class probabilities ``(N, classes)`` for uint8 images ``(N, S, S)``, S being :attr:`image_size`."""
        import torch

        x = torch.from_numpy(np.ascontiguousarray(pixels, dtype=np.uint8))[:, None]
        norm = self.config["normalisation"]
        decision = self.config.get("decision", {})
        side = int(self.config.get("input_size", INPUT_SIZES[self.config["arch"]]))
        logits = predict_logits(self.model, x, mean=norm["mean"], std=norm["std"], side=side,
                                device=torch.device("cpu"), precision=self.config.get("precision", "fp32"),
                                tta=decision.get("tta", False))
        if decision.get("logit_adjustment"):
            logits = logits - torch.tensor(decision["logit_adjustment"]["offsets"])
        return torch.softmax(logits, dim=1).numpy()

    def predict_files(self, paths: list[str | Path]) -> list[dict[str, Any]]:
        """Label and per-class confidence of image files, preprocessed exactly as the build does.

        Parameters
        ----------
        paths : list of str or Path
            Image files in any format Pillow reads.

        Returns
        -------
        list of dict
            One entry per path, in order: ``file``, ``label``, ``confidence`` and ``probabilities``; or,
            for a file that cannot be read, ``file`` and ``error`` (the others are still predicted).
        """
        from ..processing import decode_image

        results: list[dict[str, Any]] = [{"file": str(path)} for path in paths]
        pixels, readable = [], []
        for path, result in zip(paths, results, strict=True):
            try:
                pixels.append(decode_image(Path(path).read_bytes(), self.image_size)[0])
                readable.append(result)
            except ImageRejectedError as skip:
                result["error"] = (f"cannot read '{path}': {skip.reason} ({skip.detail}); pass an image "
                                   "file Pillow opens (PNG, JPEG, BMP, TIFF, WebP).")
            except OSError as err:
                result["error"] = f"cannot read '{path}': {err.strerror or err}; check the path and its permissions."
        for result, p in zip(readable, self.predict_pixels(np.stack(pixels)) if pixels else (), strict=True):
            best = int(p.argmax())
            result.update(label=self.class_names[best], confidence=float(p[best]),
                          probabilities={n: float(v) for n, v in zip(self.class_names, p, strict=True)})
        return results


def _retrain(root: Path) -> str:
    return f"re-run `microe train RELEASE_DIR --out {root}` to write the model folder again"


def _not_a_model_folder(root: Path) -> TrainingError:
    msg = f"'{root}' is not a model folder (needs config.json and model.safetensors from `microe train`)."
    return TrainingError(msg)


def _read_model_config(root: Path) -> dict[str, Any]:
    """MODEL_DIR's config.json, checked for what loading the model needs."""
    path = root / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise _not_a_model_folder(root) from err
    except json.JSONDecodeError as err:
        msg = f"'{path}' is not valid JSON ({err.msg} at line {err.lineno}, column {err.colno}); {_retrain(root)}."
        raise TrainingError(msg) from err
    except (OSError, UnicodeDecodeError) as err:
        msg = f"cannot read '{path}': {err}; {_retrain(root)}."
        raise TrainingError(msg) from err
    fields = config if isinstance(config, dict) else {}
    names, norm = fields.get("class_names"), fields.get("normalisation")
    problem = None
    if not isinstance(config, dict):
        problem = f"'{path}' holds a JSON {type(config).__name__}, expected an object"
    elif missing := [key for key in ("arch", "class_names", "normalisation") if key not in config]:
        problem = f"'{path}' lacks {', '.join(repr(k) for k in missing)}"  # input_size and image_size have defaults
    elif config["arch"] not in INPUT_SIZES:
        problem = f"'{path}': 'arch' is '{config['arch']}', expected one of {', '.join(INPUT_SIZES)}"
    elif not (isinstance(names, list) and len(names) >= 2 and all(isinstance(n, str) for n in names)):
        problem = f"'{path}': 'class_names' is '{names}', expected a list of at least 2 names"
    elif not (isinstance(norm, dict) and all(isinstance(norm.get(k), (int, float)) for k in ("mean", "std"))):
        problem = f"'{path}': 'normalisation' is '{norm}', expected numbers 'mean' and 'std'"
    if problem:
        msg = f"{problem}; {_retrain(root)}."
        raise TrainingError(msg)
    return config


def load_model(model_dir: str | Path) -> ReferenceModel:
    """Load MODEL_DIR written by :func:`train`.

    Parameters
    ----------
    model_dir : str or Path
        The folder ``microe train --out`` wrote.

    Returns
    -------
    ReferenceModel
        The model in eval mode, with its preprocessing.

    Raises
    ------
    TrainingError
        Without the ``train`` extra; when the folder lacks config.json or model.safetensors; when either
        is corrupt (not JSON, missing keys, not a safetensors file, truncated) or they do not fit together.
    """
    _, safetensors_torch = _import_train_extra("microe predict")
    from safetensors import SafetensorError

    root = Path(model_dir)
    config = _read_model_config(root)
    weights = root / "model.safetensors"
    try:
        state = safetensors_torch.load_file(str(weights))
    except FileNotFoundError as err:
        raise _not_a_model_folder(root) from err
    except (SafetensorError, OSError) as err:
        msg = f"'{weights}' is not a readable safetensors file ({err}); {_retrain(root)}."
        raise TrainingError(msg) from err
    model = build_model(config["arch"], len(config["class_names"]))
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        detail = " ".join(str(err).split())[:300]  # torch lists every key over several lines: keep one line
        msg = f"weights in '{weights}' do not fit architecture '{config['arch']}' ({detail}); {_retrain(root)}."
        raise TrainingError(msg) from err
    model.eval()
    return ReferenceModel(model, config)


__all__ = ["ReferenceModel", "TrainConfig", "load_model", "train"]
