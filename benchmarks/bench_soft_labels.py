"""Does learning the annotators' vote shares help? `microe train` and `microe train --soft-labels`, same release and seed.

    python benchmarks/bench_soft_labels.py --release releases/ferplus [-- --epochs 8]

Both runs use the defaults of `microe train` (options after ``--`` go to both as they are); the test split is
scored on its labels (FER+'s majority vote) in both. Prints accuracy, macro F1 and contempt recall of each, and
the soft run's gain, and saves them to benchmarks/results/soft_labels.json. The release needs a source with
votes (the `votes` column), e.g. FER+ in the `ferplus` format.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from click.testing import CliRunner

from microe_release.cli import main

#: What is compared, from metrics.json.
FIGURES = {"accuracy": lambda m: m["accuracy"], "macro_f1": lambda m: m["macro"]["f1"],
           "contempt_recall": lambda m: m["per_class"]["contempt"]["recall"]}


def run(release: Path, out: Path, extra: list[str]) -> dict[str, object]:
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["train", str(release), "--out", str(out), *extra], catch_exceptions=False)
    if result.exit_code != 0:
        sys.exit(f"microe train {' '.join(extra)} failed ({result.exit_code}): {result.output}")
    metrics = json.loads((out / "metrics.json").read_text())
    return {**{name: get(metrics) for name, get in FIGURES.items()}, "minutes": (time.perf_counter() - started) / 60,
            "best_epoch": metrics["best_epoch"], "images_with_votes": metrics["data"]["images_with_votes"],
            "per_class_f1": {k: v["f1"] for k, v in metrics["per_class"].items()}}


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--release", type=Path, required=True, help="a release folder from `microe build` with votes")
    parser.add_argument("--json", type=Path, default=Path(__file__).parent / "results" / "soft_labels.json",
                        help="where the figures go (default: benchmarks/results/soft_labels.json)")
    parser.add_argument("extra", nargs="*", help="options passed to both `microe train` runs (after --)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        hard = run(args.release, Path(tmp) / "hard", args.extra)
        soft = run(args.release, Path(tmp) / "soft", [*args.extra, "--soft-labels"])
    print(f"release {args.release}, train images with votes: {soft['images_with_votes']['train']}")
    print(f"  {'':16s} {'labels':>8s} {'votes':>8s} {'gain':>8s}")
    for name in FIGURES:
        print(f"  {name:16s} {hard[name]:8.4f} {soft[name]:8.4f} {soft[name] - hard[name]:+8.4f}")  # type: ignore[operator]
    print(f"  {'minutes':16s} {hard['minutes']:8.1f} {soft['minutes']:8.1f}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"release": str(args.release), "options": args.extra,
                                                          "labels": hard, "votes": soft}, indent=2) + "\n")


if __name__ == "__main__":
    main_()
