"""JSON Schemas used offline: shipped with the toolkit or read from installed packages, never fetched.

- Data Package v2 profile: ``dplib-py`` (``dplib/profiles/2.0/datapackage.json``).
- DataCite 4.5: ``datacite`` (``datacite/schemas/datacite-v4.5.json``).
- CFF 1.2.0: shipped as ``microe_release/resources/schemas/cff-1.2.0.json`` (the citation-file-format
  project's schema, CC-BY-4.0; its source is noted in that folder's README.md).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from .resources import read_json


@cache
def datapackage_v2_schema() -> dict[str, Any]:
    """The Data Package v2 profile's JSON Schema."""
    return json.loads((resources.files("dplib") / "profiles" / "2.0" / "datapackage.json").read_text("utf-8"))


@cache
def datacite_schema() -> dict[str, Any]:
    """The DataCite 4.5 JSON Schema."""
    return json.loads((resources.files("datacite") / "schemas" / "datacite-v4.5.json").read_text("utf-8"))


def cff_schema() -> dict[str, Any]:
    """The CFF 1.2.0 JSON Schema shipped with the toolkit.

    Examples
    --------
    >>> cff_schema()["$id"]
    'https://citation-file-format.github.io/1.2.0/schema.json'
    """
    schema: dict[str, Any] = read_json("schemas", "cff-1.2.0.json")
    return schema
