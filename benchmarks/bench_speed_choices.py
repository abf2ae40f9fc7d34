"""The speed choices that stay (docs/design.md), each A/B against the plain library path in the same run.

Builds the same 4,000-image source over and over, interleaving three arms: as shipped, with the
fast JPEG decoder switched off (Pillow decodes everything) and with Pillow's PNG encoder instead of
``encode_png``. An arm is switched off by patching the module before the build's pool forks.
Medians of ``--repeat`` rounds; a choice stays only if it saves at least 10 %.

    python benchmarks/bench_speed_choices.py [--layout jpeg|ferplus] [--count 4000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from common import make_ferplus_folder, make_image_folder, timed  # noqa: E402
from PIL import Image  # noqa: E402

from microe_release import build_release, processing  # noqa: E402
from microe_release.config import ReleaseConfig, SourceConfig  # noqa: E402


def _pillow_png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels, "L").save(buf, "PNG")
    return buf.getvalue()


#: Arm name -> the patches that make it (module attribute -> replacement).
ARMS = {
    "as shipped": {},
    "Pillow decodes everything": {"_fast_decode": lambda data, size: None},
    "Pillow's PNG encoder": {"encode_png": _pillow_png},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layout", choices=["jpeg", "ferplus"], default="jpeg")
    parser.add_argument("--count", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "microe-bench-faces")
    args = parser.parse_args()
    if args.layout == "ferplus":
        folder = args.data / f"ferplus-{args.count}"
        make_ferplus_folder(folder, args.count)
        source = SourceConfig(name="faces", format="ferplus", path=folder, license="CC-BY-4.0",
                              options={"min_agreement": 0.5})
    else:
        folder = args.data / f"{args.count}-350px"
        make_image_folder(folder, args.count)
        source = SourceConfig(name="faces", format="image-folder", path=folder, license="CC-BY-4.0")
    config = ReleaseConfig(name="bench", version="1.0.0", sources=(source,))
    shipped = {name: getattr(processing, name) for patches in ARMS.values() for name in patches}
    times: dict[str, list[float]] = {arm: [] for arm in ARMS}
    with tempfile.TemporaryDirectory() as tmp:
        build_release(config, Path(tmp) / "warm", workers=args.workers)  # imports and page cache
        for _ in range(args.repeat):
            for arm, patches in ARMS.items():
                for name, value in {**shipped, **patches}.items():
                    setattr(processing, name, value)
                times[arm].append(timed(lambda: build_release(config, Path(tmp) / "out", force=True,
                                                              workers=args.workers)))
        for name, value in shipped.items():
            setattr(processing, name, value)
    base = statistics.median(times["as shipped"])
    print(f"{args.count} images ({args.layout}), {args.workers} workers, median of {args.repeat} rounds")
    for arm, values in times.items():
        median = statistics.median(values)
        print(f"  {arm:28s} {median:6.2f} s  ({median / base - 1:+.0%} against as shipped)  "
              + " ".join(f"{v:.2f}" for v in values))


if __name__ == "__main__":
    main()
