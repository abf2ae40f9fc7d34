"""One build at a time per --out; what a killed build leaves is finished, undone or removed; only files are read."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from filelock import FileLock

from microe_release import build_release, demo_config
from microe_release.cli import main
from microe_release.errors import OutputLockedError
from microe_release.outdir import locked_output
from microe_release.writers.manifest import read_manifest
from tests.fixtures.sources import make_ckplus_tree

#: Builds a demo release of COUNT faces into OUT in one process and SIGKILLs itself right after the
#: swap's first rename (the old release moved aside, the new one not yet in place).
KILLED_BETWEEN_RENAMES = textwrap.dedent("""
    import os, signal, sys
    from microe_release import build, build_release, demo_config

    real_swap, real_replace = build.swap_into_place, os.replace

    def replace_then_die(src, dst):
        real_replace(src, dst)
        os.kill(os.getpid(), signal.SIGKILL)

    def swap(staging, out_dir):
        os.replace = replace_then_die
        real_swap(staging, out_dir)

    build.swap_into_place = swap
    build_release(demo_config(count=int(sys.argv[2])), sys.argv[1], force=True, workers=1)
""")


def _killed_between_renames(out: Path, count: int) -> None:
    result = subprocess.run([sys.executable, "-c", KILLED_BETWEEN_RENAMES, str(out), str(count)],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    assert not out.exists()  # the moment the issue describes: no --out at all
    assert len(list(out.parent.glob(f".{out.name}.old-*"))) == 1


def test_outdir_second_build_fails_at_once_with_one_line(tmp_path: Path) -> None:
    out = tmp_path / "rel"
    with FileLock(tmp_path / ".rel.lock"):  # another build at work
        with pytest.raises(OutputLockedError, match="another build is writing .*rel"):
            build_release(demo_config(count=16), out, workers=1)
        result = CliRunner().invoke(main, ["build", "--demo", "--count", "16", "--out", str(out), "--workers", "1"])
    assert result.exit_code == 1
    assert result.output.startswith("error: another build is writing") and result.output.count("\n") == 1
    assert not out.exists() and not list(tmp_path.glob(".rel.partial-*"))
    build_release(demo_config(count=16), out, workers=1)  # the lock is free again
    assert (out / "SHA256SUMS").is_file()


def test_outdir_leftovers_of_killed_builds_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "rel"
    build_release(demo_config(count=16), out, workers=1)
    for name in (".rel.partial-4194301", ".rel.partial-4194301.spill", ".rel.old-4194302"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "half-written.parquet").write_bytes(b"x")
    (tmp_path / ".other.partial-4194301").mkdir()  # another --out's: not ours to remove
    build_release(demo_config(count=24), out, force=True, workers=1)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [".other.partial-4194301", "rel"]
    assert len(read_manifest(out).records) == 24


def test_outdir_kill_between_the_renames_is_finished_by_the_next_build(tmp_path: Path) -> None:
    out = tmp_path / "rel"
    build_release(demo_config(count=16), out, workers=1)
    _killed_between_renames(out, 24)
    with locked_output(out):  # what every build does first
        assert len(read_manifest(out).records) == 24  # the new release, complete, put in place
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rel"]


def test_outdir_kill_between_the_renames_with_an_incomplete_release_is_rolled_back(tmp_path: Path) -> None:
    out = tmp_path / "rel"
    build_release(demo_config(count=16), out, workers=1)
    _killed_between_renames(out, 24)
    staging = next(p for p in tmp_path.glob(".rel.partial-*") if not p.name.endswith(".spill"))
    (staging / "SHA256SUMS").unlink()  # as if killed while writing
    with locked_output(out):
        assert len(read_manifest(out).records) == 16  # the old release is back
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rel"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
@pytest.mark.parametrize("workers", [1, 2])
def test_outdir_named_pipe_in_a_source_is_skipped_not_read(tmp_path: Path, workers: int) -> None:
    from microe_release.config import ReleaseConfig, SourceConfig

    root = make_ckplus_tree(tmp_path)
    os.mkfifo(root / "happy" / "S999_001_pipe.png")  # nobody ever writes to it: reading it would wait forever
    source = SourceConfig(name="ck", format="image-folder", path=root, license="CC-BY-4.0")
    manifest = build_release(ReleaseConfig(name="t", version="1.0.0", sources=(source,)), tmp_path / "rel",
                             workers=workers)
    skipped = [s for s in manifest.skipped if s.reason.value == "not a regular file"]
    assert [s.source_ref for s in skipped] == ["happy/S999_001_pipe.png"]
    assert "named pipe" in skipped[0].detail and manifest.records


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc")
def test_outdir_workers_of_a_killed_build_end_with_it(tmp_path: Path) -> None:
    import time

    command = [sys.executable, "-m", "microe_release.cli", "-q", "build", "--demo", "--count", "20000",
               "--workers", "2", "--out", str(tmp_path / "rel")]
    build = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def children() -> set[int]:
        found = set()
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == build.pid:
                    found.add(int(entry.name))
            except (OSError, ValueError, IndexError):  # gone, or not ours to read
                continue
        return found

    deadline = time.monotonic() + 60
    while len(workers := children()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(workers) >= 2, "the build started no worker processes"
    build.send_signal(signal.SIGKILL)
    build.wait(timeout=30)
    deadline = time.monotonic() + 10
    while (alive := {pid for pid in workers if Path(f"/proc/{pid}").exists()}) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive, f"worker processes {sorted(alive)} outlived their killed build"
