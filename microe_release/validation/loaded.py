"""A release's files read once, for every check to share."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from ..errors import ValidationError
from .facts import ImageFacts, facts_from_columns, image_facts, image_facts_ray, shard_facts
from .report import ValidationReport

#: The fix for most findings.
REBUILD = "rebuild the release with `microe build`."

#: Rows of a shard one worker-process task decodes (whole row groups, about this many rows).
DECODE_TASK_ROWS = 8192

#: Findings listed one by one before the rest are counted.
MAX_LISTED = 20


def image_size_of(build_report: Any) -> int:
    """The image side build-report.json states (48 when it does not)."""
    size = build_report.get("image_size") if isinstance(build_report, dict) else None
    return size if isinstance(size, int) and size > 0 else 48


def report_listed(report: ValidationReport, code: str, problems: list[tuple[str, str]], where: str, more: str,
                  fix: str) -> None:
    """Record the first :data:`MAX_LISTED` ``(where, message)`` problems as errors, then one counting the rest."""
    for place, message in problems[:MAX_LISTED]:
        report.error(code, place, message, fix)
    if len(problems) > MAX_LISTED:
        report.error(code, where, f"{len(problems) - MAX_LISTED} {more}", fix)


@dataclass
class ParquetRows:
    """Every parquet row, in file order, with the file and row it came from."""

    ids: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    index: list[int] = field(default_factory=list)
    splits: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    images: list[bytes] = field(default_factory=list)
    votes: list[list[int] | None] = field(default_factory=list)  # annotators' votes per class (None: none)
    where: list[tuple[str, int]] = field(default_factory=list)  # (file, row within file)
    files: list[Path] = field(default_factory=list)  # the shards read, in order

    def place(self, i: int) -> str:
        """Where row ``i`` is: ``file > row n``."""
        file, row = self.where[i]
        return f"{file} > row {row}"


class LoadedRelease:
    """Lazy access to a release folder's files; read errors become issues, not exceptions."""

    def __init__(self, root: Path, report: ValidationReport, *, engine: str = "local",
                 ray_address: str | None = None) -> None:
        self.root = root
        self.report = report
        self.engine = engine
        self.ray_address = ray_address
        self._json: dict[str, Any] = {}
        self._sha256: dict[str, str] = {}
        # per shard: the facts of some of its row groups, as columns
        self._decoding: dict[Path, list[Future[dict[str, list[Any]]]]] | None = None

    def decode_in(self, pool: Executor) -> None:
        """Decode the images in ``pool``'s worker processes from now on (each task reads its own row groups)."""
        import pyarrow.parquet as pq

        try:  # not self.json: a bad build-report.json is reported by the checks, not here
            size = image_size_of(json.loads((self.root / "build-report.json").read_text(encoding="utf-8")))
        except (OSError, ValueError):
            size = 48
        self._decoding = {}
        for path in self.shards:
            try:
                meta = pq.read_metadata(path)
            except Exception:  # noqa: BLE001 - reported when the rows are read
                continue
            tasks: list[list[int]] = []
            rows = DECODE_TASK_ROWS
            for group in range(meta.num_row_groups):
                if rows >= DECODE_TASK_ROWS:
                    tasks.append([])
                    rows = 0
                tasks[-1].append(group)
                rows += meta.row_group(group).num_rows
            self._decoding[path] = [pool.submit(shard_facts, str(path), size, task) for task in tasks]

    def sha256(self, path: Path) -> str:
        """The sha256 of a file's bytes, read once per validation (never from the build, nor cached by size or time)."""
        key = str(path)
        if key not in self._sha256:
            with path.open("rb") as handle:
                self._sha256[key] = hashlib.file_digest(handle, "sha256").hexdigest()
        return self._sha256[key]

    def json(self, name: str) -> Any:
        """A JSON file's content, or None (with an issue) when missing or invalid."""
        if name in self._json:
            return self._json[name]
        self._json[name] = None
        path = self.root / name
        if not path.is_file():
            self.report.error("missing-file", name, f"{name} does not exist.", REBUILD)
            return None
        try:
            self._json[name] = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            self.report.error("invalid-json", name, f"{name} is not valid JSON: {err}.",
                              "rebuild the release, or repair the file by hand and update SHA256SUMS.")
        return self._json[name]

    @cached_property
    def card_text(self) -> str | None:
        """The dataset card (README.md) as text, or None when there is none (reported by :attr:`card`)."""
        path = self.root / "README.md"
        return path.read_text(encoding="utf-8") if path.is_file() else None

    @cached_property
    def card(self) -> dict[str, Any] | None:
        """The dataset card's YAML header, or None (with an issue)."""
        text = self.card_text
        if text is None:
            self.report.error("missing-file", "README.md", "README.md (the dataset card) does not exist.", REBUILD)
            return None
        if not text.startswith("---\n") or "\n---\n" not in text[4:]:
            self.report.error("card-yaml", "README.md", "the card has no YAML header between '---' lines.",
                              "rebuild the release.")
            return None
        try:
            header = yaml.safe_load(text[4:text.index("\n---\n", 4)])
        except yaml.YAMLError as err:
            self.report.error("card-yaml", "README.md > YAML", f"the card's YAML does not parse: {err}.",
                              "rebuild the release.")
            return None
        if not isinstance(header, dict):
            self.report.error("card-yaml", "README.md > YAML", "the card's YAML is not a mapping.", "rebuild the release.")
            return None
        return header

    @cached_property
    def shards(self) -> list[Path]:
        """The parquet shards."""
        return sorted((self.root / "data").glob("*.parquet"))

    @cached_property
    def rows(self) -> ParquetRows:
        """All parquet rows; unreadable shards are reported and skipped."""
        import pyarrow.parquet as pq

        rows = ParquetRows()
        # with --engine ray or a decoding pool the images are read there, never by this process
        here = self.engine == "local" and self._decoding is None
        for path in self.shards:
            rel = path.relative_to(self.root).as_posix()
            split = path.name.split("-", 1)[0]
            try:
                names = pq.read_schema(path).names
                table = pq.read_table(path, columns=[c for c in names if c != "image" or here])
            except Exception as err:  # noqa: BLE001 - any pyarrow failure is a finding
                self.report.error("parquet-unreadable", rel, f"{rel} cannot be read as parquet: {err}.",
                                  "rebuild the release; the file is damaged.")
                continue
            missing = [c for c in ("image", "label", "id", "index", "source") if c not in names]
            if missing:
                self.report.error("parquet-schema", rel, f"{rel} lacks column(s) {missing}.", "rebuild the release.")
                continue
            if here:
                rows.images += table.column("image").combine_chunks().field("bytes").to_pylist()
            rows.files.append(path)
            rows.ids += table.column("id").to_pylist()
            rows.labels += table.column("label").to_pylist()
            rows.index += table.column("index").to_pylist()
            rows.sources += table.column("source").to_pylist()
            rows.votes += table.column("votes").to_pylist() if "votes" in names else [None] * table.num_rows
            rows.splits += [split] * table.num_rows
            rows.where += [(rel, i) for i in range(table.num_rows)]
        return rows

    @cached_property
    def facts(self) -> list[ImageFacts]:
        """What the checks need of every parquet image, in row order (see :mod:`.facts`)."""
        if self.engine == "ray":
            facts = image_facts_ray(self.rows.files, self.image_size, address=self.ray_address)
            if len(facts) != len(self.rows.ids):
                msg = f"Ray read {len(facts)} images from {len(self.rows.files)} shards holding {len(self.rows.ids)} rows."
                raise ValidationError(msg)
            return facts
        if self._decoding is None:
            return image_facts(self.rows.images, self.image_size)
        # the images of decode_in; the rows were read without them, so a damaged image column shows here
        counts = Counter(file for file, _ in self.rows.where)
        out: list[ImageFacts] = []
        for path in self.rows.files:
            rel = path.relative_to(self.root).as_posix()
            rows = counts[rel]
            try:
                if path in self._decoding:
                    facts = [f for future in self._decoding[path] for f in facts_from_columns(future.result())]
                else:  # not readable when the tasks were made, readable now: decode it here
                    facts = facts_from_columns(shard_facts(str(path), self.image_size))
            except Exception as err:  # noqa: BLE001 - any pyarrow failure is a finding
                self.report.error("parquet-unreadable", f"{rel} > image", f"the images of {rel} cannot be read: {err}.",
                                  "rebuild the release; the file is damaged.")
                facts = [ImageFacts(shape=None)] * rows
            if len(facts) != rows:
                msg = f"{len(facts)} images decoded from {rel}, which holds {rows} rows; was it rewritten during validation?"
                raise ValidationError(msg)
            out += facts
        return out

    @cached_property
    def image_size(self) -> int:
        """The release's image side, from build-report.json (48 when it cannot be read)."""
        return image_size_of(self.json("build-report.json"))
