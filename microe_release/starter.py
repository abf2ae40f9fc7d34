"""``microe init``: the user's own starter files, copied from the templates shipped with the toolkit."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .errors import OutputExistsError, WriteError
from .resources import STARTER_FILES, read_text

logger = logging.getLogger(__name__)


def write_starter_files(directory: str | Path, *, force: bool = False) -> list[Path]:
    """Write the starter files, ready to build on the demo source; replace existing ones only with ``force``."""
    if not str(directory).strip():
        msg = "the folder for the starter files is empty text; name one, e.g. `microe init my-release`."
        raise WriteError(msg, path=None)
    root = Path(directory)
    targets = [root / name for name in STARTER_FILES]
    existing = [str(p) for p in targets if p.exists() or p.is_symlink()]
    if existing and not force:
        msg = f"'{existing[0]}' already exists; pass --force to overwrite the starter files in '{root}'."
        raise OutputExistsError(msg, path=Path(existing[0]))
    folders = [str(p) for p in targets if p.is_dir()]
    if folders:
        msg = f"'{folders[0]}' is a folder; move it away or choose another folder for the starter files."
        raise OutputExistsError(msg, path=Path(folders[0]))
    temps = [target.with_name(f".{target.name}.tmp-{os.getpid()}") for target in targets]
    try:  # all written first, then put in place: never a half-written set
        root.mkdir(parents=True, exist_ok=True)
        for target, tmp in zip(targets, temps, strict=True):
            tmp.write_text(read_text("metadata", target.name), encoding="utf-8")
        for target, tmp in zip(targets, temps, strict=True):
            os.replace(tmp, target)
    except OSError as err:
        msg = f"cannot write the starter files into '{root}': {err.strerror or err}; choose a folder you can write."
        raise WriteError(msg, path=root) from err
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    logger.info("wrote %s", ", ".join(str(p) for p in targets))
    return targets
