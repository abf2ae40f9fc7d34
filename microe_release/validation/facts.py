"""What the checks need to know of each parquet image, computed once per image by either engine.

The checks never hold decoded pixels: each image becomes a few small facts (decodes or not, shape,
dtype, content id, pHash, digest of its CSV pixel text). The local engine computes them in this
process; ``--engine ray`` computes them with the same function in Ray Data tasks.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..fingerprints import content_id, perceptual_hashes
from ..pixeltext import pixel_rows
from ..pngread import plain_gray_scanlines, unfilter_batch
from ..processing import MAX_IMAGE_PIXELS


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """One parquet image as the checks see it; ``shape`` is None when the bytes do not decode."""

    shape: tuple[int, ...] | None
    dtype: str = ""
    content_id: str = ""  # only for size x size uint8 images, as below
    phash: int = 0
    text_digest: bytes = b""  # sha1 of the FER2013-style pixel text the CSV must hold

    def is_release_image(self, size: int) -> bool:
        """A ``size`` x ``size`` 8-bit gray image, as the build writes."""
        return self.shape == (size, size) and self.dtype == "uint8"


def text_digest(text: bytes) -> bytes:
    """The digest the CSV's pixel text is compared by."""
    return hashlib.sha1(text, usedforsecurity=False).digest()


def _pillow_pixels(data: bytes | None) -> np.ndarray | None:
    """Pillow's pixels of an encoded image, or None when it does not decode."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data or b"")) as img:
            return np.asarray(img)
    except Exception:  # noqa: BLE001 - an undecodable image is a finding, reported by the checks
        return None


def image_facts(images: Sequence[bytes | None], size: int) -> list[ImageFacts]:
    """Facts of each encoded image; hashes and pixel text run once over the batch of release images.

    The build's own PNGs (plain 8-bit gray) are unfiltered in one call per batch
    (:mod:`microe_release.pngread`); anything else is decoded by Pillow, as a user's loader would.

    Examples
    --------
    >>> from microe_release.fingerprints import encode_png
    >>> good, bad = image_facts([encode_png(np.zeros((4, 4), np.uint8)), b"junk"], 4)
    >>> good.shape, good.dtype, len(good.content_id), bad.shape
    ((4, 4), 'uint8', 16, None)
    """
    decoded: list[np.ndarray | None] = [None] * len(images)
    plain: list[tuple[int, bytes]] = []  # the build writes plain gray PNGs: unfiltered together below
    for i, data in enumerate(images):
        found = plain_gray_scanlines(data, MAX_IMAGE_PIXELS) if data else None
        if found is not None and found[:2] == (size, size):
            plain.append((i, found[2]))
        else:
            decoded[i] = _pillow_pixels(data)
    if plain:
        try:
            for (i, _), pixels in zip(plain, unfilter_batch([s for _, s in plain], size, size), strict=True):
                decoded[i] = pixels
        except (ValueError, OSError):  # not expected (the rows were checked): Pillow decides alone
            for i, _ in plain:
                decoded[i] = _pillow_pixels(images[i])
    valid = [i for i, p in enumerate(decoded) if p is not None and p.shape == (size, size) and p.dtype == np.uint8]
    details: dict[int, tuple[str, int, bytes]] = {}
    if valid:
        batch = np.stack([decoded[i] for i in valid])  # type: ignore[misc]  # valid ones are arrays
        for i, phash, text in zip(valid, perceptual_hashes(batch), pixel_rows(batch), strict=True):
            details[i] = (content_id(decoded[i]), phash, text_digest(text))  # type: ignore[arg-type]
    out = []
    for i, pixels in enumerate(decoded):
        if pixels is None:
            out.append(ImageFacts(shape=None))
            continue
        cid, phash, digest = details.get(i, ("", 0, b""))
        out.append(ImageFacts(shape=tuple(pixels.shape), dtype=pixels.dtype.name, content_id=cid, phash=phash,
                              text_digest=digest))
    return out


def facts_to_columns(facts: list[ImageFacts]) -> dict[str, Any]:
    """Column form (for Arrow batches between processes)."""
    return {
        "shape": [list(f.shape) if f.shape is not None else None for f in facts],
        "dtype": [f.dtype for f in facts],
        "content_id": [f.content_id for f in facts],
        "phash": [f.phash for f in facts],
        "text_digest": [f.text_digest for f in facts],
    }


def facts_from_columns(columns: dict[str, list[Any]]) -> list[ImageFacts]:
    """Inverse of :func:`facts_to_columns`."""
    return [ImageFacts(shape=tuple(shape) if shape is not None else None, dtype=dtype, content_id=cid,
                       phash=int(phash), text_digest=bytes(digest))
            for shape, dtype, cid, phash, digest in zip(columns["shape"], columns["dtype"], columns["content_id"],
                                                         columns["phash"], columns["text_digest"], strict=True)]
