"""``metadata/exclusions.csv`` (``id,reason,date``): images removed on request, e.g. a takedown."""

from __future__ import annotations

import csv
import io
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np

from .dedup import NEAR_DUPLICATE_BITS, copies_of
from .errors import ConfigError
from .fingerprints import perceptual_hash
from .processing import parse_pixels
from .records import ImageRecord, Manifest, SkippedItem, SkipReason
from .store import ImageStore

_ID_RE = re.compile(r"^[0-9a-f]{16}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

logger = logging.getLogger(__name__)

#: How a removed image matched its request: the image itself (and its exact copies), or by perceptual hash.
REQUESTED, NEAR_DUPLICATE, MIRRORED, IN_GROUP = "requested image", "near-duplicate", "mirrored copy", "near-duplicate group"


def load_exclusions(path: Path | None, *, required: bool = False) -> dict[str, dict[str, str]]:
    """``id -> {"reason", "date", "line"}``; a missing file means none, unless the user named it (``required``)."""
    if path is None or (not required and not path.exists()):
        return {}
    if not path.is_file():
        msg = (f"exclusions file '{path}' does not exist; fix the path in [release] exclusions (or --exclusions), "
               "or write an empty one with the header id,reason,date.")
        raise ConfigError(msg, path=path, field="release.exclusions")
    out: dict[str, dict[str, str]] = {}
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"id", "reason", "date"} <= set(reader.fieldnames):
                msg = f"exclusions file '{path}' must start with the header id,reason,date, got {reader.fieldnames}."
                raise ConfigError(msg, path=path)
            for row in reader:
                image_id, reason, date = ((row.get(k) or "").strip() for k in ("id", "reason", "date"))
                if not _ID_RE.match(image_id) or not reason or not _DATE_RE.match(date):
                    msg = (f"exclusions file '{path}' line {reader.line_num}: expected a 16-hex-digit image id, a "
                           f"reason and a YYYY-MM-DD date, got '{image_id}', '{reason}', '{date}'.")
                    raise ConfigError(msg, path=path)
                out[image_id] = {"reason": reason, "date": date, "line": str(reader.line_num)}
    except UnicodeDecodeError as err:
        msg = f"exclusions file '{path}' is not UTF-8 text (byte {err.start}); save it as UTF-8 CSV."
        raise ConfigError(msg, path=path) from err
    except csv.Error as err:
        msg = f"exclusions file '{path}' is not valid CSV: {err}."
        raise ConfigError(msg, path=path) from err
    return out


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
    import pyarrow.parquet as pq
    from PIL import Image

    shards = sorted(str(p) for p in (release / "data").glob("*.parquet"))
    table = pq.ParquetDataset(shards, filters=[("id", "in", ids)]).read(columns=["id", "image"]) if shards else None
    return {} if table is None else {
        image_id: np.asarray(Image.open(io.BytesIO(image["bytes"])).convert("L"))
        for image_id, image in zip(table["id"].to_pylist(), table["image"].to_pylist(), strict=True)}


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
            hashes = (f"{perceptual_hash(image):016x}", f"{perceptual_hash(image[:, ::-1]):016x}")
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
