"""Release configuration: the ``release.toml`` schema, its checks and its loader."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .labels import CLASS_NAMES
from .sources import get_source_format
from .sources.base import SourceConfig, compile_pattern

#: Split names a release may use, in the order they are written.
SPLIT_ORDER: tuple[str, ...] = ("train", "validation", "test")

#: Keys every [[source]] table may carry, whatever its format.
COMMON_SOURCE_KEYS = frozenset({"name", "format", "path", "license", "url", "labels", "exclude", "subject_pattern",
                                "keep_splits"})

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")


@dataclass(frozen=True, kw_only=True)
class ReleaseConfig:
    """The ``[release]`` table plus its sources, checked.

    Raises
    ------
    ConfigError
        On any bad value, naming the field and what is expected.
    """

    name: str
    version: str
    image_size: int = 48
    min_size: int = 16  # images whose shorter side is smaller are left out (0: keep every size)
    seed: int = 1234
    splits: dict[str, float] = field(default_factory=lambda: {"train": 0.8, "test": 0.2})
    metadata: Path | None = None  # None: the description shipped with the toolkit
    exclusions: Path | None = None  # default: exclusions.csv beside the metadata file
    relabels: Path | None = None  # default: relabels.csv beside the metadata file
    sources: tuple[SourceConfig, ...] = ()
    config_path: Path | None = None
    config_hash: str = ""

    def __post_init__(self) -> None:
        where = f" in {self.config_path}" if self.config_path else ""
        if not _NAME_RE.match(self.name):
            msg = f"release.name '{self.name}'{where} must be letters, digits, '_', '.' or '-'."
            raise ConfigError(msg, path=self.config_path, field="release.name")
        if not _VERSION_RE.match(self.version):
            msg = f"release.version '{self.version}'{where} is not a semantic version; write e.g. \"1.0.0\"."
            raise ConfigError(msg, path=self.config_path, field="release.version")
        if not 8 <= self.image_size <= 1024:
            msg = f"release.image_size {self.image_size}{where} must be between 8 and 1024 pixels."
            raise ConfigError(msg, path=self.config_path, field="release.image_size")
        if not 0 <= self.min_size <= 4096:
            msg = f"release.min_size {self.min_size}{where} must be between 0 (keep every size) and 4096 pixels."
            raise ConfigError(msg, path=self.config_path, field="release.min_size")
        if not {"train", "test"} <= set(self.splits) <= set(SPLIT_ORDER):
            msg = (f"release.splits {self.splits}{where} must name 'train' and 'test' (and optionally "
                   f"'validation'), got {sorted(self.splits)}; e.g. {{ train = 0.8, test = 0.2 }}.")
            raise ConfigError(msg, path=self.config_path, field="release.splits")
        total = sum(self.splits.values())
        if any(v <= 0 for v in self.splits.values()) or abs(total - 1.0) > 1e-6:
            msg = f"release.splits {self.splits}{where} must be positive fractions summing to 1, got {total:g}."
            raise ConfigError(msg, path=self.config_path, field="release.splits")
        dupes = sorted(name for name, uses in Counter(s.name for s in self.sources).items() if uses > 1)
        if dupes:
            msg = f"source names must be unique{where}; '{dupes[0]}' is used more than once."
            raise ConfigError(msg, path=self.config_path, field="source.name")

    @property
    def exclusions_path(self) -> Path | None:
        """The exclusions CSV (``id,reason,date``) this build honours (None: no exclusions)."""
        if self.exclusions is not None:
            return self.exclusions
        return self.metadata.parent / "exclusions.csv" if self.metadata is not None else None

    @property
    def relabels_path(self) -> Path | None:
        """The relabels CSV (``id,new_label,reason,date``) this build applies (None: none)."""
        if self.relabels is not None:
            return self.relabels
        return self.metadata.parent / "relabels.csv" if self.metadata is not None else None

    @property
    def split_names(self) -> tuple[str, ...]:
        """The configured split names in canonical order."""
        return tuple(name for name in SPLIT_ORDER if name in self.splits)


_REQUIRED = object()  # _get's default for a key that must be given

#: Python types in the words a release.toml author knows.
_KIND_WORDS = {str: "text", int: "a whole number", float: "a number", bool: "true or false", list: "a list",
               dict: "a table"}


def _get(table: dict[str, Any], key: str, kind: type, where: str, path: Path, default: Any = _REQUIRED) -> Any:
    """``table[key]`` checked to be a ``kind``; ``default`` when it is absent, an error when there is none."""
    if key in table:
        return _typed(table[key], kind, f"{where}.{key}", path)
    if default is _REQUIRED:
        msg = f"{where}.{key} is missing in {path}; add it (see README, 'release.toml')."
        raise ConfigError(msg, path=path, field=f"{where}.{key}")
    return default


def _typed(value: Any, kind: type, field_name: str, path: Path | None) -> Any:
    ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        ok, value = True, float(value)
    if not ok:
        msg = f"{field_name} in {path} must be {_KIND_WORDS.get(kind, kind.__name__)}, got '{value}' ({type(value).__name__})."
        raise ConfigError(msg, path=path, field=field_name)
    return value


def parse_source(table: dict[str, Any], *, position: int, base_dir: Path, config_path: Path) -> SourceConfig:
    """Check one ``[[source]]`` table and resolve its path against the toml's folder."""
    name = _get(table, "name", str, f"source[{position}]", config_path)
    where = f"source[{position}] ('{name}')"
    if not _NAME_RE.match(name):
        msg = f"{where}.name '{name}' in {config_path} must be letters, digits, '_', '.' or '-'."
        raise ConfigError(msg, path=config_path, field=f"source[{position}].name")
    fmt = _get(table, "format", str, where, config_path)
    adapter = get_source_format(fmt, where=f"{where}.format in {config_path}")
    allowed = COMMON_SOURCE_KEYS | set(adapter.OPTIONS)
    unknown = sorted(set(table) - allowed)
    if unknown:
        msg = (f"{where} in {config_path} has unknown key '{unknown[0]}' for format '{fmt}'; "
               f"valid keys: {', '.join(sorted(allowed))}.")
        raise ConfigError(msg, path=config_path, field=f"{where}.{unknown[0]}")
    options: dict[str, Any] = {}
    for key, (kind, default) in adapter.OPTIONS.items():
        if key not in table and default is None:
            msg = f"{where} in {config_path} needs '{key}' for format '{fmt}'."
            raise ConfigError(msg, path=config_path, field=f"{where}.{key}")
        options[key] = _get(table, key, kind, where, config_path, default)
    path_value = _get(table, "path", str, where, config_path) if adapter.NEEDS_PATH else table.get("path", ".")
    labels = _get(table, "labels", dict, where, config_path, {})
    for raw, target in labels.items():
        if target not in CLASS_NAMES:
            msg = (f"{where}.labels maps '{raw}' to '{target}' in {config_path}, which is not a class; "
                   f"use one of {', '.join(CLASS_NAMES)}.")
            raise ConfigError(msg, path=config_path, field=f"{where}.labels")
    exclude = _get(table, "exclude", list, where, config_path, [])
    pattern = _get(table, "subject_pattern", str, where, config_path, None)
    subject_re = None if pattern is None else compile_pattern(
        pattern, field_name=f"{where}.subject_pattern", path=config_path, group="subject")
    source = SourceConfig(
        name=name,
        format=fmt,
        path=(base_dir / path_value).resolve(),
        license=_get(table, "license", str, where, config_path, "unknown"),
        url=_get(table, "url", str, where, config_path, None),
        labels=dict(labels),
        exclude=tuple(str(x) for x in exclude),
        subject_pattern=subject_re,
        keep_splits=_get(table, "keep_splits", bool, where, config_path, False),
        options=options,
    )
    adapter.check(source)
    return source


def load_config(path: str | Path) -> ReleaseConfig:
    """Read and check a ``release.toml``.

    Parameters
    ----------
    path : str or Path
        The toml file; relative paths inside it are resolved against its folder.

    Returns
    -------
    ReleaseConfig

    Raises
    ------
    ConfigError
        When the file is missing, not TOML, or any field is wrong.
    """
    config_path = Path(path).resolve()
    try:
        data = tomllib.loads(config_path.read_bytes().decode("utf-8"))
    except FileNotFoundError as err:
        msg = f"config file '{config_path}' does not exist; pass an existing release.toml with --config."
        raise ConfigError(msg, path=config_path) from err
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        msg = f"config file '{config_path}' is not valid TOML: {err}."
        raise ConfigError(msg, path=config_path) from err
    if "release" not in data:
        msg = f"config file '{config_path}' has no [release] table; start it with [release] name = ..., version = ..."
        raise ConfigError(msg, path=config_path, field="release")
    release = _get(data, "release", dict, "", config_path)
    unknown = sorted(set(data) - {"release", "source"})
    if unknown:
        msg = f"config file '{config_path}' has unknown top-level table '{unknown[0]}'; expected [release] and [[source]]."
        raise ConfigError(msg, path=config_path, field=unknown[0])
    base_dir = config_path.parent
    sources_raw = data.get("source", [])
    if not isinstance(sources_raw, list) or not sources_raw:
        msg = f"config file '{config_path}' names no [[source]]; add at least one."
        raise ConfigError(msg, path=config_path, field="source")
    sources = tuple(parse_source(_typed(t, dict, f"source[{i}]", config_path), position=i, base_dir=base_dir,
                                 config_path=config_path) for i, t in enumerate(sources_raw))
    known = {"name", "version", "image_size", "min_size", "seed", "splits", "metadata", "exclusions", "relabels"}
    extra = sorted(set(release) - known)
    if extra:
        msg = f"[release] in {config_path} has unknown key '{extra[0]}'; valid keys: {', '.join(sorted(known))}."
        raise ConfigError(msg, path=config_path, field=f"release.{extra[0]}")
    splits = _get(release, "splits", dict, "release", config_path, {"train": 0.8, "test": 0.2})
    metadata = release.get("metadata")
    if metadata is None and (base_dir / "dataset.yaml").is_file():
        metadata = "dataset.yaml"  # the user's own description beside release.toml wins over the packaged one
    return ReleaseConfig(
        name=_get(release, "name", str, "release", config_path),
        version=_get(release, "version", str, "release", config_path),
        image_size=_get(release, "image_size", int, "release", config_path, 48),
        min_size=_get(release, "min_size", int, "release", config_path, 16),
        seed=_get(release, "seed", int, "release", config_path, 1234),
        splits={str(k): _typed(v, float, f"release.splits.{k}", config_path) for k, v in splits.items()},
        metadata=(base_dir / _typed(metadata, str, "release.metadata", config_path)).resolve() if metadata else None,
        exclusions=(base_dir / _get(release, "exclusions", str, "release", config_path)).resolve()
        if "exclusions" in release else None,
        relabels=(base_dir / _get(release, "relabels", str, "release", config_path)).resolve()
        if "relabels" in release else None,
        sources=sources,
        config_path=config_path,
        config_hash=hash_config(data),
    )


def hash_config(data: dict[str, Any]) -> str:
    """Return ``sha256:<hex>`` of the config's canonical JSON (comments and layout do not count)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def demo_config(*, count: int = 2400, version: str | None = None, seed: int = 1234,
                exclusions: Path | None = None, metadata: Path | None = None) -> ReleaseConfig:
    """The embedded default: one synthetic source of ``count`` generated faces.

    Parameters
    ----------
    count : int
        How many faces.
    version : str, optional
        The release version (default: the metadata's).
    seed : int
        Seed of the faces and the split.
    exclusions : Path, optional
        An exclusions CSV (default: ``exclusions.csv`` beside ``metadata``, if any).
    metadata : Path, optional
        The user's ``dataset.yaml`` (default: the description shipped with the toolkit).

    Examples
    --------
    >>> demo_config(count=10).sources[0].options["count"]
    10
    """
    from .metadata import load_metadata

    meta_path = Path(metadata).resolve() if metadata is not None else None
    meta = load_metadata(meta_path)
    version = version or meta.version
    source = SourceConfig(name="synthetic", format="synthetic", path=Path("."), license="CC-BY-4.0",
                          options={"count": count, "seed": seed, "size": 96})
    data = {"release": {"name": meta.name, "version": version, "seed": seed},
            "source": [{"name": "synthetic", "format": "synthetic", "count": count}]}
    return ReleaseConfig(name=meta.name, version=version, seed=seed, metadata=meta_path, sources=(source,),
                         exclusions=exclusions, config_hash=hash_config(data))
