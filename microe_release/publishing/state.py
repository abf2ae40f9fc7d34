"""What publishing has done: ``publish-state.json`` in the release, and the registry of versions in the user's folder."""

from __future__ import annotations

import hashlib
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
    """Where the registry of published versions lives.

    In order: ``registry`` (``--registry FILE``), ``$MICROE_ZENODO_REGISTRY``, beside ``metadata``
    (the user's ``dataset.yaml``), else ``zenodo-registry.json`` in the current folder (the folder
    ``microe init`` made, when publishing is run from there). Never inside the installed package.

    Examples
    --------
    >>> registry_path("reg.json").name
    'reg.json'
    >>> registry_path(metadata="my-release/dataset.yaml").parent.name
    'my-release'
    """
    if registry is not None:
        return Path(registry).resolve()
    if os.environ.get(REGISTRY_ENV):
        return Path(os.environ[REGISTRY_ENV]).resolve()
    if metadata is not None:
        return Path(metadata).resolve().parent / REGISTRY_FILE
    return Path.cwd() / REGISTRY_FILE


def check_registry_location(path: Path) -> None:
    """Refuse a registry path that cannot hold the file: a folder, a parent that cannot be made or written.

    Raises
    ------
    PublishError
        Naming the path and where it came from (``--registry`` or ``$MICROE_ZENODO_REGISTRY``).
    """
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


def _write_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def content_hash(release_dir: Path) -> str:
    """sha256 over the data files' lines of SHA256SUMS: the release's content, DOI edits aside."""
    lines = [line for line in (release_dir / "SHA256SUMS").read_text().splitlines()
             if line.endswith(".parquet") or line.endswith("  microe.csv")]
    return "sha256:" + hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


class PublishState:
    """``publish-state.json``: each finished step, saved atomically as soon as it is done."""

    def __init__(self, release_dir: Path) -> None:
        self.path = release_dir / STATE_FILE
        self.data: dict[str, Any] = json.loads(self.path.read_text()) if self.path.is_file() else {}

    def get(self, key: str, default: Any = None) -> Any:
        """A recorded value."""
        return self.data.get(key, default)

    def set(self, **values: Any) -> None:
        """Record values and save now."""
        self.data.update(values)
        _write_atomic(self.path, self.data)

    def section(self, name: str) -> dict[str, Any]:
        """A mutable sub-dict (``zenodo``, ``hub``); call :meth:`save` after changing it."""
        return self.data.setdefault(name, {})

    def save(self) -> None:
        """Save now."""
        _write_atomic(self.path, self.data)


class Registry:
    """``zenodo-registry.json``: the concept record and every published version (see :func:`registry_path`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = json.loads(self.path.read_text()) if self.path.is_file() else {}

    @property
    def versions(self) -> dict[str, Any]:
        """``version -> {doi, record_id, content_hash, hub_repo}``."""
        return self.data.setdefault("versions", {})

    def save(self) -> None:
        """Save now."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.path, self.data)
