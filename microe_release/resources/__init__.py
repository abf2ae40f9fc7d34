"""Files the toolkit ships and reads at run time: templates, licence texts and JSON Schemas.

Everything here is read with :mod:`importlib.resources`, so it works from a wheel, a zip or a
checkout alike; nothing outside the package is looked up for the toolkit's own files.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

#: Shown wherever a packaged file stands in for a user's path (messages, build-report.json).
PACKAGED_METADATA = "<packaged default dataset.yaml>"

#: The starter files ``microe init`` writes, by name: the dataset description, the exclusions list
#: and a release.toml on the embedded demo source.
STARTER_FILES: tuple[str, ...] = ("release.toml", "dataset.yaml", "exclusions.csv")


def resource(*parts: str) -> Traversable:
    """The packaged file ``microe_release/resources/<parts...>``.

    Examples
    --------
    >>> resource("metadata", "dataset.yaml").is_file()
    True
    """
    node = resources.files(__name__)
    for part in parts:
        node = node / part
    return node


def read_text(*parts: str) -> str:
    """The text of a packaged file (UTF-8)."""
    return resource(*parts).read_text(encoding="utf-8")


@cache
def read_json(*parts: str) -> Any:
    """A packaged JSON file, parsed (cached: callers must not change it)."""
    return json.loads(read_text(*parts))


def license_text(spdx: str) -> str | None:
    """The shipped full text of a licence, or None when the toolkit ships none for it."""
    node = resource("licenses", f"{spdx}.txt")
    return node.read_text(encoding="utf-8") if node.is_file() else None


def shipped_licenses() -> list[str]:
    """SPDX ids whose full text ships with the toolkit."""
    return sorted(p.name.removesuffix(".txt") for p in resource("licenses").iterdir() if p.name.endswith(".txt"))
