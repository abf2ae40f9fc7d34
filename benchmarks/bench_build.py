"""Build throughput (images/s) against two baselines in the same run.

(a) the bare Pillow loop a person would write: open, grayscale, resize, PNG, on all cores;
(b) the naive datasets path: Dataset.from_dict + cast_column(Image) + map(num_proc) + to_parquet.
Floors (issue #2): build >= 3x (b) and >= 0.7x (a).

    python benchmarks/bench_build.py [--count 4000] [--workers N]
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PHOTO_SIZE, make_image_folder, timed  # noqa: E402
from PIL import Image  # noqa: E402

from microe_release import build_release  # noqa: E402
from microe_release.config import ReleaseConfig, SourceConfig  # noqa: E402
from microe_release.parallel import default_workers  # noqa: E402

SIZE = 48


def _bare_one(path: Path) -> int:
    img = Image.open(path).convert("L").resize((SIZE, SIZE), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return len(buf.getvalue())


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


def our_build(root: Path, workers: int, out: Path) -> None:
    """The toolkit's full build: decode, hash, dedup, split, parquet + CSV + card."""
    source = SourceConfig(name="faces", format="image-folder", path=root, license="CC-BY-4.0")
    config = ReleaseConfig(name="bench", version="1.0.0", sources=(source,))
    build_release(config, out / "release", force=True, workers=workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=4000, help="source images")
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--photo-size", type=int, default=PHOTO_SIZE,
                        help="side of the generated source JPEGs (350: muxspace-like; 640: camera-like)")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "microe-bench-faces")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    folder = args.data / f"{args.count}-{args.photo_size}px"
    paths = make_image_folder(folder, args.count, args.photo_size)
    n = len(paths)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t_bare = timed(lambda: bare_pillow(paths, args.workers))
        t_ours = timed(lambda: our_build(folder, args.workers, out))
        t_naive = timed(lambda: naive_datasets(paths, args.workers, out))
        shutil.rmtree(out, ignore_errors=True)
    figures = {
        "images": n, "workers": args.workers, "photo_size": args.photo_size,
        "build_img_s": n / t_ours, "bare_pillow_img_s": n / t_bare, "naive_datasets_img_s": n / t_naive,
        "build_vs_bare": t_bare / t_ours, "build_vs_naive": t_naive / t_ours,
    }
    print(f"{n} source JPEGs of {args.photo_size}x{args.photo_size}, {args.workers} workers")
    print(f"  microe build (full release) : {figures['build_img_s']:8.0f} img/s")
    print(f"  (a) bare Pillow loop         : {figures['bare_pillow_img_s']:8.0f} img/s")
    print(f"  (b) naive datasets map       : {figures['naive_datasets_img_s']:8.0f} img/s")
    ok_a, ok_b = figures["build_vs_bare"] >= 0.7, figures["build_vs_naive"] >= 3.0
    print(f"  build / (a) = {figures['build_vs_bare']:.2f}  (floor 0.70) {'ok' if ok_a else 'BELOW FLOOR'}")
    print(f"  build / (b) = {figures['build_vs_naive']:.2f}  (floor 3.00) {'ok' if ok_b else 'BELOW FLOOR'}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    sys.exit(0 if ok_a and ok_b else 1)


if __name__ == "__main__":
    main()
