"""The reference model on a real release with the defaults of `microe train`, against the paper's Table II.

    python benchmarks/bench_train_real.py --release releases/ferplus [--out models/ferplus] [-- --device cuda]

Prints accuracy, macro F1, contempt recall, wall time, training img/s and peak memory, each beside its
target (paper Table II: 0.85 / 0.81 / 0.64; wall <= 30 min on 2 cores; peak RSS < 4 GiB), and saves
them to benchmarks/results/train_real.json. Options after ``--`` go to `microe train` as they are.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

from microe_release.cli import main
from microe_release.training.artifacts import describe_device

#: Paper Table II and the issue's budget.
TARGETS = {"accuracy": 0.85, "macro_f1": 0.81, "contempt_recall": 0.64, "wall_minutes": 30.0, "peak_rss_gib": 4.0}


def run(release: Path, out: Path, extra: list[str]) -> dict[str, float]:
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["train", str(release), "--out", str(out), *extra], catch_exceptions=False)
    wall = time.perf_counter() - started
    if result.exit_code != 0:
        sys.exit(f"microe train failed ({result.exit_code}): {result.output}")
    metrics = json.loads((out / "metrics.json").read_text())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB
    return {
        "accuracy": metrics["accuracy"], "macro_f1": metrics["macro"]["f1"],
        "contempt_recall": metrics["per_class"]["contempt"]["recall"],
        "contempt_support": metrics["per_class"]["contempt"]["support"],
        "wall_minutes": wall / 60, "train_images_per_second": metrics["images_per_second"],
        "peak_rss_gib": peak, "epochs": metrics["epochs_run"], "device": metrics["hardware"]["device"],
        "hardware": metrics["hardware"],
    }


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--release", type=Path, required=True, help="a release folder from `microe build`")
    parser.add_argument("--out", type=Path, default=None, help="MODEL_DIR to keep (default: a temporary folder)")
    parser.add_argument("extra", nargs="*", help="options passed to `microe train` (after --)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = run(args.release, args.out or Path(tmp) / "model", args.extra)
    print(f"release {args.release} on {describe_device(figures['hardware'])}")
    for key, target in TARGETS.items():
        value = figures[key]
        better = value <= target if key in ("wall_minutes", "peak_rss_gib") else value >= target
        print(f"  {key:16s} {value:8.3f}   target {'<=' if key in ('wall_minutes', 'peak_rss_gib') else '>='} "
              f"{target:<6} {'met' if better else 'NOT met'}")
    print(f"  contempt support {figures['contempt_support']}, {figures['epochs']} epochs, "
          f"{figures['train_images_per_second']:.0f} training img/s")
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    (results / "train_real.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main_()
