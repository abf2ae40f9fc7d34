"""Source adapters, by the ``format`` name a ``[[source]]`` table gives."""

from __future__ import annotations

from ..errors import ConfigError
from .base import SourceFormat
from .fer2013 import Fer2013Csv
from .ferplus import FerPlus
from .filename_pattern import FilenamePattern
from .image_folder import ImageFolder
from .labelled_csv import LabelledCsv
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


__all__ = ["SOURCE_FORMATS", "SourceFormat", "get_source_format"]
