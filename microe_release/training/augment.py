"""Batch augmentation with torch ops (no per-image PIL): flip, small rotation, scale and crop, blur."""

from __future__ import annotations

import math
from typing import Any

#: Largest rotation, in degrees (the paper's "small rotations").
MAX_ROTATION = 10.0

#: Largest shift as a fraction of the side (a random crop of about 90 %).
MAX_SHIFT = 0.08

#: Share of a batch that gets a Gaussian blur, and the blur's sigma in pixels.
BLUR_SHARE = 0.3
BLUR_SIGMA = 0.8


def augment_batch(x: Any, generator: Any) -> Any:
    """Augment a float batch ``(B, 1, H, W)`` in [0, 1]; every random draw comes from ``generator``."""
    import torch
    import torch.nn.functional as F

    batch = x.shape[0]
    device = x.device
    draw = lambda *shape: torch.rand(*shape, generator=generator).to(device)  # noqa: E731
    flip = draw(batch) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    angle = (draw(batch) * 2 - 1) * math.radians(MAX_ROTATION)
    scale = 1.0 / (0.9 + 0.2 * draw(batch))
    shift = (draw(batch, 2) * 2 - 1) * MAX_SHIFT * 2
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    blur = draw(batch) < BLUR_SHARE
    if bool(blur.any()):
        pad = math.ceil(2 * BLUR_SIGMA)
        taps = torch.arange(-pad, pad + 1, dtype=torch.float32)
        kernel = torch.exp(-(taps**2) / (2 * BLUR_SIGMA**2))
        kernel = (kernel / kernel.sum()).to(device)
        chosen = F.conv2d(F.pad(x[blur], (pad, pad, 0, 0), mode="replicate"), kernel.view(1, 1, 1, -1))
        chosen = F.conv2d(F.pad(chosen, (0, 0, pad, pad), mode="replicate"), kernel.view(1, 1, -1, 1))
        x = x.index_put((blur,), chosen)
    return x
