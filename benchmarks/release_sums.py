"""Byte-identity check across a change: build fixed releases and print their SHA256SUMS.

Run it in two trees (or before and after a change) and ``diff`` the outputs: the same sources,
config and seed must give the same files.

    python benchmarks/release_sums.py OUT > sums-after.txt
    (cd OTHER_TREE && PYTHONPATH=. python benchmarks/release_sums.py OUT2) > sums-before.txt
    diff sums-before.txt sums-after.txt

Three releases: the demo (400 synthetic faces, with ``--images``), 300 48x48 PNGs in the FER+
layout and 300 350x350 JPEGs in class folders (generated once under ``--data``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import make_ferplus_folder, make_image_folder  # noqa: E402

from microe_release import build_release, demo_config  # noqa: E402
from microe_release.config import ReleaseConfig, SourceConfig  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="folder for the three releases")
    parser.add_argument("--data", type=Path, default=Path("/tmp/microe-sums-data"), help="generated sources")
    args = parser.parse_args()
    make_ferplus_folder(args.data / "ferplus", 300)
    make_image_folder(args.data / "jpegs", 300)
    build_release(demo_config(count=400), args.out / "demo", force=True, workers=2, images=True)
    print((args.out / "demo" / "SHA256SUMS").read_text(), end="")
    for layout, folder, options in (("ferplus", "ferplus", {"min_agreement": 0.5}), ("image-folder", "jpegs", {})):
        source = SourceConfig(name="faces", format=layout, path=args.data / folder, license="CC-BY-4.0", options=options)
        build_release(ReleaseConfig(name="ref", version="1.0.0", sources=(source,)), args.out / layout, force=True,
                      workers=2, images=True)
        print((args.out / layout / "SHA256SUMS").read_text(), end="")


if __name__ == "__main__":
    main()
