"""Table II metrics and the class-balanced loss weights, on small hand-checked inputs."""

from __future__ import annotations

import numpy as np
import pytest

from microe_release.training.decision import classification_metrics


def test_classification_metrics_hand_checked() -> None:
    m = classification_metrics(np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 1]), ("a", "b", "c"))
    assert m["accuracy"] == 0.6 and m["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [0, 1, 0]]
    assert m["per_class"]["a"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2}
    assert m["per_class"]["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert list(m["macro"]) == list(m["weighted"]) == ["precision", "recall", "f1"]
    assert m["macro"]["recall"] == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    assert m["weighted"]["precision"] == pytest.approx((2 * 1.0 + 2 * 0.5 + 0.0) / 5)


def test_classification_metrics_class_without_images_is_left_out_of_macro() -> None:
    m = classification_metrics(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), ("a", "b", "c"))
    assert (m["accuracy"], m["per_class"]["a"]["recall"], round(m["macro"]["f1"], 3)) == (0.75, 0.5, 0.733)
    assert m["per_class"]["c"]["support"] == 0


def test_balanced_weights_hand_checked() -> None:
    torch = pytest.importorskip("torch")
    from microe_release.training.loop import balanced_weights

    assert [round(w, 2) for w in balanced_weights(torch.tensor([100.0, 10.0])).tolist()] == [0.19, 1.81]
