"""Load and check ``metadata/dataset.yaml``, the dataset's own description."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

_REQUIRED = ("name", "title", "version", "description", "license", "creators")


@dataclass(frozen=True, kw_only=True)
class Creator:
    """A dataset author, written "Family, Given" where formats want it."""

    given: str
    family: str
    affiliation: str | None = None
    orcid: str | None = None

    @property
    def full_name(self) -> str:
        """``"Given Family"``."""
        return f"{self.given} {self.family}".strip()


@dataclass(frozen=True, kw_only=True)
class DatasetMetadata:  # noqa: PLR0902 - one field per dataset.yaml key
    """The parsed ``dataset.yaml``; see ``metadata/dataset.yaml`` for every field."""

    name: str
    title: str
    pretty_name: str
    version: str
    description: str
    license: str
    creators: tuple[Creator, ...]
    keywords: tuple[str, ...] = ()
    homepage: str | None = None
    publisher: str | None = None
    task_categories: tuple[str, ...] = ("image-classification",)
    task_ids: tuple[str, ...] = ()
    contributors: tuple[dict[str, str], ...] = ()
    funding: tuple[str, ...] = ()
    gated: bool = False
    date_published: str = "1970-01-01"
    citation_title: str = ""
    datasheet: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)  # the file's own mapping, kept in build-report.json
    extra: dict[str, Any] = field(default_factory=dict)


#: libyaml's safe loader where PyYAML was built with it (same result, ~10x faster), else PyYAML's own.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_metadata(path: str | Path) -> DatasetMetadata:
    """Read ``dataset.yaml``.

    Raises
    ------
    ConfigError
        When the file is missing, not YAML, or lacks a required field.
    """
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except FileNotFoundError as err:
        msg = f"metadata file '{path}' does not exist; set [release] metadata = \"...\" to an existing dataset.yaml."
        raise ConfigError(msg, path=path, field="release.metadata") from err
    except yaml.YAMLError as err:
        msg = f"metadata file '{path}' is not valid YAML: {err}"
        raise ConfigError(msg, path=path) from err
    return parse_metadata(data, path=path)


def parse_metadata(data: Any, *, path: Path | None = None) -> DatasetMetadata:
    """Check the fields of a parsed ``dataset.yaml`` (also kept in build-report.json)."""
    if not isinstance(data, dict):
        msg = f"metadata file '{path}' must hold a mapping of fields (name, title, version, ...)."
        raise ConfigError(msg, path=path)
    missing = [key for key in _REQUIRED if not data.get(key)]
    if missing:
        msg = f"metadata file '{path}' lacks required field '{missing[0]}'; required: {', '.join(_REQUIRED)}."
        raise ConfigError(msg, path=path, field=missing[0])
    date = str(data.get("date_published") or "1970-01-01")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        msg = f"metadata file '{path}': date_published '{date}' must be a date written YYYY-MM-DD."
        raise ConfigError(msg, path=path, field="date_published")
    creators = []
    for i, item in enumerate(data["creators"]):
        if not isinstance(item, dict) or not item.get("family") or not item.get("given"):
            msg = f"metadata file '{path}': creators[{i}] needs 'given' and 'family' names, got '{item}'."
            raise ConfigError(msg, path=path, field=f"creators[{i}]")
        creators.append(Creator(given=str(item["given"]), family=str(item["family"]),
                                affiliation=item.get("affiliation"), orcid=item.get("orcid")))
    known = {"name", "title", "pretty_name", "version", "description", "license", "creators", "keywords",
             "homepage", "publisher", "task_categories", "task_ids", "contributors", "funding", "gated",
             "date_published", "citation_title", "datasheet"}
    return DatasetMetadata(
        name=str(data["name"]),
        title=str(data["title"]),
        pretty_name=str(data.get("pretty_name") or data["title"]),
        version=str(data["version"]),
        description=str(data["description"]).strip(),
        license=str(data["license"]),
        creators=tuple(creators),
        keywords=tuple(str(k) for k in data.get("keywords") or ()),
        homepage=data.get("homepage"),
        publisher=data.get("publisher"),
        task_categories=tuple(data.get("task_categories") or ("image-classification",)),
        task_ids=tuple(data.get("task_ids") or ()),
        contributors=tuple(data.get("contributors") or ()),
        funding=tuple(str(f) for f in data.get("funding") or ()),
        gated=bool(data.get("gated", False)),
        date_published=str(data.get("date_published") or "1970-01-01"),
        citation_title=str(data.get("citation_title") or data["title"]),
        datasheet={str(k): str(v).strip() for k, v in (data.get("datasheet") or {}).items()},
        path=path,
        raw=dict(data),
        extra={k: v for k, v in data.items() if k not in known},
    )
