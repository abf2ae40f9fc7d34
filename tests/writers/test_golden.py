"""Each metadata writer's output on a small fixed release, compared byte for byte with a golden file.

A deliberate change to a writer updates the golden files (then review ``git diff``)::

    MICROE_UPDATE_GOLDEN=1 python -m pytest tests/writers/test_golden.py

The parquet shards' bytes come from pyarrow, not from us: their sha256, md5 and size, and the card's
byte counts, are replaced by placeholders before the comparison, so a pyarrow upgrade does not count
as a writer change.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

from microe_release import build_release, demo_config

GOLDEN = Path(__file__).parent / "golden"

#: Every file a metadata writer makes (the data files and the licence text are checked elsewhere).
METADATA_FILES = ("README.md", "CITATION.cff", "datapackage.json", "croissant.json", ".zenodo.json", "datacite.json",
                  "build-report.json", "manifest.json", "SHA256SUMS")


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("golden") / "release"
    build_release(demo_config(count=48, seed=7), out, workers=1)
    return out


def _normalised(release: Path, text: str) -> str:
    for shard in sorted((release / "data").glob("*.parquet")):
        data = shard.read_bytes()
        name = shard.name
        text = text.replace(hashlib.sha256(data).hexdigest(), f"<sha256 of {name}>")
        text = text.replace(hashlib.md5(data).hexdigest(), f"<md5 of {name}>")  # noqa: S324 - Zenodo's checksum
        text = re.sub(rf"(?<![\d.]){len(data)}(?![\d.])", f"<bytes of {name}>", text)
    # the card's dataset_info sizes are pyarrow's figures for the shards
    return re.sub(r"(\b(?:num_bytes|download_size|dataset_size)\b\"?:\s*)\d+", r"\1<pyarrow's figure>", text)


@pytest.mark.parametrize("name", METADATA_FILES)
def test_metadata_writer_output_matches_its_golden_file(release: Path, name: str) -> None:
    produced = _normalised(release, (release / name).read_text(encoding="utf-8"))
    golden = GOLDEN / (name.lstrip(".") + ".golden")
    if os.environ.get("MICROE_UPDATE_GOLDEN"):
        golden.write_text(produced, encoding="utf-8")
    assert golden.is_file(), f"no golden file {golden}; create it with MICROE_UPDATE_GOLDEN=1"
    expected = golden.read_text(encoding="utf-8")
    assert produced == expected, f"{name} differs from {golden}; if the change is deliberate, update the golden files"
