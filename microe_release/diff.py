"""``microe diff``: what changed between two releases, by image id; ``CHANGELOG.md`` is written from it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .labels import CLASS_NAMES
from .records import Manifest
from .writers.manifest import read_manifest


def _changes(old: Mapping[str, int], new: Mapping[str, int], keys: Iterable[str]) -> dict[str, dict[str, int]]:
    return {k: {"old": old.get(k, 0), "new": new.get(k, 0), "delta": new.get(k, 0) - old.get(k, 0)} for k in keys}


def diff_manifests(old: Manifest, new: Manifest) -> dict[str, Any]:
    """Images added, removed (with the exclusion reason where there is one), relabelled and moved."""
    old_images = {r.id: r for r in old.records}
    new_images = {r.id: r for r in new.records}
    new_excluded = {e["id"]: e["reason"] if e.get("match", "requested image") == "requested image"
                    else f"{e['reason']} ({e['match']} of {e['request']})" for e in new.excluded}
    removed = [{"id": i, "label": old_images[i].label, "reason": new_excluded.get(i, "not in the new sources")}
               for i in sorted(set(old_images) - set(new_images))]
    common = sorted(set(old_images) & set(new_images))
    reviewed = {e["id"]: f"{e['reason']} ({e['date']})" for e in new.relabels}
    old_split = Counter(str(r.split) for r in old.records)
    new_split = Counter(str(r.split) for r in new.records)
    return {
        "old_version": old.version,
        "new_version": new.version,
        "added": sorted(set(new_images) - set(old_images)),
        "removed": removed,
        "relabelled": [{"id": i, "old": old_images[i].label, "new": new_images[i].label,
                        "reason": reviewed.get(i, "label changed in the sources")}
                       for i in common if old_images[i].label != new_images[i].label],
        "reviewed": len(new.relabels),
        "moved": [{"id": i, "old": old_images[i].split, "new": new_images[i].split}
                  for i in common if old_images[i].split != new_images[i].split],
        "per_class": _changes(old.class_counts(), new.class_counts(), CLASS_NAMES),
        "per_split": _changes(old_split, new_split, sorted(old_split | new_split)),
    }


def diff_releases(old_dir: str | Path, new_dir: str | Path) -> dict[str, Any]:
    """:func:`diff_manifests` of two release folders (their ``manifest.json``)."""
    return diff_manifests(read_manifest(old_dir), read_manifest(new_dir))


def changelog_markdown(diff: dict[str, Any]) -> str:
    """``CHANGELOG.md`` text for the new release."""
    lines = [f"# Changelog\n\n## {diff['new_version']} (since {diff['old_version']})\n",
             f"- {len(diff['added'])} images added, {len(diff['removed'])} removed, "
             f"{len(diff['relabelled'])} relabelled, {len(diff['moved'])} moved to another split.\n"]
    on_request = [r for r in diff["removed"] if r["reason"] != "not in the new sources"]
    if on_request:
        lines.append("\n### Removed on request\n\n| id | class | reason |\n|---|---|---|\n")
        lines += [f"| `{r['id']}` | {r['label']} | {r['reason']} |\n" for r in on_request]
    if diff["relabelled"] or diff.get("reviewed"):
        lines.append(f"\n### Relabelled\n\n{diff.get('reviewed', 0)} labels reviewed (relabels.csv), "
                     f"{len(diff['relabelled'])} changed.\n\n| id | was | now | reason |\n|---|---|---|---|\n")
        lines += [f"| `{r['id']}` | {r['old']} | {r['new']} | {r['reason']} |\n" for r in diff["relabelled"]]
    for kind in ("class", "split"):
        lines.append(f"\n### Per {kind}\n\n| {kind} | before | after | change |\n|---|---|---|---|\n")
        lines += [f"| {k} | {v['old']} | {v['new']} | {v['delta']:+d} |\n" for k, v in diff[f"per_{kind}"].items()]
    return "".join(lines)
