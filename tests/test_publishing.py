"""Publishing against loopback servers that speak the real APIs: the real HfApi, real HTTP, injected faults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from microe_release import build_release, demo_config
from microe_release.cli import main
from microe_release.errors import PublishError
from microe_release.publishing import publish_release
from microe_release.validation import validate_release
from tests.fixtures.hub_server import FakeHub
from tests.fixtures.loopback import Fault
from tests.fixtures.sources import copy_release
from tests.fixtures.zenodo_server import FakeZenodo

pytestmark = pytest.mark.integration
REPO = "makerere/microe"


@pytest.fixture(autouse=True)
def _fast_and_lfs(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    from microe_release.publishing import retry

    # The loopback Hub speaks the Git LFS upload protocol, the Hub's documented fallback to Xet.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)  # loopback servers only
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(retry, "BASE_DELAY", 0.01)


@pytest.fixture
def servers(monkeypatch: pytest.MonkeyPatch):
    hub, zenodo = FakeHub().start(), FakeZenodo().start()
    monkeypatch.setenv("HF_TOKEN", hub.token)
    monkeypatch.setenv("ZENODO_TOKEN", zenodo.token)
    yield hub, zenodo
    hub.stop()
    zenodo.stop()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pub") / "microe-1.0.0"
    build_release(demo_config(count=120), out, workers=1)
    return out


@pytest.fixture
def release(built: Path, tmp_path: Path) -> Path:
    return copy_release(built, tmp_path)


def _publish(release: Path, servers, tmp_path: Path, **kwargs):
    hub, zenodo = servers
    return publish_release(release, hf_repo=REPO, zenodo=True, hf_endpoint=hub.url, zenodo_url=zenodo.url,
                           registry=tmp_path / "metadata" / "zenodo-registry.json", **kwargs)


def _local_files(release: Path) -> dict[str, bytes]:
    return {p.relative_to(release).as_posix(): p.read_bytes() for p in release.rglob("*")
            if p.is_file() and p.name != "publish-state.json"}


def _assert_published_once(release: Path, servers, version: str = "1.0.0") -> dict:
    hub, zenodo = servers
    published = [d for d in zenodo.depositions.values() if d["submitted"]]
    assert len([d for d in published if d["metadata"].get("version") == version]) == 1
    dep = next(d for d in published if d["metadata"].get("version") == version)
    local = _local_files(release)
    flat = {k.rsplit("/", 1)[-1]: v for k, v in local.items()}
    assert zenodo.published_files(dep["id"]) == flat
    assert hub.repos[REPO]["files"] == local
    assert list(hub.repos[REPO]["tags"]) .count(f"v{version}") == 1
    return dep


def test_publish_end_to_end(release: Path, servers, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    result = _publish(release, servers, tmp_path)
    assert servers[0].token not in caplog.text and servers[1].token not in caplog.text
    dep = _assert_published_once(release, servers)
    doi = result["doi"]
    assert doi == dep["doi"] and result["concept_doi"] == dep["conceptdoi"]
    for name in ("README.md", "CITATION.cff", "datapackage.json", "croissant.json", ".zenodo.json", "datacite.json"):
        assert doi in (release / name).read_text(), name
    assert validate_release(release).errors() == []
    hub, _ = servers
    assert hub.repos[REPO]["tags"]["v1.0.0"] == hub.repos[REPO]["commits"][-1]
    state = json.loads((release / "publish-state.json").read_text())
    assert state["zenodo"]["published"] and state["hub"]["tag"] == "v1.0.0"
    registry = json.loads((tmp_path / "metadata" / "zenodo-registry.json").read_text())
    assert registry["versions"]["1.0.0"]["doi"] == doi and registry["versions"]["1.0.0"]["complete"]
    for path in [*release.rglob("*"), tmp_path / "metadata" / "zenodo-registry.json"]:
        if path.is_file():
            text = path.read_bytes()
            assert servers[0].token.encode() not in text and servers[1].token.encode() not in text


def test_publish_again_same_content_is_a_no_op(release: Path, servers, tmp_path: Path) -> None:
    _publish(release, servers, tmp_path)
    hub, zenodo = servers
    before = (len(hub.log), len(zenodo.depositions), len(hub.repos[REPO]["commits"]))
    again = _publish(release, servers, tmp_path)
    assert again["already_published"] is True
    assert (len(zenodo.depositions), len(hub.repos[REPO]["commits"])) == before[1:]


def test_publish_same_version_other_content_refused(release: Path, servers, tmp_path: Path, built: Path) -> None:
    _publish(release, servers, tmp_path)
    other = tmp_path / "other"
    build_release(demo_config(count=130), other, workers=1)
    with pytest.raises(PublishError, match=r"version 1.0.0 is already published .* with other content"):
        _publish(other, servers, tmp_path)


def test_publish_two_versions_one_concept(release: Path, servers, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    first = _publish(release, servers, tmp_path)
    removed = pq.read_table(release / "data" / "train-00000-of-00001.parquet").column("id")[0].as_py()
    exclusions = tmp_path / "exclusions.csv"
    exclusions.write_text(f"id,reason,date\n{removed},takedown request from the person shown,2026-11-20\n")
    newer = tmp_path / "microe-1.1.0"
    build_release(demo_config(count=140, version="1.1.0", exclusions=exclusions), newer, workers=1, previous=release)
    second = _publish(newer, servers, tmp_path)
    hub, zenodo = servers
    assert first["concept_doi"] == second["concept_doi"] and first["doi"] != second["doi"]
    assert set(hub.repos[REPO]["tags"]) == {"v1.0.0", "v1.1.0"}
    assert len([d for d in zenodo.depositions.values() if d["submitted"]]) == 2
    changelog = (newer / "CHANGELOG.md").read_text()
    assert removed in changelog and "takedown request from the person shown" in changelog
    assert "20 images added, 1 removed" in changelog
    _assert_published_once(newer, servers, "1.1.0")
    diff = CliRunner().invoke(main, ["diff", str(release), str(newer), "--json"])
    assert diff.exit_code == 0
    assert json.loads(diff.output)["removed"] == [{"id": removed, "label": json.loads(diff.output)["removed"][0]["label"],
                                                  "reason": "takedown request from the person shown"}]


def test_publish_survives_faults(release: Path, servers, tmp_path: Path) -> None:
    hub, zenodo = servers
    zenodo.faults += [Fault("PUT", r"/api/files/.+/train-", "500"), Fault("PUT", r"/api/files/.+/microe.csv", "drop"),
                      Fault("PUT", r"/api/deposit/depositions/\d+$", "429"),
                      Fault("POST", r"/actions/publish", "500")]
    hub.faults += [Fault("POST", r"/preupload/", "429"), Fault("PUT", r"/lfs-upload/", "drop"),
                   Fault("POST", r"/commit/", "500")]
    _publish(release, servers, tmp_path)
    _assert_published_once(release, servers)
    assert zenodo.count("PUT", r"/api/files/.+/train-") == 2 and hub.count("POST", r"/commit/") >= 2
    assert all(f.times == 0 for f in zenodo.faults + hub.faults)


def test_publish_fails_clearly_then_resumes(release: Path, servers, tmp_path: Path) -> None:
    hub, zenodo = servers
    zenodo.faults.append(Fault("POST", r"/actions/publish", "500", times=50))
    with pytest.raises(PublishError, match=r"failed at step 'publish' .* run the same `microe publish` again to resume"):
        _publish(release, servers, tmp_path)
    zenodo.faults.clear()
    _publish(release, servers, tmp_path)
    _assert_published_once(release, servers)
    assert len(zenodo.depositions) == 1


@pytest.mark.parametrize("kill_in", ["upload", "publish", "create_tag"])
def test_publish_killed_between_steps_resumes(release: Path, servers, tmp_path: Path, kill_in: str) -> None:
    hub, zenodo = servers
    script = textwrap.dedent(f"""
        import os, sys
        import huggingface_hub.constants
        huggingface_hub.constants.HF_HUB_DISABLE_XET = True
        from microe_release.publishing import zenodo as z, hub as h
        calls = {{"n": 0}}
        def die_after(func):
            def wrapper(*args, **kwargs):
                result = func(*args, **kwargs)
                calls["n"] += 1
                if calls["n"] >= 2 or "{kill_in}" != "upload":
                    os.kill(os.getpid(), 9)
                return result
            return wrapper
        if "{kill_in}" == "create_tag":
            from huggingface_hub import HfApi
            HfApi.create_tag = die_after(HfApi.create_tag)
        else:
            setattr(z.ZenodoClient, "{kill_in}", die_after(getattr(z.ZenodoClient, "{kill_in}")))
        from microe_release.publishing import publish_release
        publish_release(sys.argv[1], hf_repo="{REPO}", zenodo=True, hf_endpoint="{hub.url}",
                        zenodo_url="{zenodo.url}", registry=sys.argv[2])
    """)
    env = {**os.environ, "HF_HUB_DISABLE_XET": "1", "MICROE_PUBLISH_BACKOFF": "0.01"}
    killed = subprocess.run([sys.executable, "-c", script, str(release), str(tmp_path / "metadata" / "zenodo-registry.json")],
                            env=env, capture_output=True, text=True, check=False)
    assert killed.returncode == -9, killed.stderr[-2000:]
    _publish(release, servers, tmp_path)
    _assert_published_once(release, servers)
    assert len(zenodo.depositions) == 1 and len(hub.repos[REPO]["tags"]) == 1


def test_publish_dry_run_sends_nothing(release: Path, servers, tmp_path: Path) -> None:
    hub, zenodo = servers
    result = CliRunner().invoke(main, ["publish", str(release), "--hf-repo", REPO, "--zenodo", "--dry-run",
                                       "--hf-endpoint", hub.url, "--zenodo-url", zenodo.url])
    assert result.exit_code == 0, result.output
    assert "nothing sent" in result.output and "data/train-00000-of-00001.parquet (" in result.output
    assert "train-00000-of-00001.parquet (" in result.output and "tag v1.0.0" in result.output
    assert hub.log == [] and zenodo.log == []


def test_publish_refuses_without_token_or_with_invalid_release(release: Path, servers, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    token = os.environ["ZENODO_TOKEN"]
    monkeypatch.delenv("ZENODO_TOKEN")
    with pytest.raises(PublishError, match="ZENODO_TOKEN is not set"):
        _publish(release, servers, tmp_path)
    assert not (release / "publish-state.json").exists()
    monkeypatch.setenv("ZENODO_TOKEN", token)
    (release / "extra.txt").write_text("x")
    with pytest.raises(PublishError, match="does not validate"):
        _publish(release, servers, tmp_path)
    cli = CliRunner().invoke(main, ["publish", str(release)])
    assert cli.exit_code == 2


def test_concept_found_on_the_server_without_local_registry(release: Path, servers, tmp_path: Path) -> None:
    first = _publish(release, servers, tmp_path)
    newer = tmp_path / "microe-1.1.0"
    build_release(demo_config(count=125, version="1.1.0"), newer, workers=1, previous=release)
    hub, zenodo = servers
    second = publish_release(newer, zenodo=True, zenodo_url=zenodo.url, registry=tmp_path / "fresh-metadata" / "zenodo-registry.json")
    assert second["concept_doi"] == first["concept_doi"] and second["doi"] != first["doi"]
    assert zenodo.count("POST", r"/actions/newversion") == 1


def test_load_dataset_pins_each_published_version(release: Path, servers, tmp_path: Path) -> None:
    _publish(release, servers, tmp_path)
    newer = tmp_path / "microe-1.1.0"
    build_release(demo_config(count=150, version="1.1.0"), newer, workers=1, previous=release)
    _publish(newer, servers, tmp_path)
    hub, _ = servers
    code = ("import json; from datasets import load_dataset\n"
            "print(json.dumps({rev: {k: v.num_rows for k, v in load_dataset('" + REPO + "', revision=rev).items()}"
            " for rev in ('v1.0.0', 'v1.1.0', 'main')}))")
    env = {**os.environ, "HF_ENDPOINT": hub.url, "HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "0",
           "HF_DATASETS_OFFLINE": "0", "HF_HUB_DISABLE_XET": "1", "HF_TOKEN": ""}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    sizes = json.loads(done.stdout.strip().splitlines()[-1])
    for rev, folder in (("v1.0.0", release), ("v1.1.0", newer)):
        card = (folder / "README.md").read_text().split("---\n")[1]
        expected = {s["name"]: s["num_examples"] for s in yaml.safe_load(card)["dataset_info"]["splits"]}
        assert sizes[rev] == expected, rev
    assert sizes["main"] == sizes["v1.1.0"] != sizes["v1.0.0"]


def test_publish_command_prints_only_results_off_a_terminal(release: Path, servers, tmp_path: Path) -> None:
    hub, zenodo = servers
    result = CliRunner().invoke(main, ["publish", str(release), "--hf-repo", REPO, "--zenodo", "--hf-endpoint", hub.url,
                                       "--zenodo-url", zenodo.url, "--registry", str(tmp_path / "reg.json")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split(" ")[0] for line in lines] == ["registry", "DOI", "Hub"], lines
