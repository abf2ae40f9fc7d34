"""Every item a build leaves out has a line in build-report.json: hidden files and folders, folder links, images
smaller than ``min_size`` (issue 20, item 4)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image

from microe_release import build_release
from microe_release.config import ReleaseConfig, SourceConfig
from microe_release.errors import ConfigError, SkippedItemError
from tests.fixtures.sources import face, save


def _tree(root: Path) -> Path:
    for n in range(12):
        save(face(n, "happy"), root / ("happy" if n % 2 else "sad") / f"f{n:02d}.png")
    save(face(40, "happy"), root / "happy" / ".hidden-face.png")
    (root / "happy" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    save(face(41, "happy"), root / ".thumbnails" / "happy" / "t.png")  # a hidden folder: its files are not read
    save(face(42, "happy"), root.parent / "elsewhere" / "angry" / "x.png")
    os.symlink(root.parent / "elsewhere" / "angry", root / "angry")  # a linked label folder
    Image.new("L", (1, 1), 128).save(root / "sad" / "one-pixel.png")
    Image.new("L", (10000, 1), 128).save(root / "sad" / "a-line.png")
    Image.new("L", (15, 40), 128).save(root / "sad" / "narrow.png")
    return root


def _build(tmp_path: Path, **release: object) -> dict:
    source = SourceConfig(name="faces", format="image-folder", path=_tree(tmp_path / "src"), license="CC-BY-4.0")
    build_release(ReleaseConfig(name="t", version="1.0.0", sources=(source,), **release), tmp_path / "rel",  # type: ignore[arg-type]
                  workers=1)
    report = json.loads((tmp_path / "rel" / "build-report.json").read_text())
    return {s["source_ref"]: s for s in report["skipped"]}


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_left_out_items_each_have_a_line(tmp_path: Path) -> None:
    skipped = _build(tmp_path)
    assert {ref: s["reason"] for ref, s in skipped.items()} == {
        "happy/.hidden-face.png": "hidden file or folder",
        "happy/.DS_Store": "hidden file or folder",
        ".thumbnails/": "hidden file or folder",
        "angry/": "folder link not followed",
        "sad/one-pixel.png": "image smaller than min_size",
        "sad/a-line.png": "image smaller than min_size",
        "sad/narrow.png": "image smaller than min_size",
    }
    assert skipped["sad/a-line.png"]["detail"].startswith("10000x1 px, under min_size 16")
    assert "add its target as another [[source]]" in skipped["angry/"]["detail"]
    report = json.loads((tmp_path / "rel" / "build-report.json").read_text())
    assert report["counts"]["total"] == 12


def test_min_size_zero_keeps_tiny_images(tmp_path: Path) -> None:
    skipped = _build(tmp_path, min_size=0)
    assert not [s for s in skipped.values() if s["reason"] == "image smaller than min_size"]


def test_min_size_strict_fails_on_the_first_tiny_image(tmp_path: Path) -> None:
    source = SourceConfig(name="faces", format="image-folder", path=tmp_path / "src", license="CC-BY-4.0")
    for n in range(4):
        save(face(n, "happy"), tmp_path / "src" / "happy" / f"f{n}.png")
    Image.new("L", (1, 1), 128).save(tmp_path / "src" / "happy" / "one-pixel.png")
    with pytest.raises(SkippedItemError, match=r"image smaller than min_size \(1x1 px"):
        build_release(ReleaseConfig(name="t", version="1.0.0", sources=(source,)), tmp_path / "rel", workers=1,
                      strict=True)


@pytest.mark.parametrize("value", [-1, 5000])
def test_min_size_out_of_range_is_a_config_error(value: int) -> None:
    with pytest.raises(ConfigError, match="release.min_size"):
        ReleaseConfig(name="t", version="1.0.0", min_size=value)
