"""JSON Schemas used offline, never fetched: from installed packages, or shipped (CFF: resources/schemas/)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from .resources import read_json


@cache
def _installed_json(package: str, *parts: str) -> dict[str, Any]:
    """A JSON file inside an installed package, parsed (cached: callers must not change it)."""
    return json.loads(resources.files(package).joinpath(*parts).read_text("utf-8"))


def datapackage_v2_schema() -> dict[str, Any]:
    """The Data Package v2 profile's JSON Schema (from ``dplib-py``)."""
    return _installed_json("dplib", "profiles", "2.0", "datapackage.json")


def datacite_schema() -> dict[str, Any]:
    """The DataCite 4.5 JSON Schema (from ``datacite``)."""
    return _installed_json("datacite", "schemas", "datacite-v4.5.json")


def cff_schema() -> dict[str, Any]:
    """The CFF 1.2.0 JSON Schema shipped with the toolkit (the citation-file-format project's, CC-BY-4.0)."""
    return read_json("schemas", "cff-1.2.0.json")
