"""Each parquet image as the checks see it: decoded by Pillow as ``datasets`` does, fingerprinted from :mod:`.spec`."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .spec import CONTENT_ID_HEX_DIGITS, PHASH_FREQUENCIES, PHASH_REDUCED_SIDE

#: Images whose facts are computed together (the pHashes are batched).
FACTS_BATCH = 1024


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """One parquet image as the checks see it; ``shape`` is None when the bytes do not decode."""

    shape: tuple[int, ...] | None
    dtype: str = ""
    content_id: str = ""  # only for size x size 8-bit gray images, as below
    phash: int = 0
    pixel_digest: bytes = b""  # the full sha256 the content id starts with, to compare the CSV's pixels exactly

    def is_release_image(self, size: int) -> bool:
        """A ``size`` x ``size`` 8-bit gray image, as the build writes."""
        return self.shape == (size, size) and self.dtype == "uint8"


#: The columns of :func:`facts_to_columns`.
FACT_COLUMNS = tuple(f.name for f in dataclasses.fields(ImageFacts))


def pixel_digest(pixels: bytes, width: int, height: int) -> bytes:
    """sha256 of ``b"{width}x{height}:"`` and the row-major 8-bit pixels: the content id's full digest."""
    return hashlib.sha256(f"{width}x{height}:".encode() + pixels).digest()


def content_id_of(digest: bytes) -> str:
    """The content id (first hex digits) of a :func:`pixel_digest`."""
    return digest.hex()[:CONTENT_ID_HEX_DIGITS]


@lru_cache(maxsize=8)
def _low_frequencies(side: int) -> np.ndarray:
    """``(8, side)``: the 32-sample area-average reduction, then the 8 lowest orthonormal DCT-II frequencies."""
    from scipy.fft import dct

    # each input pixel counts by its overlap with an output sample's interval: any side, no resampling
    step = side / PHASH_REDUCED_SIDE
    lo = np.arange(PHASH_REDUCED_SIDE)[:, None] * step
    pixel = np.arange(side)[None, :]
    overlap = np.minimum(lo + step, pixel + 1) - np.maximum(lo, pixel)
    transform = dct(np.eye(PHASH_REDUCED_SIDE), type=2, norm="ortho", axis=0)
    return transform[:PHASH_FREQUENCIES] @ (np.clip(overlap, 0.0, None) / step)


def perceptual_hashes(batch: np.ndarray) -> list[int]:
    """64-bit pHash of each ``(height, width)`` image of a batch: the low frequencies above their median, big-endian."""
    low = _low_frequencies(batch.shape[1]) @ batch @ _low_frequencies(batch.shape[2]).T
    low = low.reshape(len(batch), -1)
    bits = low > np.median(low, axis=1, keepdims=True)
    return [int(value) for value in np.packbits(bits, axis=1).view(">u8")[:, 0]]


def _decode(data: bytes | None, size: int) -> tuple[ImageFacts, np.ndarray | None]:
    """One image's facts but its pHash, with its pixels when it is a release image."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data or b"")) as img:
            if img.size != (size, size):  # a wrong or huge image is reported by its header, never loaded
                bands = len(img.getbands())
                return ImageFacts(shape=(img.height, img.width, *((bands,) if bands > 1 else ())),
                                  dtype=f"mode {img.mode}"), None
            pixels, mode = np.asarray(img), img.mode
    except Exception:  # noqa: BLE001 - an undecodable image (empty, truncated, not an image) is a finding
        return ImageFacts(shape=None), None
    # mode P and 1 also give 2-D arrays (palette indices, booleans): only L is 8-bit gray
    dtype = pixels.dtype.name if mode == "L" else f"{pixels.dtype.name} (mode {mode})"
    if dtype != "uint8":
        return ImageFacts(shape=tuple(pixels.shape), dtype=dtype), None
    digest = pixel_digest(pixels.tobytes(), size, size)
    return ImageFacts(shape=(size, size), dtype=dtype, content_id=content_id_of(digest), pixel_digest=digest), pixels


def image_facts(images: Sequence[bytes | None], size: int) -> list[ImageFacts]:
    """Facts of each encoded image; the pHashes run over batches of :data:`FACTS_BATCH` release images."""
    out: list[ImageFacts] = []
    for start in range(0, len(images), FACTS_BATCH):
        decoded = [_decode(data, size) for data in images[start:start + FACTS_BATCH]]
        valid = [pixels for _, pixels in decoded if pixels is not None]
        hashes = iter(perceptual_hashes(np.stack(valid)) if valid else [])
        out += [f if pixels is None else ImageFacts(f.shape, f.dtype, f.content_id, next(hashes), f.pixel_digest)
                for f, pixels in decoded]
    return out


def facts_to_columns(facts: list[ImageFacts]) -> dict[str, list[Any]]:
    """Column form (for Arrow batches between processes)."""
    return {name: [getattr(f, name) for f in facts] for name in FACT_COLUMNS}


def facts_from_columns(columns: dict[str, list[Any]]) -> list[ImageFacts]:
    """Inverse of :func:`facts_to_columns`."""
    return [ImageFacts(tuple(shape) if shape is not None else None, dtype, content_id, int(phash), bytes(digest))
            for shape, dtype, content_id, phash, digest in zip(*(columns[name] for name in FACT_COLUMNS), strict=True)]


def shard_facts(path: str, size: int, row_groups: list[int] | None = None) -> dict[str, list[Any]]:
    """Worker-process body: the facts of some row groups (default: all) of one shard, as columns."""
    import pyarrow.parquet as pq

    shard = pq.ParquetFile(path)
    groups = list(range(shard.num_row_groups)) if row_groups is None else row_groups
    images = shard.read_row_groups(groups, columns=["image"]).column("image").combine_chunks().field("bytes").to_pylist()
    return facts_to_columns(image_facts(images, size))


def _facts_batch(batch: Any, size: int) -> Any:
    """Ray task body: parquet ``image`` structs in, image facts out (as columns; the pHash unsigned 64-bit)."""
    import pyarrow as pa

    schema = pa.schema([("shape", pa.list_(pa.int64())), ("dtype", pa.string()), ("content_id", pa.string()),
                        ("phash", pa.uint64()), ("pixel_digest", pa.binary())])
    images = batch.column("image").combine_chunks().field("bytes").to_pylist()
    return pa.table(facts_to_columns(image_facts(images, size)), schema=schema)


def image_facts_ray(shards: list[Path], size: int, *, address: str | None = None) -> list[ImageFacts]:
    """``microe validate --engine ray``: :func:`image_facts` of every row of ``shards``, in file and row order."""
    from ..distributed import MAX_TASK_RETRIES, ordered_quiet_context, ray_session

    if not shards:
        return []
    with ray_session(address) as ray, ordered_quiet_context(ray):
        dataset = ray.data.read_parquet([str(p) for p in shards]).select_columns(["image"]).map_batches(
            _facts_batch, batch_size=1024, batch_format="pyarrow", fn_kwargs={"size": size},
            max_retries=MAX_TASK_RETRIES)
        facts = []
        for batch in dataset.iter_batches(batch_size=None, batch_format="pyarrow"):
            facts += facts_from_columns(batch.to_pydict())
    return facts
