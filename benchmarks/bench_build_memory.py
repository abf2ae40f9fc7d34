"""Driver peak memory of a build against the number of images, per engine, and equal output across engines.

Each (engine, count) builds the synthetic demo source in a fresh Python process that reports its own
peak RSS (the driver's) and the largest peak of its pool workers (local engine; Ray's workers are
not its children), so the figures do not mix.

    python benchmarks/bench_build_memory.py [--counts 4000 40000] [--engines local ray]

Prints peak RSS per run, the ratio largest/smallest count per engine (flat memory: close to 1, far
below the ratio of counts), and whether SHA256SUMS are identical across engines for each count.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, resource, sys, time
from microe_release import build_release, demo_config
count, engine, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
started = time.perf_counter()
build_release(demo_config(count=count), out, force=True, engine=engine)
print(json.dumps({"seconds": time.perf_counter() - started,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_peak_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def measure(count: int, engine: str, out: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(count), engine, str(out)], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        sys.exit(f"build of {count} images on {engine} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", type=int, nargs="+", default=[4000, 40000])
    parser.add_argument("--engines", nargs="+", choices=["local", "ray"], default=["local", "ray"])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures: dict[str, dict[int, dict[str, float]]] = {}
    identical: dict[int, bool] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in args.counts:
            sums = set()
            for engine in args.engines:
                out = Path(tmp) / f"{engine}-{count}"
                figures.setdefault(engine, {})[count] = measure(count, engine, out)
                sums.add((out / "SHA256SUMS").read_bytes())
                run = figures[engine][count]
                workers = f", largest worker {run['worker_peak_rss_mib']:5.0f} MiB" if engine == "local" else ""
                print(f"{engine:5s} {count:7d} images: {run['seconds']:6.1f} s, "
                      f"driver peak RSS {run['peak_rss_mib']:7.0f} MiB{workers}", flush=True)
            identical[count] = len(sums) == 1
            print(f"  SHA256SUMS across {', '.join(args.engines)} at {count}: "
                  f"{'identical' if identical[count] else 'DIFFERENT'}", flush=True)
    low, high = min(args.counts), max(args.counts)
    for engine, runs in figures.items():
        ratio = runs[high]["peak_rss_mib"] / runs[low]["peak_rss_mib"]
        print(f"{engine}: driver peak RSS {high} / {low} images = {ratio:.2f} (images x{high / low:.0f})")
        if engine == "local":
            worker = runs[high]["worker_peak_rss_mib"] / runs[low]["worker_peak_rss_mib"]
            print(f"{engine}: largest worker peak RSS {high} / {low} images = {worker:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"runs": figures, "identical": identical}, indent=2) + "\n")
    sys.exit(0 if all(identical.values()) else 1)


if __name__ == "__main__":
    main()
