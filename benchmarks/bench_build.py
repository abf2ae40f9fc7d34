"""Build throughput (images/s) against two baselines in the same run.

(limit) the machine's limit: only the unavoidable work per image, on all cores (JPEG decode with DCT
scaling via ``Image.draft("L", (48, 48))``, resize to 48x48, PNG encode), the headline yardstick;
(a) the bare Pillow loop a person would write: open, grayscale, resize, PNG, on all cores;
(b) the naive datasets path: Dataset.from_dict + cast_column(Image) + map(num_proc) + to_parquet.
Floors (issue #2): build >= 3x (b) and >= 0.7x (a).

    python benchmarks/bench_build.py [--count 4000] [--workers N] [--repeat 3]
    python benchmarks/bench_build.py --layout ferplus --count 40000   # 48x48 PNGs + label.csv votes

The limit and the build run ``--repeat`` times, interleaved, on files already in the page cache;
the medians are reported (build / limit is the median of the per-round ratios).
    python benchmarks/bench_build.py --engine ray [--ray-address ADDR] [--nodes 4 16 64 --cores-per-node 32]

With ``--engine ray`` the same build also runs on Ray Data (the local engine's figure in the same run
is the yardstick; floor: ray >= 0.7 x local on one machine), and the measured per-image cost gives a
written estimate of a 1 M-image build on N nodes.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import statistics
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PHOTO_SIZE, make_ferplus_folder, make_image_folder, timed  # noqa: E402
from PIL import Image  # noqa: E402

from microe_release import build_release  # noqa: E402
from microe_release.config import ReleaseConfig, SourceConfig  # noqa: E402
from microe_release.workers import default_workers  # noqa: E402

SIZE = 48


def _bare_one(path: Path) -> int:
    img = Image.open(path).convert("L").resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return len(buf.getvalue())


def _limit_one(path: Path) -> int:
    img = Image.open(path)
    img.draft("L", (SIZE, SIZE))  # JPEG: decode at 1/2..1/8 scale, straight to gray
    img = img.convert("L").resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return len(buf.getvalue())


def machine_limit(paths: list[Path], workers: int) -> None:
    """The limit: the unavoidable per-image work, nothing else, on all cores."""
    with ProcessPoolExecutor(workers) as pool:
        sum(pool.map(_limit_one, paths, chunksize=64))


def bare_pillow(paths: list[Path], workers: int) -> None:
    """Baseline (a)."""
    with ProcessPoolExecutor(workers) as pool:
        sum(pool.map(_bare_one, paths, chunksize=64))


def _naive_map(example: dict) -> dict:
    example["image"] = example["image"].convert("L").resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    return example


def naive_datasets(paths: list[Path], workers: int, out: Path) -> None:
    """Baseline (b)."""
    from datasets import Dataset, disable_progress_bars
    from datasets import Image as ImageFeature

    disable_progress_bars()
    ds = Dataset.from_dict({"image": [str(p) for p in paths], "label": [p.parent.name for p in paths]})
    ds = ds.cast_column("image", ImageFeature())
    ds = ds.map(_naive_map, num_proc=workers)
    ds.to_parquet(str(out / "naive.parquet"))


def our_build(root: Path, workers: int, out: Path, engine: str = "local", address: str | None = None) -> None:
    """The toolkit's full build: decode, hash, dedup, split, parquet + CSV + card."""
    layout = "ferplus" if (root / "FER2013Train").is_dir() else "image-folder"
    options = {"min_agreement": 0.5} if layout == "ferplus" else {}
    source = SourceConfig(name="faces", format=layout, path=root, license="CC-BY-4.0", options=options)
    config = ReleaseConfig(name="bench", version="1.0.0", sources=(source,))
    manifest = build_release(config, out / f"release-{engine}", force=True, workers=workers, engine=engine,
                             ray_address=address)
    DRIVER_SECONDS[engine] = manifest.timings["global"] + manifest.timings["write"]


#: Seconds of driver-only work (dedup, splits, writing) of the last build per engine.
DRIVER_SECONDS: dict[str, float] = {}


def ray_figures(folder: Path, n: int, args: argparse.Namespace, t_local: float, out: Path) -> dict:
    """Local vs Ray in this run, and the 1 M-image estimate from the measured per-image costs."""
    import ray

    from microe_release.writers.common import file_sha256

    t_start = timed(lambda: ray.init(address=args.ray_address, num_cpus=None if args.ray_address else args.workers,
                                     include_dashboard=False, log_to_driver=False))
    try:
        # The first job also starts Ray Data's own actors and imports the toolkit in each Ray worker
        # (a one-off on a long-lived cluster); both figures are reported, the ratio uses the second.
        t_cold = timed(lambda: our_build(folder, args.workers, out, "ray", args.ray_address))
        t_ray = timed(lambda: our_build(folder, args.workers, out, "ray", args.ray_address))
        cores = int(ray.cluster_resources().get("CPU", args.workers))
    finally:
        ray.shutdown()
    same = file_sha256(out / "release-local" / "SHA256SUMS") == file_sha256(out / "release-ray" / "SHA256SUMS")
    # The driver's own stages (dedup, splits, parquet/CSV/metadata writing) are timed by the build and
    # scale linearly with n; the rest of the Ray build is per-image work spread over every Ray CPU.
    driver_s_per_image = DRIVER_SECONDS["ray"] / n
    per_image_cpu = (t_ray - DRIVER_SECONDS["ray"]) * cores / n
    estimates = {}
    for nodes in args.nodes:
        total_cores = nodes * args.cores_per_node
        workers_s = 1_000_000 * per_image_cpu / total_cores
        driver_s = 1_000_000 * driver_s_per_image
        estimates[nodes] = {"workers_s": workers_s, "driver_s": driver_s, "total_min": (workers_s + driver_s) / 60}
    return {"ray_img_s": n / t_ray, "ray_cold_img_s": n / t_cold, "ray_vs_local": t_local / t_ray,
            "ray_cold_vs_local": t_local / t_cold, "ray_start_s": t_start, "ray_cores": cores,
            "identical_sha256sums": same, "per_image_cpu_ms": per_image_cpu * 1000,
            "driver_us_per_image": driver_s_per_image * 1e6, "estimate_1m": estimates}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=4000, help="source images")
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--photo-size", type=int, default=PHOTO_SIZE,
                        help="side of the generated source JPEGs (350: muxspace-like; 640: camera-like)")
    parser.add_argument("--layout", choices=["jpeg", "ferplus"], default="jpeg",
                        help="jpeg: class folders of RGB JPEGs; ferplus: 48x48 gray PNGs in FER+'s folders")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds of limit and build (median)")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "microe-bench-faces")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--engine", choices=["local", "ray"], default="local",
                        help="ray: also build on Ray Data and compare with the local engine")
    parser.add_argument("--ray-address", default=None, help="join this Ray cluster instead of a local Ray")
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 4, 16, 64], help="for the 1 M-image estimate")
    parser.add_argument("--cores-per-node", type=int, default=32, help="for the 1 M-image estimate")
    args = parser.parse_args()
    if args.layout == "ferplus":
        folder = args.data / f"ferplus-{args.count}"
        paths = make_ferplus_folder(folder, args.count)
        what = "48x48 gray PNGs (FER+ layout)"
    else:
        folder = args.data / f"{args.count}-{args.photo_size}px"
        paths = make_image_folder(folder, args.count, args.photo_size)
        what = f"JPEGs of {args.photo_size}x{args.photo_size}"
    n = len(paths)
    for path in paths:  # every figure is taken on files in the page cache
        path.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        limits, builds = [], []
        for _ in range(args.repeat):
            limits.append(timed(lambda: machine_limit(paths, args.workers)))
            builds.append(timed(lambda: our_build(folder, args.workers, out)))
        t_limit, t_ours = statistics.median(limits), statistics.median(builds)
        ratio = statistics.median(lim / b for lim, b in zip(limits, builds, strict=True))
        t_bare = timed(lambda: bare_pillow(paths, args.workers))
        t_naive = timed(lambda: naive_datasets(paths, args.workers, out))
        extra = ray_figures(folder, n, args, t_ours, out) if args.engine == "ray" else {}
        shutil.rmtree(out, ignore_errors=True)
    figures = {
        "images": n, "workers": args.workers, "photo_size": args.photo_size,
        "layout": args.layout, "repeat": args.repeat,
        "build_img_s": n / t_ours, "limit_img_s": n / t_limit, "build_vs_limit": ratio,
        "build_vs_limit_rounds": [lim / b for lim, b in zip(limits, builds, strict=True)],
        "bare_pillow_img_s": n / t_bare, "naive_datasets_img_s": n / t_naive,
        "build_vs_bare": t_bare / t_ours, "build_vs_naive": t_naive / t_ours,
    }
    print(f"{n} source {what}, {args.workers} workers, median of {args.repeat} rounds")
    print(f"  microe build (full release) : {figures['build_img_s']:8.0f} img/s")
    print(f"  (limit) unavoidable work only: {figures['limit_img_s']:8.0f} img/s")
    print(f"  (a) bare Pillow loop         : {figures['bare_pillow_img_s']:8.0f} img/s")
    print(f"  (b) naive datasets map       : {figures['naive_datasets_img_s']:8.0f} img/s")
    ok_a, ok_b = figures["build_vs_bare"] >= 0.7, figures["build_vs_naive"] >= 3.0
    rounds = ", ".join(f"{r:.2f}" for r in figures["build_vs_limit_rounds"])
    print(f"  build / limit = {figures['build_vs_limit']:.2f} [{rounds}]  (issue #11 floor 0.75, goal 0.90) "
          f"{'ok' if figures['build_vs_limit'] >= 0.75 else 'BELOW FLOOR'}")
    print(f"  build / (a) = {figures['build_vs_bare']:.2f}  (floor 0.70) {'ok' if ok_a else 'BELOW FLOOR'}")
    print(f"  build / (b) = {figures['build_vs_naive']:.2f}  (floor 3.00) {'ok' if ok_b else 'BELOW FLOOR'}")
    ok_ray = True
    if extra:
        figures.update(extra)
        ok_ray = extra["ray_vs_local"] >= 0.7 and extra["identical_sha256sums"]
        print(f"  microe build --engine ray    : {extra['ray_img_s']:8.0f} img/s on {extra['ray_cores']} Ray CPUs "
              f"(first job on a fresh Ray: {extra['ray_cold_img_s']:.0f} img/s, {extra['ray_cold_vs_local']:.2f} of "
              f"local; + {extra['ray_start_s']:.1f} s to start a local Ray, not counted)")
        print(f"  ray / local = {extra['ray_vs_local']:.2f}  (floor 0.70) {'ok' if ok_ray else 'BELOW FLOOR'}; "
              f"SHA256SUMS {'identical' if extra['identical_sha256sums'] else 'DIFFER'}")
        print(f"  1 M images, from {extra['per_image_cpu_ms']:.2f} CPU-ms per image on the workers and "
              f"{extra['driver_us_per_image']:.0f} us per image on the driver ({args.cores_per_node} cores per node):")
        for nodes, e in extra["estimate_1m"].items():
            print(f"    {nodes:4d} node(s): workers {e['workers_s'] / 60:7.1f} min + driver {e['driver_s'] / 60:5.1f} min "
                  f"= {e['total_min']:7.1f} min")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    sys.exit(0 if ok_a and ok_b and ok_ray else 1)


if __name__ == "__main__":
    main()
