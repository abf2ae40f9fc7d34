"""Classification metrics in the paper's Table II layout (computed here, no scikit-learn)."""

from __future__ import annotations

from typing import Any

import numpy as np


def confusion_matrix(true: np.ndarray, pred: np.ndarray, num_classes: int) -> np.ndarray:
    """``m[i, j]``: images of class i predicted as j."""
    return np.bincount(true * num_classes + pred, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def classification_metrics(true: np.ndarray, pred: np.ndarray, class_names: tuple[str, ...]) -> dict[str, Any]:
    """Accuracy, macro and weighted precision/recall/F1, per-class figures and the confusion matrix.

    Examples
    --------
    >>> m = classification_metrics(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), ("a", "b"))
    >>> m["accuracy"], m["per_class"]["a"]["recall"], round(m["macro"]["f1"], 3)
    (0.75, 0.5, 0.733)
    """
    k = len(class_names)
    cm = confusion_matrix(true, pred, k)
    tp = np.diag(cm).astype(float)
    support = cm.sum(axis=1).astype(float)
    predicted = cm.sum(axis=0).astype(float)
    precision = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros(k), where=support > 0)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(k), where=(precision + recall) > 0)
    present = support > 0
    weights = support / max(support.sum(), 1)
    return {
        "accuracy": float(tp.sum() / max(cm.sum(), 1)),
        "macro": {"precision": float(precision[present].mean()) if present.any() else 0.0,
                  "recall": float(recall[present].mean()) if present.any() else 0.0,
                  "f1": float(f1[present].mean()) if present.any() else 0.0},
        "weighted": {"precision": float((precision * weights).sum()), "recall": float((recall * weights).sum()),
                     "f1": float((f1 * weights).sum())},
        "per_class": {name: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                             "support": int(support[i])} for i, name in enumerate(class_names)},
        "confusion_matrix": cm.tolist(),
    }
