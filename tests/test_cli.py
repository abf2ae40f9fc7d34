"""The ``microe`` command line: exit codes, messages, help with examples."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from microe_release import build_release, demo_config
from microe_release.cli import main
from microe_release.errors import ConfigError, OutputExistsError
from tests.fixtures.sources import make_multi_source_config


def test_cli_build_demo(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "--demo", "--count", "60", "--out", str(tmp_path / "r"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "built microe 1.0.0: 60 images" in result.output
    assert "splits:  train " in result.output and "skipped: none" in result.output
    assert json.loads((tmp_path / "r" / "build-report.json").read_text())["counts"]["total"] == 60


def test_cli_build_config_reports_skips(tmp_path: Path) -> None:
    config = make_multi_source_config(tmp_path)
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--out", str(tmp_path / "r"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "skipped: " in result.output and "malformed CSV row 5" in result.output
    assert "build-report.json" in result.output


def test_cli_build_errors_exit_1_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "x").write_text("x")
    result = CliRunner().invoke(main, ["build", "--demo", "--count", "5", "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert "error: output folder" in result.output and "--force" in result.output
    assert "Traceback" not in result.output
    missing = CliRunner().invoke(main, ["build", "--config", str(tmp_path / "none.toml"), "--out", str(tmp_path / "o")])
    assert missing.exit_code == 1 and "does not exist" in missing.output


def test_cli_build_strict_exit_1(tmp_path: Path) -> None:
    config = make_multi_source_config(tmp_path)
    result = CliRunner().invoke(main, ["build", "--config", str(config), "--out", str(tmp_path / "r"), "--strict", "--workers", "1"])
    assert result.exit_code == 1 and "--strict: source 'fer2013'" in result.output


def test_cli_usage_errors_exit_2(tmp_path: Path) -> None:
    assert CliRunner().invoke(main, ["build", "--out", str(tmp_path)]).exit_code == 2
    assert CliRunner().invoke(main, ["build", "--demo", "--config", "x.toml", "--out", str(tmp_path)]).exit_code == 2
    assert CliRunner().invoke(main, ["build", "--demo"]).exit_code == 2
    assert CliRunner().invoke(main, ["nonsense"]).exit_code == 2


def test_cli_help_shows_examples() -> None:
    result = CliRunner().invoke(main, ["build", "--help"])
    assert result.exit_code == 0
    assert "microe build --demo --out demo-release" in result.output
    assert "--strict" in result.output and "--workers" in result.output


def test_engine_ray_without_the_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ConfigError, match=r"pip install 'microe-release\[ray\]'"):
        build_release(demo_config(count=8), tmp_path / "x", engine="ray")
    result = CliRunner().invoke(main, ["build", "--demo", "--count", "8", "--out", str(tmp_path / "y"),
                                       "--engine", "ray"])
    assert result.exit_code == 1 and "microe-release[ray]" in result.output


def test_unknown_engine_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown engine 'spark'; use one of local, ray"):
        build_release(demo_config(count=8), tmp_path / "x", engine="spark")
    assert not (tmp_path / "x").exists()
    result = CliRunner().invoke(main, ["validate", str(tmp_path), "--engine", "spark"])
    assert result.exit_code == 2 and "'spark' is not one of" in result.output


def test_cli_debug_shows_the_traceback_instead_of_one_line(tmp_path: Path) -> None:
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "x").write_text("x")
    args = ["build", "--demo", "--count", "5", "--out", str(tmp_path / "r")]
    assert CliRunner().invoke(main, args).exception.__class__ is SystemExit
    result = CliRunner().invoke(main, ["--debug", *args])
    assert isinstance(result.exception, OutputExistsError) and "error:" not in result.output
