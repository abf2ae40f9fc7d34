"""Batches as the model sees them: the input transform and the arithmetic context."""

from __future__ import annotations

import contextlib
from typing import Any


def autocast(device: Any, precision: str) -> Any:
    """The autocast context of a precision (a no-op for fp32)."""
    import torch

    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def to_input(x: Any, mean: float, std: float, side: int) -> Any:
    """uint8 or [0, 1] float ``(B, 1, H, W)`` -> normalised float at the architecture's input size."""
    import torch
    import torch.nn.functional as F

    if not x.dtype.is_floating_point:
        x = x.float() / 255.0
    x = (x - mean) / std
    if x.shape[-1] != side:
        x = F.interpolate(x, size=(side, side), mode="bilinear", align_corners=False)
    return x.contiguous(memory_format=torch.channels_last)
