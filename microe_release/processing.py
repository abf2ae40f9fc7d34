"""Decode any Pillow-readable image, orient, convert to 8-bit gray, centre-crop, resize, hash."""

from __future__ import annotations

import io
import logging
import os
import stat
import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from .errors import ImageRejectedError
from .fingerprints import content_id, encode_png, perceptual_hashes
from .pixeltext import pixel_rows
from .records import SkipReason, SourceItem
from .store import ImageStore, SpillSink

logger = logging.getLogger(__name__)

#: Images with more pixels are refused as decompression bombs (Pillow's own default, ~89.5 MP).
MAX_IMAGE_PIXELS = 1024 * 1024 * 1024 // 4 // 3

#: Background that transparent pixels are composited onto before the gray conversion.
ALPHA_BACKGROUND = 255

_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "La", "RGBa"})


def to_gray(img: Image.Image) -> Image.Image:
    """Convert any Pillow mode to 8-bit gray (``L``), scaling 16-bit and compositing alpha on white."""
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
    small = img.reduce(factor) if factor > 1 and img.mode in ("RGB", "RGBA", "L", "CMYK") else img
    if small.mode != "RGB":
        small = small.convert("RGB")
    planes = np.ascontiguousarray(np.asarray(small).reshape(-1, 3).T)  # summing strided columns is 6x slower
    means = planes.sum(axis=1, dtype=np.uint64) / (small.width * small.height)
    if img.mode == "P" and np.ptp(means) < 1.0:  # a gray palette is not colour
        return None
    red, green, blue = means.tolist()
    return round(red), round(green), round(blue)


def _orient(img: Image.Image) -> Image.Image:
    """Apply the EXIF orientation, if there is one."""
    try:
        if img.getexif().get(ExifTags.Base.Orientation, 1) in (1, None):
            return img
        return ImageOps.exif_transpose(img)  # type: ignore[return-value]  # same image, transposed
    except Exception as err:  # noqa: BLE001 - a broken EXIF block must not lose the image
        logger.debug("ignoring unreadable EXIF orientation: %s", err)
        return img


#: The EXIF marker of a JPEG: orientation is Pillow's to apply (docs/design.md, "Speed choices that stay").
_EXIF = b"Exif\x00\x00"


def _fast_decode(data: bytes, size: int) -> tuple[Image.Image, int, int] | None:
    """A gray or YCbCr JPEG without EXIF decoded by libjpeg-turbo at the scale Pillow's ``draft`` picks: the
    image Pillow would give and the original size; None for anything else (Pillow decodes it)."""
    import simplejpeg

    if not data.startswith(b"\xff\xd8") or _EXIF in data:
        return None
    try:
        height, width, colourspace, _ = simplejpeg.decode_jpeg_header(data)
        if colourspace not in ("Gray", "YCbCr") or width * height > MAX_IMAGE_PIXELS:
            return None
        scale = next(s for s in (8, 4, 2, 1) if s <= min(width // size, height // size) or s == 1)
        gray = colourspace == "Gray"
        pixels = simplejpeg.decode_jpeg(data, "GRAY" if gray else "RGB", min_factor=scale,
                                        min_width=-(-width // scale), min_height=-(-height // scale))
    except ValueError:  # Pillow then decodes it and says what is wrong
        return None
    return Image.fromarray(pixels[..., 0] if gray else pixels, "L" if gray else "RGB"), width, height


def decode_image(data: bytes, size: int) -> tuple[np.ndarray, int, int, str, tuple[int, int, int] | None]:
    """``size`` x ``size`` uint8 gray pixels, original width, height, mode and mean RGB (colour only).

    Raises :class:`ImageRejectedError` with the reason the image cannot be used.
    """
    if not data:
        raise ImageRejectedError(SkipReason.EMPTY, "the file has 0 bytes")
    fast = _fast_decode(data, size)
    if fast is not None:
        img, orig_w, orig_h = fast
        orig_mode = img.mode
    else:
        img, orig_w, orig_h, orig_mode = _pillow_decode(data, size)
    gray = square_resize(to_gray(img), size)
    return np.asarray(gray, dtype=np.uint8), orig_w, orig_h, orig_mode, colour_means(img)


def _pillow_decode(data: bytes, size: int) -> tuple[Image.Image, int, int, str]:
    """Any image Pillow reads, JPEGs at a DCT-reduced scale, oriented: the image, original width, height and mode."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img: Image.Image = Image.open(io.BytesIO(data))
            orig_w, orig_h, orig_mode = img.width, img.height, img.mode
            if orig_w * orig_h > MAX_IMAGE_PIXELS:
                msg = f"{orig_w}x{orig_h} pixels"
                raise Image.DecompressionBombError(msg)
            if img.format == "JPEG":
                # DCT-domain downscaling; colour JPEGs stay RGB so their colour can be measured
                img.draft("RGB" if orig_mode in ("RGB", "YCbCr") else "L" if orig_mode == "L" else None, (size, size))
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageRejectedError(SkipReason.BOMB, f"more than {MAX_IMAGE_PIXELS} pixels: {err}") from err
    except UnidentifiedImageError as err:
        raise ImageRejectedError(SkipReason.UNREADABLE, "not an image Pillow can identify") from err
    except (OSError, EOFError, SyntaxError, ValueError) as err:
        text = str(err)
        reason = SkipReason.TRUNCATED if ("truncat" in text.lower() or isinstance(err, EOFError)) else SkipReason.UNREADABLE
        raise ImageRejectedError(reason, f"{type(err).__name__}: {text}") from err
    return _orient(img), orig_w, orig_h, orig_mode


def parse_pixels(text: str) -> np.ndarray:
    """FER2013's space-separated gray values as a square uint8 array (else MALFORMED_ROW)."""
    parts = text.split()
    side = int(round(len(parts) ** 0.5))
    if not parts or side * side != len(parts):
        raise ImageRejectedError(SkipReason.MALFORMED_ROW, f"pixels has {len(parts)} values, not a square number (e.g. 2304 = 48x48)")
    try:
        values = np.array(parts, dtype=np.int64)
    except ValueError as err:
        raise ImageRejectedError(SkipReason.MALFORMED_ROW, "pixels holds a value that is not an integer") from err
    if values.min() < 0 or values.max() > 255:
        raise ImageRejectedError(SkipReason.MALFORMED_ROW, f"pixel values must be 0..255, got {values.min()}..{values.max()}")
    return values.astype(np.uint8).reshape(side, side)


#: What a worker needs of a source item: (path, FER2013 pixel text, synthetic (seed, number), label).
Load = tuple[str | None, str | None, tuple[int, int] | None, str]


def load_of(item: SourceItem) -> Load:
    """The part of ``item`` a worker reads."""
    return item.path, item.pixels, item.synthetic, item.label


_Pixels = tuple[np.ndarray, int, int, str, tuple[int, int, int] | None]


def _load_pixels(load: Load, size: int) -> _Pixels:
    path, text, synthetic, label = load
    if text is not None or synthetic is not None:
        from .synthetic import render_face

        raw = parse_pixels(text) if text is not None else render_face(*synthetic, label)  # type: ignore[misc]
        gray = square_resize(Image.fromarray(raw, "L"), size)
        return np.asarray(gray, dtype=np.uint8), raw.shape[1], raw.shape[0], "L", None
    if path is None:
        raise ImageRejectedError(SkipReason.UNREADABLE, "the source gave no file, pixels or face to decode")
    try:  # non-blocking open: a named pipe must not hang the build
        with open(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise ImageRejectedError(SkipReason.NOT_A_FILE, f"'{path}' is a named pipe, device or socket")
            data = handle.read()
    except FileNotFoundError as err:
        raise ImageRejectedError(SkipReason.MISSING, f"file vanished: {path}") from err
    except OSError as err:
        raise ImageRejectedError(SkipReason.UNREADABLE, f"{type(err).__name__}: {err}") from err
    return decode_image(data, size)


class Measured(NamedTuple):
    """What processing learnt about one image (its bytes are in the batch's blob or spill)."""

    id: str
    png_length: int
    text_length: int
    phash: int
    orig_width: int
    orig_height: int
    orig_mode: str
    orig_rgb: tuple[int, int, int] | None


class Refused(NamedTuple):
    """Why one item gives no image."""

    reason: SkipReason
    detail: str


@dataclass(frozen=True, slots=True)
class PackedBatch:
    """A processed batch as it crosses a process boundary: one buffer of bytes, small facts per item.

    ``blob`` holds each :class:`Measured` item's PNG bytes then its CSV pixel text, in order; a pool
    worker appends it to the image store itself and sends back only ``spill`` (file, offset).
    """

    blob: bytes
    results: list[Measured | Refused]
    spill: tuple[str, int] | None = None

    def store_into(self, store: ImageStore) -> None:
        """Give the batch's bytes to the build's image store (by id)."""
        sizes = [(r.id, r.png_length, r.text_length) for r in self.results if isinstance(r, Measured)]
        if self.spill is None:
            store.put_batch(self.blob, sizes)
        else:
            store.add_spilled(self.spill[0], self.spill[1], sizes)


def process_loads(loads: list[Load], size: int, sink: SpillSink | None = None) -> PackedBatch:
    """Process a batch (the unit of work of a pool worker or a Ray task).

    Decoding is per item; hashing and the CSV pixel text run once over the whole batch. With a pool
    worker's ``sink`` the bytes go to the build's image store instead of back to the caller.
    """
    results: list[Measured | Refused | None] = []
    decoded: list[tuple[int, _Pixels]] = []
    for load in loads:
        try:
            decoded.append((len(results), _load_pixels(load, size)))
        except ImageRejectedError as skip:
            results.append(Refused(SkipReason(skip.reason), skip.detail))
            continue
        results.append(None)
    parts: list[bytes] = []
    if decoded:
        batch = np.stack([d[1][0] for d in decoded])
        hashes = perceptual_hashes(batch)
        texts = pixel_rows(batch)
        for (position, (pixels, width, height, mode, rgb)), phash, text in zip(decoded, hashes, texts, strict=True):
            png = encode_png(pixels)
            parts += (png, text)
            results[position] = Measured(content_id(pixels), len(png), len(text), phash, width, height, mode, rgb)
    blob = b"".join(parts)
    if sink is not None:
        return PackedBatch(b"", results, sink.append(blob))  # type: ignore[arg-type]
    return PackedBatch(blob, results)  # type: ignore[arg-type]  # every None was replaced above
