"""A fast path for the commonest source image: a plain 8-bit gray PNG (FER+, CK+ exports, earlier releases).

Pillow spends most of the ~40 us it takes on a 48x48 PNG in Python: parsing chunks, building the
image object, the decoder round trip. :func:`read_plain_gray_png` reads the chunks with ``struct``,
checks every CRC, and hands the compressed rows to Pillow's own inflate-and-unfilter decoder in one
call. It says ``None`` to anything it is not sure of (another colour type or bit depth, interlacing,
a text or EXIF chunk that could carry an orientation, a bad CRC, truncation), and the caller then
decodes with Pillow as before, so every skip reason and message stays Pillow's.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
from PIL import Image

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Ancillary chunks that change nothing in the gray pixels Pillow decodes (no text: Pillow reads
#: EXIF, hence an orientation, from "Raw profile type exif" text chunks; no tRNS, no eXIf).
HARMLESS_CHUNKS = frozenset({b"pHYs", b"tIME", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"bKGD", b"sBIT"})

_CHUNK_HEAD = struct.Struct(">I4s")
_CRC = struct.Struct(">I")
_IHDR = struct.Struct(">IIBBBBB")


def read_plain_gray_png(data: bytes, max_pixels: int) -> np.ndarray | None:
    """The ``(height, width)`` uint8 pixels of a plain 8-bit gray PNG, or None for anything else.

    Parameters
    ----------
    data : bytes
        The file's bytes.
    max_pixels : int
        Larger images are left to Pillow (which refuses them as decompression bombs).

    Examples
    --------
    >>> from microe_release.fingerprints import encode_png
    >>> read_plain_gray_png(encode_png(np.array([[0, 255], [7, 42]], np.uint8)), 100).tolist()
    [[0, 255], [7, 42]]
    >>> read_plain_gray_png(b"GIF89a", 100) is None
    True
    """
    if not data.startswith(PNG_SIGNATURE):
        return None
    pos, end = len(PNG_SIGNATURE), len(data)
    size: tuple[int, int] | None = None
    compressed: list[bytes] = []
    previous = b""
    while True:
        if pos + 12 > end:
            return None  # truncated before IEND
        length, kind = _CHUNK_HEAD.unpack_from(data, pos)
        body_end = pos + 8 + length
        if body_end + 4 > end or zlib.crc32(data[pos + 4:body_end]) != _CRC.unpack_from(data, body_end)[0]:
            return None
        if size is None:  # IHDR comes first
            if kind != b"IHDR" or length != _IHDR.size:
                return None
            width, height, depth, colour, method, filtering, interlace = _IHDR.unpack_from(data, pos + 8)
            if (depth, colour, method, filtering, interlace) != (8, 0, 0, 0, 0) or not 0 < width * height <= max_pixels:
                return None
            size = (width, height)
        elif kind == b"IDAT":
            if compressed and previous != b"IDAT":
                return None  # IDAT chunks must be consecutive
            compressed.append(data[pos + 8:body_end])
        elif kind == b"IEND":
            break
        elif kind not in HARMLESS_CHUNKS:
            return None
        previous = kind
        pos = body_end + 4
    if not compressed:
        return None
    try:
        img = Image.frombytes("L", size, b"".join(compressed), "zip", "L")
    except (ValueError, OSError, zlib.error):
        return None  # short or damaged image data: Pillow's own decode says what is wrong
    return np.asarray(img, dtype=np.uint8)
