"""``microe.csv``: FER2013-style, one row per image, readable with ``pandas.read_csv``."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..records import Manifest, SpillReader
from .common import HashingWriter

#: Columns, in order: FER2013's emotion + pixels, plus the release's own identifiers.
CSV_COLUMNS = ("index", "id", "label", "emotion", "pixels", "split", "source", "license")

#: Rows joined per write.
CHUNK = 1024


@lru_cache(maxsize=4096)
def _field(value: str) -> bytes:
    """One CSV field, quoted only where RFC 4180 needs it (free-text licences and names)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([value])
    return buf.getvalue().encode("utf-8")


@dataclass(frozen=True, slots=True)
class CsvJob:
    """Everything needed to write ``microe.csv``, as plain columns (cheap to send to a worker process).

    Row ``i`` is the record of index ``i``: its CSV fields before the pixels (``heads``), where its
    pixel text lies in the spill files (``files``, ``starts``, ``lengths``) and the fields after it
    (``tail_codes`` into ``tails``: split, source and licence repeat, so each distinct tail is made once).
    """

    path: str
    spill_paths: list[str]
    heads: list[bytes]
    files: list[int]
    starts: list[int]
    lengths: list[int]
    tails: list[bytes]
    tail_codes: list[int]


def csv_job(manifest: Manifest, out_dir: Path) -> CsvJob:
    """The :class:`CsvJob` of ``manifest``'s records (in index order) into ``out_dir/microe.csv``."""
    label_ids = {name: i for i, name in enumerate(manifest.class_names)}
    tails: dict[tuple[str, str, str], int] = {}
    heads, files, starts, lengths, codes = [], [], [], [], []
    for r in manifest.records:
        heads.append(b"%d,%s,%s,%d," % (r.index, r.id.encode(), r.label.encode(), label_ids[r.label]))
        files.append(r.blob_file)
        starts.append(r.blob_offset + r.blob_length)
        lengths.append(r.text_length)
        codes.append(tails.setdefault((r.split, r.source, r.license), len(tails)))
    tail_bytes = [b",%s,%s,%s\n" % (split.encode(), _field(source), _field(lic)) for split, source, lic in tails]
    return CsvJob(str(out_dir / "microe.csv"), [str(p) for p in manifest.blob_paths], heads, files, starts,
                  lengths, tail_bytes, codes)


def run_csv_job(job: CsvJob) -> str:
    """Write the CSV of ``job`` (runs in a worker process during a build); returns its sha256."""
    from .common import remember_sha256

    with SpillReader([Path(p) for p in job.spill_paths]) as spill, HashingWriter(Path(job.path)) as handle:
        handle.write(",".join(CSV_COLUMNS).encode() + b"\n")
        for lo in range(0, len(job.heads), CHUNK):
            hi = min(lo + CHUNK, len(job.heads))
            lines: list[bytes] = []
            for i in range(lo, hi):
                lines += (job.heads[i], spill.read(job.files[i], job.starts[i], job.lengths[i]),
                          job.tails[job.tail_codes[i]])
            handle.write(b"".join(lines))
    return remember_sha256(Path(job.path))


def write_csv(manifest: Manifest, out_dir: Path) -> list[Path]:
    """Write ``microe.csv`` in index order; returns the file written.

    The pixel text was made by the processing workers (in parallel) and waits in the spill files.
    """
    job = csv_job(manifest, out_dir)
    run_csv_job(job)
    return [Path(job.path)]
