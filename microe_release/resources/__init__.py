"""Files the toolkit ships (templates, licence texts, JSON Schemas), read with :mod:`importlib.resources`."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

#: Shown wherever a packaged file stands in for a user's path (messages, build-report.json).
PACKAGED_METADATA = "<packaged default dataset.yaml>"

#: The starter files ``microe init`` writes: a release.toml on the embedded demo source, the dataset
#: description and the exclusions list.
STARTER_FILES: tuple[str, ...] = ("release.toml", "dataset.yaml", "exclusions.csv", "relabels.csv")


def resource(*parts: str) -> Traversable:
    """The packaged file ``microe_release/resources/<parts...>`` (works from a wheel, a zip or a checkout)."""
    return resources.files(__name__).joinpath(*parts)


def read_text(*parts: str) -> str:
    """The text of a packaged file (UTF-8)."""
    return resource(*parts).read_text(encoding="utf-8")


@cache
def read_json(*parts: str) -> Any:
    """A packaged JSON file, parsed (cached: callers must not change it)."""
    return json.loads(read_text(*parts))

