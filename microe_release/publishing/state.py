"""What publishing has done: ``publish-state.json`` in the release, and the registry of versions in the user's folder."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import PublishError

#: Progress file inside the release folder (not part of the release's files or checksums).
STATE_FILE = "publish-state.json"

#: Registry of published versions, beside dataset.yaml (the concept record is remembered here).
REGISTRY_FILE = "zenodo-registry.json"

#: Environment variable naming the registry file (like ``HF_HOME`` for the Hub's cache).
REGISTRY_ENV = "MICROE_ZENODO_REGISTRY"


def registry_path(registry: str | Path | None = None, *, metadata: str | Path | None = None) -> Path:
    """``registry``, else ``$MICROE_ZENODO_REGISTRY``, else beside ``metadata``, else the current folder."""
    if registry is not None:
        return Path(registry).resolve()
    if os.environ.get(REGISTRY_ENV):
        return Path(os.environ[REGISTRY_ENV]).resolve()
    if metadata is not None:
        return Path(metadata).resolve().parent / REGISTRY_FILE
    return Path.cwd() / REGISTRY_FILE


def check_registry_location(path: Path) -> None:
    """Refuse a registry path that is a folder, or whose parent cannot be made or written."""
    origin = f" (from ${REGISTRY_ENV})" if os.environ.get(REGISTRY_ENV) and Path(os.environ[REGISTRY_ENV]).resolve() == path else ""
    if path.is_dir():
        msg = f"the registry '{path}'{origin} is a folder; name a file, e.g. '{path / REGISTRY_FILE}'."
        raise PublishError(msg)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        msg = f"the registry '{path}'{origin} needs the folder '{path.parent}', which cannot be made ({err.strerror}); choose another path."
        raise PublishError(msg) from err
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        msg = f"the registry '{path}'{origin} cannot be written; choose a path you can write with --registry."
        raise PublishError(msg)


class JsonRecord(dict[str, Any]):
    """A JSON file of what is done (``publish-state.json``, the registry), written atomically after each step."""

    def __init__(self, path: Path) -> None:
        super().__init__(json.loads(path.read_text()) if path.is_file() else {})
        self.path = path

    def save(self, section: str | None = None, **done: Any) -> None:
        """Record ``done`` (in the sub-dict ``section``, if named), then write the file."""
        (self.setdefault(section, {}) if section else self).update(done)
        tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps(self, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)
