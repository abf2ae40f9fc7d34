"""`--engine ray`: the same release files as the local engine, bad images reported the same way, a
killed Ray worker costs no image, and validation finds the same problems."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from microe_release import build_release, load_config
from microe_release.cli import main
from microe_release.validation import validate_release
from tests.fixtures.sources import copy_release, corrupt_images, face

ray = pytest.importorskip(
    "ray", reason="Ray Data is not installed: pip install 'microe-release[ray]' (`make test` installs it)")
pytestmark = [pytest.mark.integration, pytest.mark.slow]

TRAIN = "data/train-00000-of-00001.parquet"
TEST = "data/test-00000-of-00001.parquet"


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> object:
    """One local Ray with 2 CPUs for the module (the engine reuses a Ray that is already up)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    yield ray
    ray.shutdown()


def _ckplus_config(tmp_path: Path, root: Path) -> Path:
    config = tmp_path / "release.toml"
    config.write_text(textwrap.dedent(f"""\
        [release]
        name = "microe"
        version = "1.0.0"
        seed = 7
        splits = {{ train = 0.7, validation = 0.2, test = 0.1 }}

        [[source]]
        name = "ckplus"
        format = "image-folder"
        path = "{root}"
        subject_pattern = '^(?P<subject>S\\d+)_'
        """))
    return config


def test_ray_build_is_byte_identical_and_reports_bad_images_alike(multi_source_config: Path, tmp_path: Path) -> None:
    bad = corrupt_images(tmp_path / "CK+48" / "anger")
    config = load_config(multi_source_config)
    local = build_release(config, tmp_path / "local", workers=2)
    remote = build_release(config, tmp_path / "ray", engine="ray")
    assert (tmp_path / "local" / "SHA256SUMS").read_bytes() == (tmp_path / "ray" / "SHA256SUMS").read_bytes()
    names = sorted(p.relative_to(tmp_path / "local").as_posix() for p in (tmp_path / "local").rglob("*"))
    assert names == sorted(p.relative_to(tmp_path / "ray").as_posix() for p in (tmp_path / "ray").rglob("*"))
    assert remote.skipped == local.skipped
    report = json.loads((tmp_path / "ray" / "build-report.json").read_text())
    reasons = {item["source_ref"]: item["reason"] for item in report["skipped"]}
    for reason, path in bad.items():
        assert reasons[f"anger/{path.name}"] == reason


def _busy_build_task(timeout: float = 120.0) -> int:
    """A Ray worker process while it runs a build task (Ray names a worker's process after its task)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and b"_process_listing_batch" in (entry / "cmdline").read_bytes():
                    return int(entry.name)
            except OSError:  # the process ended or is not ours to read
                continue
        time.sleep(0.01)
    pytest.fail(f"no Ray worker ran a build task within {timeout} s")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")
def test_ray_worker_killed_mid_build_output_unchanged(tmp_path: Path) -> None:
    # Two tasks of 1,024 photos each, about a second of decoding apiece: the test kills (SIGKILL) the
    # worker that runs the first one it sees, Ray runs that task again on a new worker, and the
    # result must equal a local build of the same files.
    root = tmp_path / "src"
    for n in range(1500):
        label = ("anger", "happy", "sadness")[n % 3]
        (root / label).mkdir(parents=True, exist_ok=True)
        face(n, "happy").resize((350, 350)).convert("RGB").save(root / label / f"S{n:04d}_001_00000001.jpg")
    config = load_config(_ckplus_config(tmp_path, root))
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["manifest"] = build_release(config, tmp_path / "ray", engine="ray")
        except BaseException as err:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = err

    builder = threading.Thread(target=run)
    builder.start()
    try:
        os.kill(_busy_build_task(), signal.SIGKILL)
    finally:
        builder.join(timeout=300)
    assert "error" not in outcome, outcome.get("error")
    build_release(config, tmp_path / "local", workers=2)
    assert (tmp_path / "ray" / "SHA256SUMS").read_bytes() == (tmp_path / "local" / "SHA256SUMS").read_bytes()
    assert len(pq.read_table(tmp_path / "ray" / "data").column("id")) == 1500


def _issues(path: Path, engine: str) -> list[dict]:
    return [i.to_dict() for i in validate_release(path, engine=engine).sorted_issues()]


def test_ray_validate_finds_the_same_problems(built: Path, tmp_path: Path) -> None:
    clean = validate_release(built, engine="ray")
    assert clean.errors() == [] and clean.stats["images"] == 240
    release = copy_release(built, tmp_path)
    train, test = pq.read_table(release / TRAIN), pq.read_table(release / TEST)
    images = test.column("image").to_pylist()
    images[0] = {"bytes": b"not a png", "path": images[0]["path"]}
    images[1] = {"bytes": pq.read_table(release / TRAIN).column("image")[3].as_py()["bytes"], "path": None}
    tampered = test.set_column(test.schema.get_field_index("image"), "image",
                               pa.array(images, type=test.schema.field("image").type))
    pq.write_table(pa.concat_tables([tampered, train.slice(5, 1)]), release / TEST)
    local, remote = _issues(release, "local"), _issues(release, "ray")
    assert remote == local
    codes = {i["code"] for i in remote}
    assert {"image-undecodable", "leak-identical", "leak-id", "csv-mismatch"} <= codes


def test_cli_engine_ray_build_and_validate(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    built = CliRunner().invoke(main, ["build", "--demo", "--count", "120", "--out", str(out), "--engine", "ray"])
    assert built.exit_code == 0, built.output
    checked = CliRunner().invoke(main, ["validate", str(out), "--engine", "ray", "--json"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.output)["valid"] is True



def test_bench_build_memory_reports_both_engines(tmp_path: Path) -> None:
    script = Path(__file__).parents[1] / "benchmarks" / "bench_build_memory.py"
    done = subprocess.run([sys.executable, str(script), "--counts", "30", "60", "--json", str(tmp_path / "m.json")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads((tmp_path / "m.json").read_text())
    assert figures["identical"] == {"30": True, "60": True}
    assert set(figures["runs"]) == {"local", "ray"} and figures["runs"]["ray"]["60"]["peak_rss_mib"] > 0
    assert "peak RSS 60 / 30 images" in done.stdout
