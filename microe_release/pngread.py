"""A fast path for the commonest source image: a plain 8-bit gray PNG (FER+, CK+ exports, earlier releases).

Pillow spends most of the ~40 us it takes on a 48x48 PNG in Python: parsing chunks, building the
image object, the decoder round trip. :func:`plain_gray_scanlines` reads the chunks with ``struct``,
checks every CRC and inflates the rows with ``zlib``; :func:`unfilter_batch` undoes the row filters
of a whole batch of such images in one call of Pillow's C decoder. The reader says ``None`` to
anything it is not sure of (another colour type or bit depth, interlacing, a text or EXIF chunk that
could carry an orientation, a bad CRC, truncation), and the caller then decodes with Pillow as
before, so every skip reason and message stays Pillow's.
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


def plain_gray_scanlines(data: bytes, max_pixels: int) -> tuple[int, int, bytes] | None:
    """``(width, height, filtered scanlines)`` of a plain 8-bit gray PNG, or None for anything else.

    Parameters
    ----------
    data : bytes
        The file's bytes.
    max_pixels : int
        Larger images are left to Pillow (which refuses them as decompression bombs).
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
    if size is None or not compressed:
        return None
    width, height = size
    expected = height * (width + 1)
    inflater = zlib.decompressobj()
    try:  # never more than the image needs: a small file may inflate to gigabytes
        scanlines = inflater.decompress(b"".join(compressed), expected + 1)
    except zlib.error:
        return None  # damaged image data: Pillow's own decode says what is wrong
    if len(scanlines) != expected or not inflater.eof or max(scanlines[::width + 1]) > 4:
        return None  # short, long, unfinished (no checksum), or an unknown row filter
    return width, height, scanlines


def unfilter_batch(scanlines: list[bytes], width: int, height: int) -> np.ndarray:
    """The ``(n, height, width)`` pixels of ``n`` images' filtered scanlines, in one Pillow call.

    The images are stacked into one tall image. Only a first row may not look at the row above it
    (the last row of the image before, in the stack), so first rows are re-expressed without it:
    "Up" on a first row is "None" and "Paeth" is "Sub" (both predict from zeros above), and an
    "Average" first row is undone here.

    Examples
    --------
    >>> from microe_release.fingerprints import encode_png
    >>> width, height, rows = plain_gray_scanlines(encode_png(np.array([[0, 255], [7, 42]], np.uint8)), 100)
    >>> unfilter_batch([rows, rows], width, height)[1].tolist()
    [[0, 255], [7, 42]]
    >>> plain_gray_scanlines(b"GIF89a", 100) is None
    True
    """
    stride = width + 1
    stacked = np.frombuffer(bytearray(b"".join(scanlines)), dtype=np.uint8).reshape(len(scanlines), height * stride)
    first = stacked[:, :stride]
    first[first[:, 0] == 2, 0] = 0  # Up -> None
    first[first[:, 0] == 4, 0] = 1  # Paeth -> Sub
    for i in np.flatnonzero(first[:, 0] == 3):  # rare: undo Average (left neighbour / 2) by hand
        row, left = first[i], 0
        for x in range(1, stride):
            left = (int(row[x]) + (left >> 1)) & 0xFF
            row[x] = left
    first[first[:, 0] == 3, 0] = 0
    img = Image.frombytes("L", (width, height * len(scanlines)), zlib.compress(stacked.tobytes(), 0), "zip", "L")
    return np.asarray(img, dtype=np.uint8).reshape(len(scanlines), height, width)

