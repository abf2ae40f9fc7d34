"""Publishing against loopback servers that speak the real APIs: the real HfApi, real HTTP, injected faults."""

from __future__ import annotations

import email.utils
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from microe_release import build_release, demo_config
from microe_release.cli import main
from microe_release.errors import (
    PublishAuthError,
    PublishError,
    PublishHTTPError,
    PublishUnavailableError,
)
from microe_release.publishing import publish_release
from microe_release.publishing.zenodo import ZenodoClient, url_origin
from microe_release.validation import validate_release
from tests.fixtures.hub_server import FakeHub
from tests.fixtures.loopback import Fault
from tests.fixtures.zenodo_server import FakeZenodo

pytestmark = pytest.mark.integration
REPO = "makerere/microe"


@pytest.fixture(autouse=True)
def _fast_and_lfs(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    # The loopback Hub speaks the Git LFS upload protocol, the Hub's documented fallback to Xet.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)  # loopback servers only
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(ZenodoClient, "backoff_factor", 0.01)  # urllib3 backoff: 0, 0.02, 0.04, ... s


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
    # an HTTP-date Retry-After (RFC 9110) once crashed the hand-rolled retry; urllib3 honours both forms
    soon = email.utils.formatdate(time.time() + 1, usegmt=True)
    zenodo.faults += [Fault("PUT", r"/api/files/.+/train-", "500"), Fault("PUT", r"/api/files/.+/microe.csv", "drop"),
                      Fault("PUT", r"/api/deposit/depositions/\d+$", "429", retry_after=soon),
                      Fault("GET", r"/api/deposit/depositions/\d+$", "503", retry_after="1")]
    # huggingface_hub's own retries (http_backoff) cover preupload and LFS uploads; nothing is added on top
    hub.faults += [Fault("POST", r"/preupload/", "429"), Fault("PUT", r"/lfs-upload/", "drop")]
    _publish(release, servers, tmp_path)
    _assert_published_once(release, servers)
    assert zenodo.count("PUT", r"/api/files/.+/train-") == 2 and hub.count("PUT", r"/lfs-upload/") >= 2
    assert all(f.times == 0 for f in zenodo.faults + hub.faults)


@pytest.mark.parametrize(("service", "path", "kind", "match"), [
    ("zenodo", r"/actions/publish", "500",
     r"Zenodo failed step 'publish' \(POST /api/deposit/depositions/\d+/actions/publish: HTTP 500 injected fault\), "
     r"not repeated, as a POST may have been applied; nothing published is lost: re-run the same command to resume"),
    ("zenodo", r"/actions/publish", "drop",
     r"connection to Zenodo was lost at step 'publish' \(POST .*\); a POST is never repeated automatically"),
    ("zenodo", r"/api/deposit/depositions$", "429", r"Zenodo failed step 'create deposition' .*HTTP 429"),
    ("hub", r"/commit/", "500",
     r"the Hub failed step 'upload to the Hub' for makerere/microe \(POST /api/datasets/makerere/microe/commit/main: "
     r"HTTP 500.*re-run the same command to resume"),
], ids=["zenodo-publish-500", "zenodo-publish-drop", "zenodo-create-429", "hub-commit-500"])
def test_publish_failed_post_is_one_line_then_resumes(release: Path, servers, tmp_path: Path, service: str,
                                                      path: str, kind: str, match: str) -> None:
    hub, zenodo = servers
    server = zenodo if service == "zenodo" else hub
    server.faults.append(Fault("POST", path, kind))
    with pytest.raises(PublishUnavailableError, match=match) as caught:
        _publish(release, servers, tmp_path)
    assert "\n" not in str(caught.value)
    assert server.count("POST", path) == 1  # a POST is never repeated
    _publish(release, servers, tmp_path)
    _assert_published_once(release, servers)
    assert len(zenodo.depositions) == 1


def test_publish_retries_exhausted_names_path_status_and_resume(release: Path, servers, tmp_path: Path) -> None:
    hub, zenodo = servers
    zenodo.faults.append(Fault("PUT", r"/api/deposit/depositions/\d+$", "503", times=50))
    with pytest.raises(PublishUnavailableError, match=r"Zenodo kept failing at step 'set metadata' \(PUT "
                       r"/api/deposit/depositions/\d+: HTTP 503 injected fault\), after 5 retries; nothing published "
                       r"is lost: re-run the same command to resume\.$") as caught:
        _publish(release, servers, tmp_path)
    assert caught.value.status_code == 503 and zenodo.count("PUT", r"/api/deposit/depositions/\d+$") == 6
    zenodo.faults.clear()
    _publish(release, servers, tmp_path)
    _assert_published_once(release, servers)
    assert len(zenodo.depositions) == 1


ZENODO_STEPS = ["create_deposition", "upload", "set_metadata", "publish"]
HUB_STEPS = ["create_repo", "upload_folder", "create_tag"]


def _killed_publish(release: Path, servers, tmp_path: Path, kill_in: str) -> None:
    """Publish in a child process that is killed (SIGKILL) right after ``kill_in`` returns: the server did the
    step, the publish state does not know it (for ``upload``: after the second file)."""
    hub, zenodo = servers
    script = textwrap.dedent(f"""
        import os, sys
        import huggingface_hub.constants
        huggingface_hub.constants.HF_HUB_DISABLE_XET = True
        from huggingface_hub import HfApi
        from microe_release.publishing import zenodo as z
        calls = {{"n": 0}}
        def die_after(func):
            def wrapper(*args, **kwargs):
                result = func(*args, **kwargs)
                calls["n"] += 1
                if calls["n"] >= 2 or "{kill_in}" != "upload":
                    os.kill(os.getpid(), 9)
                return result
            return wrapper
        owner = HfApi if "{kill_in}" in {HUB_STEPS!r} else z.ZenodoClient
        setattr(owner, "{kill_in}", die_after(getattr(owner, "{kill_in}")))
        from microe_release.publishing import publish_release
        publish_release(sys.argv[1], hf_repo="{REPO}", zenodo=True, hf_endpoint="{hub.url}",
                        zenodo_url="{zenodo.url}", registry=sys.argv[2])
    """)
    env = {**os.environ, "HF_HUB_DISABLE_XET": "1"}
    killed = subprocess.run([sys.executable, "-c", script, str(release), str(tmp_path / "metadata" / "zenodo-registry.json")],
                            env=env, capture_output=True, text=True, check=False)
    assert killed.returncode == -9, killed.stderr[-2000:]


def _assert_one_each(servers, versions: int = 1) -> None:
    """One deposition per version (no orphan draft), each asked for once; one commit and one tag per version."""
    hub, zenodo = servers
    assert len(zenodo.depositions) == versions
    assert zenodo.count("POST", r"/api/deposit/depositions$") == 1
    assert zenodo.count("POST", r"/actions/newversion$") == versions - 1
    assert len(hub.repos[REPO]["commits"]) == versions and len(hub.repos[REPO]["tags"]) == versions


@pytest.mark.parametrize("kill_in", ZENODO_STEPS + HUB_STEPS)
def test_publish_killed_after_each_step_resumes_once(release: Path, servers, tmp_path: Path, kill_in: str) -> None:
    _killed_publish(release, servers, tmp_path, kill_in)
    _publish(release, servers, tmp_path)
    _assert_published_once(release, servers)
    _assert_one_each(servers)


@pytest.mark.parametrize(("service", "method", "path"), [
    ("zenodo", "POST", r"/api/deposit/depositions$"),
    ("zenodo", "POST", r"/actions/publish$"),
    ("hub", "POST", r"/commit/main$"),
], ids=["zenodo-create", "zenodo-publish", "hub-commit"])
def test_publish_answer_lost_after_the_server_acted_resumes_once(release: Path, servers, tmp_path: Path,
                                                                 service: str, method: str, path: str) -> None:
    hub, zenodo = servers
    (zenodo if service == "zenodo" else hub).faults.append(Fault(method, path, "502", applied=True))
    with pytest.raises(PublishUnavailableError, match="re-run the same command to resume"):
        _publish(release, servers, tmp_path)
    _publish(release, servers, tmp_path)
    _assert_published_once(release, servers)
    _assert_one_each(servers)


@pytest.mark.parametrize("fault", ["killed", "answer-lost"])
def test_publish_new_version_interrupted_resumes_once(release: Path, servers, tmp_path: Path, fault: str) -> None:
    _publish(release, servers, tmp_path)
    newer = tmp_path / "microe-1.1.0"
    build_release(demo_config(count=140, version="1.1.0"), newer, workers=1, previous=release)
    if fault == "killed":
        _killed_publish(newer, servers, tmp_path, "new_version")
    else:
        servers[1].faults.append(Fault("POST", r"/actions/newversion$", "502", applied=True))
        with pytest.raises(PublishUnavailableError, match="step 'new version'"):
            _publish(newer, servers, tmp_path)
    _publish(newer, servers, tmp_path)
    _assert_published_once(newer, servers, "1.1.0")
    _assert_one_each(servers, versions=2)


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


# the Zenodo client on its own: urllib3's retries, one-line errors, where the token goes


@pytest.fixture
def zenodo_client(servers):
    _, zenodo = servers
    client = ZenodoClient(zenodo.url, zenodo.token)
    yield client, zenodo
    client.close()


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_zenodo_client_retry_after_seconds_or_http_date(zenodo_client, monkeypatch: pytest.MonkeyPatch,
                                                        form: str) -> None:
    client, zenodo = zenodo_client
    dep = client.create_deposition("a draft")
    slept: list[float] = []
    monkeypatch.setattr("urllib3.util.retry.time.sleep", slept.append)  # record urllib3's waits, wait for none
    value = "7" if form == "seconds" else email.utils.formatdate(time.time() + 30, usegmt=True)
    zenodo.faults.append(Fault("GET", r"/api/deposit/depositions/\d+$", "429", retry_after=value))
    assert client.get_deposition(dep["id"])["id"] == dep["id"]
    assert zenodo.count("GET", r"/api/deposit/depositions/\d+$") == 2
    assert len(slept) == 1 and (slept[0] == 7 if form == "seconds" else 25 < slept[0] <= 30), slept


def test_zenodo_client_retry_after_capped(servers, monkeypatch: pytest.MonkeyPatch) -> None:
    _, zenodo = servers
    monkeypatch.setattr(ZenodoClient, "retry_after_max", 60)
    client = ZenodoClient(zenodo.url, zenodo.token)
    dep = client.create_deposition("a draft")
    slept: list[float] = []
    monkeypatch.setattr("urllib3.util.retry.time.sleep", slept.append)
    zenodo.faults.append(Fault("GET", r"/api/deposit/depositions/\d+$", "503", retry_after="86400"))
    client.get_deposition(dep["id"])
    assert slept == [60]


def test_zenodo_client_put_5xx_then_success(zenodo_client, tmp_path: Path) -> None:
    client, zenodo = zenodo_client
    dep = client.create_deposition("a draft")
    zenodo.faults += [Fault("PUT", r"/api/deposit/depositions/\d+$", "502", times=2),
                      Fault("PUT", r"/api/files/", "500", times=2), Fault("PUT", r"/api/files/", "drop")]
    client.set_metadata(dep["id"], {k: "x" for k in ("upload_type", "title", "creators", "description",
                                                      "access_right", "license")})
    data = tmp_path / "big.bin"
    data.write_bytes(os.urandom(300_000))  # bigger than the 64 bytes a "drop" reads: the body is sent again whole
    assert client.upload(dep["links"]["bucket"], "big.bin", data)  # md5 checked against the server's
    assert zenodo.count("PUT", r"/api/deposit/depositions/\d+$") == 3 and zenodo.count("PUT", r"/api/files/") == 4
    assert zenodo.published_files(dep["id"]) == {"big.bin": data.read_bytes()}


@pytest.mark.parametrize("kind", ["500", "503", "429", "drop"])
def test_zenodo_client_post_not_retried(zenodo_client, kind: str) -> None:
    client, zenodo = zenodo_client
    zenodo.faults.append(Fault("POST", r"/api/deposit/depositions$", kind))
    with pytest.raises(PublishUnavailableError, match=r"step 'create deposition' .*POST /api/deposit/depositions"
                       r".*re-run the same command to resume"):
        client.create_deposition("a draft")
    assert zenodo.count("POST", r"/api/deposit/depositions$") == 1 and zenodo.depositions == {}


@pytest.mark.parametrize(("call", "error", "match", "hint"), [
    (lambda c, d: c.set_metadata(d["id"], {"title": "t"}), PublishHTTPError,
     r"Zenodo refused step 'set metadata' \(PUT /api/deposit/depositions/\d+: HTTP 400 Validation error. "
     r"\(metadata.upload_type: Field is required.; metadata.creators: Field is required.;", None),
    (lambda c, d: c.get_deposition(99), PublishHTTPError,
     r"Zenodo has no deposition 99: step 'read deposition' \(GET /api/deposit/depositions/99: HTTP 404 PID does "
     r"not exist.\)", "--zenodo-url"),
    (lambda c, d: c.new_version(d["id"]), PublishHTTPError, r"HTTP 400 Only published depositions", None),
], ids=["400-fields", "404-deposition", "400-message"])
def test_zenodo_client_4xx_one_line_with_server_message(zenodo_client, call, error, match: str, hint) -> None:
    client, zenodo = zenodo_client
    dep = client.create_deposition("a draft")
    with pytest.raises(error, match=match) as caught:
        call(client, dep)
    assert "\n" not in str(caught.value) and zenodo.token not in str(caught.value)
    assert (hint or "") in (caught.value.hint or "")


def test_url_origin_spells_out_the_default_port() -> None:
    assert url_origin("https://Zenodo.org/api/files/abc") == "https://zenodo.org:443"
    assert url_origin("http://127.0.0.1:8080/x") != url_origin("http://localhost:8080/x")


def test_zenodo_client_token_only_to_its_origin(tmp_path: Path) -> None:
    zenodo = FakeZenodo(foreign_buckets=True).start()
    try:
        client = ZenodoClient(zenodo.url, zenodo.token)
        dep = client.create_deposition("a draft")
        assert dep["links"]["bucket"].startswith(zenodo.storage.url) and zenodo.storage.url != zenodo.url
        data = tmp_path / "a.txt"
        data.write_text("hello")
        client.upload(dep["links"]["bucket"], "a.txt", data)
        assert zenodo.published_files(dep["id"]) == {"a.txt": b"hello"}
        bucket_path = dep["links"]["bucket"].removeprefix(zenodo.storage.url)
        assert zenodo.storage.auth_seen == [("PUT", f"{bucket_path}/a.txt", False)]
        assert zenodo.auth_seen and all(has_auth for _, _, has_auth in zenodo.auth_seen)
        # a foreign bucket that wants a token gets none, and the error says why
        zenodo.storage.faults.append(Fault("PUT", r"/api/files/", "401", message="token required"))
        with pytest.raises(PublishAuthError, match=rf"'{zenodo.storage.url}:?\d*' refused step 'upload a.txt' "
                           r"\(PUT .*HTTP 401 token required\): the link Zenodo gave is not on .*so ZENODO_TOKEN was "
                           r"not sent there") as caught:
            client.upload(dep["links"]["bucket"], "a.txt", data)
        assert "--zenodo-url" in (caught.value.hint or "")
        client.close()
    finally:
        zenodo.stop()


def test_publish_bucket_on_another_origin_gets_no_token(release: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    zenodo = FakeZenodo(foreign_buckets=True).start()
    monkeypatch.setenv("ZENODO_TOKEN", zenodo.token)
    try:
        result = publish_release(release, zenodo=True, zenodo_url=zenodo.url, registry=tmp_path / "reg.json")
        dep = next(d for d in zenodo.depositions.values() if d["submitted"])
        assert result["doi"] == dep["doi"] and len(zenodo.published_files(dep["id"])) == len(zenodo.storage.auth_seen)
        assert not any(has_auth for _, _, has_auth in zenodo.storage.auth_seen)
        assert all(has_auth for _, _, has_auth in zenodo.auth_seen)
    finally:
        zenodo.stop()


def test_zenodo_client_2xx_without_json_is_one_line(zenodo_client) -> None:
    client, zenodo = zenodo_client
    zenodo.route("GET", r"/api/deposit/depositions/portal", lambda request, match: (200, b"<html>login</html>", {}))
    with pytest.raises(PublishUnavailableError, match=r"Zenodo answered step 'read' \(GET /api/deposit/depositions/"
                       r"portal\) with HTTP 200 but no JSON \('<html>login</html>'\); nothing published is lost"):
        client.request("read", "GET", "/api/deposit/depositions/portal")


# the Hub: huggingface_hub's errors become one line naming the repo, the status and the fix


@pytest.mark.parametrize(("setup", "error", "match"), [
    ("403", PublishAuthError, r"the Hub forbade step 'create Hub repo' for makerere/microe \(POST /api/repos/create: "
     r"HTTP 403\); check HF_TOKEN has write access to makerere/microe\.$"),
    ("400", PublishHTTPError, r"the Hub refused step 'create Hub repo' for makerere/microe \(POST /api/repos/create: "
     r"HTTP 400\); fix the cause"),
    ("down", PublishUnavailableError, r"the Hub at http://127.0.0.1:\d+ could not be reached at step 'create Hub "
     r"repo' for makerere/microe \(ConnectError\); nothing published is lost: re-run the same command to resume"),
    ("offline", PublishError, r"step 'create Hub repo' for makerere/microe needs the network but HF_HUB_OFFLINE is set"),
], ids=["403", "400", "down", "offline"])
def test_hub_errors_one_line(servers, release: Path, monkeypatch: pytest.MonkeyPatch, setup: str, error,
                             match: str) -> None:
    import socket

    import huggingface_hub.constants
    from huggingface_hub import HfApi

    from microe_release.publishing import _publish_to_hub
    from microe_release.publishing.state import STATE_FILE, JsonRecord

    hub, _ = servers
    endpoint = hub.url
    if setup == "down":
        with socket.socket() as free:  # a port nothing listens on
            free.bind(("127.0.0.1", 0))
            endpoint = f"http://127.0.0.1:{free.getsockname()[1]}"
    elif setup == "offline":
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    else:
        hub.faults.append(Fault("POST", r"/api/repos/create", setup))
    with pytest.raises(error, match=match) as caught:
        _publish_to_hub(HfApi(endpoint=endpoint, token=hub.token), release, REPO, "1.0.0", JsonRecord(release / STATE_FILE))
    assert "\n" not in str(caught.value) and hub.token not in str(caught.value)
    assert setup not in ("403", "offline") or caught.value.hint


# the command line: a refused token is one line with its fix, never a traceback


def _cli_publish(release: Path, servers, tmp_path: Path, *targets: str):
    hub, zenodo = servers
    args = ["publish", str(release), *targets, "--hf-endpoint", hub.url, "--zenodo-url", zenodo.url,
            "--registry", str(tmp_path / "reg.json")]
    return CliRunner().invoke(main, args)


def test_publish_command_wrong_hf_token_is_one_line(release: Path, servers, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_wrong")
    result = _cli_publish(release, servers, tmp_path, "--hf-repo", REPO)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output and "hf_wrong" not in result.output
    assert result.output.startswith("error: the Hub refused HF_TOKEN at step 'list tags' for makerere/microe "
                                    "(GET /api/datasets/makerere/microe/refs: HTTP 401 Invalid credentials in "
                                    "Authorization header); check HF_TOKEN is valid and has write access to "
                                    "makerere/microe. Hint: create a token with write access"), result.output


@pytest.mark.parametrize(("token", "fault", "match"), [
    ("wrong", None, "Zenodo refused ZENODO_TOKEN at step 'list depositions' (GET /api/deposit/depositions: HTTP 401"),
    (None, "The token lacks the deposit:write scope.",
     "Zenodo forbade step 'list depositions' (GET /api/deposit/depositions: HTTP 403 The token lacks the deposit:write "
     "scope.); ZENODO_TOKEN needs the deposit:write and deposit:actions scopes. Hint: create a token"),
], ids=["401-wrong-token", "403-missing-scope"])
def test_publish_command_zenodo_401_403_is_one_line(release: Path, servers, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch, token, fault, match: str) -> None:
    _, zenodo = servers
    if token:
        monkeypatch.setenv("ZENODO_TOKEN", token)
    if fault:
        zenodo.faults.append(Fault("GET", r"/api/deposit/depositions$", "403", message=fault))
    result = _cli_publish(release, servers, tmp_path, "--zenodo")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert match in result.output and "Hint: " in result.output and zenodo.token not in result.output
