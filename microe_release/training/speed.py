"""How large CPU tensors are allocated during ``microe train``: freed blocks kept in glibc's heap for reuse.

(The precision is no longer chosen here by timing bf16 against fp32: that made the arithmetic depend on
machine load. :func:`.loop.choose_precision` decides from the hardware alone; issue 18.)
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

logger = logging.getLogger(__name__)

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
