"""Reference AlexNet models in plain torch (no torchvision): ``alexnet`` (227x227) and ``alexnet-48``."""

from __future__ import annotations

from typing import Any

from .errors import TrainingError

#: Input side each architecture expects; images are resized to it in the batch.
INPUT_SIZES = {"alexnet": 227, "alexnet-48": 48}


def build_model(arch: str, num_classes: int = 8) -> Any:
    """An untrained ``alexnet`` (Krizhevsky et al. 2012, one input channel) or ``alexnet-48`` (its shape at 48x48)."""
    import torch.nn as nn

    if arch == "alexnet":
        features = nn.Sequential(
            nn.Conv2d(1, 96, 11, stride=4), nn.ReLU(inplace=True), nn.LocalResponseNorm(5, k=2.0),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(inplace=True), nn.LocalResponseNorm(5, k=2.0),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2),
        )
        flat, hidden = 256 * 6 * 6, 4096
    elif arch == "alexnet-48":
        # Batch norm instead of LRN (the plain design stays on the majority-class plateau at 48x48) and a
        # 5x5/2 conv 1 that keeps no 48x48 map (1.2x faster): docs/design.md, "The reference model's shape".
        def conv(cin: int, cout: int, kernel: int = 3, stride: int = 1, pool: bool = False) -> list[Any]:
            layers = [nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2, bias=False)]
            return [*layers, *([nn.MaxPool2d(2)] if pool else []), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

        features = nn.Sequential(
            *conv(1, 32, kernel=5, stride=2),   # 48 -> 24
            *conv(32, 64, pool=True),           # 24 -> 12
            *conv(64, 128), *conv(128, 128), *conv(128, 128),
            nn.MaxPool2d(2),                    # 12 -> 6
        )
        flat, hidden = 128 * 6 * 6, 1024
    else:
        msg = f"unknown architecture '{arch}'; use one of {', '.join(INPUT_SIZES)}."
        raise TrainingError(msg)
    classifier = nn.Sequential(
        nn.Flatten(),
        nn.Dropout(0.5), nn.Linear(flat, hidden), nn.ReLU(inplace=True),
        nn.Dropout(0.5), nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
        nn.Linear(hidden, num_classes),
    )
    return nn.Sequential(features, classifier)  # torch's default init (He-normal init measured worse here)
