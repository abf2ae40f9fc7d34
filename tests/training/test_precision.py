"""Precision from the hardware alone (never timed), and the model card stating the rule."""

from __future__ import annotations

import time

import pytest

from microe_release.training.artifacts import model_card
from microe_release.training.loop import PRECISION_RULES, choose_precision

torch = pytest.importorskip("torch")

CPU_RULE = "auto: fp32 on CPU; pin --precision bf16 to use bf16"


def _no_clock(*_args: object) -> float:
    raise AssertionError("choose_precision must not time anything")


def test_choose_precision_auto_on_cpu_is_fp32_without_timing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "perf_counter", _no_clock)
    monkeypatch.setattr(time, "process_time", _no_clock)
    monkeypatch.setattr(time, "monotonic", _no_clock)
    # Even a CPU with native bf16 (AVX512-BF16/AMX) trains in fp32 unless bf16 is pinned.
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True, raising=False)
    assert choose_precision("auto", torch.device("cpu")) == ("fp32", CPU_RULE)
    assert PRECISION_RULES["cpu"] == CPU_RULE


def test_choose_precision_pinned_is_kept_on_any_device() -> None:
    cpu = torch.device("cpu")
    assert choose_precision("bf16", cpu) == ("bf16", "pinned: --precision bf16")
    assert choose_precision("fp32", torch.device("cuda")) == ("fp32", "pinned: --precision fp32")


@pytest.mark.parametrize(("has_bf16", "expected"), [(True, "bf16"), (False, "fp32")])
def test_choose_precision_auto_on_cuda_follows_bf16_support(monkeypatch: pytest.MonkeyPatch, has_bf16: bool,
                                                            expected: str) -> None:
    monkeypatch.setattr(time, "perf_counter", _no_clock)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: has_bf16)
    precision, rule = choose_precision("auto", torch.device("cuda"))  # a device object needs no GPU
    assert precision == expected and rule.startswith(f"auto: {expected} on a CUDA GPU")


def test_model_card_states_the_precision_rule() -> None:
    config = {"release": {"name": "microe", "version": "1.0.0", "content_hash": "sha256:0"}, "arch": "alexnet-48",
              "input_size": 48, "normalisation": {"mean": 0.5, "std": 0.25}, "splits": {"train": 1, "test": 1},
              "carved_validation": False, "epochs_run": 1, "best_epoch": 1, "peak_lr": 3e-3, "batch_size": 128,
              "train": {"weight_decay": 5e-4, "label_smoothing": 0.1, "class_weights": False, "seed": 0},
              "precision": "fp32", "precision_rule": CPU_RULE,
              "hardware": {"cpu": "x", "cpu_cores": 2, "torch_threads": 2}, "torch_version": "2"}
    row = {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    metrics = {"accuracy": 1.0, "macro": row, "weighted": row, "per_class": {"happy": row},
               "train_seconds": 1.0, "images_per_second": 1.0, "wall_seconds": 1.0}
    card = model_card(config, metrics)
    assert f"fp32 arithmetic ({CPU_RULE})" in card and "timing on this CPU" not in card
