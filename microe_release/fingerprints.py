"""Fingerprints of processed pixels: content id, perceptual hash, and the deterministic PNG encoding."""

from __future__ import annotations

import hashlib
import struct
import zlib
from functools import lru_cache

import numpy as np

#: Hex digits kept of the sha256 of the processed pixels (64 bits: collision odds ~1e-10 at 1M images).
ID_HEX_DIGITS = 16


@lru_cache(maxsize=8)
def _phash_matrix(size: int) -> np.ndarray:
    """(8, size): area-average ``size`` -> 32 samples, then the 8 lowest DCT-II frequencies."""
    box = np.zeros((32, size))
    scale = size / 32
    for i in range(32):
        lo, hi = i * scale, (i + 1) * scale
        for j in range(int(lo), min(size, int(np.ceil(hi)))):
            box[i, j] = (min(hi, j + 1) - max(lo, j)) / scale
    freq, sample = np.arange(8)[:, None], np.arange(32)[None, :]
    dct = np.cos(np.pi * (2 * sample + 1) * freq / 64) * np.sqrt(2.0 / 32)  # orthonormal DCT-II, first 8 rows
    dct[0] /= np.sqrt(2.0)
    return dct @ box


def perceptual_hashes(batch: np.ndarray) -> list[int]:
    """64-bit pHash of each image of a ``(n, h, w)`` batch: its 8x8 lowest DCT frequencies above their median.

    Near-duplicates differ in few bits (:data:`microe_release.dedup.NEAR_DUPLICATE_BITS`).
    """
    rows, cols = _phash_matrix(batch.shape[1]), _phash_matrix(batch.shape[2])
    low = (rows @ batch @ cols.T).reshape(batch.shape[0], -1)
    bits = low > np.median(low, axis=1, keepdims=True)
    return [int(v) for v in np.packbits(bits, axis=1).view(">u8")[:, 0]]


def perceptual_hash(pixels: np.ndarray) -> int:
    """:func:`perceptual_hashes` of one ``(h, w)`` image."""
    return perceptual_hashes(pixels[None])[0]


def content_id(pixels: np.ndarray) -> str:
    """Stable id from the processed pixels (shape included)."""
    digest = hashlib.sha256(f"{pixels.shape[1]}x{pixels.shape[0]}:".encode() + pixels.tobytes())
    return digest.hexdigest()[:ID_HEX_DIGITS]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(pixels: np.ndarray) -> bytes:
    """Lossless, deterministic 8-bit gray PNG of a 2-D uint8 array (docs/design.md, "Speed choices that stay")."""
    height, width = pixels.shape
    raw = np.empty((height, width + 1), dtype=np.uint8)
    raw[:, 0] = 1  # filter "Sub": each byte minus its left neighbour (mod 256)
    raw[:, 1] = pixels[:, 0]
    raw[:, 2:] = np.diff(pixels, axis=1)  # uint8 arithmetic wraps, as PNG's filter does
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit, gray, no interlace
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
            + _png_chunk(b"IEND", b""))
