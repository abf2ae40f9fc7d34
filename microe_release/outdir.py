"""A build's output folder: one build at a time per ``--out``, a staging folder beside it, the final swap,
and whatever a killed build left behind (issue 20)."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import OutputExistsError, OutputLockedError, WriteError

logger = logging.getLogger(__name__)

#: Names of what a build keeps beside ``--out`` while it runs: ``.NAME.partial-PID`` (the release being
#: written), ``.NAME.partial-PID.spill`` (its image store), ``.NAME.old-PID`` (the release being replaced).
_LEFTOVER = re.compile(r"\.(?P<name>.+)\.(?P<kind>partial|old)-(?P<pid>\d+)(?P<spill>\.spill)?")


def staging_path(out_dir: Path) -> Path:
    """Where this process writes the release before the swap."""
    return out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"


@contextlib.contextmanager
def locked_output(out_dir: Path) -> Iterator[None]:
    """Hold ``--out``'s lock for the block; first finish or undo an interrupted swap and remove leftovers.

    Raises :class:`OutputLockedError` at once when another build holds the lock.
    """
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        msg = f"cannot create the folder of --out '{out_dir}': {err}; check permissions and free space."
        raise WriteError(msg, path=out_dir) from err
    lock_path = out_dir.parent / f".{out_dir.name}.lock"
    lock = FileLock(lock_path)
    try:
        lock.acquire(timeout=0)
    except Timeout as err:
        msg = (f"another build is writing '{out_dir}' (it holds '{lock_path}'); wait for it to finish, "
               "or choose another --out.")
        raise OutputLockedError(msg, path=out_dir) from err
    try:
        _recover(out_dir)
        yield
    finally:
        lock_path.unlink(missing_ok=True)  # still held: a build that opens it now finds a new file, free
        lock.release()


def _leftovers(out_dir: Path) -> list[tuple[Path, re.Match[str]]]:
    found = []
    for path in out_dir.parent.iterdir():
        match = _LEFTOVER.fullmatch(path.name)
        if match and match["name"] == out_dir.name:
            found.append((path, match))
    return sorted(found)


def _recover(out_dir: Path) -> None:
    """Under the lock every leftover is a dead build's: finish its swap, or put the old release back; then clean."""
    leftovers = _leftovers(out_dir)
    if not out_dir.exists():
        for old, match in leftovers:
            if match["kind"] != "old" or not old.exists():
                continue
            new = old.with_name(f".{out_dir.name}.partial-{match['pid']}")
            if (new / "SHA256SUMS").is_file():  # written last: the new release is complete
                os.replace(new, out_dir)
                logger.warning("finished the swap a killed build left half done: '%s' is the new release", out_dir)
            else:
                os.replace(old, out_dir)
                logger.warning("put back the release a killed build had moved aside: '%s'", out_dir)
            break
    for path, _ in leftovers:
        if path.exists():
            logger.info("removing '%s', left by a build that was killed", path)
            shutil.rmtree(path, ignore_errors=True)


def prepare_staging(out_dir: Path, force: bool) -> Path:
    """A fresh staging folder beside ``out_dir``, after checking that ``out_dir`` may be replaced."""
    if out_dir.exists() and not out_dir.is_dir():
        msg = f"output '{out_dir}' exists and is a file; choose another --out."
        raise OutputExistsError(msg, path=out_dir)
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        msg = f"output folder '{out_dir}' is not empty; pass --force to replace it or choose another --out."
        raise OutputExistsError(msg, path=out_dir)
    staging = staging_path(out_dir)
    try:
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir()
    except OSError as err:
        msg = f"cannot create a staging folder beside '{out_dir}': {err}; check permissions and free space."
        raise WriteError(msg, path=staging) from err
    return staging


def swap_into_place(staging: Path, out_dir: Path) -> None:
    """Put the finished release at ``out_dir``; a kill between the two renames is repaired by the next build."""
    trash = None
    if out_dir.exists():
        trash = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
        os.replace(out_dir, trash)
    os.replace(staging, out_dir)
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)
