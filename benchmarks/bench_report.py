"""Report generation time on the demo release scaled up (default 40,000 images).

Floor (issue #6): the report for a 41,000-image release in under 60 s on 2 cores. The same run times
the bare minimum, decoding every image, as the baseline.

    python benchmarks/bench_report.py [--count 40000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from microe_release import build_release, demo_config
from microe_release.report import generate_report
from microe_release.report.stats import load_images

FLOOR_SECONDS_41K = 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=40_000)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the release here")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        release = args.keep or Path(tmp) / "release"
        if not (release / "SHA256SUMS").exists():
            build_release(demo_config(count=args.count), release, force=True)
        started = time.perf_counter()
        n = len(load_images(release)[0])
        t_decode = time.perf_counter() - started
        started = time.perf_counter()
        generate_report(release, Path(tmp) / "report")
        t_report = time.perf_counter() - started
    projected = t_report / n * 41_000
    print(f"{n} images: report {t_report:.1f} s ({n / t_report:.0f} img/s); decode-only baseline {t_decode:.1f} s")
    ok = projected < FLOOR_SECONDS_41K
    print(f"  41,000 images: {projected:.1f} s projected (floor {FLOOR_SECONDS_41K:.0f} s) {'ok' if ok else 'BELOW FLOOR'}")
    if args.json:
        args.json.write_text(json.dumps({"images": n, "report_s": t_report, "decode_s": t_decode,
                                         "projected_41k_s": projected}, indent=2) + "\n")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
