"""End to end: every source format and bad input -> a release that datasets and pandas load."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from PIL import Image, ImageFilter

from microe_release import CLASS_NAMES, build_release, load_config
from microe_release.errors import OutputExistsError, SkippedItemError, SourceNotFoundError
from tests.fixtures.sources import corrupt_images, make_multi_source_config, odd_images

pytestmark = pytest.mark.integration

EXPECTED_REASONS = {
    "truncated image", "zero-byte file", "unreadable image", "decompression bomb", "missing file",
    "unknown label", "malformed CSV row", "path escapes source root", "label conflict",
    "unsupported file type", "file name does not match pattern", "no label consensus",
}


def make_sources(root: Path) -> Path:
    """The documented multi-source config, plus odd formats, corrupt files, duplicates and near-duplicates."""
    config = make_multi_source_config(root)
    ck = root / "CK+48"
    odd_images(ck / "surprise")
    corrupt_images(ck / "happy")
    happy = sorted((ck / "happy").glob("S*.png"))
    shutil.copy(happy[0], ck / "happy" / "S010_009_copy.png")  # identical, same label: merged
    shutil.copy(happy[1], ck / "sadness" / "S011_009_conflict.png")  # identical, other label: conflict
    # A near-duplicate of a CK+ image (blurred, re-encoded) in another source: must share its split.
    near = Image.open(happy[2]).filter(ImageFilter.GaussianBlur(0.6))
    near.convert("RGB").save(root / "facial_expressions" / "images" / "Person_0000.jpg", quality=85)
    return config


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("sources")
    config = make_sources(root)
    out = tmp_path_factory.mktemp("release") / "microe-1.0.0"
    build_release(load_config(config), out, workers=2)
    return config, out


def _card_yaml(out: Path) -> dict:
    text = (out / "README.md").read_text()
    return yaml.safe_load(text.split("---\n")[1])


def test_build_layout(release: tuple[Path, Path]) -> None:
    _, out = release
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == [".zenodo.json", "CITATION.cff", "LICENSE", "README.md", "SHA256SUMS", "build-report.json",
                     "croissant.json", "data/test-00000-of-00001.parquet", "data/train-00000-of-00001.parquet",
                     "datacite.json", "datapackage.json", "manifest.json", "microe.csv"]
    assert not list(out.parent.glob(".*partial*"))


def test_build_reports_every_bad_input_reason(release: tuple[Path, Path]) -> None:
    _, out = release
    report = json.loads((out / "build-report.json").read_text())
    assert set(report["skipped_by_reason"]) == EXPECTED_REASONS
    refs = {(s["source"], s["source_ref"]): s["reason"] for s in report["skipped"]}
    assert refs[("ckplus", "happy/bomb.png")] == "decompression bomb"
    assert refs[("ckplus", "sadness/S011_009_conflict.png")] == "label conflict"
    assert refs[("fer2013", "fer2013.csv:line 42")] == "malformed CSV row"  # 3 pixel values
    assert refs[("fer2013", "fer2013.csv:line 43")] == "malformed CSV row"  # value 300
    merged = {ref for entry in report["duplicates_merged"] for ref in entry["merged"]}
    assert "ckplus:happy/S010_009_copy.png" in merged
    # the lossless odd formats (BMP, WebP, RGBA PNG) of one RGB face decode to identical pixels
    assert {"ckplus:surprise/d_bmp.bmp", "ckplus:surprise/e_webp.webp"} <= merged
    assert report["counts"]["total"] == sum(report["counts"]["by_split"].values())
    assert report["config_hash"].startswith("sha256:") and report["tool"] == "microe-release"


def test_load_dataset_round_trip(release: tuple[Path, Path]) -> None:
    from datasets import ClassLabel, load_dataset

    _, out = release
    ds = load_dataset(str(out))
    card = _card_yaml(out)
    assert list(ds) == ["train", "test"]
    expected = {s["name"]: s["num_examples"] for s in card["dataset_info"]["splits"]}
    assert {name: ds[name].num_rows for name in ds} == expected
    label = ds["train"].features["label"]
    assert isinstance(label, ClassLabel) and label.names == list(CLASS_NAMES)
    row = ds["train"][0]
    assert row["image"].size == (48, 48) and row["image"].mode == "L"
    assert set(ds["train"].column_names) == {"image", "label", "id", "index", "source", "source_ref", "license",
                                             "votes"}
    indices = list(ds["train"]["index"]) + list(ds["test"]["index"])
    assert sorted(indices) == list(range(len(indices)))
    ids = list(ds["train"]["id"]) + list(ds["test"]["id"])
    assert len(set(ids)) == len(ids)
    assert [i for _, i in sorted(zip(indices, ids, strict=True))] == sorted(ids)  # index is id order


def test_csv_matches_parquet(release: tuple[Path, Path]) -> None:
    _, out = release
    df = pd.read_csv(out / "microe.csv")
    assert list(df.columns) == ["index", "id", "label", "emotion", "pixels", "split", "source", "license", "votes"]
    parquet = pd.concat([pq.read_table(p).to_pandas() for p in sorted((out / "data").glob("*.parquet"))])
    parquet = parquet.sort_values("index").reset_index(drop=True)
    assert df["id"].tolist() == parquet["id"].tolist()
    assert df["emotion"].tolist() == parquet["label"].tolist()
    assert [CLASS_NAMES[e] for e in df["emotion"]] == df["label"].tolist()
    for text, image in zip(df["pixels"][:50], parquet["image"][:50], strict=True):
        pixels = np.asarray(Image.open(io.BytesIO(image["bytes"])))
        assert np.array_equal(np.array(text.split(), dtype=np.uint8).reshape(48, 48), pixels)


def test_split_groups_never_straddle(release: tuple[Path, Path]) -> None:
    _, out = release
    df = pd.read_csv(out / "microe.csv")
    split_of = dict(zip(df["id"], df["split"], strict=True))
    report = json.loads((out / "build-report.json").read_text())
    groups = report["near_duplicate_groups"]
    assert any(len(g) >= 2 for g in groups)  # the blurred CK+ copy was found
    for group in groups:
        assert len({split_of[i] for i in group}) == 1
    parquet = pd.concat([pq.read_table(p).to_pandas() for p in (out / "data").glob("*.parquet")])
    ck = parquet[parquet["source"] == "ckplus"]
    subjects = ck["source_ref"].str.extract(r"/(S\d+)_")[0]
    splits = ck["id"].map(split_of)
    assert (pd.DataFrame({"s": subjects, "split": splits}).groupby("s")["split"].nunique() == 1).all()


def test_build_is_byte_identical(release: tuple[Path, Path], tmp_path: Path) -> None:
    config, out = release
    again = tmp_path / "again"
    build_release(load_config(config), again, workers=1)

    def digests(folder: Path) -> dict[str, str]:
        return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in folder.rglob("*") if p.is_file()}

    assert digests(again) == digests(out)


def test_build_images_layout_and_stratification(tmp_path: Path) -> None:
    from microe_release import demo_config

    manifest = build_release(demo_config(count=300), tmp_path / "r", images=True, workers=1)
    files = sorted((tmp_path / "r" / "images").rglob("*.png"))
    assert len(files) == len(manifest.records)
    split, label, name = files[0].relative_to(tmp_path / "r" / "images").parts
    assert split in ("train", "test") and label in CLASS_NAMES and name.endswith(".png")
    for label in CLASS_NAMES:
        total = manifest.class_counts()[label]
        assert abs(manifest.class_counts("test")[label] - 0.2 * total) <= max(3, 0.08 * total)


def test_build_strict_fails_on_first_skip(tmp_path: Path) -> None:
    config = make_multi_source_config(tmp_path)
    with pytest.raises(SkippedItemError, match=r"--strict: source 'fer2013' > fer2013.csv:line 44: unknown label"):
        build_release(load_config(config), tmp_path / "out", strict=True, workers=1)
    assert not (tmp_path / "out").exists()


def test_build_refuses_non_empty_out_and_keeps_it_on_failure(tmp_path: Path) -> None:
    config = make_multi_source_config(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    with pytest.raises(OutputExistsError, match="is not empty; pass --force"):
        build_release(load_config(config), out, workers=1)
    shutil.rmtree(tmp_path / "jaffe")
    with pytest.raises(SourceNotFoundError, match="source 'jaffe'"):
        build_release(load_config(config), out, force=True, workers=1)
    assert (out / "keep.txt").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_build_force_replaces(tmp_path: Path) -> None:
    from microe_release import demo_config

    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    manifest = build_release(demo_config(count=40), out, force=True, workers=1)
    assert not (out / "old.txt").exists() and (out / "README.md").exists()
    assert Counter(r.split for r in manifest.records) == manifest.split_counts()


def test_bench_build_reports_build_against_the_limit_for_ferplus_layout(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = Path(__file__).parents[1] / "benchmarks" / "bench_build.py"
    done = subprocess.run([sys.executable, str(script), "--layout", "ferplus", "--count", "80", "--repeat", "2",
                           "--workers", "2", "--data", str(tmp_path / "data"), "--json", str(tmp_path / "b.json")],
                          capture_output=True, text=True, check=False)
    figures = json.loads((tmp_path / "b.json").read_text())
    floors_met = figures["build_vs_bare"] >= 0.7 and figures["build_vs_naive"] >= 3.0  # often not, at 80 images
    assert done.returncode == (0 if floors_met else 1), done.stdout + done.stderr
    assert figures["layout"] == "ferplus" and figures["images"] == 80 and len(figures["build_vs_limit_rounds"]) == 2
    assert figures["build_vs_limit"] > 0 and "build / limit =" in done.stdout
    labels = (tmp_path / "data" / "ferplus-80" / "FER2013Train" / "label.csv").read_text().splitlines()
    assert len(labels) == 64 and labels[0].startswith('fer0000000.png,"(0, 0, 48, 48)",')


def test_build_stopped_by_sigterm_leaves_nothing_behind(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "rel"
    command = [sys.executable, "-m", "microe_release.cli", "-q", "build", "--demo", "--count", "20000", "--out", str(out)]
    proc = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".rel.partial-*")) and time.monotonic() < deadline:  # the build has started
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    assert sorted(p.name for p in tmp_path.iterdir()) == []
