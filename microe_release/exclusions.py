"""``metadata/exclusions.csv`` (``id,reason,date``): images removed on request, e.g. a takedown."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from .dedup import NEAR_DUPLICATE_BITS, copies_of
from .fingerprints import perceptual_hash
from .processing import parse_pixels
from .records import ImageRecord, Manifest, SkippedItem, SkipReason
from .shards import decode_gray, read_shards
from .store import ImageStore
from .usercsv import read_rows

logger = logging.getLogger(__name__)

#: How a removed image matched its request: the image itself (and its exact copies), or by perceptual hash.
REQUESTED, NEAR_DUPLICATE, MIRRORED, IN_GROUP = "requested image", "near-duplicate", "mirrored copy", "near-duplicate group"


def load_exclusions(path: Path | None, *, required: bool = False) -> dict[str, dict[str, str]]:
    """``id -> {"reason", "date", "line"}``; a missing file means none, unless the user named it (``required``)."""
    rows = read_rows(path, what="exclusions", columns=("id", "reason", "date"), required=required,
                     option=" (or --exclusions)", expect="a 16-hex-digit image id, a reason and a YYYY-MM-DD date")
    return {row["id"]: {"reason": row["reason"], "date": row["date"], "line": str(line)} for line, row in rows}


def apply_exclusions(
    records: list[ImageRecord], requests: dict[str, dict[str, str]], matches: dict[int, tuple[str, str, int]]
) -> tuple[list[ImageRecord], list[SkippedItem], list[dict[str, Any]]]:
    """Drop the matched images (``index -> (request id, how it matched, bits apart)``): (kept, skipped, removals)."""
    kept, skipped, excluded = [], [], []
    for i, record in enumerate(records):
        if i not in matches:
            kept.append(record)
            continue
        request_id, match, bits = matches[i]
        entry = requests[request_id]
        how = "" if match == REQUESTED else f", {match} of {request_id} ({bits} bits apart)"
        skipped.append(SkippedItem(source=record.source, source_ref=record.source_ref,
                                   reason=SkipReason.EXCLUDED_ON_REQUEST,
                                   detail=f"id {record.id}{how}: {entry['reason']} ({entry['date']})"))
        excluded.append({"id": record.id, "reason": entry["reason"], "date": entry["date"], "source": record.source,
                         "source_ref": record.source_ref, "request": request_id, "match": match, "bits": bits})
    found = {e["request"] for e in excluded}
    for image_id in sorted(i for i, entry in requests.items() if "line" in entry and i not in found):
        logger.warning("exclusions line %s: id %s matches no image of this build, nor a copy of it (already gone, "
                       "or a typo?)", requests[image_id]["line"], image_id)
    return kept, skipped, sorted(excluded, key=lambda e: (e["request"], e["id"], e["source"], e["source_ref"]))


def _release_pixels(release: Path, ids: list[str]) -> dict[str, np.ndarray]:
    """The processed pixels of ``ids`` in an earlier release's parquet shards."""
    table = read_shards(release, ["id", "image"], ids=ids)
    return dict(zip(table.column("id").to_pylist(), decode_gray(table), strict=True))


def take_down(records: list[ImageRecord], exclusions: dict[str, dict[str, str]], store: ImageStore,
               old: Manifest | None, previous: Path | None) -> tuple[list[ImageRecord], list[SkippedItem],
                                                                     list[dict[str, Any]], list[dict[str, Any]]]:
    """Remove each requested image and every copy the perceptual hash finds (its near-duplicate group, and that of
    its mirror image), in every source; requests of ``old`` stay in force. Also returns the requests."""
    requests = {t["id"]: {"reason": t["reason"], "date": t["date"]} for t in (old.takedowns if old else ())}
    requests.update(exclusions)
    if not requests:
        return records, [], [], []
    by_id = {r.id: r for r in records}
    known = {t["id"]: t for t in (old.takedowns if old else ()) if t.get("phash")}
    missing = sorted(i for i in requests if i not in by_id and i not in known)
    pixels = _release_pixels(previous, missing) if previous is not None and missing else {}
    takedowns, seeds, owners = [], [], []
    for image_id, request in sorted(requests.items()):
        if image_id in by_id or image_id in pixels:
            image = parse_pixels(store.text(image_id).decode()) if image_id in by_id else pixels[image_id]
            own = by_id[image_id].phash if image_id in by_id else perceptual_hash(image)  # the build's own hash
            hashes = (f"{own:016x}", f"{perceptual_hash(image[:, ::-1]):016x}")
        else:
            hashes = (known[image_id]["phash"], known[image_id]["mirror_phash"]) if image_id in known else (None, None)
        takedowns.append({"id": image_id, "reason": request["reason"], "date": request["date"],
                          "phash": hashes[0], "mirror_phash": hashes[1]})
        if hashes[0] is not None:
            seeds += [int(h, 16) for h in hashes]
            owners += [(image_id, NEAR_DUPLICATE), (image_id, MIRRORED)]
    copies = copies_of([r.phash for r in records], seeds) if seeds else {}
    matches = {}
    for i, record in enumerate(records):
        if record.id in requests:
            matches[i] = (record.id, REQUESTED, 0)
        elif i in copies:
            seed, bits = copies[i]
            matches[i] = (owners[seed][0], owners[seed][1] if bits <= NEAR_DUPLICATE_BITS else IN_GROUP, bits)
    return (*apply_exclusions(records, requests, matches), takedowns)
