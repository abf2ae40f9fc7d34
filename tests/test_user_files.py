"""The toolkit's own files ship inside the package; the user's files live with the user (issue 18)."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import microe_release
from microe_release import build_release, demo_config, load_config
from microe_release.cli import main
from microe_release.errors import (
    ConfigError,
    OutputExistsError,
    PublishError,
    SplitError,
    ValidationError,
)
from microe_release.metadata import load_metadata, parse_metadata
from microe_release.publishing import publish_release
from microe_release.publishing.state import REGISTRY_ENV, registry_path
from microe_release.resources import STARTER_FILES, read_text, resource
from microe_release.schemas import cff_schema
from microe_release.starter import write_starter_files
from microe_release.validation import validate_release

#: The package as imported: the checkout, or site-packages when the sdist's tests run against the wheel.
PACKAGE = Path(microe_release.__file__).resolve().parent


def _starter_yaml() -> dict:
    return yaml.safe_load(read_text("metadata", "dataset.yaml"))


def test_runtime_code_never_looks_outside_the_package() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"Path\(__file__\)[^\n]*\.parent\.parent", text) or "sys.prefix" in text:
            offenders.append(path.name)
    assert offenders == []


def test_resources_every_shipped_file_reads() -> None:
    assert load_metadata().name == "microe"
    assert cff_schema()["$id"].endswith("/1.2.0/schema.json")
    assert resource("licenses", "CC-BY-4.0.txt").read_text("utf-8").startswith("Creative Commons Attribution 4.0")
    for name in STARTER_FILES:
        assert resource("metadata", name).is_file()


def test_init_writes_starter_files_that_build_and_validate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["init", "mine"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == sorted(STARTER_FILES)
    text = (tmp_path / "mine" / "dataset.yaml").read_text()
    for key in _starter_yaml():  # every top-level field has a comment line right above it
        assert text.split(f"\n{key}:")[0].rstrip().splitlines()[-1].startswith("#"), key
    result = runner.invoke(main, ["-q", "build", "--config", "mine/release.toml", "--out", "rel", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert validate_release(tmp_path / "rel").errors() == []


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    write_starter_files(tmp_path)
    (tmp_path / "dataset.yaml").write_text("mine")
    with pytest.raises(OutputExistsError, match=r"release.toml' already exists; pass --force"):
        write_starter_files(tmp_path)
    assert (tmp_path / "dataset.yaml").read_text() == "mine"
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 1 and "--force" in result.output and "Traceback" not in result.output
    write_starter_files(tmp_path, force=True)
    assert (tmp_path / "dataset.yaml").read_text() == read_text("metadata", "dataset.yaml")


def test_build_demo_with_metadata_uses_the_users_files(tmp_path: Path) -> None:
    write_starter_files(tmp_path / "mine")
    meta = tmp_path / "mine" / "dataset.yaml"
    meta.write_text(meta.read_text().replace('title: "Microe facial expression dataset"', 'title: "My faces"'))
    out = tmp_path / "rel"
    first = build_release(demo_config(count=80), tmp_path / "probe", workers=1)
    victim = first.records[0].id
    (tmp_path / "mine" / "exclusions.csv").write_text(f"id,reason,date\n{victim},takedown request,2026-12-01\n")
    result = CliRunner().invoke(main, ["build", "--demo", "--count", "80", "--metadata", str(meta), "--out", str(out),
                                       "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / ".zenodo.json").read_text())["title"].startswith("My faces")
    report = json.loads((out / "build-report.json").read_text())
    assert any(s["reason"] == "excluded on request" for s in report["skipped"])
    assert victim not in (out / "microe.csv").read_text()


def test_build_config_without_metadata_key_needs_no_metadata_folder(tmp_path: Path) -> None:
    toml = tmp_path / "release.toml"
    toml.write_text('[release]\nname = "faces"\nversion = "0.1.0"\n\n'
                    '[[source]]\nname = "synthetic"\nformat = "synthetic"\ncount = 60\n')
    manifest = build_release(load_config(toml), tmp_path / "rel", workers=1)
    assert len(manifest.records) == 60
    assert "Creative Commons Attribution 4.0 International" in (tmp_path / "rel" / "LICENSE").read_text()


def test_metadata_unknown_key_names_key_file_and_valid_keys(tmp_path: Path) -> None:
    data = _starter_yaml()
    data["publsher"] = data.pop("publisher")
    meta = tmp_path / "dataset.yaml"
    meta.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=r"dataset.yaml' has unknown key 'publsher' \(did you mean 'publisher'\?\); "
                                          r"valid keys: citation_title, .*publisher"):
        load_metadata(meta)
    result = CliRunner().invoke(main, ["build", "--demo", "--count", "60", "--metadata", str(meta),
                                       "--out", str(tmp_path / "r")])
    assert result.exit_code == 1 and "unknown key 'publsher'" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "r").exists()


@pytest.mark.parametrize(("change", "match"), [
    (lambda d: d.update(gated="yes"), r"'gated' is 'yes', expected true or false"),
    (lambda d: d.update(keywords="faces"), r"'keywords' is 'faces', expected a list"),
    (lambda d: d["creators"][0].update(nick="x"), r"unknown key 'creators\[0\].nick'.*valid keys under creators\[0\]"),
    (lambda d: d["creators"][0].pop("family"), r"lacks required field 'creators\[0\].family'"),
    (lambda d: d.pop("license"), r"lacks required field 'license'"),
    (lambda d: d.update(date_published="23/11/2026"), r"'date_published' is '23/11/2026', expected a date YYYY-MM-DD"),
    (lambda d: d["datasheet"].update(motive="x"), r"unknown key 'datasheet.motive'"),
])
def test_metadata_schema_errors_name_the_key(change, match: str) -> None:
    data = _starter_yaml()
    change(data)
    with pytest.raises(ConfigError, match=match):
        parse_metadata(data, path=Path("somewhere/dataset.yaml"))


def test_metadata_unquoted_date_is_accepted() -> None:
    text = read_text("metadata", "dataset.yaml").replace('date_published: "2026-11-23"', "date_published: 2026-11-23")
    assert parse_metadata(yaml.safe_load(text)).date_published == "2026-11-23"


def test_normalize_label_overrides_match_exactly_then_in_any_case() -> None:
    from microe_release.labels import normalize_label

    assert normalize_label("AN", {"AN": "angry", "an": "sad"}) == "angry"
    assert normalize_label(" bored ", {"BORED": "neutral"}) == "neutral"
    assert normalize_label("HAPPINESS", {"x": "sad"}) == "happy"
    assert normalize_label("bored") is None


def test_license_text_comes_from_the_users_folder_or_names_it(tmp_path: Path) -> None:
    data = _starter_yaml()
    data["license"] = "MIT"
    meta = tmp_path / "dataset.yaml"
    meta.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=re.escape(f"save its full text as '{tmp_path / 'LICENSE-MIT.txt'}'")):
        build_release(demo_config(count=60, metadata=meta), tmp_path / "r", workers=1)
    assert not (tmp_path / "r").exists()
    (tmp_path / "LICENSE-MIT.txt").write_text("MIT License\n\nPermission is hereby granted ...\n")
    build_release(demo_config(count=60, metadata=meta), tmp_path / "r", workers=1)
    assert "Permission is hereby granted" in (tmp_path / "r" / "LICENSE").read_text()


def test_build_with_too_few_images_for_the_splits_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SplitError, match=r"split 'test' would be empty: 3 image\(s\)"):
        build_release(demo_config(count=3), tmp_path / "r", workers=1)
    result = CliRunner().invoke(main, ["build", "--demo", "--count", "3", "--out", str(tmp_path / "r2")])
    assert result.exit_code == 1 and "would be empty" in result.output and "--count" in result.output
    assert not (tmp_path / "r").exists() and not (tmp_path / "r2").exists()


def test_validate_a_folder_that_is_not_a_release_says_so_once(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.txt").write_text("x")
    with pytest.raises(ValidationError, match="is not a release folder"):
        validate_release(tmp_path / "photos")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "photos")])
    assert result.exit_code == 1
    assert result.output.count("error:") == 1 and "FAIR" not in result.output and "does not exist" not in result.output


@pytest.fixture(scope="module")
def small_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pub") / "rel"
    build_release(demo_config(count=80), out, workers=1)
    return out


@pytest.mark.parametrize("dry_run", [False, True])
def test_publish_without_token_fails_before_validating_and_writes_nothing(
        small_release: Path, monkeypatch: pytest.MonkeyPatch, dry_run: bool) -> None:
    monkeypatch.delenv("ZENODO_TOKEN", raising=False)
    monkeypatch.setenv("HF_TOKEN", "x")

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("validated before checking tokens")

    monkeypatch.setattr("microe_release.publishing.validate_release", never)
    before = sorted(p.name for p in small_release.rglob("*"))
    started = time.perf_counter()
    args = ["publish", str(small_release), "--zenodo", "--hf-repo", "org/microe"] + (["--dry-run"] if dry_run else [])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1 and "ZENODO_TOKEN is not set" in result.output
    assert time.perf_counter() - started < 5
    assert sorted(p.name for p in small_release.rglob("*")) == before


def test_publish_dry_run_checks_validity(small_release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "x")
    broken = tmp_path / "rel"
    shutil.copytree(small_release, broken)
    (broken / "microe.csv").write_text("index,id\n")
    result = CliRunner().invoke(main, ["publish", str(broken), "--hf-repo", "org/microe", "--dry-run"])
    assert result.exit_code == 1 and "does not validate" in result.output
    result = CliRunner().invoke(main, ["publish", str(small_release), "--hf-repo", "org/microe", "--dry-run",
                                       "--registry", str(tmp_path / "reg.json")])
    assert result.exit_code == 0, result.output
    assert f"registry of published versions: {tmp_path / 'reg.json'}" in result.output
    assert not (tmp_path / "reg.json").exists() and not (small_release / "publish-state.json").exists()


def test_publish_refuses_a_folder_that_is_not_a_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "x")
    with pytest.raises(PublishError, match="is not a release folder"):
        publish_release(tmp_path, hf_repo="org/microe")


def test_registry_path_explicit_then_environment_then_metadata_then_cwd(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(REGISTRY_ENV, raising=False)
    assert registry_path() == tmp_path / "zenodo-registry.json"
    assert registry_path(metadata="mine/dataset.yaml") == tmp_path / "mine" / "zenodo-registry.json"
    monkeypatch.setenv(REGISTRY_ENV, str(tmp_path / "env.json"))
    assert registry_path(metadata="mine/dataset.yaml") == tmp_path / "env.json"
    assert registry_path("x.json", metadata="mine/dataset.yaml") == tmp_path / "x.json"
    assert PACKAGE not in registry_path().parents
