"""`microe validate` is independent of the builder: it catches the builder's own bugs and reads every file afresh."""

from __future__ import annotations

import ast
import io
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from PIL import Image

from microe_release import build_release, demo_config
from microe_release.cli import main
from microe_release.validation import validate_release
from microe_release.validation.data import close_hash_pairs
from microe_release.validation.facts import content_id_of, image_facts, pixel_digest
from microe_release.validation.spec import RELEASE_FEATURES
from microe_release.validation.tabular import parse_pixel_texts
from tests.fixtures.sources import copy_release, resign_release

pytestmark = pytest.mark.integration

TRAIN = "data/train-00000-of-00001.parquet"
VALIDATION_DIR = Path(validate_release.__code__.co_filename).parent  # the package as imported (the wheel's, in `make test`)

#: Builder modules the validator must not import (issue 19, item 3).
FORBIDDEN = ("processing", "fingerprints", "pixeltext", "pngread", "dedup", "features", "build", "writers")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("independent") / "release"
    build_release(demo_config(count=60), out, workers=1)
    return out


def _errors(path: Path) -> set[tuple[str, str]]:
    return {(i.code, i.where) for i in validate_release(path).errors()}


def _csv_row_of(release: Path, image_id: str) -> int:
    """The 1-based data row of ``image_id`` in microe.csv (as validation reports rows)."""
    lines = (release / "microe.csv").read_text().splitlines()
    return next(n for n, line in enumerate(lines) if line.split(",")[1] == image_id)


def test_validate_off_by_one_in_built_csv_pixel_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import microe_release.processing as processing
    from microe_release.fingerprints import content_id

    real = processing.pixel_rows
    altered: list[str] = []

    def off_by_one(batch: np.ndarray) -> list[bytes]:
        """The build's pixel text with one gray level off in the first pixel of a batch's first image."""
        wrong = batch[:1].copy()
        wrong[0, 0, 0] = wrong[0, 0, 0] + 1 if wrong[0, 0, 0] < 255 else 254
        altered.append(content_id(batch[0]))
        return real(wrong) + real(batch[1:])

    # the bug stays in place while validating: the validator must not share the builder's code
    monkeypatch.setattr(processing, "pixel_rows", off_by_one)
    out = tmp_path / "release"
    build_release(demo_config(count=40), out, workers=1)  # one process, one batch: the patch is the build's
    assert len(altered) == 1
    row = _csv_row_of(out, altered[0])
    errors = _errors(out)
    assert ("csv-mismatch", f"microe.csv > row {row} > pixels") in errors
    assert ("id-mismatch", f"microe.csv > row {row} > id") in errors
    assert not any(code.startswith("checksum") for code, _ in errors)  # the build signed its own bug
    result = CliRunner().invoke(main, ["validate", str(out)])
    assert result.exit_code == 1 and f"microe.csv > row {row} > pixels" in result.output


@pytest.mark.parametrize("in_workers", [False, True], ids=["decoded-here", "decoded-in-workers"])
def test_validate_parquet_image_swapped_keeping_its_id(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       in_workers: bool) -> None:
    import microe_release.validation as validation
    from microe_release.validation.loaded import LoadedRelease

    decoded_in: list[object] = []
    real_decode_in = LoadedRelease.decode_in
    monkeypatch.setattr(LoadedRelease, "decode_in", lambda self, pool: decoded_in.append(real_decode_in(self, pool)))
    if in_workers:  # as on a big release: the images decode in worker processes beside the checks
        monkeypatch.setattr(validation, "SIDE_PROCESS_BYTES", 0)
    release = copy_release(built, tmp_path)
    table = pq.read_table(release / TRAIN)
    images = table.column("image").to_pylist()
    face = np.asarray(Image.open(io.BytesIO(images[2]["bytes"])))
    png = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(face[:, ::-1])).save(png, format="PNG")  # another face: the mirror
    images[2] = {"bytes": png.getvalue(), "path": images[2]["path"]}
    column = pa.array(images, type=table.schema.field("image").type)
    pq.write_table(table.set_column(0, table.schema.field("image"), column), release / TRAIN)
    resign_release(release)
    image_id = table.column("id")[2].as_py()
    errors = _errors(release)
    assert ("id-mismatch", f"{TRAIN} > row 2 > id") in errors
    assert ("csv-mismatch", f"microe.csv > row {_csv_row_of(release, image_id)} > pixels") in errors
    assert not any(code.startswith(("checksum", "datapackage")) for code, _ in errors), errors
    assert len(decoded_in) == in_workers


def test_validate_twice_sees_an_edit_keeping_size_and_mtime(tmp_path: Path) -> None:
    out = tmp_path / "release"
    build_release(demo_config(count=24), out, workers=1)  # built in this process, as a user's script would
    assert validate_release(out).errors() == []
    path = out / "microe.csv"
    stat = path.stat()
    text = path.read_bytes()
    start = text.index(b"\n") + 1  # row 1
    for _ in range(4):  # index,id,label,emotion, then the pixels: edit the first digit of the first pixel
        start = text.index(b",", start) + 1
    edited = bytearray(text)
    edited[start] = ord("1") if text[start:start + 1] != b"1" else ord("2")
    path.write_bytes(bytes(edited))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    errors = _errors(out)
    assert ("checksum-mismatch", "microe.csv") in errors
    assert ("csv-mismatch", "microe.csv > row 1 > pixels") in errors


def _imported_modules(path: Path) -> list[str]:
    """Every module an import statement in ``path`` names (top level and inside functions), made absolute."""
    package = "microe_release.validation".split(".")
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found.append(module)
            found += [f"{module}.{alias.name}" for alias in node.names]  # from .. import writers
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            found.append(str(node.args[0].value))
    return found


def test_validation_imports_no_builder_module() -> None:
    modules = sorted(VALIDATION_DIR.glob("*.py"))
    assert len(modules) >= 5  # the glob found the package
    forbidden = tuple(f"microe_release.{name}" for name in FORBIDDEN)
    bad = [(path.name, name) for path in modules for name in _imported_modules(path)
           if name in forbidden or name.startswith(tuple(f"{f}." for f in forbidden))]
    assert bad == []


def test_imported_modules_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from ..writers.common import file_sha256\n    from .. import dedup\n"
                     "    import importlib\n    importlib.import_module('microe_release.pngread')\n")
    assert {"microe_release.writers.common", "microe_release.dedup", "microe_release.pngread"} <= set(
        _imported_modules(probe))


def test_validation_fingerprints_equal_the_builder_definitions(built: Path) -> None:
    from microe_release.dedup import near_duplicate_pairs
    from microe_release.fingerprints import content_id, perceptual_hashes

    table = pq.read_table(built / TRAIN)
    images = table.column("image").combine_chunks().field("bytes").to_pylist()
    facts = image_facts(images, 48)
    pixels = np.stack([np.asarray(Image.open(io.BytesIO(data))) for data in images])
    assert [f.content_id for f in facts] == table.column("id").to_pylist() == [content_id(p) for p in pixels]
    assert [f.phash for f in facts] == perceptual_hashes(pixels)
    rng = np.random.default_rng(0)
    hashes = [int(h) for h in rng.integers(0, 2**63, 3000, dtype=np.int64)]
    hashes += [h ^ (1 << int(b)) ^ (1 << 40) for h, b in zip(hashes[:300], rng.integers(0, 64, 300), strict=True)]
    assert close_hash_pairs(hashes) == near_duplicate_pairs(hashes)


@pytest.mark.parametrize(("text", "problem"), [
    (b"", "the pixel text is empty"),
    (b"1 2 3", "3 values, expected 2x2 = 4"),
    (b"1 2 x 4", "'x' is not a number"),
    (b"1 2 3 -4", "values must be 0..255, found '-4'"),
    (b"0 0 256 0", "values must be 0..255, found '256'"),
    (b"1  2 3 4", "values are not separated by single spaces"),
])
def test_parse_pixel_text_bad_text(text: bytes, problem: str) -> None:
    assert parse_pixel_texts([text], 2)[0].problem == problem


def test_restated_definitions() -> None:
    assert content_id_of(pixel_digest(bytes(4), 2, 2)) == "6721231bea7689c6"
    assert content_id_of(parse_pixel_texts([b"0 0 0 0"], 2)[0].digest) == "6721231bea7689c6"
    assert close_hash_pairs([0b0, 0b111, 0xFFFF_FFFF_FFFF_FFFF]) == [(0, 1)]
    assert list(RELEASE_FEATURES) == ["image", "label", "id", "index", "source", "source_ref", "license", "votes"]


def _png(array: np.ndarray, mode: str | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.fromarray(array)
    (image.convert(mode) if mode else image).save(out, format="PNG")
    return out.getvalue()


def test_image_facts_odd_images_are_described_not_decoded() -> None:
    gray = np.arange(16, dtype=np.uint8).reshape(4, 4)
    good = _png(gray)
    facts = image_facts([good, _png(np.zeros((4, 6), np.uint8)), _png(np.zeros((4, 4, 3), np.uint8)),
                         _png(gray, "P"), good[: len(good) // 2], b"", None], 4)
    assert facts[0].is_release_image(4) and facts[0].content_id and facts[0].pixel_digest
    assert (facts[1].shape, facts[1].dtype) == ((4, 6), "mode L")  # wrong size: never loaded
    assert (facts[2].shape, facts[2].dtype) == ((4, 4, 3), "uint8 (mode RGB)")
    assert (facts[3].shape, facts[3].dtype) == ((4, 4), "uint8 (mode P)")  # palette indices are not gray
    assert [f.shape for f in facts[4:]] == [None, None, None]  # truncated, empty, missing
    assert not any(f.is_release_image(4) for f in facts[1:])


def test_validate_damaged_image_column_with_images_decoded_in_workers(
        built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import microe_release.validation as validation

    monkeypatch.setattr(validation, "SIDE_PROCESS_BYTES", 0)  # the rows here, the images in worker processes
    release = copy_release(built, tmp_path)
    path = release / TRAIN
    chunk = pq.read_metadata(path).row_group(0).column(0)  # image.bytes: only its page header is broken
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    data = bytearray(path.read_bytes())
    data[start:start + 6] = b"\x15\x00\x15\xff\xff\xff"
    path.write_bytes(bytes(data))
    assert pq.read_table(path, columns=["id"]).num_rows > 0
    errors = _errors(release)
    assert ("parquet-unreadable", f"{TRAIN} > image") in errors
    assert ("image-undecodable", f"{TRAIN} > row 0 > image") in errors
