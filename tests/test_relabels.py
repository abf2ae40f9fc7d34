"""relabels.csv: a maintainer's reviewed labels, applied by the next build, reported by diff, CHANGELOG and card."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from microe_release import build_release, demo_config
from microe_release.diff import diff_releases
from microe_release.errors import ConfigError
from microe_release.validation import validate_release
from microe_release.writers.manifest import read_manifest


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("relabels")
    v1 = root / "1.0.0"
    first = build_release(demo_config(count=120), v1, workers=1)
    changed, kept = first.records[3], first.records[5]
    new = "sad" if changed.label != "sad" else "happy"
    path = root / "relabels.csv"
    path.write_text("id,new_label,reason,date\n"
                    f"{changed.id},{new},three annotators agree it is {new},2026-12-01\n"
                    f"{kept.id},{kept.label},reviewed: the label is right,2026-12-01\n")
    v2 = root / "1.1.0"
    build_release(replace(demo_config(count=120, version="1.1.0"), relabels=path), v2, workers=1, previous=v1)
    return {"v1": v1, "v2": v2, "changed": changed, "new": new, "kept": kept}


def test_relabel_applied_to_the_data(versions: dict) -> None:
    manifest = read_manifest(versions["v2"])
    labels = {r.id: r.label for r in manifest.records}
    assert labels[versions["changed"].id] == versions["new"]
    assert labels[versions["kept"].id] == versions["kept"].label
    assert [(e["id"], e["old"], e["new"]) for e in manifest.relabels] == sorted(
        [(versions["changed"].id, versions["changed"].label, versions["new"]),
         (versions["kept"].id, versions["kept"].label, versions["kept"].label)])
    row = next(line for line in (versions["v2"] / "microe.csv").read_text().splitlines()
               if f",{versions['changed'].id}," in line)
    assert f",{versions['new']}," in row
    assert validate_release(versions["v2"]).errors() == []


def test_relabel_in_diff_changelog_and_card(versions: dict) -> None:
    diff = diff_releases(versions["v1"], versions["v2"])
    assert diff["reviewed"] == 2
    assert diff["relabelled"] == [{"id": versions["changed"].id, "old": versions["changed"].label,
                                   "new": versions["new"],
                                   "reason": f"three annotators agree it is {versions['new']} (2026-12-01)"}]
    changelog = (versions["v2"] / "CHANGELOG.md").read_text()
    assert "2 labels reviewed (relabels.csv), 1 changed." in changelog
    assert f"three annotators agree it is {versions['new']}" in changelog
    card = (versions["v2"] / "README.md").read_text()
    assert "**Labels reviewed:** 2, of which 1 changed" in card


def test_validate_catches_a_relabel_the_data_lost(versions: dict, tmp_path: Path) -> None:
    import shutil

    release = tmp_path / "r"
    shutil.copytree(versions["v2"], release)
    path = release / "manifest.json"
    data = json.loads(path.read_text())
    entry = next(e for e in data["relabels"] if e["old"] != e["new"])
    entry["new"] = "angry" if entry["new"] != "angry" else "fear"
    path.write_text(json.dumps(data))
    found = [i for i in validate_release(release, checks=["manifest"]).errors()]
    assert found and "was relabelled" in found[0].message


@pytest.mark.parametrize(("content", "match"), [
    ("id,new_label,reason,date\n0123456789abcdef,joyful,x,2026-12-01\n", "new_label 'joyful' is not a class"),
    ("id,label\n", "must start with the header id,new_label,reason,date"),
    ("id,new_label,reason,date\nnot-an-id,sad,x,2026-12-01\n", "expected a 16-hex-digit image id"),
    ("id,new_label,reason,date\n0123456789abcdef,sad,x,2026-12-01\n0123456789abcdef,fear,y,2026-12-02\n",
     "already relabelled on line 2"),
], ids=["unknown-class", "header", "bad-id", "twice"])
def test_relabels_file_problems_are_one_config_error(tmp_path: Path, content: str, match: str) -> None:
    path = tmp_path / "relabels.csv"
    path.write_text(content)
    with pytest.raises(ConfigError, match=match):
        build_release(replace(demo_config(count=20), relabels=path), tmp_path / "r", workers=1)
