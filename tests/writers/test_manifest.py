"""``manifest.json``: the typed Manifest saved with every release and read back by diff, publish and --previous."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from microe_release import build_release, demo_config
from microe_release.cli import main
from microe_release.errors import ConfigError, ReleaseFormatError
from microe_release.records import ImageRecord
from microe_release.writers.manifest import MANIFEST_FILE, read_manifest, write_manifest


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("manifest") / "release"
    return out, build_release(demo_config(count=80), out, workers=1)


def test_manifest_reads_back_equal_to_what_the_build_returned(built, tmp_path: Path) -> None:
    out, manifest = built
    again = read_manifest(out)
    assert again == dataclasses.replace(manifest, timings={})
    assert all(isinstance(r, ImageRecord) and r.split in ("train", "test") for r in again.records)
    write_manifest(again, tmp_path)
    assert (tmp_path / MANIFEST_FILE).read_bytes() == (out / MANIFEST_FILE).read_bytes()


def test_manifest_records_are_frozen(built) -> None:
    _, manifest = built
    with pytest.raises(dataclasses.FrozenInstanceError):
        manifest.records[0].split = "test"  # type: ignore[misc]


@pytest.mark.parametrize(("damage", "match"), [
    (lambda p: p.unlink(), "has no manifest.json"),
    (lambda p: p.write_text("{not json"), "cannot be read as JSON"),
    (lambda p: p.write_text(json.dumps({"format": "microe-release manifest", "format_version": 99})),
     "is not a microe-release manifest version 1"),
])
def test_manifest_that_cannot_be_read_is_one_error(built, tmp_path: Path, damage, match: str) -> None:
    out, _ = built
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / MANIFEST_FILE).write_bytes((out / MANIFEST_FILE).read_bytes())
    damage(copy / MANIFEST_FILE)
    with pytest.raises(ReleaseFormatError, match=match):
        read_manifest(copy)
    result = CliRunner().invoke(main, ["diff", str(out), str(copy)])
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "Hint: point at a release folder" in result.output


def test_previous_release_keeps_splits_and_changelog_comes_from_manifests(built, tmp_path: Path) -> None:
    out, manifest = built
    newer = build_release(demo_config(count=96, version="1.1.0"), tmp_path / "newer", workers=1, previous=out)
    earlier = {r.id: r.split for r in manifest.records}
    assert all(r.split == earlier[r.id] for r in newer.records if r.id in earlier)
    assert "## 1.1.0 (since 1.0.0)" in (tmp_path / "newer" / "CHANGELOG.md").read_text()
    result = CliRunner().invoke(main, ["diff", str(out), str(tmp_path / "newer"), "--json"])
    assert result.exit_code == 0, result.output
    diff = json.loads(result.output)
    assert len(diff["added"]) == len(newer.records) - len(set(earlier) & {r.id for r in newer.records})


def test_previous_must_be_an_older_version(built, tmp_path: Path) -> None:
    out, _ = built
    with pytest.raises(ConfigError, match=r"--previous '.*' is version 1.0.0, not older than this build's 1.0.0"):
        build_release(demo_config(count=80), tmp_path / "again", workers=1, previous=out)
    assert not (tmp_path / "again").exists()


def test_version_disagreeing_with_dataset_yaml_is_warned(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="microe_release"):
        build_release(demo_config(count=60, version="2.0.0"), tmp_path / "r", workers=1)
    assert "dataset.yaml says version 1.0.0, the release is built as 2.0.0" in caplog.text
