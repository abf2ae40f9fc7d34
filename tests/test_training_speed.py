"""CPU speed decisions: bf16 only where a timed step shows it faster, and large freed blocks kept for reuse."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from microe_release import build_release, demo_config, train
from microe_release.training import loop, speed
from microe_release.training.artifacts import model_card
from microe_release.training.speed import (
    BF16_MIN_SPEEDUP,
    calibrate_cpu_precision,
    step_images_per_second,
)

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(("bf16", "expected"), [(720.0, "bf16"), (300.0 * BF16_MIN_SPEEDUP, "bf16"),
                                                 (330.0, "fp32"), (240.0, "fp32")])
def test_calibration_keeps_bf16_only_when_clearly_faster(bf16: float, expected: str) -> None:
    asked = []

    def measure(arch: str, precision: str) -> float:
        asked.append((arch, precision))
        return {"fp32": 300.0, "bf16": bf16}[precision]

    chosen, speeds = calibrate_cpu_precision("alexnet", measure)
    assert chosen == expected and speeds == {"fp32": 300.0, "bf16": round(bf16, 1)}
    assert asked == [("alexnet", "fp32"), ("alexnet", "bf16")]


def test_timed_steps_leave_the_random_state_alone() -> None:
    torch.manual_seed(5)
    state = torch.get_rng_state()
    rate = step_images_per_second("alexnet-48", "fp32", batch=4, steps=1)
    assert rate > 0 and torch.equal(torch.get_rng_state(), state)


def test_choose_precision_times_only_a_cpu_with_native_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    cpu = torch.device("cpu")
    assert loop.choose_precision("fp32", cpu) == ("fp32", {}) and loop.choose_precision("bf16", cpu) == ("bf16", {})
    monkeypatch.setattr(speed, "step_images_per_second", lambda arch, precision: {"fp32": 100.0, "bf16": 250.0}[precision])
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True)
    assert loop.choose_precision("auto", cpu) == ("bf16", {"fp32": 100.0, "bf16": 250.0})
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
    assert loop.choose_precision("auto", cpu) == ("fp32", {})  # emulated bf16 is never timed


@pytest.mark.integration
def test_measured_choice_is_saved_with_the_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(speed, "step_images_per_second", lambda arch, precision: {"fp32": 310.0, "bf16": 250.0}[precision])
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True)
    release = tmp_path / "release"
    build_release(demo_config(count=400), release, workers=1)
    metrics = train(release, tmp_path / "m", epochs=1, device="cpu", tta=False, adjust_logits=False)
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["precision"] == metrics["precision"] == "fp32"
    assert config["precision_speeds"] == metrics["precision_speeds"] == {"fp32": 310.0, "bf16": 250.0}
    card = (tmp_path / "m" / "README.md").read_text()
    assert "fp32 arithmetic (chosen by timing on this CPU: fp32 310, bf16 250 training images/s)" in card
    config["precision_speeds"] = {}
    assert "chosen by timing" not in model_card(config, metrics)


def test_freed_large_blocks_are_reused_not_faulted_in_again() -> None:
    # In a fresh process: a 48 MiB tensor (over glibc's largest mmap threshold) allocated, written and
    # freed 24 times. Plain glibc maps and faults in all 12,288 pages every time; once the heap has grown,
    # kept blocks are reused.
    probe = textwrap.dedent("""
        import resource, sys, torch
        from microe_release.training.speed import keep_freed_memory
        tuned = sys.argv[1] == "tuned" and keep_freed_memory()
        faults = []
        for _ in range(24):
            before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            block = torch.ones(12 << 20)
            faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
            del block
        print(int(tuned), sum(faults[12:]))  # the first ones grow the heap (how many depends on the thread pool)
    """)
    runs = {mode: subprocess.run([sys.executable, "-c", probe, mode], capture_output=True, text=True, check=True)
            for mode in ("plain", "tuned")}
    (_, plain), (tuned, kept) = (map(int, runs[mode].stdout.split()) for mode in ("plain", "tuned"))
    if not tuned:
        pytest.skip("not glibc: mallopt is not there to tune")
    assert kept < 1_000 and kept <= plain, (plain, kept)  # plain: ~147,000 with 4 KiB pages, fewer with huge pages
