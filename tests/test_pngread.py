"""The plain gray PNG fast path gives Pillow's pixels, and leaves every other file to Pillow."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from microe_release.fingerprints import content_id, encode_png
from microe_release.pngread import plain_gray_scanlines, unfilter_batch
from microe_release.processing import MAX_IMAGE_PIXELS, decode_image, process_loads
from microe_release.records import SkipReason
from tests.fixtures.sources import face


def read_plain_gray_png(data: bytes, max_pixels: int) -> np.ndarray | None:
    """One image through the fast path, or None where it leaves the file to Pillow."""
    found = plain_gray_scanlines(data, max_pixels)
    return None if found is None else unfilter_batch([found[2]], found[0], found[1])[0]


def _png(img: Image.Image, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", **kwargs)
    return buf.getvalue()


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    out, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        out.append((data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]))
        pos += 12 + length
    return out


def _assemble(chunks: list[tuple[bytes, bytes]]) -> bytes:
    parts = [b"\x89PNG\r\n\x1a\n"]
    for kind, body in chunks:
        parts.append(struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body)))
    return b"".join(parts)


@pytest.mark.parametrize("size", [(48, 48), (96, 96), (300, 100), (1, 1)])
def test_plain_gray_png_matches_pillow(size: tuple[int, int]) -> None:
    # Pillow's encoder picks a filter per row (None, Sub, Up, Average, Paeth): every one is decoded
    img = face(3).resize(size)
    for level in (0, 1, 9):
        data = _png(img, compress_level=level)
        fast = read_plain_gray_png(data, MAX_IMAGE_PIXELS)
        assert fast is not None and fast.dtype == np.uint8
        assert np.array_equal(fast, np.asarray(Image.open(io.BytesIO(data))))


def test_idat_split_over_chunks_and_harmless_chunks_are_read() -> None:
    data = _png(face(4), dpi=(72, 72))  # adds pHYs
    chunks = _chunks(data)
    idat = b"".join(body for kind, body in chunks if kind == b"IDAT")
    split = [chunks[0], (b"gAMA", struct.pack(">I", 45455))]
    split += [(b"IDAT", idat[i:i + 100]) for i in range(0, len(idat), 100)] + [(b"IEND", b"")]
    fast = read_plain_gray_png(_assemble(split), MAX_IMAGE_PIXELS)
    assert fast is not None and np.array_equal(fast, np.asarray(face(4)))


def test_anything_else_is_left_to_pillow() -> None:
    gray = face(5)
    data = _png(gray)
    chunks = _chunks(data)
    text = PngImagePlugin.PngInfo()
    text.add_text("Raw profile type exif", "could hold an orientation")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate
    idat_at = next(i for i, (kind, _) in enumerate(chunks) if kind == b"IDAT")
    bad_crc = bytearray(data)
    bad_crc[40] ^= 0xFF  # inside the first IDAT
    others = {
        "rgb": _png(gray.convert("RGB")),
        "16 bit": _png(Image.fromarray(np.asarray(gray).astype(np.uint16) * 257)),
        "palette": _png(gray.convert("P")),
        "transparency": _png(gray, transparency=0),
        "text chunk": _png(gray, pnginfo=text),
        "exif chunk": _png(gray, exif=exif),
        "bad crc": bytes(bad_crc),
        "truncated": data[: len(data) // 2],
        "no IEND": _assemble(chunks[:-1]),
        "no IDAT": _assemble([chunks[0], chunks[-1]]),
        "IDAT split by another chunk": _assemble(
            chunks[:idat_at] + [(b"IDAT", chunks[idat_at][1][:50]), (b"pHYs", b"\0" * 9),
                                (b"IDAT", chunks[idat_at][1][50:])] + chunks[idat_at + 1:]),
        "short image data": _assemble([chunks[0], (b"IDAT", zlib.compress(b"\0" * 49)), chunks[-1]]),
        "not a png": b"GIF89a" + data,
    }
    for name, other in others.items():
        assert read_plain_gray_png(other, MAX_IMAGE_PIXELS) is None, name
    assert read_plain_gray_png(data, 48 * 48 - 1) is None  # over the pixel limit: Pillow refuses it


def test_fast_path_changes_no_result(tmp_path: Path) -> None:
    """Through process_loads: the id, PNG bytes and facts of Pillow's path, the same skip for a damaged file."""
    good = [face(n).resize(side) for n, side in ((6, (48, 48)), (7, (120, 90)))]
    loads = []
    for n, img in enumerate(good):
        path = tmp_path / f"{n}.png"
        path.write_bytes(_png(img))
        loads.append((str(path), None, None, "happy"))
    damaged = tmp_path / "damaged.png"
    damaged.write_bytes(_png(good[0])[:300])
    loads.append((str(damaged), None, None, "happy"))
    batch = process_loads(loads, 48)
    offset = 0
    for img, result in zip(good, batch.results, strict=False):
        pixels, width, height, mode, rgb = decode_image(_png(img), 48)  # Pillow's path
        assert (result.id, result.orig_width, result.orig_height, result.orig_mode, result.orig_rgb) == \
            (content_id(pixels), width, height, mode, rgb)
        assert batch.blob[offset:offset + result.png_length] == encode_png(pixels)
        offset += result.png_length + result.text_length
    assert batch.results[2].reason is SkipReason.TRUNCATED


def _filtered(pixels: np.ndarray, kinds: list[int]) -> bytes:
    """PNG scanlines of ``pixels`` with the given filter per row (PNG spec, section 9)."""
    img = pixels.astype(np.int64)
    out = bytearray()
    for y, kind in enumerate(kinds):
        row, up = img[y], img[y - 1] if y else np.zeros_like(img[0])
        left = np.concatenate(([0], row[:-1]))
        upleft = np.concatenate(([0], up[:-1]))
        if kind == 4:
            p = left + up - upleft
            pa, pb, pc = np.abs(p - left), np.abs(p - up), np.abs(p - upleft)
            predictor = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, upleft))
        else:
            predictor = [0 * row, left, up, (left + up) // 2][kind]
        out += bytes([kind]) + ((row - predictor) % 256).astype(np.uint8).tobytes()
    return bytes(out)


def test_every_row_filter_in_every_position_decodes_like_pillow() -> None:
    rng = np.random.default_rng(0)
    images, datas = [], []
    for first in range(5):  # each filter on the first row (the one the batch re-expresses)
        for _ in range(3):
            pixels = rng.integers(0, 256, (48, 48), dtype=np.uint8)
            kinds = [first] + rng.integers(0, 5, 47).tolist()
            data = _assemble([(b"IHDR", struct.pack(">IIBBBBB", 48, 48, 8, 0, 0, 0, 0)),
                              (b"IDAT", zlib.compress(_filtered(pixels, kinds))), (b"IEND", b"")])
            assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), pixels)  # the test's own encoder
            images.append(pixels)
            datas.append(data)
    found = [plain_gray_scanlines(data, MAX_IMAGE_PIXELS) for data in datas]
    assert all(f is not None and f[:2] == (48, 48) for f in found)
    batch = unfilter_batch([f[2] for f in found if f is not None], 48, 48)
    assert np.array_equal(batch, np.stack(images))
    for data, pixels in zip(datas, images, strict=True):
        single = read_plain_gray_png(data, MAX_IMAGE_PIXELS)
        assert single is not None and np.array_equal(single, pixels)


def test_batch_that_pillow_refuses_is_decoded_one_by_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loads = []
    for n in range(3):
        path = tmp_path / f"{n}.png"
        path.write_bytes(_png(face(n).resize((48, 48))))
        loads.append((str(path), None, None, "happy"))
    expected = process_loads(loads, 48)

    def refuse(*args: object) -> None:
        raise ValueError("cannot decode image data")

    monkeypatch.setattr("microe_release.processing.unfilter_batch", refuse)
    again = process_loads(loads, 48)
    assert again.results == expected.results and again.blob == expected.blob


def test_unknown_row_filter_is_left_to_pillow() -> None:
    pixels = np.asarray(face(8).resize((48, 48)))
    scanlines = bytearray(_filtered(pixels, [1] * 48))
    scanlines[49 * 5] = 5  # no such filter
    data = _assemble([(b"IHDR", struct.pack(">IIBBBBB", 48, 48, 8, 0, 0, 0, 0)),
                      (b"IDAT", zlib.compress(bytes(scanlines))), (b"IEND", b"")])
    assert plain_gray_scanlines(data, MAX_IMAGE_PIXELS) is None


def test_validation_facts_are_the_same_with_and_without_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from microe_release.validation.facts import image_facts

    gray = np.asarray(face(9).resize((48, 48)))
    images = [encode_png(gray), _png(face(10).resize((48, 48))), _png(face(11).resize((48, 48)).convert("RGB")),
              _png(face(12).resize((40, 40))), b"junk", None, encode_png(gray)[:60]]
    fast = image_facts(images, 48)
    monkeypatch.setattr("microe_release.validation.facts.plain_gray_scanlines", lambda *args: None)
    assert image_facts(images, 48) == fast
    assert [f.is_release_image(48) for f in fast] == [True, True, False, False, False, False, False]


def test_image_data_longer_than_the_image_is_not_inflated_beyond_it() -> None:
    """A 2x2 header over 20 MB of zeros (a zip bomb): the reader stops after 7 bytes and says None."""
    bomb = zlib.compress(b"\0" * 20_000_000, 9)
    data = _assemble([(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0)), (b"IDAT", bomb), (b"IEND", b"")])
    assert len(data) < 50_000
    assert plain_gray_scanlines(data, MAX_IMAGE_PIXELS) is None
    ok = _assemble([(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0)),
                    (b"IDAT", zlib.compress(b"\0\x01\x02\0\x03\x04")), (b"IEND", b"")])
    assert plain_gray_scanlines(ok, MAX_IMAGE_PIXELS) == (2, 2, b"\0\x01\x02\0\x03\x04")
