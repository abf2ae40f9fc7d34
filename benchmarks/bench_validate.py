"""Validation throughput (images/s) on the demo release scaled up (default 40,000 images).

Floor (issue #3): a 41,000-image release validates in under 60 s on 2 cores; goal (issue #11):
15 s, with every check. The same run also
times the bare minimum a validator must do, reading every shard and decoding every image, as
the baseline the full validation is compared with.

    python benchmarks/bench_validate.py [--count 40000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
from PIL import Image

from microe_release import build_release, demo_config
from microe_release.validation import validate_release

FLOOR_SECONDS_41K = 60.0
GOAL_SECONDS_41K = 15.0


def decode_everything(release: Path) -> int:
    """Baseline: read every shard and decode every image."""
    count = 0
    for path in sorted((release / "data").glob("*.parquet")):
        for data in pq.read_table(path, columns=["image"]).column("image").combine_chunks().field("bytes").to_pylist():
            Image.open(io.BytesIO(data)).load()
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=40_000, help="images in the demo release")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the release here instead of a temp folder")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        release = args.keep or Path(tmp) / "release"
        if not (release / "SHA256SUMS").exists():
            started = time.perf_counter()
            build_release(demo_config(count=args.count), release, force=True)
            print(f"built {args.count} images in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        n = decode_everything(release)
        t_decode = time.perf_counter() - started
        started = time.perf_counter()
        report = validate_release(release)
        t_validate = time.perf_counter() - started
    per_41k = t_validate / n * 41_000
    figures = {"images": n, "validate_s": t_validate, "validate_img_s": n / t_validate,
               "decode_only_img_s": n / t_decode, "projected_41k_s": per_41k,
               "errors": len(report.errors()), "check_seconds": report.stats["seconds"]}
    print(f"{n} images: validate {t_validate:.1f} s ({n / t_validate:.0f} img/s); "
          f"decode-only baseline {t_decode:.1f} s ({n / t_decode:.0f} img/s)")
    print("  per check (s; on a big release datapackage and croissant run in worker processes beside the "
          "others, so these overlap): " + ", ".join(f"{k} {v:.1f}" for k, v in report.stats["seconds"].items()))
    ok = per_41k < FLOOR_SECONDS_41K and not report.errors()
    print(f"  41,000 images: {per_41k:.1f} s projected (floor {FLOOR_SECONDS_41K:.0f} s) {'ok' if ok else 'BELOW FLOOR'}; "
          f"goal {GOAL_SECONDS_41K:.0f} s {'met' if per_41k <= GOAL_SECONDS_41K else 'not met'}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
