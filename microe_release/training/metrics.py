"""Classification metrics in the paper's Table II layout (computed here, no scikit-learn)."""

from __future__ import annotations

from typing import Any

import numpy as np


def classification_metrics(true: np.ndarray, pred: np.ndarray, class_names: tuple[str, ...]) -> dict[str, Any]:
    """Accuracy, macro and weighted precision/recall/F1, per-class figures and the confusion matrix."""
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
