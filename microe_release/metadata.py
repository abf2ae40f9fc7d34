"""Load and check ``metadata/dataset.yaml``, the dataset's own description."""

from __future__ import annotations

import datetime
import difflib
import urllib.parse
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
class DatasetMetadata:
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
    gated: bool = False
    date_published: str = "1970-01-01"
    citation_title: str = ""
    datasheet: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)  # the file's own mapping, kept in build-report.json
    extra: dict[str, Any] = field(default_factory=dict)


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """PyYAML's safe loader (libyaml's where built with it) that refuses a key given twice."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                msg = f"key '{key}' is given twice (line {key_node.start_mark.line + 1}); keep one"
                raise yaml.constructor.ConstructorError(None, None, msg, key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


def load_metadata(path: str | Path | None = None) -> DatasetMetadata:
    """Read and check a ``dataset.yaml`` (None: the one shipped with the toolkit, which ``microe init`` writes)."""
    where = Path(path) if path is not None else None
    shown = where or PACKAGED_METADATA
    try:
        text = where.read_text(encoding="utf-8") if where is not None else read_text("metadata", "dataset.yaml")
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a safe loader
    except FileNotFoundError as err:
        msg = (f"metadata file '{where}' does not exist; point [release] metadata (or --metadata) at an "
               "existing dataset.yaml, or write a starter one with `microe init DIR`.")
        raise ConfigError(msg, path=where, field="release.metadata") from err
    except IsADirectoryError as err:
        msg = f"metadata file '{where}' is a folder; point it at the dataset.yaml inside."
        raise ConfigError(msg, path=where, field="release.metadata") from err
    except UnicodeDecodeError as err:
        msg = f"metadata file '{shown}' is not UTF-8 text (byte {err.start}); save it as UTF-8."
        raise ConfigError(msg, path=where) from err
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        msg = f"metadata file '{shown}'{line} is not valid YAML: {problem}; fix that line (quote text with ':')."
        raise ConfigError(msg, path=where) from err
    except ValueError as err:  # an unquoted date YAML cannot build, e.g. 2026-13-45
        msg = f"metadata file '{shown}' holds an impossible date ({err}); write dates as YYYY-MM-DD."
        raise ConfigError(msg, path=where) from err
    return parse_metadata(data, path=where)


#: JSON Schema type names in the words a dataset.yaml author knows.
_TYPE_WORDS = {"string": "text", "array": "a list", "object": "a mapping", "boolean": "true or false", "null": "empty"}

#: The form a patterned field takes, as the error shows it (the last part of its dotted key).
_FORMS = {"name": "letters, digits, '_', '.' or '-' (e.g. microe)", "version": "a version such as 1.0.0",
          "date_published": "a date YYYY-MM-DD (e.g. 2026-11-23)",
          "orcid": "an ORCID iD 0000-0000-0000-000X (e.g. 0000-0002-1825-0097)"}


def _is_web_address(value: str) -> bool:
    parts = urllib.parse.urlsplit(value)
    return not value or (parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value)


def _orcid_checksum_ok(orcid: str) -> bool:
    """ISO 7064 MOD 11-2 check digit, as ORCID computes it."""
    digits = orcid.removeprefix("https://orcid.org/").replace("-", "")
    total = 0
    for char in digits[:-1]:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    return digits[-1:] == ("X" if check == 10 else str(check))


#: The schema's ``format``s, what a pattern cannot say: each one's check and what the error says when it fails.
_VALUE_FORMATS = {
    "date": (datetime.date.fromisoformat, "not a real date ({cause}); write YYYY-MM-DD, e.g. 2026-11-23"),
    "web-address": (_is_web_address, "not a web address; write it as https://host/path, or leave it out"),
    "orcid-check-digit": (_orcid_checksum_ok,
                          "whose check digit is wrong; copy the ORCID iD from orcid.org (e.g. 0000-0002-1825-0097)"),
}


def check_metadata_schema(data: Any, *, path: Path | None = None) -> None:
    """Check a parsed ``dataset.yaml`` against ``dataset.schema.json``; raise on its first problem in document order."""
    import jsonschema

    shown = str(path) if path is not None else PACKAGED_METADATA
    if not isinstance(data, dict):
        msg = f"metadata file '{shown}' must hold a mapping of fields (name, title, version, ...), got {type(data).__name__}."
        raise ConfigError(msg, path=path)
    checker = jsonschema.FormatChecker(formats=())
    for name, (check, _) in _VALUE_FORMATS.items():
        checker.checks(name, raises=ValueError)(lambda value, check=check: not isinstance(value, str) or check(value))
    validator = jsonschema.Draft202012Validator(read_json("schemas", "dataset.schema.json"), format_checker=checker)
    order = list(_VALUE_FORMATS)  # the format checks only once the shape and types are right, in this order
    error = min(validator.iter_errors(_plain(data)), default=None, key=lambda e: (
        order.index(e.validator_value) + 1 if e.validator == "format" else 0, [str(p) for p in e.absolute_path]))
    if error is None:
        return
    key = error.json_path.removeprefix("$").removeprefix(".")  # e.g. creators[0].orcid
    known = error.schema.get("properties", {})
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(known))
        name = f"{key}.{extra[0]}" if key else extra[0]
        close = difflib.get_close_matches(extra[0], list(known), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        msg = (f"metadata file '{shown}' has unknown key '{name}'{hint}; "
               f"valid keys{' under ' + key if key else ''}: {', '.join(sorted(known))}.")
        raise ConfigError(msg, path=path, field=name)
    if error.validator == "format":
        problem = _VALUE_FORMATS[error.validator_value][1].format(cause=error.cause)
        msg = f"metadata file '{shown}': '{key}' is '{error.instance}', {problem}."
        raise ConfigError(msg, path=path, field=key) from error.cause
    if error.validator == "minItems":
        msg = f"metadata file '{shown}': '{key}' is empty; list at least {error.validator_value} (see `microe init`)."
        raise ConfigError(msg, path=path, field=key)
    if error.validator == "required":
        missing = error.message.split("'")[1]
        name = f"{key}.{missing}" if key else missing
        msg = f"metadata file '{shown}' lacks required field '{name}'; required: {', '.join(error.validator_value)}."
        raise ConfigError(msg, path=path, field=name)
    if error.validator == "type":
        kinds = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        expected = " or ".join(_TYPE_WORDS.get(kind, kind) for kind in kinds)
    elif error.validator == "pattern":
        expected = _FORMS.get(key.rsplit(".", 1)[-1], f"text matching {error.validator_value}")
    elif error.validator == "minLength":
        expected = "some text (it is empty)"
    else:
        expected = f"a value passing '{error.validator}'"
    msg = (f"metadata file '{shown}': '{key}' is '{error.instance}', expected {expected}; "
           "see the comments in the file `microe init` writes.")
    raise ConfigError(msg, path=path, field=key)


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
    """Check a parsed ``dataset.yaml`` (also kept in build-report.json) and return its fields."""
    check_metadata_schema(data, path=path)
    data = _plain(data)
    creators = [Creator(given=item["given"], family=item["family"], affiliation=item.get("affiliation"),
                        orcid=item["orcid"].removeprefix("https://orcid.org/") if item.get("orcid") else None)
                for item in data["creators"]]
    return DatasetMetadata(  # the schema has checked every type
        name=data["name"],
        title=data["title"],
        pretty_name=data.get("pretty_name") or data["title"],
        version=data["version"],
        description=data["description"].strip(),
        license=data["license"],
        creators=tuple(creators),
        keywords=tuple(data.get("keywords") or ()),
        homepage=data.get("homepage"),
        publisher=data.get("publisher"),
        task_categories=tuple(data.get("task_categories") or ("image-classification",)),
        task_ids=tuple(data.get("task_ids") or ()),
        contributors=tuple(data.get("contributors") or ()),
        gated=data.get("gated", False),
        date_published=data.get("date_published") or "1970-01-01",
        citation_title=data.get("citation_title") or data["title"],
        datasheet={k: v.strip() for k, v in (data.get("datasheet") or {}).items()},
        path=path,
        raw=dict(data),
        extra={k: v for k, v in data.items() if k in _EXTRA_KEYS},
    )
