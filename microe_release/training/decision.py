"""From network to decision: the input transform, test-time mirroring, a rare-class logit adjustment, the metrics."""

# Subtracting ``tau * log(prior)`` from the logits (Menon et al. 2021, https://arxiv.org/abs/2007.07314) moves the
# decision towards the rare classes, which a network trained on the natural frequencies under-predicts.

from __future__ import annotations

from typing import Any

import numpy as np

#: Candidate strengths of the adjustment (0 = the plain argmax).
TAUS = tuple(round(0.1 * i, 1) for i in range(21))

#: The adjustment may cost at most this much validation accuracy (accuracy stays the headline figure).
MAX_ACCURACY_COST = 0.01


def autocast(device: Any, precision: str) -> Any:
    """The autocast context of a precision (disabled, so a no-op, for fp32)."""
    import torch

    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


def to_input(x: Any, mean: float, std: float, side: int) -> Any:
    """uint8 or [0, 1] float ``(B, 1, H, W)`` -> normalised float at the architecture's input size."""
    import torch.nn.functional as F

    if not x.dtype.is_floating_point:
        x = x.float() / 255.0
    x = (x - mean) / std
    if x.shape[-1] != side:
        x = F.interpolate(x, size=(side, side), mode="bilinear", align_corners=False)
    return x


def predict_logits(model: Any, images: Any, *, mean: float, std: float, side: int, device: Any,
                   precision: str = "fp32", tta: bool = False, batch_size: int = 512) -> Any:
    """Float32 CPU logits ``(N, classes)`` of uint8 images; with ``tta``, the mean log-softmax of image and mirror."""
    import torch
    import torch.nn.functional as F

    model.eval()
    out = []
    with torch.no_grad(), autocast(device, precision):
        for start in range(0, len(images), batch_size):
            xb = to_input(images[start:start + batch_size].to(device), mean, std, side)
            logits = model(xb).float()
            if tta:
                logits = (F.log_softmax(logits, 1) + F.log_softmax(model(xb.flip(-1)).float(), 1)) / 2
            out.append(logits.cpu())
    return torch.cat(out) if out else torch.zeros(0)


def classification_metrics(true: np.ndarray, pred: np.ndarray, class_names: tuple[str, ...]) -> dict[str, Any]:
    """Accuracy, macro/weighted precision/recall/F1, per-class figures, confusion matrix (the paper's Table II)."""
    k = len(class_names)
    cm = np.bincount(true * k + pred, minlength=k * k).reshape(k, k)  # cm[i, j]: images of class i predicted as j
    tp = np.diag(cm).astype(float)
    support = cm.sum(axis=1).astype(float)
    predicted = cm.sum(axis=0).astype(float)
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros(k), where=support > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(k), where=(precision + recall) > 0)
    scores = {"precision": precision, "recall": recall, "f1": f1}
    present = support > 0
    weights = support / max(support.sum(), 1)
    return {
        "accuracy": float(tp.sum() / max(cm.sum(), 1)),
        "macro": {key: float(v[present].mean()) if present.any() else 0.0 for key, v in scores.items()},
        "weighted": {key: float((v * weights).sum()) for key, v in scores.items()},
        "per_class": {name: {key: float(v[i]) for key, v in scores.items()} | {"support": int(support[i])}
                      for i, name in enumerate(class_names)},
        "confusion_matrix": cm.tolist(),
    }


def choose_logit_adjustment(val_logits: Any, y_val: Any, y_train: Any, *, num_classes: int) -> dict[str, Any]:
    """The ``tau`` with the best validation macro F1 within :data:`MAX_ACCURACY_COST` of plain accuracy."""
    import torch

    counts = torch.bincount(y_train.cpu(), minlength=num_classes).double().clamp(min=1)
    log_prior = torch.log(counts / counts.sum()).float()
    true = y_val.cpu().numpy()
    names = tuple(str(i) for i in range(num_classes))
    scored = []
    for tau in TAUS:
        pred = (val_logits - tau * log_prior).argmax(1).numpy()
        metrics = classification_metrics(true, pred, names)
        scored.append((tau, metrics["accuracy"], metrics["macro"]["f1"]))
    plain_accuracy = scored[0][1]
    allowed = [s for s in scored if s[1] >= plain_accuracy - MAX_ACCURACY_COST]
    tau, accuracy, macro_f1 = max(allowed, key=lambda s: (s[2], s[1], -s[0]))
    return {"tau": tau, "log_prior": [round(float(v), 6) for v in log_prior],
            "offsets": [float(np.float32(tau) * v) for v in log_prior.numpy()],
            "val_accuracy_plain": plain_accuracy, "val_macro_f1_plain": scored[0][2],
            "val_accuracy": accuracy, "val_macro_f1": macro_f1}
