"""Decode any Pillow-readable image, orient, convert to 8-bit gray, centre-crop, resize, hash."""

from __future__ import annotations

import hashlib
import io
import logging
import struct
import warnings
import zlib
from functools import lru_cache

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .pixeltext import pixel_rows
from .records import ProcessedImage, SkippedItem, SkipReason, SourceItem

logger = logging.getLogger(__name__)

#: Images with more pixels than this are refused as decompression bombs. Pillow's own default
#: (about 89.5 MP, 1024 * 1024 * 1024 // 4 // 3): no real face photo comes near it.
MAX_IMAGE_PIXELS = 1024 * 1024 * 1024 // 4 // 3

#: Background that transparent pixels are composited onto before the gray conversion.
ALPHA_BACKGROUND = 255

#: Hex digits kept of the sha256 of the processed pixels (64 bits: collision odds ~1e-10 at 1M images).
ID_HEX_DIGITS = 16

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "La", "RGBa"})


class _Skip(Exception):
    """Internal: carries a skip reason out of the decode helpers."""

    def __init__(self, reason: SkipReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def to_gray(img: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit gray (``L``), scaling 16-bit and compositing alpha on white.

    Examples
    --------
    >>> to_gray(Image.new("RGB", (2, 2), (255, 0, 0))).getpixel((0, 0))
    76
    """
    mode = img.mode
    if mode == "L":
        return img
    if mode in _SIXTEEN_BIT_MODES or mode == "I":
        arr = np.asarray(img).astype(np.float64)
        if mode in _SIXTEEN_BIT_MODES or arr.max(initial=0) > 255:
            arr = arr / 257.0  # 65535 -> 255
        return Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8), "L")
    if mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        if arr.size and np.nanmax(arr) <= 1.0:
            arr = arr * 255.0
        return Image.fromarray(np.clip(np.rint(np.nan_to_num(arr)), 0, 255).astype(np.uint8), "L")
    if mode == "P" and "transparency" in img.info:
        img, mode = img.convert("RGBA"), "RGBA"
    if mode in _ALPHA_MODES:
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (ALPHA_BACKGROUND,) * 3 + (255,))
        return Image.alpha_composite(background, rgba).convert("L")
    if mode in ("1", "RGB"):
        return img.convert("L")
    return img.convert("RGB").convert("L")  # P, CMYK, YCbCr, LAB, HSV ...


def square_resize(img: Image.Image, size: int) -> Image.Image:
    """Centre-crop to the largest square and resize to ``size`` x ``size`` (Lanczos)."""
    width, height = img.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    if (width, height) == (size, size):
        return img
    if (width, height) != (side, side):
        img = img.crop((left, top, left + side, top + side))  # crop first: the filter must not see outside
    return img.resize((size, size), Image.Resampling.LANCZOS)


#: Pillow modes whose pixels carry colour (the others are gray already).
_COLOUR_MODES = frozenset({"RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "LAB", "HSV", "P", "PA"})


def colour_means(img: Image.Image) -> tuple[int, int, int] | None:
    """Mean red, green and blue of a colour image (on a small reduction), or None for a gray one."""
    if img.mode not in _COLOUR_MODES:
        return None
    factor = max(1, min(img.size) // 64)
    small = (img.reduce(factor) if factor > 1 and img.mode in ("RGB", "RGBA", "L", "CMYK") else img).convert("RGB")
    means = np.asarray(small, dtype=np.float64).reshape(-1, 3).mean(axis=0)
    if np.ptp(means) < 1.0 and img.mode == "P":  # a gray palette is not colour
        return None
    return int(round(means[0])), int(round(means[1])), int(round(means[2]))


def decode_image(data: bytes, size: int) -> tuple[np.ndarray, int, int, str, tuple[int, int, int] | None]:
    """Decode image bytes to a ``size`` x ``size`` uint8 gray array.

    Returns
    -------
    (pixels, original width, original height, original mode, mean RGB of a colour original or None)

    Raises
    ------
    _Skip
        With the reason the image cannot be used.
    """
    if not data:
        raise _Skip(SkipReason.EMPTY, "the file has 0 bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
            img = Image.open(io.BytesIO(data))
            orig_w, orig_h, orig_mode = img.width, img.height, img.mode
            if orig_w * orig_h > MAX_IMAGE_PIXELS:
                msg = f"{orig_w}x{orig_h} pixels"
                raise Image.DecompressionBombError(msg)
            if img.format == "JPEG":
                # DCT-domain downscaling; colour JPEGs stay RGB so their colour can be measured
                img.draft("RGB" if orig_mode in ("RGB", "YCbCr") else "L" if orig_mode == "L" else None, (size, size))
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise _Skip(SkipReason.BOMB, f"more than {MAX_IMAGE_PIXELS} pixels: {err}") from err
    except UnidentifiedImageError as err:
        raise _Skip(SkipReason.UNREADABLE, "not an image Pillow can identify") from err
    except (OSError, EOFError, SyntaxError, ValueError) as err:
        text = str(err)
        reason = SkipReason.TRUNCATED if ("truncat" in text.lower() or isinstance(err, EOFError)) else SkipReason.UNREADABLE
        raise _Skip(reason, f"{type(err).__name__}: {text}") from err
    try:
        img = ImageOps.exif_transpose(img)  # type: ignore[assignment]  # same image, maybe transposed
    except Exception as err:  # noqa: BLE001 - a broken EXIF block must not lose the image
        logger.debug("ignoring unreadable EXIF orientation: %s", err)
    gray = square_resize(to_gray(img), size)
    return np.asarray(gray, dtype=np.uint8), orig_w, orig_h, orig_mode, colour_means(img)


def parse_pixels(text: str) -> np.ndarray:
    """Parse FER2013's space-separated gray values into a square uint8 array.

    Raises
    ------
    _Skip
        MALFORMED_ROW when the values are not integers 0..255 or not a square count.
    """
    parts = text.split()
    side = int(round(len(parts) ** 0.5))
    if not parts or side * side != len(parts):
        raise _Skip(SkipReason.MALFORMED_ROW, f"pixels has {len(parts)} values, not a square number (e.g. 2304 = 48x48)")
    try:
        values = np.array(parts, dtype=np.int64)
    except ValueError as err:
        raise _Skip(SkipReason.MALFORMED_ROW, "pixels holds a value that is not an integer") from err
    if values.min() < 0 or values.max() > 255:
        raise _Skip(SkipReason.MALFORMED_ROW, f"pixel values must be 0..255, got {values.min()}..{values.max()}")
    return values.astype(np.uint8).reshape(side, side)


@lru_cache(maxsize=1)
def _dct_matrix(n: int = 32) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    mat = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    mat[0] /= np.sqrt(2.0)
    return mat


@lru_cache(maxsize=8)
def _phash_matrix(size: int) -> np.ndarray:
    """(8, size): area-average ``size`` -> 32 samples, then the 8 lowest DCT-II frequencies."""
    box = np.zeros((32, size))
    scale = size / 32
    for i in range(32):
        lo, hi = i * scale, (i + 1) * scale
        for j in range(int(lo), min(size, int(np.ceil(hi)))):
            box[i, j] = (min(hi, j + 1) - max(lo, j)) / scale
    return _dct_matrix()[:8] @ box


def perceptual_hash(pixels: np.ndarray) -> int:
    """64-bit pHash: 8x8 lowest DCT frequencies of a 32x32 area-average reduction, thresholded at their median.

    Two small matrix products (no image resampling), so it costs microseconds. Near-duplicates
    (re-encodes, slight blur or brightness changes) differ in few bits; see
    :data:`microe_release.dedup.NEAR_DUPLICATE_BITS` for the threshold.
    """
    rows, cols = _phash_matrix(pixels.shape[0]), _phash_matrix(pixels.shape[1])
    low = (rows @ pixels @ cols.T).ravel()
    bits = low > np.median(low)
    return int(np.packbits(bits).view(">u8")[0])


def content_id(pixels: np.ndarray) -> str:
    """Stable id from the processed pixels (shape included).

    Examples
    --------
    >>> content_id(np.zeros((2, 2), np.uint8))
    '6721231bea7689c6'
    """
    digest = hashlib.sha256(f"{pixels.shape[1]}x{pixels.shape[0]}:".encode() + pixels.tobytes())
    return digest.hexdigest()[:ID_HEX_DIGITS]


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(pixels: np.ndarray) -> bytes:
    """Lossless, deterministic 8-bit gray PNG bytes of a 2-D uint8 array.

    Written directly with zlib (filter type 1, "Sub", on every row): about twice as fast as
    Pillow's encoder for small images, which matters at tens of thousands of images.

    Examples
    --------
    >>> png = encode_png(np.array([[0, 255], [7, 42]], dtype=np.uint8))
    >>> np.asarray(Image.open(io.BytesIO(png))).tolist()
    [[0, 255], [7, 42]]
    """
    height, width = pixels.shape
    raw = np.empty((height, width + 1), dtype=np.uint8)
    raw[:, 0] = 1  # filter "Sub": each byte minus its left neighbour (mod 256)
    raw[:, 1] = pixels[:, 0]
    raw[:, 2:] = np.diff(pixels, axis=1)  # uint8 arithmetic wraps, as PNG's filter does
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit, gray, no interlace
    return (_PNG_SIGNATURE + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
            + _png_chunk(b"IEND", b""))


def _load_pixels(item: SourceItem, size: int) -> tuple[np.ndarray, int, int, str, tuple[int, int, int] | None]:
    if item.pixels is not None:
        raw = parse_pixels(item.pixels)
        gray = square_resize(Image.fromarray(raw, "L"), size)
        return np.asarray(gray, dtype=np.uint8), raw.shape[1], raw.shape[0], "L", None
    if item.synthetic is not None:
        from .synthetic import render_face

        seed, number = item.synthetic
        raw = render_face(seed, number, item.label)
        gray = square_resize(Image.fromarray(raw, "L"), size)
        return np.asarray(gray, dtype=np.uint8), raw.shape[1], raw.shape[0], "L", None
    assert item.path is not None  # adapters always set one of the three
    try:
        with open(item.path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError as err:
        raise _Skip(SkipReason.MISSING, f"file vanished: {item.path}") from err
    except OSError as err:
        raise _Skip(SkipReason.UNREADABLE, f"{type(err).__name__}: {err}") from err
    return decode_image(data, size)


def process_item(item: SourceItem, size: int) -> ProcessedImage | SkippedItem:
    """Turn one source item into a processed image, or say why it is skipped.

    Parameters
    ----------
    item : SourceItem
        What an adapter found.
    size : int
        The release's square side in pixels.
    """
    return process_batch([item], size)[0]


def perceptual_hashes(batch: np.ndarray) -> list[int]:
    """:func:`perceptual_hash` of each image of a ``(n, h, w)`` batch, in two batched matrix products."""
    rows, cols = _phash_matrix(batch.shape[1]), _phash_matrix(batch.shape[2])
    low = (rows @ batch @ cols.T).reshape(batch.shape[0], -1)
    bits = low > np.median(low, axis=1, keepdims=True)
    return [int(v) for v in np.packbits(bits, axis=1).view(">u8")[:, 0]]


def process_batch(items: list[SourceItem], size: int) -> list[ProcessedImage | SkippedItem]:
    """Process a batch (the unit of work sent to a worker process).

    Decoding is per item; hashing and the CSV pixel text run once over the whole batch.
    """
    results: list[ProcessedImage | SkippedItem | None] = []
    decoded: list[tuple[int, np.ndarray, int, int, str, tuple[int, int, int] | None]] = []
    for item in items:
        try:
            pixels, width, height, mode, rgb = _load_pixels(item, size)
        except _Skip as skip:
            results.append(SkippedItem(source=item.source, source_ref=item.source_ref, reason=skip.reason,
                                       detail=skip.detail))
            continue
        decoded.append((len(results), pixels, width, height, mode, rgb))
        results.append(None)
    if decoded:
        batch = np.stack([d[1] for d in decoded])
        hashes = perceptual_hashes(batch)
        texts = pixel_rows(batch)
        for (position, pixels, width, height, mode, rgb), phash, text in zip(decoded, hashes, texts, strict=True):
            results[position] = ProcessedImage(
                item=items[position], id=content_id(pixels), png=encode_png(pixels), pixels_text=text,
                phash=phash, orig_width=width, orig_height=height, orig_mode=mode, orig_rgb=rgb)
    return results  # type: ignore[return-value]  # every None was replaced above
