"""Shared test set-up: offline Hugging Face caches in tmp, fixtures from tests/fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["tests.fixtures.sources"]


@pytest.fixture(autouse=True)
def _offline_hf(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every Hugging Face cache and token out of the user's home, and stay offline."""
    home = tmp_path_factory.mktemp("hf_home")
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(home / "datasets"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
    monkeypatch.delenv("HF_TOKEN", raising=False)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 240-image demo release, built once per test module (a module may define a smaller one)."""
    from microe_release import build_release, demo_config

    out = tmp_path_factory.mktemp("built") / "release"
    build_release(demo_config(count=240), out, workers=1)
    return out


@pytest.fixture
def release(built: Path, tmp_path: Path) -> Path:
    """A fresh copy of the module's ``built`` release, for a test that changes it."""
    from tests.fixtures.sources import copy_release

    return copy_release(built, tmp_path)
