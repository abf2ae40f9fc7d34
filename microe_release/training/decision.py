"""From network to decision: test-time mirroring and a logit adjustment for rare classes chosen on validation."""

# Rare classes (contempt and disgust are under 1 % of FER+) are under-predicted by a network trained on the
# natural class frequencies; subtracting ``tau * log(prior)`` from the logits (Menon et al. 2021,
# https://arxiv.org/abs/2007.07314) moves the decision towards them without retraining.

from __future__ import annotations

from typing import Any

import numpy as np

from .metrics import classification_metrics
from .tensors import autocast, to_input

#: Candidate strengths of the adjustment (0 = the plain argmax).
TAUS = tuple(round(0.1 * i, 1) for i in range(21))

#: The adjustment may cost at most this much validation accuracy: it is for the rare classes, and
#: accuracy stays the headline figure (the paper's Table II reports both).
MAX_ACCURACY_COST = 0.01


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
