"""Source adapters, by the ``format`` name a ``[[source]]`` table gives."""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import ConfigError
from .base import SourceConfig, SourceFormat
from .fer import Fer2013Csv, FerPlus
from .image_folder import FilenamePattern, ImageFolder, LabelledCsv
from .synthetic import Synthetic

#: Every source format, by name (explicit: no plugin discovery).
SOURCE_FORMATS: dict[str, type[SourceFormat]] = {
    adapter.name: adapter
    for adapter in (Fer2013Csv, ImageFolder, FerPlus, LabelledCsv, FilenamePattern, Synthetic)
}


def get_source_format(name: str, *, where: str = "format") -> type[SourceFormat]:
    """Look up an adapter, or raise ConfigError listing the valid names."""
    try:
        return SOURCE_FORMATS[name]
    except KeyError:
        msg = f"{where}: unknown source format '{name}'; valid formats: {', '.join(sorted(SOURCE_FORMATS))}."
        raise ConfigError(msg, field="format") from None


def count_source_items(sources: Iterable[SourceConfig]) -> int | None:
    """The number of items a build reads from ``sources`` (the progress bar's total), or None where one is not cheap.

    Each adapter counts its own (:meth:`SourceFormat.count`); a labelled-csv source has none, and then
    the total is None. An estimate: a quoted CSV field that spans lines counts once per line.

    Examples
    --------
    >>> from microe_release import demo_config
    >>> count_source_items(demo_config(count=40).sources)
    40
    """
    total = 0
    for source in sources:
        try:
            found = get_source_format(source.format).count(source)
        except OSError:  # the adapter reports a missing or unreadable source itself
            return None
        if found is None:
            return None
        total += found
    return total


__all__ = ["SOURCE_FORMATS", "SourceFormat", "count_source_items", "get_source_format"]
