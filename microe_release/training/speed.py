"""CPU speed decisions made by measuring, not by CPU flags: bf16 or fp32, and how large tensors are allocated.

A CPU that reports native bf16 (AVX512-BF16) is not always faster in bf16: on 2 Zen 4 cores bf16
autocast ran the earlier alexnet-48 2.4x faster than fp32, but on 2 Intel Xeon cores with AVX512-BF16
and no AMX oneDNN's bf16 convolutions took 1.7x longer than fp32 ones and the whole step ran at 0.8x
(today's alexnet-48 there: 0.58x). So
``--precision auto`` on a CPU times a few training steps of the real model in both and keeps bf16 only
when it is clearly faster (:data:`BF16_MIN_SPEEDUP`; the margin keeps the choice stable from run to run
on one machine, which the reproducibility promise needs).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time
from typing import Any

logger = logging.getLogger(__name__)

#: bf16 is chosen on a CPU only when a training step runs at least this much faster than in fp32.
BF16_MIN_SPEEDUP = 1.2

#: Images per timed step and timed steps per precision (after one warm-up step).
CALIBRATION_BATCH = 32
CALIBRATION_STEPS = 3

# glibc mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to serve large blocks from its heap and keep them when freed.

    PyTorch's CPU tensors come straight from malloc. glibc maps every block over 32 MiB (the most its
    dynamic mmap threshold can reach) with a fresh ``mmap`` and unmaps it when freed, so each training
    step at batch 128 page-faults in and zeroes the same memory again. Measured with the earlier
    alexnet-48, whose 3x3 conv 1 kept 37.7 MB fp32 activations at 48x48: one FER+ epoch on 2 Xeon cores
    took 6.4-7.6 M minor faults and 14-20 s of system time (0.3 M and 2-4 s with this); training img/s
    rose 1.3x in one A/B and not at all in another (it depends on how fresh the VM's memory is). With
    mmap and trimming off the blocks are reused, at the cost of a higher peak RSS (one FER+ epoch in
    fp32: 1.37 -> 1.54 GiB); the 227 px ``alexnet`` has larger blocks still. Returns whether the
    settings took (False off glibc). The setting is process-wide, so only ``microe train`` calls it.
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows): nothing to tune
        return False
    applied = bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, 1 << 30))
    logger.info("malloc: large blocks kept for reuse (%s)", "on" if applied else "not supported")
    return applied


def step_images_per_second(arch: str, precision: str, *, batch: int = CALIBRATION_BATCH,
                           steps: int = CALIBRATION_STEPS) -> float:
    """Training images/s of one fresh model on random input on the CPU (best of ``steps`` timed steps).

    Runs under a forked RNG, so the caller's random state (and with it the training run) is untouched.
    """
    import torch
    import torch.nn.functional as F

    from ..models import INPUT_SIZES, build_model
    from .loop import autocast

    cpu = torch.device("cpu")
    side = INPUT_SIZES[arch]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = build_model(arch, 8).to(memory_format=torch.channels_last)
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
        x = torch.randn(batch, 1, side, side).contiguous(memory_format=torch.channels_last)
        y = torch.arange(batch) % 8
        best = float("inf")
        for step in range(steps + 1):
            started = time.perf_counter()
            with autocast(cpu, precision):
                logits = model(x)
            loss = F.cross_entropy(logits.float(), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if step:  # the first step is warm-up (oneDNN primitive creation)
                best = min(best, time.perf_counter() - started)
    return batch / best


def calibrate_cpu_precision(arch: str, measure: Any = None) -> tuple[str, dict[str, float]]:
    """``bf16`` when it trains :data:`BF16_MIN_SPEEDUP` times faster than fp32 here, else ``fp32``.

    Returns
    -------
    tuple
        The precision and the measured training images/s of each (saved with the model).

    Examples
    --------
    >>> calibrate_cpu_precision("alexnet-48", lambda arch, precision: {"fp32": 300.0, "bf16": 240.0}[precision])
    ('fp32', {'fp32': 300.0, 'bf16': 240.0})
    """
    measure = measure or step_images_per_second
    speeds = {precision: round(float(measure(arch, precision)), 1) for precision in ("fp32", "bf16")}
    chosen = "bf16" if speeds["bf16"] >= BF16_MIN_SPEEDUP * speeds["fp32"] else "fp32"
    logger.info("precision auto: fp32 %.0f img/s, bf16 %.0f img/s on this CPU -> %s",
                speeds["fp32"], speeds["bf16"], chosen)
    return chosen, speeds
