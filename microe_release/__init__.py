"""microe_release: build, validate and publish FAIR, versioned facial-expression datasets (Microe)."""

from __future__ import annotations

import importlib
import importlib.metadata
from typing import TYPE_CHECKING, Any

try:
    __version__ = importlib.metadata.version("microe-release")
except importlib.metadata.PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

#: Public name -> the module that defines it; imported on first use (PEP 562), so a process that needs
#: one part (a build worker decoding images) does not pay for the rest (writers, YAML, tqdm, torch:
#: training imports torch only when it trains or loads).
_EXPORTS = {name: module for module, names in {
    ".build": ("build_release",), ".config": ("ReleaseConfig", "SourceConfig", "demo_config", "load_config"),
    ".errors": ("MicroeReleaseError",), ".labels": ("CLASS_NAMES",), ".training": ("train", "load_model"),
}.items() for name in names}

if TYPE_CHECKING:
    from .build import build_release
    from .config import ReleaseConfig, SourceConfig, demo_config, load_config
    from .errors import MicroeReleaseError
    from .labels import CLASS_NAMES
    from .training import load_model, train


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value
        return value
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = ["CLASS_NAMES", "MicroeReleaseError", "ReleaseConfig", "SourceConfig", "__version__", "build_release",
           "demo_config", "load_config", "load_model", "train"]
