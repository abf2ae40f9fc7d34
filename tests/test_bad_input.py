"""A user's mistakes become one clear line and lose nothing: --out, dataset.yaml, exclusions, publish options."""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from microe_release import build_release, demo_config, load_config
from microe_release.cli import main
from microe_release.errors import (
    ConfigError,
    OutputExistsError,
    PublishError,
    SplitError,
    WriteError,
)
from microe_release.metadata import load_metadata, parse_metadata
from microe_release.publishing import publish_release
from microe_release.publishing.state import REGISTRY_ENV
from microe_release.resources import read_text
from microe_release.starter import write_starter_files


def _starter_yaml() -> dict:
    return yaml.safe_load(read_text("metadata", "dataset.yaml"))


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --out never deletes the user's own files


def test_build_refuses_an_out_that_is_the_config_folder(tmp_path: Path) -> None:
    write_starter_files(tmp_path / "mine")
    before = _snapshot(tmp_path / "mine")
    config = load_config(tmp_path / "mine" / "release.toml")
    with pytest.raises(OutputExistsError, match=r"holds the config file .*would delete it.*--out '.*/mine/release'"):
        build_release(config, tmp_path / "mine", force=True, workers=1)
    with pytest.raises(OutputExistsError, match="holds the config file"):
        build_release(config, tmp_path, force=True, workers=1)
    assert _snapshot(tmp_path / "mine") == before


def test_build_refuses_an_out_that_holds_the_current_folder_or_a_source(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "notes.txt").write_text("mine")
    monkeypatch.chdir(work)
    result = CliRunner().invoke(main, ["build", "--demo", "--count", "60", "--out", ".", "--force"])
    assert result.exit_code == 1 and "holds the current folder" in result.output
    assert (work / "notes.txt").read_text() == "mine"
    faces = tmp_path / "data" / "faces"
    (faces / "happy").mkdir(parents=True)
    toml = tmp_path / "release.toml"
    toml.write_text(f'[release]\nname = "f"\nversion = "0.1.0"\n\n[[source]]\nname = "ck"\nformat = "image-folder"\n'
                    f'path = "{faces}"\n')
    with pytest.raises(OutputExistsError, match="holds source 'ck'"):
        build_release(load_config(toml), tmp_path / "data", force=True, workers=1)
    assert (faces / "happy").is_dir()


# dataset.yaml: what a schema cannot say, and files that are not what they seem


def test_orcid_given_as_its_address_is_written_once(tmp_path: Path) -> None:
    data = _starter_yaml()
    data["creators"][0]["orcid"] = "https://orcid.org/0000-0002-1825-0097"
    meta = parse_metadata(data)
    assert meta.creators[0].orcid == "0000-0002-1825-0097"
    path = tmp_path / "dataset.yaml"
    path.write_text(yaml.safe_dump(data))
    build_release(demo_config(count=60, metadata=path), tmp_path / "rel", workers=1)
    text = "".join(p.read_text() for p in (tmp_path / "rel").iterdir() if p.suffix in (".cff", ".json", ".md"))
    assert "orcid.org/0000-0002-1825-0097" in text and "orcid.org/https" not in text


@pytest.mark.parametrize(("change", "match"), [
    (lambda d: d["creators"][0].update(orcid="0000-0002-1825-0098"), r"'creators\[0\].orcid' .* check digit is wrong"),
    (lambda d: d["creators"][0].update(orcid="orcid 1825"), r"expected an ORCID iD 0000-0000-0000-000X"),
    (lambda d: d.update(date_published="2026-13-45"), r"'date_published' is '2026-13-45', not a real date"),
    (lambda d: d.update(homepage="my site"), r"'homepage' is 'my site', not a web address"),
    (lambda d: d.update(homepage="ftp://x.org/"), r"'homepage' is 'ftp://x.org/', not a web address"),
    (lambda d: d.update(version="v1"), r"'version' is 'v1', expected a version such as 1.0.0"),
    (lambda d: d.update(creators=[]), r"'creators' is empty; list at least 1"),
    (lambda d: d.update(title=""), r"'title' is '', expected some text \(it is empty\)"),
])
def test_metadata_values_a_schema_cannot_check(change, match: str) -> None:
    data = _starter_yaml()
    change(data)
    with pytest.raises(ConfigError, match=match):
        parse_metadata(data, path=Path("dataset.yaml"))


@pytest.mark.parametrize(("content", "match"), [
    (b"name: microe\ndate_published: 2026-13-45\n", r"impossible date .*write dates as YYYY-MM-DD"),
    ("name: microe\ntitle: Caf\xe9\n".encode("latin-1"), r"is not UTF-8 text \(byte 23\)"),
    (b"name: microe\ntitle: a\nname: other\n", r"line 3 is not valid YAML: key 'name' is given twice"),
    (b"name: microe\ntitle: [unclosed\n", r"is not valid YAML"),
])
def test_metadata_file_problems_are_one_config_error(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "dataset.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=match) as caught:
        load_metadata(path)
    assert "\n" not in str(caught.value)


def test_metadata_path_that_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a folder"):
        load_metadata(tmp_path)


def test_empty_user_licence_file_is_refused(tmp_path: Path) -> None:
    data = _starter_yaml()
    data["license"] = "MIT"
    (tmp_path / "dataset.yaml").write_text(yaml.safe_dump(data))
    (tmp_path / "LICENSE-MIT.txt").write_text("  \n")
    with pytest.raises(ConfigError, match=r"LICENSE-MIT.txt' is empty; paste the full text of MIT"):
        build_release(demo_config(count=60, metadata=tmp_path / "dataset.yaml"), tmp_path / "r", workers=1)
    assert not (tmp_path / "r").exists()


def test_release_toml_without_metadata_key_uses_the_dataset_yaml_beside_it(tmp_path: Path) -> None:
    write_starter_files(tmp_path)
    toml = tmp_path / "release.toml"
    toml.write_text("\n".join(line for line in toml.read_text().splitlines() if not line.startswith("metadata")))
    meta = tmp_path / "dataset.yaml"
    meta.write_text(meta.read_text().replace('title: "Microe facial expression dataset"', 'title: "Beside"'))
    assert load_config(toml).metadata == meta


# exclusions.csv


@pytest.mark.parametrize(("content", "match"), [
    (b"id,reason,date\n0123456789abcdef\n", r"line 2: expected a 16-hex-digit image id, a reason"),
    (b"id,reason,date\n0123456789abcdef,caf\xe9,2026-01-01\n", r"is not UTF-8 text"),
    (b"image,why\n", r"must start with the header id,reason,date"),
])
def test_exclusions_file_problems_are_one_config_error(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "exclusions.csv"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=match):
        build_release(demo_config(count=60, exclusions=path), tmp_path / "r", workers=1)
    assert not (tmp_path / "r").exists()


def test_named_exclusions_file_that_is_missing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"exclusions file '.*nope.csv' does not exist"):
        build_release(demo_config(count=60, exclusions=tmp_path / "nope.csv"), tmp_path / "r", workers=1)
    write_starter_files(tmp_path / "mine")
    toml = tmp_path / "mine" / "release.toml"
    toml.write_text(re.sub(r"(?m)^exclusions = .*$", 'exclusions = "takedowns.csv"', toml.read_text()))
    with pytest.raises(ConfigError, match="takedowns.csv' does not exist"):
        build_release(load_config(toml), tmp_path / "r", workers=1)


def test_exclusion_that_matches_no_image_is_warned(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "exclusions.csv"
    path.write_text("id,reason,date\nffffffffffffffff,takedown,2026-01-01\n")
    with caplog.at_level(logging.WARNING, logger="microe_release"):
        manifest = build_release(demo_config(count=60, exclusions=path), tmp_path / "r", workers=1)
    assert len(manifest.records) == 60
    assert "exclusions line 2: id ffffffffffffffff matches no image of this build" in caplog.text


def test_split_message_does_not_promise_a_minimum_it_cannot_keep(tmp_path: Path) -> None:
    with pytest.raises(SplitError, match=r"5 image\(s\) .*each class is split on its own") as caught:
        build_release(demo_config(count=5), tmp_path / "r", workers=1)
    assert "at least" not in str(caught.value)


# microe init


def test_init_refuses_a_dangling_symlink_and_a_folder_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "release.toml").symlink_to(tmp_path / "gone")
    with pytest.raises(OutputExistsError, match="release.toml' already exists"):
        write_starter_files(tmp_path / "a")
    (tmp_path / "b" / "dataset.yaml").mkdir(parents=True)
    with pytest.raises(OutputExistsError, match="dataset.yaml' is a folder"):
        write_starter_files(tmp_path / "b", force=True)
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["dataset.yaml"]


def test_init_that_cannot_write_leaves_nothing(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(WriteError, match="cannot write the starter files"):
            write_starter_files(folder)
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_init_with_an_empty_name_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["init", ""])
    assert result.exit_code == 1 and "empty text" in result.output
    assert list(tmp_path.iterdir()) == []


# the command line: usage mistakes exit 2, errors are one line


@pytest.mark.parametrize(("args", "match"), [
    (["build", "--config", "release.toml", "--count", "10", "--out", "o"], "--count, --version"),
    (["publish", "rel", "--hf-repo", "bad repo!"], "is not a Hub repository id"),
    (["publish", "rel", "--hf-repo", "microe"], "has no organisation or user"),
    (["publish", "rel", "--hf-repo", "o/m", "--hf-endpoint", "localhost:80"], "is not an http(s) address"),
    (["publish", "rel", "--zenodo", "--zenodo-url", "ftp://zenodo.org"], "is not an http(s) address"),
    (["publish", "rel", "--zenodo", "--metadata", "missing.yaml"], "does not exist"),
])
def test_usage_mistakes_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], match: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rel").mkdir()
    (tmp_path / "release.toml").write_text("")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and match in result.output, result.output


def test_cli_error_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "dataset.yaml").write_text("name: microe\npublsher: x\n")
    result = CliRunner().invoke(main, ["build", "--demo", "--metadata", str(tmp_path / "dataset.yaml"),
                                       "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("error: ")


# the registry of published versions


@pytest.mark.parametrize(("where", "match"), [
    (lambda tmp: tmp, "is a folder; name a file"),
    (lambda tmp: tmp / "SHA256SUMS" / "reg.json", "needs the folder '.*SHA256SUMS', which cannot be made"),
])
def test_registry_from_the_environment_that_cannot_hold_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where, match: str) -> None:
    (tmp_path / "SHA256SUMS").write_text("")
    (tmp_path / "build-report.json").write_text(json.dumps({}))
    monkeypatch.setenv("HF_TOKEN", "x")
    monkeypatch.setenv(REGISTRY_ENV, str(where(tmp_path)))

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("validated before checking the registry")

    monkeypatch.setattr("microe_release.publishing.validate_release", never)
    with pytest.raises(PublishError, match=rf"\(from \${REGISTRY_ENV}\) {match}"):
        publish_release(tmp_path, hf_repo="org/microe", dry_run=True)


def test_build_where_no_image_survives_says_why_in_its_error(tmp_path: Path) -> None:
    folder = tmp_path / "FERPlus" / "data" / "FER2013Train"
    folder.mkdir(parents=True)
    (folder / "label.csv").write_text('a.png,"(0, 0, 48, 48)",5,5,0,0,0,0,0,0,0,0\n'
                                      'b.png,"(0, 0, 48, 48)",0,x,0,0,0,0,0,0,0,0\n')
    config = tmp_path / "release.toml"
    config.write_text('[release]\nname = "none"\nversion = "1.0.0"\n\n'
                      '[[source]]\nname = "ferplus"\nformat = "ferplus"\npath = "FERPlus/data"\n')
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and not (tmp_path / "out").exists()
    assert ("no image survived processing (2 source items left out: malformed CSV row 1, no label consensus 1)"
            in result.output), result.output
    assert "build-report.json" not in result.output
