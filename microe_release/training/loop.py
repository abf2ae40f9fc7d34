"""The training loop: batched augmentation, early stopping on validation loss, best weights restored."""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import TrainingError
from ..models import INPUT_SIZES, build_model
from .augment import augment_batch

logger = logging.getLogger(__name__)


@dataclass(kw_only=True)
class TrainConfig:
    """Everything that shapes a training run (all of it is saved in config.json)."""

    arch: str = "alexnet-48"
    epochs: int = 30
    patience: int = 5
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 1e-4
    seed: int = 0
    device: str = "auto"
    class_weights: bool = False
    augment: bool = True
    history: list[dict[str, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.arch not in INPUT_SIZES:
            msg = f"unknown --arch '{self.arch}'; use one of {', '.join(INPUT_SIZES)}."
            raise TrainingError(msg)
        for name in ("epochs", "patience", "batch_size"):
            if getattr(self, name) < 1:
                msg = f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}."
                raise TrainingError(msg)
        if not self.lr > 0:
            msg = f"--lr must be positive, got {self.lr}."
            raise TrainingError(msg)


def resolve_device(name: str) -> Any:
    """``auto`` -> cuda when available, else cpu; ``cuda`` without a GPU is an error."""
    import torch

    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        msg = "--device cuda was asked for but no CUDA GPU is visible; use --device cpu or auto."
        raise TrainingError(msg)
    if name not in ("cpu", "cuda"):
        msg = f"--device must be auto, cpu or cuda, got '{name}'."
        raise TrainingError(msg)
    return torch.device(name)


def to_input(x: Any, mean: float, std: float, side: int) -> Any:
    """uint8 or [0, 1] float ``(B, 1, H, W)`` -> normalised float at the architecture's input size."""
    import torch.nn.functional as F

    if x.dtype.is_floating_point is False:
        x = x.float() / 255.0
    x = (x - mean) / std
    if x.shape[-1] != side:
        x = F.interpolate(x, size=(side, side), mode="bilinear", align_corners=False)
    return x


def evaluate(model: Any, images: Any, labels: Any, *, mean: float, std: float, side: int, device: Any,
             batch_size: int = 512) -> tuple[float, Any]:
    """Mean cross-entropy and softmax probabilities of a whole part (no augmentation)."""
    import torch
    import torch.nn.functional as F

    model.eval()
    losses, probs = [], []
    with torch.no_grad(), _autocast(device):
        for start in range(0, len(images), batch_size):
            xb = to_input(images[start:start + batch_size].to(device), mean, std, side)
            if device.type == "cuda":
                xb = xb.contiguous(memory_format=torch.channels_last)
            logits = model(xb).float()
            yb = labels[start:start + batch_size].to(device)
            losses.append(F.cross_entropy(logits, yb, reduction="sum").item())
            probs.append(F.softmax(logits, dim=1).cpu())
    return sum(losses) / max(len(images), 1), torch.cat(probs) if probs else torch.zeros(0)


def _autocast(device: Any) -> Any:
    import contextlib

    import torch

    return torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else contextlib.nullcontext()


def fit(parts: dict[str, tuple[Any, Any]], config: TrainConfig, *, num_classes: int,
        progress: bool = False) -> tuple[Any, dict[str, Any]]:
    """Train on ``parts['train']``, stop early on ``parts['validation']``; returns (model, run facts)."""
    import torch
    import torch.nn.functional as F
    from tqdm.auto import tqdm

    torch.manual_seed(config.seed)
    device = resolve_device(config.device)
    side = INPUT_SIZES[config.arch]
    x_train, y_train = parts["train"]
    x_val, y_val = parts["validation"]
    mean = float(x_train.float().mean() / 255.0)
    std = float(x_train.float().std() / 255.0) or 1.0
    model = build_model(config.arch, num_classes).to(device)
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    weights = None
    if config.class_weights:
        counts = torch.bincount(y_train, minlength=num_classes).float().clamp(min=1)
        weights = (counts.sum() / (num_classes * counts)).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    generator = torch.Generator().manual_seed(config.seed)
    best_loss, best_epoch, best_state = float("inf"), 0, copy.deepcopy(model.state_dict())
    history: list[dict[str, float]] = []
    started, waited = time.perf_counter(), 0
    bar = tqdm(range(1, config.epochs + 1), desc=f"training {config.arch}", unit="epoch", disable=not progress)
    for epoch in bar:
        model.train()
        order = torch.randperm(len(x_train), generator=generator)
        seen = correct = 0
        total_loss = 0.0
        for start in range(0, len(order), config.batch_size):
            idx = order[start:start + config.batch_size]
            xb = x_train[idx].to(device).float() / 255.0
            if config.augment:
                xb = augment_batch(xb, generator)
            xb = to_input(xb, mean, std, side)
            if device.type == "cuda":
                xb = xb.contiguous(memory_format=torch.channels_last)
            yb = y_train[idx].to(device)
            with _autocast(device):
                logits = model(xb)
                loss = F.cross_entropy(logits.float(), yb, weight=weights)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * len(idx)
            correct += int((logits.argmax(1) == yb).sum())
            seen += len(idx)
        val_loss, val_probs = evaluate(model, x_val, y_val, mean=mean, std=std, side=side, device=device)
        val_acc = float((val_probs.argmax(1) == y_val).float().mean()) if len(y_val) else 0.0
        history.append({"epoch": epoch, "train_loss": total_loss / seen, "train_accuracy": correct / seen,
                        "val_loss": val_loss, "val_accuracy": val_acc})
        bar.set_postfix(val_loss=f"{val_loss:.3f}", val_acc=f"{val_acc:.3f}")
        if val_loss < best_loss - 1e-4:
            best_loss, best_epoch, best_state = val_loss, epoch, copy.deepcopy(model.state_dict())
            waited = 0
        else:
            waited += 1
            if waited >= config.patience:
                logger.info("early stop at epoch %d (best %d)", epoch, best_epoch)
                break
    model.load_state_dict(best_state)
    facts = {"mean": mean, "std": std, "input_size": side, "device": device.type, "history": history,
             "best_epoch": best_epoch, "epochs_run": len(history), "train_seconds": time.perf_counter() - started}
    return model, facts
