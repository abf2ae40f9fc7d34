"""``microe build``: sources -> processed, de-duplicated, split, indexed release folder."""

from __future__ import annotations

import contextlib
import importlib.metadata
import logging
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

from .config import ReleaseConfig
from .dedup import GROUP_STEPS, assign_groups, merge_exact_duplicates
from .diff import changelog_markdown, diff_manifests
from .distributed import check_engine
from .errors import ConfigError, OutputExistsError, SkippedItemError, SplitError
from .exclusions import load_exclusions, take_down
from .labels import CLASS_NAMES
from .licenses import get_license
from .metadata import DatasetMetadata, load_metadata
from .outdir import locked_output, prepare_staging, swap_into_place
from .parallel import process_batches
from .processing import Refused
from .progress import finish_bar, progress_bar
from .records import ImageRecord, Manifest, SkippedItem, SkipReason, SourceItem
from .relabels import apply_relabels, load_relabels
from .sources import count_source_items, get_source_format
from .splitting import assign_splits
from .store import ImageStore
from .workers import stop_requested, worker_pool
from .writers.manifest import read_manifest

logger = logging.getLogger(__name__)


def _strict_error(item: SkippedItem) -> SkippedItemError:
    msg = (
        f"--strict: source '{item.source}' > {item.source_ref}: {item.reason.value}"
        f"{' (' + item.detail + ')' if item.detail else ''}. Fix or remove the item, or build without --strict "
        f"to skip and report it."
    )
    return SkippedItemError(msg, source=item.source, source_ref=item.source_ref, reason=item.reason.value)


def _iter_source_items(config: ReleaseConfig, skipped: list[SkippedItem], strict: bool,
                       seen: dict[str, int], counted: Callable[[int], object]) -> Iterator[SourceItem]:
    for source in config.sources:
        adapter = get_source_format(source.format)
        seen[source.name] = 0
        for found in adapter.iter_items(source):
            seen[source.name] += 1
            if isinstance(found, SkippedItem):
                if strict:
                    raise _strict_error(found)
                skipped.append(found)
                counted(1)  # on the decode bar, whose total counts every item of the sources
            else:
                yield found


def _check_out_dir(out_dir: Path, config: ReleaseConfig) -> None:
    """Refuse an ``--out`` that is or holds the user's own files (replacing it would delete them)."""
    inputs = [("the current folder", Path.cwd()), ("your home folder", Path.home())]
    inputs += [(f"the {what}", path) for what, path in (("config file", config.config_path),
                                                          ("metadata file", config.metadata),
                                                          ("exclusions file", config.exclusions_path),
                                                          ("relabels file", config.relabels_path))
               if path is not None]
    inputs += [(f"source '{s.name}'", s.path) for s in config.sources if get_source_format(s.format).NEEDS_PATH]
    for what, path in inputs:
        path = path.resolve()
        if path == out_dir or out_dir in path.parents:
            msg = (f"--out '{out_dir}' holds {what} ('{path}'); a build replaces its --out folder, which would "
                   f"delete it. Choose a new folder, e.g. --out '{out_dir / 'release'}'.")
            raise OutputExistsError(msg, path=out_dir)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("-", 1)[0].split("+", 1)[0].split("."))


def _previous_release(previous: str | Path, config: ReleaseConfig) -> Manifest:
    """The ``--previous`` release's manifest, which must be an older version than this build's."""
    old = read_manifest(previous)
    if _version_key(old.version) >= _version_key(config.version):
        msg = (f"--previous '{previous}' is version {old.version}, not older than this build's {config.version}; "
               "give the release this one follows, or raise the version in release.toml (or --version).")
        raise ConfigError(msg, field="previous")
    return old


def collect_records(
    config: ReleaseConfig, store: ImageStore, *, strict: bool, workers: int | None, progress: bool,
    engine: str = "local", ray_address: str | None = None, pool: ProcessPoolExecutor | None = None,
) -> tuple[list[ImageRecord], list[SkippedItem], dict[str, int]]:
    """Records, skipped items and items seen per source, of every source item; the bytes go to ``store``."""
    skipped: list[SkippedItem] = []
    seen: dict[str, int] = {}
    records: list[ImageRecord] = []
    bar = progress_bar(total=count_source_items(config.sources) if progress else None, desc="decode", unit="img",
                       enabled=progress)
    items = _iter_source_items(config, skipped, strict, seen, bar.update)
    if engine == "ray":
        from .parallel import process_batches_ray

        batches = process_batches_ray(items, size=config.image_size, workers=workers, address=ray_address)
    else:
        batches = process_batches(items, size=config.image_size, workers=workers, pool=pool, sink=store.sink())
    with bar:
        for batch, packed in batches:
            packed.store_into(store)
            for item, result in zip(batch, packed.results, strict=True):
                if isinstance(result, Refused):
                    refused = SkippedItem(source=item.source, source_ref=item.source_ref, reason=result.reason,
                                          detail=result.detail)
                    if strict:
                        raise _strict_error(refused)
                    skipped.append(refused)
                    continue
                if min(result.orig_width, result.orig_height) < config.min_size:
                    small = SkippedItem(source=item.source, source_ref=item.source_ref, reason=SkipReason.TOO_SMALL,
                                        detail=f"{result.orig_width}x{result.orig_height} px, under min_size "
                                               f"{config.min_size} ([release] min_size = 0 keeps every size)")
                    if strict:
                        raise _strict_error(small)
                    skipped.append(small)
                    continue
                records.append(ImageRecord(
                    id=result.id, label=item.label, source=item.source, source_ref=item.source_ref,  # type: ignore[arg-type]
                    license=item.license, subject=item.subject, fixed_split=item.split, phash=result.phash,  # type: ignore[arg-type]
                    orig_width=result.orig_width, orig_height=result.orig_height, orig_mode=result.orig_mode,
                    orig_rgb=result.orig_rgb, votes=item.votes))
            bar.update(len(batch))
            stop_requested()
        finish_bar(bar)
    return records, skipped, seen


def _assemble(config: ReleaseConfig, records: list[ImageRecord], skipped: list[SkippedItem], seen: dict[str, int],
              *, strict: bool, old: Manifest | None, metadata: DatasetMetadata, exclusions: dict[str, dict[str, str]],
              relabels: dict[str, dict[str, str]], store: ImageStore, previous: Path | None = None,
              progress: bool = False) -> Manifest:
    """The global stage: exact duplicates, exclusions, groups, splits and indexes over small records."""
    dedup_bar = progress_bar(total=GROUP_STEPS + 1, desc="dedup", unit="step", enabled=progress)
    # takedowns first: an image taken down is recorded as such, whatever else is wrong with it
    records, on_request, excluded, takedowns = take_down(records, exclusions, store, old, previous)
    skipped.extend(on_request)
    records, reviewed = apply_relabels(records, relabels)  # before merging: a relabel also settles a conflict
    records, conflicts, merged = merge_exact_duplicates(records)
    dedup_bar.update(1)
    if strict and conflicts:
        raise _strict_error(conflicts[0])
    skipped.extend(conflicts)
    if old is not None:  # images of the previous version keep their split: versions stay comparable
        earlier = {r.id: r.split for r in old.records}
        records = [replace(r, fixed_split=earlier[r.id]) if r.id in earlier else r for r in records]
    if not records:  # nothing to split, and no release folder to hold build-report.json: say why here
        reasons = Counter(item.reason.value for item in skipped)
        listed = ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items())) or "none found"
        msg = (f"no image survived processing ({len(skipped)} source items left out: {listed}); fix the sources or "
               "their keys in release.toml (`microe build --strict` stops at the first item left out, with its place).")
        raise SplitError(msg)
    with dedup_bar:
        groups, near_groups = assign_groups(records, progress=dedup_bar.update)
    with progress_bar(total=len(records), desc="split", unit="img", enabled=progress) as split_bar:
        splits = assign_splits(records, groups, ratios=config.splits, split_names=config.split_names,
                               class_names=CLASS_NAMES, seed=config.seed, progress=split_bar.update)
    # records are in id order, so the index is the position
    placed = tuple(replace(record, index=i, group=group, split=split)  # type: ignore[arg-type]  # configured names
                   for i, (record, group, split) in enumerate(zip(records, groups, splits, strict=True)))
    manifest = Manifest(
        name=config.name, version=config.version, image_size=config.image_size, class_names=CLASS_NAMES,
        split_names=config.split_names, records=placed,  # type: ignore[arg-type]  # checked names
        skipped=tuple(sorted(skipped, key=lambda s: (s.source, s.source_ref, s.reason.value))),
        duplicates=tuple(merged), near_duplicate_groups=tuple(tuple(g) for g in sorted(sorted(g) for g in near_groups)),
        sources=tuple({"name": s.name, "format": s.format, "license": s.license, "url": s.url,
                       "items_seen": seen.get(s.name, 0)} for s in config.sources),
        seed=config.seed, config_hash=config.config_hash, excluded=tuple(excluded), takedowns=tuple(takedowns),
        relabels=tuple(reviewed),
        metadata=metadata,
    )
    if old is not None:
        manifest = replace(manifest, changelog=changelog_markdown(diff_manifests(old, manifest)))
    return manifest


def build_release(
    config: ReleaseConfig,
    out_dir: str | Path,
    *,
    force: bool = False,
    strict: bool = False,
    workers: int | None = None,
    images: bool = False,
    progress: bool = False,
    previous: str | Path | None = None,
    engine: str = "local",
    ray_address: str | None = None,
) -> Manifest:
    """Build a release folder from ``config``'s sources.

    Parameters
    ----------
    config : ReleaseConfig
        From :func:`microe_release.load_config` or :func:`microe_release.demo_config`.
    out_dir : str or Path
        The release folder, written atomically (a staging folder renamed at the end).
    force : bool
        Replace a non-empty ``out_dir``.
    strict : bool
        Raise :class:`SkippedItemError` on the first item that would be skipped.
    workers : int, optional
        Processes for decoding (default: all cores).
    images : bool
        Also write ``images/{split}/{label}/{id}.png``.
    progress : bool
        Show progress bars on stderr.
    previous : str or Path, optional
        The previous (older) release: its splits are kept and ``CHANGELOG.md`` is written.
    engine : {"local", "ray"}
        A process pool here, or Ray Data tasks (docs/scale-out.md); the files are the same.
    ray_address : str, optional
        A Ray cluster to join with ``engine="ray"`` (default: a local Ray with ``workers`` CPUs).

    Returns
    -------
    Manifest
        What was written (records, skipped items, counts).

    Raises
    ------
    ConfigError, SourceError, SkippedItemError, OutputExistsError, OutputLockedError, WriteError

    Examples
    --------
    >>> from microe_release import build_release, demo_config
    >>> manifest = build_release(demo_config(count=16), "/tmp/microe-doctest", force=True, workers=1)
    >>> sum(manifest.split_counts().values()) == len(manifest.records)
    True
    """
    from .writers import write_release_files

    check_engine(engine)
    out_dir = Path(out_dir).resolve()
    _check_out_dir(out_dir, config)
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        # the pool first: it forks best before any thread starts
        pool = stack.enter_context(worker_pool(workers)) if engine == "local" else None
        metadata = load_metadata(config.metadata)
        get_license(metadata.license).text(beside=config.metadata.parent if config.metadata else None)  # fail early
        exclusions = load_exclusions(config.exclusions_path, required=config.exclusions is not None)  # fail early
        relabels = load_relabels(config.relabels_path, required=config.relabels is not None)
        old = _previous_release(previous, config) if previous is not None else None
        if metadata.version != config.version:
            logger.warning("dataset.yaml says version %s, the release is built as %s (release.toml or --version); "
                           "make them agree", metadata.version, config.version)
        stack.enter_context(locked_output(out_dir))
        staging = prepare_staging(out_dir, force)
        spill = staging.with_name(staging.name + ".spill")  # beside the release, never in it
        try:
            with ImageStore(spill) as store:
                records, skipped, seen = collect_records(
                    config, store, strict=strict, workers=workers, progress=progress, engine=engine,
                    ray_address=ray_address, pool=pool)
                processed = time.perf_counter()
                manifest = _assemble(config, records, skipped, seen, strict=strict, old=old, exclusions=exclusions,
                                     relabels=relabels, metadata=metadata, store=store,
                                     previous=Path(previous) if previous is not None else None, progress=progress)
                grouped = time.perf_counter()
                write_release_files(manifest, staging, store, images=images, progress=progress,
                                    tool_version=importlib.metadata.version("microe-release"))
            stop_requested()
            swap_into_place(staging, out_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        finally:
            shutil.rmtree(spill, ignore_errors=True)
    manifest = replace(manifest, timings={"process": processed - started, "global": grouped - processed,
                                          "write": time.perf_counter() - grouped})
    logger.info("built %d images into %s (%d skipped)", len(records), out_dir, len(manifest.skipped))
    return manifest
