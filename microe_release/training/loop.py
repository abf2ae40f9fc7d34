"""The training loop: batched augmentation, a one-cycle schedule, mixed precision, best weights restored."""

from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import TrainingError
from ..models import INPUT_SIZES, build_model
from .decision import autocast, choose_logit_adjustment, predict_logits, to_input

logger = logging.getLogger(__name__)

#: Default batch size (best img/s and accuracy per minute on 2 CPU cores); the peak learning rate is given for it
#: and scaled by sqrt(batch / it) for other sizes.
BASE_BATCH = 128

#: ``microe audit``'s defaults, sized for the CPU budget: a ~30,000-image release in about 20 minutes on 2 cores.
AUDIT_FOLDS, AUDIT_EPOCHS = 3, 6

#: The arithmetic a model trains in.
Precision = Literal["fp32", "bf16"]


def augment_batch(x: Any, generator: Any, *, max_rotation: float = 10.0, max_shift: float = 0.08,
                  blur_share: float = 0.3, blur_sigma: float = 0.8) -> Any:
    """Augment a float batch ``(B, 1, H, W)`` in [0, 1] in torch, every draw from ``generator``.

    A flip, a rotation up to ``max_rotation`` degrees (the paper's "small rotations"), a shift up to ``max_shift``
    of the side (a random crop of about 90 %), and a Gaussian blur of ``blur_sigma`` px on ``blur_share`` of the batch.
    """
    import torch
    import torch.nn.functional as F

    batch = x.shape[0]
    device = x.device
    draw = lambda *shape: torch.rand(*shape, generator=generator).to(device)  # noqa: E731
    flip = draw(batch) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    angle = (draw(batch) * 2 - 1) * math.radians(max_rotation)
    scale = 1.0 / (0.9 + 0.2 * draw(batch))
    shift = (draw(batch, 2) * 2 - 1) * max_shift * 2
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    blur = draw(batch) < blur_share
    if bool(blur.any()):
        pad = math.ceil(2 * blur_sigma)
        taps = torch.arange(-pad, pad + 1, dtype=torch.float32)
        kernel = torch.exp(-(taps**2) / (2 * blur_sigma**2))
        kernel = (kernel / kernel.sum()).to(device)
        chosen = F.conv2d(F.pad(x[blur], (pad, pad, 0, 0), mode="replicate"), kernel.view(1, 1, 1, -1))
        chosen = F.conv2d(F.pad(chosen, (0, 0, pad, pad), mode="replicate"), kernel.view(1, 1, -1, 1))
        x = x.index_put((blur,), chosen)
    return x


@dataclass(kw_only=True)
class TrainConfig:
    """Everything that shapes a training run (all of it is saved in config.json)."""

    arch: str = "alexnet-48"
    epochs: int = 27
    patience: int | None = None
    batch_size: int | None = None
    lr: float = 3e-3
    weight_decay: float = 5e-4
    label_smoothing: float = 0.1
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"
    class_weights: bool = False
    deferred_weights: bool = False
    augment: bool = True
    tta: bool = True
    adjust_logits: bool = True
    soft_labels: bool = False  # learn each image's vote shares (the votes column) instead of its label alone

    def __post_init__(self) -> None:
        at_least_one = {"epochs": self.epochs, "patience": self.patience, "batch-size": self.batch_size}
        rules = [(self.arch in INPUT_SIZES, f"unknown --arch '{self.arch}'; use one of {', '.join(INPUT_SIZES)}."),
                 *((n is None or n >= 1, f"--{option} must be at least 1, got {n}.")
                   for option, n in at_least_one.items()),
                 (self.lr > 0, f"--lr must be positive, got {self.lr}."),
                 (0.0 <= self.label_smoothing < 1.0, f"--label-smoothing must be in [0, 1), got {self.label_smoothing}."),
                 (self.device in ("auto", "cpu", "cuda"), f"--device must be auto, cpu or cuda, got '{self.device}'."),
                 (self.precision in ("auto", "fp32", "bf16"), f"--precision must be auto, fp32 or bf16, got '{self.precision}'.")]
        for ok, msg in rules:  # the first broken rule is reported
            if not ok:
                raise TrainingError(msg)


@dataclass(frozen=True, slots=True, kw_only=True)
class FitResult:
    """What :func:`fit` learnt and measured, beside the model (written to config.json and metrics.json)."""

    mean: float  # input normalisation of the training images
    std: float
    input_size: int  # the architecture's input side in pixels
    device: str  # "cpu" or "cuda"
    precision: Precision
    precision_rule: str  # why that precision (see PRECISION_RULES)
    batch_size: int
    peak_lr: float
    history: tuple[dict[str, float], ...]  # one row of losses and accuracies per epoch
    best_epoch: int
    epochs_run: int
    train_seconds: float
    images_per_second: float
    logit_adjustment: dict[str, Any] | None  # the rare-class decision rule chosen on validation (None: plain argmax)


#: Share of the epochs (the last ones) trained with :func:`balanced_weights` under ``deferred_weights``.
DEFERRED_SHARE = 0.25

#: Class-balanced loss's beta (Cui et al. 2019): the "effective number" of n images is (1 - beta^n) / (1 - beta).
BALANCE_BETA = 0.999


def balanced_weights(counts: Any, beta: float = BALANCE_BETA) -> Any:
    """Per-class loss weights inverse to each class's effective number of images, averaging 1 per class."""
    effective = (1.0 - beta ** counts) / (1.0 - beta)
    weights = 1.0 / effective
    return weights * len(weights) / weights.sum()


#: Why ``--precision auto`` picks what it picks (``precision_rule`` in config.json, metrics.json and the card).
#: Never by timing: that made the arithmetic, and so the weights, depend on machine load (issue 18;
#: docs/design.md, "Precision: bf16 or fp32").
PRECISION_RULES = {
    "cuda-bf16": "auto: bf16 on a CUDA GPU with bf16 support",
    "cuda-fp32": "auto: fp32 on a CUDA GPU without bf16 support",
    "cpu": "auto: fp32 on CPU; pin --precision bf16 to use bf16",
}


def choose_precision(name: str, device: Any) -> tuple[Precision, str]:
    """The arithmetic to train in (``--precision``) and the rule that gave it, from the hardware alone."""
    import torch

    if name != "auto":
        return name, f"pinned: --precision {name}"  # type: ignore[return-value]  # checked: fp32 or bf16
    if device.type != "cuda":
        return "fp32", PRECISION_RULES["cpu"]
    precision: Precision = "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return precision, PRECISION_RULES[f"cuda-{precision}"]


def evaluate(model: Any, images: Any, labels: Any, *, mean: float, std: float, side: int, device: Any,
             precision: str = "fp32", tta: bool = False, adjustment: Any = None) -> tuple[float, Any]:
    """Mean cross-entropy and softmax probabilities of a part, ``adjustment`` subtracted from the logits."""
    import torch
    import torch.nn.functional as F

    if len(images) == 0:
        return 0.0, torch.zeros(0)
    logits = predict_logits(model, images, mean=mean, std=std, side=side, device=device, precision=precision, tta=tta)
    if adjustment is not None:
        logits = logits - adjustment
    loss = float(F.cross_entropy(logits, labels.to(logits.device)))
    return loss, F.softmax(logits, dim=1)


def soft_targets(labels: Any, votes: Any, num_classes: int) -> Any:
    """Each image's vote shares as a distribution over the classes; its one-hot label where it has no votes."""
    import torch
    import torch.nn.functional as F

    if votes is None or not int((votes.sum(1) > 0).sum()):
        msg = ("--soft-labels needs annotators' votes, and no image of the training part has any (the votes column "
               "is empty there); train without --soft-labels, or rebuild with a source that carries votes, as FER+ "
               "does, in train.")
        raise TrainingError(msg)
    totals = votes.sum(1, keepdim=True)
    hard = F.one_hot(labels, num_classes).float()
    return torch.where(totals > 0, votes.float() / totals.clamp(min=1), hard)


def fit(parts: dict[str, tuple[Any, Any]], config: TrainConfig, *, num_classes: int,
        progress: bool = False, votes: Any = None) -> tuple[Any, FitResult]:
    """Train on ``parts['train']``, pick the best epoch on ``parts['validation']``; returns (model, :class:`FitResult`).

    ``votes`` (the training images' votes per class) is what ``config.soft_labels`` trains on."""
    import torch
    import torch.nn.functional as F

    from ..progress import progress_bar

    torch.manual_seed(config.seed)
    gpu = torch.cuda.is_available()
    if config.device == "cuda" and not gpu:
        msg = "--device cuda was asked for but no CUDA GPU is visible; use --device cpu or auto."
        raise TrainingError(msg)
    device = torch.device(("cuda" if gpu else "cpu") if config.device == "auto" else config.device)
    precision, precision_rule = choose_precision(config.precision, device)
    side = INPUT_SIZES[config.arch]
    x_train, y_train = parts["train"]
    x_val, y_val = parts["validation"]
    targets = soft_targets(y_train, votes, num_classes) if config.soft_labels else None
    mean = float(x_train.float().mean() / 255.0)
    std = float(x_train.float().std() / 255.0) or 1.0
    batch = config.batch_size or BASE_BATCH
    peak_lr = config.lr * math.sqrt(batch / BASE_BATCH)
    model = build_model(config.arch, num_classes).to(device)
    counts = torch.bincount(y_train, minlength=num_classes).float().clamp(min=1)
    weights = (counts.sum() / (num_classes * counts)).to(device) if config.class_weights else None
    deferred_from = config.epochs - max(1, round(config.epochs * DEFERRED_SHARE)) + 1
    optimizer = torch.optim.AdamW(model.parameters(), lr=peak_lr, weight_decay=config.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=peak_lr, pct_start=0.2,
                                                   total_steps=config.epochs * math.ceil(len(x_train) / batch))
    generator = torch.Generator().manual_seed(config.seed)
    evaluate_kwargs = {"mean": mean, "std": std, "side": side, "device": device, "precision": precision}
    best_acc, best_epoch, best_state = -1.0, 0, copy.deepcopy(model.state_dict())
    history: list[dict[str, float]] = []
    started = time.perf_counter()
    bar = progress_bar(range(1, config.epochs + 1), desc=f"training {config.arch}", unit="epoch", enabled=progress)
    for epoch in bar:
        epoch_started = time.perf_counter()
        if config.deferred_weights and epoch == deferred_from:  # features first, then the rare-class boundary
            weights = balanced_weights(counts).to(device)
        model.train()
        order = torch.randperm(len(x_train), generator=generator)
        correct, total_loss = 0, 0.0
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            xb = x_train[idx].to(device).float() / 255.0
            if config.augment:
                xb = augment_batch(xb, generator)
            xb = to_input(xb, mean, std, side)
            yb = y_train[idx].to(device)
            with autocast(device, precision):
                logits = model(xb)
            target = yb if targets is None else targets[idx].to(device)
            loss = F.cross_entropy(logits.float(), target, weight=weights, label_smoothing=config.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total_loss += loss.item() * len(idx)
            correct += int((logits.argmax(1) == yb).sum())
        val_loss, val_probs = evaluate(model, x_val, y_val, **evaluate_kwargs)
        val_acc = float((val_probs.argmax(1).cpu() == y_val).float().mean()) if len(y_val) else 0.0
        history.append({"epoch": epoch, "train_loss": total_loss / len(x_train), "train_accuracy": correct / len(x_train),
                        "val_loss": val_loss, "val_accuracy": val_acc,
                        "seconds": round(time.perf_counter() - epoch_started, 2)})
        bar.set_postfix(val_loss=f"{val_loss:.3f}", val_acc=f"{val_acc:.3f}")
        logger.info("epoch %d: val loss %.4f, val accuracy %.4f", epoch, val_loss, val_acc)
        if val_acc > best_acc:
            best_acc, best_epoch, best_state = val_acc, epoch, copy.deepcopy(model.state_dict())
        elif config.patience is not None and epoch - best_epoch >= config.patience:
            logger.info("early stop at epoch %d (best %d)", epoch, best_epoch)
            break
    train_seconds = time.perf_counter() - started
    model.load_state_dict(best_state)
    adjustment = None
    if config.adjust_logits and len(y_val):
        val_logits = predict_logits(model, x_val, tta=config.tta, **evaluate_kwargs)
        adjustment = choose_logit_adjustment(val_logits, y_val, y_train, num_classes=num_classes)
    return model, FitResult(
        mean=mean, std=std, input_size=side, device=device.type, precision=precision, precision_rule=precision_rule,
        batch_size=batch, peak_lr=peak_lr, history=tuple(history), best_epoch=best_epoch, epochs_run=len(history),
        train_seconds=train_seconds, images_per_second=len(x_train) * len(history) / max(train_seconds, 1e-9),
        logit_adjustment=adjustment)
