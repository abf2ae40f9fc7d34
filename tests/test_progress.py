"""Progress bars: stage names and totals on stderr when on, nothing when off or quiet, same release bytes."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import random
import sys
import threading
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from microe_release import build_release, demo_config
from microe_release import workers as workers_module
from microe_release.cli import main, progress_enabled
from microe_release.config import load_config
from microe_release.dedup import GROUP_STEPS, assign_groups
from microe_release.labels import CLASS_NAMES
from microe_release.progress import progress_bar
from microe_release.records import ImageRecord
from microe_release.report import generate_report
from microe_release.sources import count_source_items, get_source_format
from microe_release.splitting import assign_splits
from microe_release.validation import CHECKS, validate_release
from microe_release.workers import start_method
from tests.fixtures.sources import make_multi_source_config

#: Images of the demo builds here: enough for every stage, small for a 2-core machine.
COUNT = 200


def _lines(captured: str) -> list[str]:
    """Every state a bar was drawn in (tqdm redraws a line after a carriage return)."""
    return [line.strip() for line in captured.replace("\r", "\n").split("\n") if line.strip()]


def _build_with_progress(config: object, out: Path) -> str:
    stream = io.StringIO()
    with contextlib.redirect_stderr(stream):
        build_release(config, out, force=True, workers=2, progress=True)  # type: ignore[arg-type]
    return stream.getvalue()


@pytest.fixture(scope="module")
def progress_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A demo release built with progress on, and what the bars wrote to stderr."""
    out = tmp_path_factory.mktemp("progress") / "release"
    return out, _build_with_progress(demo_config(count=COUNT), out)


def _records(n: int) -> list[ImageRecord]:
    rng = random.Random(0)
    return [ImageRecord(id=f"{i:016x}", label=CLASS_NAMES[i % len(CLASS_NAMES)], source="s", source_ref=str(i),
                        license="x", subject=str(i // 6) if i % 2 == 0 else None, fixed_split="test" if i % 50 == 0 else None,
                        phash=rng.getrandbits(64), orig_width=48, orig_height=48, orig_mode="L") for i in range(n)]


def test_progress_bar_enabled_writes_to_file_without_monitor_thread() -> None:
    threads = threading.active_count()
    stream = io.StringIO()
    with progress_bar(total=3, desc="stage", unit="img", enabled=True, file=stream) as bar:
        bar.update(3)
    assert "stage: 100%" in stream.getvalue() and "3/3" in stream.getvalue()
    assert threading.active_count() == threads  # no tqdm monitor: the build pool may still fork


def test_progress_bar_disabled_writes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    with progress_bar(total=3, desc="stage", enabled=False) as bar:
        bar.update(3)
        bar.set_description("other")
        bar.set_postfix_str("x")
    assert capsys.readouterr().err == ""


def test_count_source_items_matches_what_each_adapter_yields(tmp_path: Path) -> None:
    config = load_config(make_multi_source_config(tmp_path))
    for source in config.sources:
        one = dataclasses.replace(config, sources=(source,))
        if source.format == "labelled-csv":  # rows plus unnamed images: no cheap count
            assert count_source_items(one.sources) is None
            continue
        assert count_source_items(one.sources) == sum(1 for _ in get_source_format(source.format).iter_items(source))
    assert count_source_items(config.sources) is None  # one source without a count: no total at all
    assert count_source_items(demo_config(count=COUNT).sources) == COUNT


def test_assign_groups_progress_reports_every_step() -> None:
    steps: list[int] = []
    assign_groups(_records(300), progress=steps.append)
    assert sum(steps) == GROUP_STEPS


def test_assign_splits_progress_reports_every_image() -> None:
    records = _records(3000)
    groups, _ = assign_groups(records)
    placed: list[int] = []
    with_progress = assign_splits(records, groups, ratios={"train": 0.8, "test": 0.2}, split_names=("train", "test"),
                                  class_names=CLASS_NAMES, seed=1, progress=placed.append)
    assert sum(placed) == len(records) and len(placed) > 2  # reported along the way, not once
    assert with_progress == assign_splits(records, groups, ratios={"train": 0.8, "test": 0.2},
                                          split_names=("train", "test"), class_names=CLASS_NAMES, seed=1)


def test_build_release_progress_names_stages_with_totals(progress_build: tuple[Path, str]) -> None:
    lines = _lines(progress_build[1])
    assert any(line.startswith("decode: 100%") and f"{COUNT}/{COUNT}" in line for line in lines)
    assert any(line.startswith("dedup: 100%") and f"{GROUP_STEPS + 1}/{GROUP_STEPS + 1}" in line for line in lines)
    assert any(line.startswith("split: 100%") and f"{COUNT}/{COUNT}" in line for line in lines)
    for stage in ("write parquet", "write csv", "write metadata"):
        assert any(line.startswith(f"{stage}:") for line in lines), stage
    assert any(line.startswith("write metadata: 100%") and "checksums" in line for line in lines)


def test_build_release_progress_counts_skipped_items_in_decode_total(tmp_path: Path) -> None:
    config = load_config(make_multi_source_config(tmp_path))
    config = dataclasses.replace(config, sources=tuple(s for s in config.sources if s.format != "labelled-csv"))
    total = count_source_items(config.sources)
    lines = _lines(_build_with_progress(config, tmp_path / "r"))
    assert any(line.startswith("decode: 100%") and f"{total}/{total}" in line for line in lines)


def test_build_release_progress_keeps_release_bytes(progress_build: tuple[Path, str], tmp_path: Path) -> None:
    quiet = build_release(demo_config(count=COUNT), tmp_path / "quiet", workers=2, progress=False)
    assert len(quiet.records) > 0
    sums = (progress_build[0] / "SHA256SUMS").read_text()
    assert sums == (tmp_path / "quiet" / "SHA256SUMS").read_text()


def test_build_release_progress_keeps_pool_forking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = start_method()
    _build_with_progress(demo_config(count=64), tmp_path / "first")  # a tqdm monitor would outlive this
    chosen: list[str] = []

    def spy() -> str:
        chosen.append(start_method())
        return chosen[-1]

    monkeypatch.setattr(workers_module, "start_method", spy)
    _build_with_progress(demo_config(count=64), tmp_path / "second")
    assert chosen == [before]


def test_validate_release_progress_counts_checks(progress_build: tuple[Path, str]) -> None:
    stream = io.StringIO()
    with contextlib.redirect_stderr(stream):
        report = validate_release(progress_build[0], progress=True)
    assert not report.errors()
    n = len(CHECKS)
    assert any(line.startswith("validate: 100%") and f"{n}/{n}" in line for line in _lines(stream.getvalue()))


def test_generate_report_progress_counts_figures(progress_build: tuple[Path, str], tmp_path: Path) -> None:
    stream = io.StringIO()
    with contextlib.redirect_stderr(stream):
        numbers = generate_report(progress_build[0], tmp_path / "report", progress=True)
    n = len(numbers["figures"])
    lines = _lines(stream.getvalue())
    assert any(line.startswith("report:") and "loading images" in line for line in lines)
    assert any(line.startswith("report: 100%") and f"{n}/{n}" in line for line in lines)


def test_progress_enabled_only_on_a_terminal_without_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for quiet, tty, expected in ((False, True, True), (True, True, False), (False, False, False)):
        monkeypatch.setattr(sys, "stderr", Terminal() if tty else io.StringIO())
        with click.Context(main, info_name="microe") as context:
            context.params["quiet"] = quiet
            assert progress_enabled() is expected


def test_cli_quiet_build_validate_report_leave_stderr_empty(tmp_path: Path) -> None:
    runner = CliRunner()
    release = str(tmp_path / "r")
    built = runner.invoke(main, ["-q", "build", "--demo", "--count", str(COUNT), "--workers", "2", "--out", release])
    assert built.exit_code == 0, built.output
    assert built.stderr == "" and f"{COUNT} images" in built.stdout
    checked = runner.invoke(main, ["-q", "validate", release])
    assert checked.exit_code == 0, checked.output
    assert checked.stderr == "" and "valid" in checked.stdout
    reported = runner.invoke(main, ["-q", "report", release, "--out", str(tmp_path / "report")])
    assert reported.exit_code == 0, reported.output
    assert reported.stderr == "" and "index.html" in reported.stdout


def test_cli_build_not_a_terminal_prints_only_results(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "--demo", "--count", "64", "--workers", "2",
                                       "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # no bar, no warning: stderr is not a terminal
    assert result.stdout.startswith("built microe")


def test_cli_quiet_error_still_printed(tmp_path: Path) -> None:
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "x").write_text("x")
    result = CliRunner().invoke(main, ["-q", "build", "--demo", "--count", "5", "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: output folder") and result.stdout == ""
