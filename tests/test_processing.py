"""Decoding every Pillow format, orientation, gray conversion, hashing, and each decode failure."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageFilter

from microe_release import processing
from microe_release.fingerprints import content_id, encode_png, perceptual_hash
from microe_release.pixeltext import pixel_rows
from microe_release.processing import (
    Measured,
    Refused,
    decode_image,
    load_of,
    parse_pixels,
    process_loads,
    to_gray,
)
from microe_release.records import SkipReason, SourceItem
from tests.fixtures.sources import corrupt_images, face, odd_images


def _item(path: Path | None = None, pixels: str | None = None) -> SourceItem:
    return SourceItem(source="t", source_ref="ref", raw_label="happy", label="happy", license="x",
                      path=str(path) if path else None, pixels=pixels)


def _process(item: SourceItem) -> tuple[Measured | Refused, bytes]:
    """One item through the workers' batch function: its result and its PNG bytes."""
    packed = process_loads([load_of(item)], 48)
    result = packed.results[0]
    return result, packed.blob[:result.png_length] if isinstance(result, Measured) else b""


def test_decode_image_every_format_gives_square_gray(tmp_path: Path) -> None:
    for name, path in odd_images(tmp_path).items():
        pixels, width, height, _mode, _rgb = decode_image(path.read_bytes(), 48)
        assert pixels.shape == (48, 48), name
        assert pixels.dtype == np.uint8, name
        assert (width, height) == (96, 96), name
        assert 20 < pixels.mean() < 235, f"{name} decoded to a blank image"


def test_decode_image_16bit_is_scaled_not_clipped(tmp_path: Path) -> None:
    paths = odd_images(tmp_path)
    eight, *_ = decode_image(paths["png"].read_bytes(), 48)
    for key in ("png16", "tiff16"):
        sixteen, _, _, mode, _ = decode_image(paths[key].read_bytes(), 48)
        assert mode.startswith("I"), mode
        reference = np.asarray(face(503, "neutral").resize((48, 48), Image.Resampling.LANCZOS))
        assert np.abs(sixteen.astype(int) - reference.astype(int)).mean() < 2.0
    assert eight.max() <= 255


def test_decode_image_gif_takes_first_frame(tmp_path: Path) -> None:
    paths = odd_images(tmp_path)
    pixels, *_ = decode_image(paths["gif"].read_bytes(), 48)
    first = np.asarray(face(501, "sad").convert("P").convert("L").resize((48, 48), Image.Resampling.LANCZOS))
    second = np.asarray(face(502, "fear").convert("P").convert("L").resize((48, 48), Image.Resampling.LANCZOS))
    assert np.abs(pixels.astype(int) - first).mean() < np.abs(pixels.astype(int) - second).mean()


def test_decode_image_applies_exif_orientation() -> None:
    img = Image.new("L", (60, 40), 0)
    img.paste(255, (0, 0, 30, 40))  # left half white
    exif = Image.Exif()
    exif[0x0112] = 3  # rotated 180 degrees: the left half must end up on the right
    buf = io.BytesIO()
    img.save(buf, "PNG", exif=exif)
    pixels, *_ = decode_image(buf.getvalue(), 40)
    assert pixels[:, :10].mean() < 30 and pixels[:, -10:].mean() > 225


def test_to_gray_alpha_is_composited_on_white() -> None:
    transparent = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    assert np.asarray(to_gray(transparent)).min() == 255


def test_to_gray_cmyk_and_palette_keep_brightness() -> None:
    rgb = Image.new("RGB", (4, 4), (200, 200, 200))
    for img in (rgb.convert("CMYK"), rgb.convert("P", palette=Image.Palette.ADAPTIVE)):
        assert abs(int(np.asarray(to_gray(img)).mean()) - 200) <= 3


def test_decode_image_centre_crops_before_resizing() -> None:
    img = Image.new("L", (300, 100), 0)
    img.paste(255, (100, 0, 200, 100))  # only the central square is white
    buf = io.BytesIO()
    img.save(buf, "PNG")
    pixels, width, height, _, _ = decode_image(buf.getvalue(), 48)
    assert (width, height) == (300, 100)
    assert pixels.min() == 255


@pytest.mark.parametrize("reason", ["truncated image", "zero-byte file", "unreadable image", "decompression bomb"])
def test_process_loads_bad_file_is_skipped_with_reason(tmp_path: Path, reason: str) -> None:
    path = corrupt_images(tmp_path)[reason]
    result, _ = _process(_item(path))
    assert isinstance(result, Refused)
    assert result.reason.value == reason


def test_process_loads_missing_file_is_skipped(tmp_path: Path) -> None:
    result, _ = _process(_item(tmp_path / "gone.png"))
    assert isinstance(result, Refused) and result.reason is SkipReason.MISSING


def test_parse_pixels_rejects_bad_rows() -> None:
    assert parse_pixels("0 1 2 3").tolist() == [[0, 1], [2, 3]]
    for bad, match in (("1 2 3", "not a square"), ("1 2 x 4", "not an integer"), ("1 2 3 256", "0..255")):
        result, _ = _process(_item(pixels=bad))
        assert isinstance(result, Refused) and result.reason is SkipReason.MALFORMED_ROW
        assert match in result.detail


def test_process_loads_fer_pixels_round_trip() -> None:
    pixels = np.asarray(face(1).resize((48, 48)))
    result, png = _process(_item(pixels=" ".join(map(str, pixels.ravel()))))
    assert isinstance(result, Measured)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), pixels)
    assert result.id == content_id(pixels)


def test_content_id_and_png_are_deterministic() -> None:
    pixels = np.asarray(face(2).resize((48, 48)))
    assert content_id(pixels) == content_id(pixels.copy())
    assert encode_png(pixels) == encode_png(pixels.copy())
    other = pixels.copy()
    other[0, 0] ^= 1
    assert content_id(other) != content_id(pixels)


def test_perceptual_hash_near_for_blur_far_for_other_face() -> None:
    a = face(3).resize((48, 48))
    blurred = a.filter(ImageFilter.GaussianBlur(0.8))
    ha, hb = perceptual_hash(np.asarray(a)), perceptual_hash(np.asarray(blurred))
    hc = perceptual_hash(np.asarray(face(40, "sad").resize((48, 48))))
    assert (ha ^ hb).bit_count() <= 6
    assert (ha ^ hc).bit_count() > 6


def test_colour_means_for_colour_originals_only(tmp_path: Path) -> None:
    from microe_release.processing import colour_means

    assert colour_means(Image.new("RGB", (200, 100), (200, 40, 10))) == (200, 40, 10)
    assert colour_means(Image.new("L", (10, 10), 7)) is None
    assert colour_means(Image.new("RGB", (8, 8), (90, 90, 90)).convert("P", palette=Image.Palette.ADAPTIVE)) is None
    paths = odd_images(tmp_path)
    *_, rgb = decode_image(paths["jpeg"].read_bytes(), 48)
    assert rgb is not None and rgb[0] >= rgb[1] >= rgb[2]  # the fixture tints red > green > blue
    assert decode_image(paths["png"].read_bytes(), 48)[4] is None


def test_pixel_rows_match_fer2013_text_for_every_value() -> None:
    rng = np.random.default_rng(1)
    batch = rng.integers(0, 256, (5, 17, 23), dtype=np.uint8)
    batch[0] = np.arange(17 * 23).reshape(17, 23) % 256  # every gray value, 1-3 digits
    expected = [" ".join(str(v) for v in image.ravel()).encode() for image in batch]
    assert pixel_rows(batch) == expected
    assert pixel_rows(batch[:0]) == []


def _pillow_only(data: bytes, size: int, monkeypatch: pytest.MonkeyPatch) -> tuple:
    with monkeypatch.context() as patch:
        patch.setattr(processing, "_fast_decode", lambda data, size: None)
        return decode_image(data, size)


def _encoded(img: Image.Image, kind: str, **options: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, kind, **options)
    return buf.getvalue()


def test_fast_jpeg_decoder_gives_exactly_what_pillow_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    cases = []
    for i, (width, height) in enumerate([(48, 48), (350, 350), (59, 65), (640, 200), (97, 401), (1000, 999)]):
        base = Image.fromarray(rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)).resize((width, height))
        for mode in ("L", "RGB"):
            img = base.convert(mode)
            cases.append(_encoded(img, "PNG"))
            cases.append(_encoded(img, "JPEG", quality=60 + 5 * i, subsampling=i % 3, progressive=bool(i % 2)))
    cases.append(odd_images(tmp_path)["png"].read_bytes())
    assert sum(processing._fast_decode(data, 48) is not None for data in cases) == 12  # the JPEGs
    for data in cases:
        for size in (48, 64):
            fast, pillow = decode_image(data, size), _pillow_only(data, size, monkeypatch)
            assert np.array_equal(fast[0], pillow[0]) and fast[1:] == pillow[1:]


def test_fast_jpeg_decoder_leaves_other_images_to_pillow(tmp_path: Path) -> None:
    paths = odd_images(tmp_path)
    gray = face(4)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    others = {
        "16-bit PNG": paths["png16"].read_bytes(),
        "palette PNG": _encoded(gray.convert("P"), "PNG"),
        "gray PNG with transparency": _encoded(gray, "PNG", transparency=0),
        "RGBA PNG": paths["rgba"].read_bytes(),
        "CMYK JPEG": paths["cmyk"].read_bytes(),
        "JPEG with EXIF orientation": _encoded(gray.convert("RGB"), "JPEG", exif=exif),
        "truncated JPEG": corrupt_images(tmp_path / "bad")["truncated image"].read_bytes(),
        "JPEG signature, then garbage": b"\xff\xd8" + b"not a jpeg" * 20,
    }
    for name, data in others.items():
        assert processing._fast_decode(data, 48) is None, name
