"""``datapackage.json`` and ``croissant.json`` by their own libraries; ``microe.csv`` against the parquet rows."""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..labels import CLASS_NAMES
from ..schemas import datapackage_v2_schema
from .facts import content_id_of, pixel_digest
from .loaded import MAX_LISTED, REBUILD, LoadedRelease, report_listed


@contextlib.contextmanager
def _fast_parquet() -> Iterator[None]:
    """Let frictionless read local parquet resources' raw cells straight from Arrow, a record batch at a time."""
    # frictionless's own route goes through pandas and a dict per cell (~0.25 ms a row); remote files keep it
    import pyarrow.parquet as pq
    from frictionless import system
    from frictionless.formats.parquet import ParquetControl, ParquetParser
    from frictionless.system import Plugin

    class ArrowParquetParser(ParquetParser):  # type: ignore[misc]
        def read_cell_stream_create(self) -> Any:
            if self.resource.remote:
                yield from super().read_cell_stream_create()
                return
            control = ParquetControl.from_dialect(self.resource.dialect)
            table = pq.read_table(self.resource.normpath, columns=control.columns, filters=control.filters or None)
            yield table.column_names
            for batch in table.to_batches(max_chunksize=4096):
                yield from map(list, zip(*(column.to_pylist() for column in batch.columns), strict=True))

    class ArrowParquetPlugin(Plugin):  # type: ignore[misc]
        def create_parser(self, resource: Any) -> Any:
            if resource.format in ("parq", "parquet"):
                return ArrowParquetParser(resource)
            return None

    system.register("microe-arrow-parquet", ArrowParquetPlugin())
    try:
        yield
    finally:
        system.deregister("microe-arrow-parquet")


def check_datapackage(release: LoadedRelease) -> None:
    """The v2 JSON Schema, ``frictionless validate``, and each resource's hash and size."""
    import jsonschema
    from frictionless import validate

    report = release.report
    descriptor = release.json("datapackage.json")
    if descriptor is None:
        return
    validator = jsonschema.Draft7Validator(datapackage_v2_schema())
    for err in sorted(validator.iter_errors(descriptor), key=lambda e: list(e.absolute_path)):
        where = " > ".join(["datapackage.json", *map(str, err.absolute_path)])
        report.error("datapackage-profile", where, f"not valid against the Data Package v2 profile: {err.message}.",
                     REBUILD)
    with _fast_parquet():
        result = validate(str(release.root / "datapackage.json"))
    for error in result.errors:
        report.error("frictionless", "datapackage.json", f"frictionless: {error.message}", REBUILD)
    for task in result.tasks:
        for error in task.errors[:MAX_LISTED]:
            row = getattr(error, "row_number", None)
            field = getattr(error, "field_name", None)
            where = " > ".join(str(p) for p in (task.name, f"row {row - 1}" if row else None, field) if p)
            report.error("frictionless", f"datapackage.json > {where}", f"frictionless: {error.message}", REBUILD)
    for number, resource in enumerate(descriptor.get("resources", [])):
        path = release.root / str(resource.get("path", ""))
        where = f"datapackage.json > resources > {number} ({resource.get('name')})"
        if not path.is_file():
            continue  # reported by frictionless and the checksum check
        digest = str(resource.get("hash", "")).removeprefix("sha256:")
        if digest != release.sha256(path):
            report.error("datapackage-hash", f"{where} > hash",
                         f"hash {digest[:16]}... does not match {resource.get('path')} ({release.sha256(path)[:16]}...).", REBUILD)
        if "bytes" in resource and resource["bytes"] != path.stat().st_size:
            report.error("datapackage-bytes", f"{where} > bytes",
                         f"bytes {resource['bytes']} but {resource.get('path')} has {path.stat().st_size}.", REBUILD)


def check_croissant(release: LoadedRelease) -> None:
    """Load the JSON-LD with mlcroissant, report its issues, count the ``examples`` records."""
    report = release.report
    if release.json("croissant.json") is None:
        return
    import mlcroissant as mlc

    logging.getLogger("absl").setLevel(logging.ERROR)
    try:
        dataset = mlc.Dataset(jsonld=str(release.root / "croissant.json"))
    except mlc.ValidationError as err:
        for line in str(err).splitlines():
            if line.strip().startswith("-"):
                report.error("croissant", "croissant.json", f"mlcroissant: {line.strip(' -')}", REBUILD)
        if not any(i.code == "croissant" for i in report.issues):
            report.error("croissant", "croissant.json", f"mlcroissant: {err}", REBUILD)
        return
    except Exception as err:  # noqa: BLE001 - any loader failure is a finding
        report.error("croissant", "croissant.json", f"mlcroissant cannot load it: {type(err).__name__}: {err}", REBUILD)
        return
    for warning in sorted(dataset.metadata.ctx.issues.warnings):
        report.warning("croissant", "croissant.json", f"mlcroissant: {warning}", REBUILD)
    where = "croissant.json > recordSet > examples"
    try:
        count = sum(1 for _ in dataset.records(record_set="examples"))
    except Exception as err:  # noqa: BLE001
        report.error("croissant-records", where, f"mlcroissant cannot read the records: {type(err).__name__}: {err}",
                     REBUILD)
        return
    if count != len(release.rows.ids):
        report.error("croissant-records", where,
                     f"mlcroissant yields {count} records, the parquet shards hold {len(release.rows.ids)}.", REBUILD)
    report.stats["croissant_records"] = count


#: Columns microe.csv must have for its rows to be compared with the parquet rows.
CSV_COLUMNS = ("index", "id", "label", "emotion", "pixels", "split", "source", "votes")

#: CSV rows whose pixel text is held as Python bytes at once (~8 KB each at 48x48).
PIXEL_CHUNK = 4096


def check_csv_matches_parquet(release: LoadedRelease) -> None:
    """Same ids, labels, splits, sources and pixels in ``microe.csv`` as in the parquet shards."""
    import pyarrow.csv as pcsv

    report = release.report
    path = release.root / "microe.csv"
    if not path.is_file():
        report.error("missing-file", "microe.csv", "microe.csv does not exist.", REBUILD)
        return
    try:
        table = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(
            column_types={"index": "int64", "emotion": "int64", "id": "string", "pixels": "binary", "votes": "string"}))
    except Exception as err:  # noqa: BLE001 - any parse failure is a finding
        report.error("csv-unreadable", "microe.csv", f"microe.csv cannot be parsed: {err}", REBUILD)
        return
    missing = [name for name in CSV_COLUMNS if name not in table.column_names]
    if missing:
        report.error("csv-columns", "microe.csv > header",
                     f"microe.csv lacks the column(s) {', '.join(missing)}; it needs {', '.join(CSV_COLUMNS)}.", REBUILD)
        return
    csv = {name: table.column(name).to_pylist() for name in CSV_COLUMNS if name != "pixels"}
    rows = release.rows
    at = {image_id: i for i, image_id in enumerate(rows.ids)}
    parquet_row: dict[int, int] = {}  # csv row -> parquet row, whose pixels to compare
    found_by_code: dict[str, list[tuple[str, str]]] = defaultdict(list)  # listed up to MAX_LISTED each, then counted
    for n, image_id in enumerate(csv["id"]):
        where = f"microe.csv > row {n + 1}"
        i = at.get(image_id)
        if i is None:
            found_by_code["csv-extra-row"].append((f"{where} > id", f"id '{image_id}' is in microe.csv but in no "
                                                   "parquet shard."))
            continue
        label = CLASS_NAMES[rows.labels[i]] if 0 <= rows.labels[i] < len(CLASS_NAMES) else rows.labels[i]
        votes = rows.votes[i]
        expected = {"label": label, "emotion": rows.labels[i], "split": rows.splits[i], "source": rows.sources[i],
                    "index": rows.index[i], "votes": "" if votes is None else " ".join(map(str, votes))}
        for column, value in expected.items():
            if csv[column][n] != value:
                found_by_code["csv-mismatch"].append((f"{where} > {column}", f"{column} is '{csv[column][n]}' in "
                                                      f"microe.csv but '{value}' in {rows.place(i)} (id {image_id})."))
        parquet_row[n] = i
    for image_id in sorted(set(rows.ids) - set(csv["id"])):
        found_by_code["csv-missing-row"].append((f"microe.csv > id {image_id}",
                                                 f"the image at {rows.place(at[image_id])} has no row in microe.csv."))
    size = release.image_size
    parsed: list[ParsedPixels] = []  # all rows first: the images may still be decoding in worker processes meanwhile
    for start in range(0, len(csv["id"]), PIXEL_CHUNK):
        parsed += parse_pixel_texts(table.column("pixels").slice(start, PIXEL_CHUNK).to_pylist(), size)
    for n, (found, image_id) in enumerate(zip(parsed, csv["id"], strict=True)):
        where = f"microe.csv > row {n + 1}"
        if found.problem:
            found_by_code["csv-pixels"].append((f"{where} > pixels",
                                                f"the pixel text does not parse: {found.problem}."))
            continue
        content_id = content_id_of(found.digest)
        if content_id != image_id:
            found_by_code["id-mismatch"].append((f"{where} > id", f"id '{image_id}' is not the content id of the "
                                                 f"row's pixels ('{content_id}')."))
        i = parquet_row.get(n)
        if i is None:
            continue
        facts = release.facts[i]
        if facts.is_release_image(size) and facts.pixel_digest != found.digest:
            found_by_code["csv-mismatch"].append((f"{where} > pixels", f"pixels differ from the image at "
                                                  f"{rows.place(i)} (its content id '{facts.content_id}', the CSV "
                                                  f"pixels' '{content_id}')."))
    for code, problems in found_by_code.items():
        report_listed(report, code, problems, "microe.csv", f"more such findings ({code}) in microe.csv.", REBUILD)
    report.stats["csv_rows"] = table.num_rows


@dataclass(frozen=True, slots=True)
class ParsedPixels:
    """One CSV row's pixel text: the :func:`~.facts.pixel_digest` of its pixels, or what is wrong."""

    digest: bytes = b""
    problem: str = ""


def parse_pixel_texts(texts: Sequence[bytes | None], size: int) -> list[ParsedPixels]:
    """Each row's pixel text parsed by numpy (as a user's script reads it) into ``size`` x ``size`` values, digested."""
    with warnings.catch_warnings():
        # numpy warns (a future error) where a text stops being numbers: make that an error now
        warnings.simplefilter("error", DeprecationWarning)
        return [_parse_pixels(text, size) for text in texts]


def _parse_pixels(text: bytes | None, size: int) -> ParsedPixels:
    count = size * size
    if not text:
        return ParsedPixels(problem="the pixel text is empty")
    try:
        values = np.fromstring(text, dtype=np.int64, sep=" ")
    except (ValueError, DeprecationWarning):
        bad = next((t for t in text.split() if not t.isdigit()), text[:20])
        return ParsedPixels(problem=f"'{bad.decode(errors='replace')}' is not a number")
    if len(values) != count:
        return ParsedPixels(problem=f"{len(values)} values, expected {size}x{size} = {count}")
    if values.min() < 0 or values.max() > 255:
        bad_value = values[(values < 0) | (values > 255)][0]
        return ParsedPixels(problem=f"values must be 0..255, found '{bad_value}'")
    if text.count(b" ") != count - 1:
        return ParsedPixels(problem="values are not separated by single spaces")
    return ParsedPixels(digest=pixel_digest(values.astype(np.uint8).tobytes(), size, size))
