"""The embedded demo source: faces drawn by :mod:`microe_release.synthetic`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from ..errors import ConfigError
from ..records import SourceItem
from ..synthetic import plan_faces
from .base import Found, SourceConfig, SourceFormat


class Synthetic(SourceFormat):
    """Adapter for ``format = "synthetic"`` (keys ``count``, ``seed``)."""

    name: ClassVar[str] = "synthetic"
    OPTIONS: ClassVar[dict[str, tuple[type, Any]]] = {"count": (int, 2400), "seed": (int, 1234), "size": (int, 96)}
    NEEDS_PATH: ClassVar[bool] = False

    @classmethod
    def check(cls, source: SourceConfig) -> None:
        """``count`` must be positive."""
        if source.options["count"] < 1:
            msg = f"source '{source.name}': count must be at least 1, got '{source.options['count']}'."
            raise ConfigError(msg, field=f"source '{source.name}'.count")

    @classmethod
    def count(cls, source: SourceConfig) -> int | None:
        """``count`` faces."""
        return int(source.options["count"])

    @classmethod
    def iter_items(cls, source: SourceConfig) -> Iterator[Found]:
        """Yield ``count`` items; the worker renders each one."""
        seed = source.options["seed"]
        for number, (label, subject) in enumerate(plan_faces(source.options["count"], seed)):
            yield SourceItem(source=source.name, source_ref=f"synthetic:{number:06d}", raw_label=label, label=label,
                             license=source.license, subject=subject, synthetic=(seed, number))
