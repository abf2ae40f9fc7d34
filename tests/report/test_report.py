"""`microe report`: its numbers against the release, and the page as headless Chromium renders it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from PIL import Image

from microe_release import build_release, demo_config
from microe_release.cli import main
from microe_release.errors import ReleaseFormatError
from microe_release.labels import CLASS_NAMES
from microe_release.report import SECTIONS, generate_report
from microe_release.report.stats import load_images
from microe_release.writers.manifest import read_manifest

pytestmark = pytest.mark.integration

#: Flags that keep headless Chromium off the network (this machine has none) and quiet.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-default-apps", "--hide-scrollbars"]


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    base = tmp_path_factory.mktemp("report")
    release = base / "release"
    build_release(demo_config(count=400), release, workers=1)
    numbers = generate_report(release, base / "report")
    return release, base / "report", numbers


def test_report_numbers_match_the_release(made: tuple[Path, Path, dict]) -> None:
    release, out, numbers = made
    assert json.loads((out / "report.json").read_text()) == json.loads(json.dumps(numbers))
    frames = {p.name.split("-")[0]: pq.read_table(p).to_pandas() for p in (release / "data").glob("*.parquet")}
    comp = numbers["composition"]
    assert comp["total"] == sum(len(f) for f in frames.values()) == 400
    for split, frame in frames.items():
        assert comp["by_split"][split] == len(frame)
        for i, name in enumerate(CLASS_NAMES):
            assert comp["by_split_class"][split][name] == int((frame["label"] == i).sum())
    present = [v for v in comp["by_class"].values() if v]
    assert comp["imbalance_ratio"] == round(max(present) / min(present), 3)
    images, labels, *_ = load_images(release)
    happy = images[labels == CLASS_NAMES.index("happy")].astype(float).mean(axis=0)
    sad = images[labels == CLASS_NAMES.index("sad")].astype(float).mean(axis=0)
    assert numbers["class_means"]["distance"]["happy"]["sad"] == round(float(np.sqrt(((happy - sad) ** 2).mean())), 3)
    hist = numbers["image_statistics"]["intensity"]["per_class"]["happy"]["histogram"]
    assert sum(hist) == comp["by_class"]["happy"] * 48 * 48
    build = json.loads((release / "build-report.json").read_text())
    assert numbers["quality"]["skipped_total"] == len(build["skipped"])
    assert numbers["quality"]["validation"]["errors"] == 0 and numbers["quality"]["leakage"]["issues"] == []
    assert numbers["image_statistics"]["original_dimensions"] == build["original_dimensions"]
    assert numbers["image_statistics"]["colour_dominance"] == build["colour_dominance"]
    for name in numbers["figures"]:
        assert Image.open(out / name).size[0] > 100, name
    assert set(numbers["features"]) == {"happy", "surprised", "angry"}
    assert numbers["features"]["happy"]["region"]["area"] > 0


def test_report_numbers_match_the_manifest(made: tuple[Path, Path, dict]) -> None:
    release, _, numbers = made
    manifest = read_manifest(release)
    comp, quality = numbers["composition"], numbers["quality"]
    assert comp["total"] == len(manifest.records)
    assert comp["by_class"] == manifest.class_counts()
    assert comp["by_split"] == {s: n for s, n in manifest.split_counts().items() if n}
    assert comp["by_split_class"] == {s: manifest.class_counts(s) for s in comp["by_split"]}
    assert comp["by_source"] == dict(sorted(Counter(r.source for r in manifest.records).items()))
    assert comp["licences"] == {s["name"]: s["license"] for s in manifest.sources}
    assert quality["skipped_by_reason"] == dict(sorted(Counter(s.reason.value for s in manifest.skipped).items()))
    assert quality["skipped_total"] == len(manifest.skipped)
    assert quality["duplicates_merged"] == len(manifest.duplicates)
    assert quality["near_duplicate_groups"] == len(manifest.near_duplicate_groups)
    assert numbers["release"] == {"name": manifest.name, "version": manifest.version, "image_size": manifest.image_size}


def test_report_without_manifest_is_one_error(made: tuple[Path, Path, dict], tmp_path: Path) -> None:
    release, _, _ = made
    copy = tmp_path / "release"
    shutil.copytree(release, copy)
    (copy / "manifest.json").unlink()
    with pytest.raises(ReleaseFormatError, match="has no manifest.json"):
        generate_report(copy, tmp_path / "r")
    result = CliRunner().invoke(main, ["report", str(copy), "--out", str(tmp_path / "r")])
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "Hint: point at a release folder" in result.output


def test_report_with_model_and_cli(made: tuple[Path, Path, dict], tmp_path: Path) -> None:
    release, _, _ = made
    model = tmp_path / "model"
    model.mkdir()
    metrics = {"accuracy": 0.5, "macro": {"f1": 0.4}, "per_class": {c: {"recall": 0.1 * i} for i, c in enumerate(CLASS_NAMES)},
               "confusion_matrix": [[0] * 8] * 8}
    (model / "metrics.json").write_text(json.dumps(metrics))
    (model / "config.json").write_text(json.dumps({"arch": "alexnet-48", "release": {"name": "microe"}}))
    Image.new("RGB", (200, 100), "white").save(model / "training_curves.png")
    result = CliRunner().invoke(main, ["report", str(release), "--out", str(tmp_path / "r"), "--model", str(model)])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "r" / "index.html").read_text()
    assert 'id="model"' in html and "Test accuracy <b>0.500</b>" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("Chromium is not installed: `apt-get install chromium` (make test installs it when it can)")
    return path


def test_report_renders_in_headless_chromium(made: tuple[Path, Path, dict], tmp_path: Path) -> None:
    chromium = _chromium()
    _, out, _ = made
    url = (out / "index.html").resolve().as_uri()
    common = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000"]
    dom = subprocess.run([*common, "--enable-logging=stderr", "--v=0", "--dump-dom", url],
                         capture_output=True, text=True, timeout=120, check=False)
    assert dom.returncode == 0, dom.stderr[-2000:]
    for section in SECTIONS:
        if section not in ("model", "audit", "votes"):  # with a model folder / an audited release / votes only
            assert f'id="{section}"' in dom.stdout, section
    body = re.search(r"<body([^>]*)>", dom.stdout).group(1)
    loaded = int(re.search(r'data-images-loaded="(\d+)"', body).group(1))
    assert loaded == dom.stdout.count("<img ") and loaded >= 7
    assert 'data-images-broken="0"' in body
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not [line for line in console if "error" in line.lower() or "Uncaught" in line], console
    shot = tmp_path / "report.png"
    subprocess.run([*common, f"--screenshot={shot}", "--window-size=1280,2400", url],
                   capture_output=True, text=True, timeout=120, check=False)
    assert Image.open(shot).size == (1280, 2400)
    shutil.copy(shot, Path(out) / "screenshot.png")
