"""``manifest.json``: the release's :class:`~microe_release.records.Manifest`, saved and read back."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import ReleaseFormatError
from ..metadata import parse_metadata
from ..records import ImageRecord, Manifest, SkippedItem, SkipReason
from .common import write_text

#: The file, in the release folder.
MANIFEST_FILE = "manifest.json"

#: What ``"format"`` says; ``format_version`` changes when a reader of the old form could misread the new.
FORMAT, FORMAT_VERSION = "microe-release manifest", 1

#: Fields of each record row, in order.
RECORD_FIELDS = ("index", "id", "label", "split", "group", "source", "source_ref", "license", "subject",
                 "fixed_split", "phash", "orig_width", "orig_height", "orig_mode", "orig_rgb", "votes")


def write_manifest(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Write ``manifest.json`` (one record per line: diffs between versions stay readable)."""
    head = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "record_fields": list(RECORD_FIELDS),
        "name": manifest.name, "version": manifest.version, "image_size": manifest.image_size, "seed": manifest.seed,
        "config_hash": manifest.config_hash, "doi": manifest.doi, "concept_doi": manifest.concept_doi,
        "class_names": list(manifest.class_names), "split_names": list(manifest.split_names),
        "dataset_metadata": manifest.metadata.raw, "sources": list(manifest.sources), "changelog": manifest.changelog,
        "skipped": [s.to_dict() for s in manifest.skipped], "duplicates": list(manifest.duplicates),
        "near_duplicate_groups": [list(g) for g in manifest.near_duplicate_groups], "excluded": list(manifest.excluded),
    }
    if manifest.takedowns:  # absent when there are none: older readers, and releases without any, unchanged
        head["takedowns"] = list(manifest.takedowns)
    if manifest.audit is not None:
        head["audit"] = manifest.audit
    if manifest.relabels:
        head["relabels"] = list(manifest.relabels)
    text = json.dumps(head, indent=1, sort_keys=True, ensure_ascii=False)  # the records follow, one per line
    # phash as hex text: a 64-bit integer is not exact in every JSON reader
    rows = ",\n".join(json.dumps([f"{r.phash:016x}" if name == "phash" else getattr(r, name) for name in RECORD_FIELDS],
                                 ensure_ascii=False, separators=(",", ":")) for r in manifest.records)
    return [write_text(out_dir / MANIFEST_FILE, f'{text[:-2]},\n "records": [\n{rows}\n ]\n}}\n')]


def read_manifest(release_dir: str | Path) -> Manifest:
    """The :class:`Manifest` a release was built with; :class:`ReleaseFormatError` when it has no readable one."""
    path = Path(release_dir) / MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        msg = (f"'{release_dir}' has no {MANIFEST_FILE}: it is not a release folder written by `microe build`, "
               "or one written before releases carried a manifest.")
        raise ReleaseFormatError(msg, path=path) from err
    except (OSError, ValueError) as err:
        msg = f"'{path}' cannot be read as JSON ({err})."
        raise ReleaseFormatError(msg, path=path) from err
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("format_version") != FORMAT_VERSION:
        found = (data.get("format"), data.get("format_version")) if isinstance(data, dict) else type(data).__name__
        msg = f"'{path}' is not a {FORMAT} version {FORMAT_VERSION} (found {found})."
        raise ReleaseFormatError(msg, path=path)
    records = []
    for row in data["records"]:
        values = dict(zip(data["record_fields"], row, strict=True))
        values["phash"] = int(values["phash"], 16)
        for name in ("orig_rgb", "votes"):  # JSON lists back to tuples (a manifest from before votes has none)
            values[name] = tuple(values[name]) if values.get(name) is not None else None
        votes = values["votes"]
        if votes is not None and (len(votes) != len(data["class_names"]) or
                                  not all(isinstance(v, int) and v >= 0 for v in votes)):
            msg = (f"'{path}': the votes {list(votes)} of image {values.get('id')} are not one count >= 0 per class; "
                   "run `microe validate` on the release, and rebuild it with `microe build`.")
            raise ReleaseFormatError(msg, path=path)
        records.append(ImageRecord(**values))
    return Manifest(
        name=data["name"], version=data["version"], image_size=data["image_size"],
        class_names=tuple(data["class_names"]), split_names=tuple(data["split_names"]), records=tuple(records),
        skipped=tuple(SkippedItem(**{**s, "reason": SkipReason(s["reason"])}) for s in data["skipped"]),
        duplicates=tuple(data["duplicates"]), excluded=tuple(data["excluded"]),
        takedowns=tuple(data.get("takedowns", [])), audit=data.get("audit"),
        relabels=tuple(data.get("relabels", [])), sources=tuple(data["sources"]),
        near_duplicate_groups=tuple(tuple(g) for g in data["near_duplicate_groups"]), changelog=data["changelog"],
        metadata=parse_metadata(data["dataset_metadata"]), seed=data["seed"],
        config_hash=data["config_hash"], doi=data["doi"], concept_doi=data["concept_doi"],
    )
