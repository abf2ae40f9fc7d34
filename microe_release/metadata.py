"""Load and check ``metadata/dataset.yaml``, the dataset's own description."""

from __future__ import annotations

import datetime
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .resources import PACKAGED_METADATA, read_json, read_text

#: Keys the schema allows that have no field of their own; kept in ``DatasetMetadata.extra``.
_EXTRA_KEYS = ("language", "reference_model")


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


def load_metadata(path: str | Path | None = None) -> DatasetMetadata:
    """Read and check ``dataset.yaml`` against its schema.

    Parameters
    ----------
    path : str, Path or None
        The user's ``dataset.yaml``; None reads the description shipped with the toolkit (the
        template ``microe init`` writes).

    Raises
    ------
    ConfigError
        When the file is missing, not YAML, has an unknown key, a wrong type or lacks a required
        field; the message names the key and the file.

    Examples
    --------
    >>> load_metadata().name
    'microe'
    """
    where = Path(path) if path is not None else None
    try:
        text = where.read_text(encoding="utf-8") if where is not None else read_text("metadata", "dataset.yaml")
        data = yaml.load(text, Loader=_SAFE_LOADER)
    except FileNotFoundError as err:
        msg = (f"metadata file '{where}' does not exist; point [release] metadata (or --metadata) at an "
               "existing dataset.yaml, or write a starter one with `microe init DIR`.")
        raise ConfigError(msg, path=where, field="release.metadata") from err
    except yaml.YAMLError as err:
        msg = f"metadata file '{where or PACKAGED_METADATA}' is not valid YAML: {err}"
        raise ConfigError(msg, path=where) from err
    return parse_metadata(data, path=where)


def check_metadata_schema(data: Any, *, path: Path | None = None) -> None:
    """Check a parsed ``dataset.yaml`` against the shipped JSON Schema (``dataset.schema.json``).

    Raises
    ------
    ConfigError
        On the first problem in document order: an unknown key (listing the valid keys), a value of
        the wrong type or form, or a missing required field.
    """
    import jsonschema

    shown = str(path) if path is not None else PACKAGED_METADATA
    if not isinstance(data, dict):
        msg = f"metadata file '{shown}' must hold a mapping of fields (name, title, version, ...), got {type(data).__name__}."
        raise ConfigError(msg, path=path)
    schema = read_json("schemas", "dataset.schema.json")
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(_plain(data)),
                    key=lambda e: [str(p) for p in e.absolute_path])
    if not errors:
        return
    error = errors[0]
    key = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in error.absolute_path).replace(".[", "[")
    node = schema
    for part in error.absolute_path:
        node = node.get("properties", {}).get(part, node.get("items", {})) if isinstance(part, str) else node.get("items", {})
    valid = ", ".join(sorted(node.get("properties", {})))
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(node.get("properties", {})))
        name = f"{key}.{extra[0]}" if key else extra[0]
        close = difflib.get_close_matches(extra[0], list(node.get("properties", {})), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        msg = (f"metadata file '{shown}' has unknown key '{name}'{hint}; "
               f"valid keys{' under ' + key if key else ''}: {valid}.")
        raise ConfigError(msg, path=path, field=name)
    if error.validator == "required":
        missing = error.message.split("'")[1]
        name = f"{key}.{missing}" if key else missing
        msg = f"metadata file '{shown}' lacks required field '{name}'; required: {', '.join(node.get('required', []))}."
        raise ConfigError(msg, path=path, field=name)
    expected = error.schema.get("type") or error.schema.get("pattern") or error.validator
    msg = (f"metadata file '{shown}': '{key}' is '{error.instance}', expected {_describe(error.validator, expected)}; "
           "see the comments in the file `microe init` writes.")
    raise ConfigError(msg, path=path, field=key)


#: JSON Schema type names in the words a dataset.yaml author knows.
_TYPE_WORDS = {"string": "text", "array": "a list", "object": "a mapping", "boolean": "true or false", "null": "empty"}


def _describe(validator: str, expected: Any) -> str:
    if validator == "type":
        kinds = [str(k) for k in (expected if isinstance(expected, list) else [expected])]
        return " or ".join(_TYPE_WORDS.get(k, k) for k in kinds)
    if validator == "pattern":
        return f"text matching {expected}"
    return f"a value passing '{validator}'"


def _plain(value: Any) -> Any:
    """YAML dates become ISO strings (``2026-11-23`` unquoted is a date to YAML, text to us)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def parse_metadata(data: Any, *, path: Path | None = None) -> DatasetMetadata:
    """Check the fields of a parsed ``dataset.yaml`` (also kept in build-report.json).

    Raises
    ------
    ConfigError
        As :func:`check_metadata_schema`.
    """
    check_metadata_schema(data, path=path)
    data = _plain(data)
    creators = [Creator(given=str(item["given"]), family=str(item["family"]),
                        affiliation=item.get("affiliation"), orcid=item.get("orcid")) for item in data["creators"]]
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
        extra={k: v for k, v in data.items() if k in _EXTRA_KEYS},
    )
