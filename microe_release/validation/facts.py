"""What the checks need to know of each parquet image, computed once per image by either engine.

Images are decoded by Pillow, as a user's loader (``datasets``' Image feature) decodes them, and
fingerprinted by this module's own code from the documented definitions (:mod:`.spec`): nothing
here comes from the builder, so a builder bug cannot hide itself. The checks never hold decoded
pixels: each image becomes a few small facts (decodes or not, shape, dtype, content id, pHash,
digest of its pixels). The local engine computes them in this process; ``--engine ray`` computes
them with the same function in Ray Data tasks.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from .spec import CONTENT_ID_HEX_DIGITS, PHASH_FREQUENCIES, PHASH_REDUCED_SIDE


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """One parquet image as the checks see it; ``shape`` is None when the bytes do not decode.

    ``pixel_digest`` is the full sha256 of which the content id is the first hex digits (see
    :func:`pixel_digest`), so the CSV's pixels can be compared with the image's exactly.
    """

    shape: tuple[int, ...] | None
    dtype: str = ""
    content_id: str = ""  # only for size x size 8-bit gray images, as below
    phash: int = 0
    pixel_digest: bytes = b""

    def is_release_image(self, size: int) -> bool:
        """A ``size`` x ``size`` 8-bit gray image, as the build writes."""
        return self.shape == (size, size) and self.dtype == "uint8"


def pixel_digest(pixels: bytes, width: int, height: int) -> bytes:
    """sha256 of ``b"{width}x{height}:"`` and the row-major 8-bit pixels: the content id's full digest.

    Examples
    --------
    >>> content_id_of(pixel_digest(bytes(4), 2, 2))
    '6721231bea7689c6'
    """
    return hashlib.sha256(f"{width}x{height}:".encode() + pixels).digest()


def content_id_of(digest: bytes) -> str:
    """The content id (first hex digits) of a :func:`pixel_digest`."""
    return digest.hex()[:CONTENT_ID_HEX_DIGITS]


@lru_cache(maxsize=8)
def _area_average(side: int) -> np.ndarray:
    """``(32, side)`` weights: output sample ``i`` is the mean of input ``[i * side / 32, (i + 1) * side / 32)``.

    Each input pixel counts by the length of its overlap with that interval (an area average, so
    a side that 32 does not divide is reduced without resampling).
    """
    step = side / PHASH_REDUCED_SIDE
    lo = np.arange(PHASH_REDUCED_SIDE)[:, None] * step
    pixel = np.arange(side)[None, :]
    overlap = np.minimum(lo + step, pixel + 1) - np.maximum(lo, pixel)
    return np.clip(overlap, 0.0, None) / step


@lru_cache(maxsize=8)
def _low_frequencies(side: int) -> np.ndarray:
    """``(8, side)``: the area-average reduction, then the 8 lowest orthonormal DCT-II frequencies.

    Both steps are linear, so they become one matrix; the DCT's is scipy's transform of the unit
    vectors (its columns).
    """
    from scipy.fft import dct

    transform = dct(np.eye(PHASH_REDUCED_SIDE), type=2, norm="ortho", axis=0)
    return transform[:PHASH_FREQUENCIES] @ _area_average(side)


def perceptual_hashes(batch: np.ndarray) -> list[int]:
    """64-bit pHash of each image of an ``(n, height, width)`` batch.

    The 32x32 area-average reduction, its orthonormal 2-D DCT-II, the 8x8 lowest frequencies, each
    above their median a 1 bit, read row-major as a big-endian integer.
    """
    low = _low_frequencies(batch.shape[1]) @ batch @ _low_frequencies(batch.shape[2]).T
    low = low.reshape(len(batch), -1)
    bits = low > np.median(low, axis=1, keepdims=True)
    return [int(value) for value in np.packbits(bits, axis=1).view(">u8")[:, 0]]


def open_image(data: bytes | None, size: int) -> tuple[np.ndarray | None, tuple[int, ...], str] | None:
    """Pillow's pixels of an encoded image, its shape and mode; None when it does not decode.

    Only a ``size`` x ``size`` image is decoded (its pixels None otherwise): a wrong or huge image
    is reported by its header, never loaded.
    """
    from PIL import Image

    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as img:
            bands = len(img.getbands())
            shape = (img.height, img.width, *((bands,) if bands > 1 else ()))
            if img.size != (size, size):
                return None, shape, img.mode
            return np.asarray(img), shape, img.mode
    except Exception:  # noqa: BLE001 - an undecodable image is a finding, reported by the checks
        return None


def image_facts(images: Sequence[bytes | None], size: int) -> list[ImageFacts]:
    """Facts of each encoded image; the pHashes run once over the batch of release images.

    Examples
    --------
    >>> from PIL import Image
    >>> png = io.BytesIO()
    >>> Image.fromarray(np.zeros((4, 4), np.uint8)).save(png, format="PNG")
    >>> good, bad = image_facts([png.getvalue(), b"junk"], 4)
    >>> good.shape, good.dtype, len(good.content_id), bad.shape
    ((4, 4), 'uint8', 16, None)
    """
    out: list[ImageFacts] = []
    valid: list[np.ndarray] = []
    for data in images:
        decoded = open_image(data, size)
        if decoded is None:
            out.append(ImageFacts(shape=None))
            continue
        pixels, shape, mode = decoded
        if pixels is None:
            out.append(ImageFacts(shape=shape, dtype=f"mode {mode}"))
            continue
        # mode P and 1 also give 2-D arrays (palette indices, booleans): only L is 8-bit gray
        dtype = pixels.dtype.name if mode == "L" else f"{pixels.dtype.name} (mode {mode})"
        if pixels.shape != (size, size) or dtype != "uint8":
            out.append(ImageFacts(shape=tuple(pixels.shape), dtype=dtype))
            continue
        digest = pixel_digest(pixels.tobytes(), size, size)
        out.append(ImageFacts(shape=(size, size), dtype=dtype, content_id=content_id_of(digest), pixel_digest=digest))
        valid.append(pixels)
    if valid:
        hashes = iter(perceptual_hashes(np.stack(valid)))
        out = [ImageFacts(f.shape, f.dtype, f.content_id, next(hashes), f.pixel_digest) if f.content_id else f
               for f in out]
    return out


#: Column names of :func:`facts_to_columns`; ``--engine ray`` declares their Arrow types
#: (``ray_facts._facts_schema``), which names the pixel digest's column ``text_digest``.
_DIGEST_COLUMN = "text_digest"


def facts_to_columns(facts: list[ImageFacts]) -> dict[str, Any]:
    """Column form (for Arrow batches between processes)."""
    return {
        "shape": [list(f.shape) if f.shape is not None else None for f in facts],
        "dtype": [f.dtype for f in facts],
        "content_id": [f.content_id for f in facts],
        "phash": [f.phash for f in facts],
        _DIGEST_COLUMN: [f.pixel_digest for f in facts],
    }


def facts_from_columns(columns: dict[str, list[Any]]) -> list[ImageFacts]:
    """Inverse of :func:`facts_to_columns`."""
    return [ImageFacts(shape=tuple(shape) if shape is not None else None, dtype=dtype, content_id=cid,
                       phash=int(phash), pixel_digest=bytes(digest))
            for shape, dtype, cid, phash, digest in zip(columns["shape"], columns["dtype"], columns["content_id"],
                                                         columns["phash"], columns[_DIGEST_COLUMN], strict=True)]
