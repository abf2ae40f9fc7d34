"""``microe diff``: what changed between two releases, by image id; ``CHANGELOG.md`` is written from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import MicroeReleaseError
from .labels import CLASS_NAMES

#: One release as the diff sees it: version, ``id -> (label name, split)``, excluded ``id -> reason``.
ReleaseIndex = tuple[str, dict[str, tuple[str, str]], dict[str, str]]


def index_release(release_dir: str | Path) -> ReleaseIndex:
    """Read ids, labels and splits from a release's parquet shards (and its exclusions from build-report.json)."""
    import pyarrow.parquet as pq

    root = Path(release_dir)
    shards = sorted((root / "data").glob("*.parquet"))
    if not shards:
        msg = f"'{root}' has no data/*.parquet; pass release folders written by `microe build`."
        raise MicroeReleaseError(msg)
    images: dict[str, tuple[str, str]] = {}
    for path in shards:
        split = path.name.split("-", 1)[0]
        table = pq.read_table(path, columns=["id", "label"])
        for image_id, label in zip(table.column("id").to_pylist(), table.column("label").to_pylist(), strict=True):
            images[image_id] = (CLASS_NAMES[label], split)
    report = json.loads((root / "build-report.json").read_text()) if (root / "build-report.json").is_file() else {}
    excluded = {e["id"]: e["reason"] for e in report.get("excluded_on_request", [])}
    return str(report.get("version", "?")), images, excluded


def diff_indexes(old: ReleaseIndex, new: ReleaseIndex) -> dict[str, Any]:
    """Images added, removed (with the exclusion reason where there is one), relabelled and moved."""
    old_version, old_images, _ = old
    new_version, new_images, new_excluded = new
    removed = [{"id": i, "label": old_images[i][0], "reason": new_excluded.get(i, "not in the new sources")}
               for i in sorted(set(old_images) - set(new_images))]
    common = sorted(set(old_images) & set(new_images))
    splits = sorted({s for _, s in old_images.values()} | {s for _, s in new_images.values()})

    def counts(images: dict[str, tuple[str, str]], axis: int, keys: list[str]) -> dict[str, int]:
        out = dict.fromkeys(keys, 0)
        for value in images.values():
            out[value[axis]] = out.get(value[axis], 0) + 1
        return out

    old_class, new_class = counts(old_images, 0, list(CLASS_NAMES)), counts(new_images, 0, list(CLASS_NAMES))
    old_split, new_split = counts(old_images, 1, splits), counts(new_images, 1, splits)
    return {
        "old_version": old_version,
        "new_version": new_version,
        "added": sorted(set(new_images) - set(old_images)),
        "removed": removed,
        "relabelled": [{"id": i, "old": old_images[i][0], "new": new_images[i][0]}
                       for i in common if old_images[i][0] != new_images[i][0]],
        "moved": [{"id": i, "old": old_images[i][1], "new": new_images[i][1]}
                  for i in common if old_images[i][1] != new_images[i][1]],
        "per_class": {c: {"old": old_class[c], "new": new_class[c], "delta": new_class[c] - old_class[c]}
                      for c in CLASS_NAMES},
        "per_split": {s: {"old": old_split.get(s, 0), "new": new_split.get(s, 0),
                          "delta": new_split.get(s, 0) - old_split.get(s, 0)} for s in splits},
    }


def diff_releases(old_dir: str | Path, new_dir: str | Path) -> dict[str, Any]:
    """:func:`diff_indexes` of two release folders."""
    return diff_indexes(index_release(old_dir), index_release(new_dir))


def changelog_markdown(diff: dict[str, Any]) -> str:
    """``CHANGELOG.md`` text for the new release."""
    lines = [f"# Changelog\n\n## {diff['new_version']} (since {diff['old_version']})\n",
             f"- {len(diff['added'])} images added, {len(diff['removed'])} removed, "
             f"{len(diff['relabelled'])} relabelled, {len(diff['moved'])} moved to another split.\n"]
    on_request = [r for r in diff["removed"] if r["reason"] != "not in the new sources"]
    if on_request:
        lines.append("\n### Removed on request\n\n| id | class | reason |\n|---|---|---|\n")
        lines += [f"| `{r['id']}` | {r['label']} | {r['reason']} |\n" for r in on_request]
    if diff["relabelled"]:
        lines.append("\n### Relabelled\n\n| id | was | now |\n|---|---|---|\n")
        lines += [f"| `{r['id']}` | {r['old']} | {r['new']} |\n" for r in diff["relabelled"]]
    lines.append("\n### Per class\n\n| class | before | after | change |\n|---|---|---|---|\n")
    lines += [f"| {c} | {v['old']} | {v['new']} | {v['delta']:+d} |\n" for c, v in diff["per_class"].items()]
    lines.append("\n### Per split\n\n| split | before | after | change |\n|---|---|---|---|\n")
    lines += [f"| {s} | {v['old']} | {v['new']} | {v['delta']:+d} |\n" for s, v in diff["per_split"].items()]
    return "".join(lines)
