"""JSON Schemas used offline, each from a package installed from the registry (never fetched).

- Data Package v2 profile: ``dplib-py`` (``dplib/profiles/2.0/datapackage.json``).
- DataCite 4.5: ``datacite`` (``datacite/schemas/datacite-v4.5.json``).
- CFF 1.2.0: ``cffconvert`` 2.0.0's ``schemas/1.2.0/schema.json``. cffconvert pins jsonschema<4,
  which frictionless cannot share, so ``make install`` installs cffconvert *without dependencies
  into its own folder* (``<venv>/share/microe-release/cffconvert``, not on ``sys.path``) and only
  its schema file is read from there.
"""

from __future__ import annotations

import json
import os
import sys
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ValidationError

#: Folder that ``make install`` fills with cffconvert's files (not importable from the environment).
CFF_HOME = Path(sys.prefix) / "share" / "microe-release" / "cffconvert"

#: The command that installs the CFF schema where :func:`cff_schema` finds it.
CFF_INSTALL = f"{sys.executable} -m pip install --no-deps --target {CFF_HOME} cffconvert==2.0.0"


@cache
def datapackage_v2_schema() -> dict[str, Any]:
    """The Data Package v2 profile's JSON Schema."""
    return json.loads((resources.files("dplib") / "profiles" / "2.0" / "datapackage.json").read_text("utf-8"))


@cache
def datacite_schema() -> dict[str, Any]:
    """The DataCite 4.5 JSON Schema."""
    return json.loads((resources.files("datacite") / "schemas" / "datacite-v4.5.json").read_text("utf-8"))


@cache
def cff_schema() -> dict[str, Any]:
    """The CFF 1.2.0 JSON Schema (``MICROE_CFF_SCHEMA`` may point at the file instead).

    Raises
    ------
    ValidationError
        When the schema is not installed, with the command that installs it.
    """
    override = os.environ.get("MICROE_CFF_SCHEMA")
    path = Path(override) if override else CFF_HOME / "cffconvert" / "schemas" / "1.2.0" / "schema.json"
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError as err:
        msg = f"the CFF 1.2.0 schema is not installed at '{path}'; install it with: {CFF_INSTALL}"
        raise ValidationError(msg) from err
