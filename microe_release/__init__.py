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
#: one part (a build worker decoding images) does not pay for the rest (writers, YAML, tqdm, torch).
_EXPORTS = {
    "build_release": ".build",
    "ReleaseConfig": ".config",
    "SourceConfig": ".config",
    "demo_config": ".config",
    "load_config": ".config",
    "MicroeReleaseError": ".errors",
    "CLASS_NAMES": ".labels",
}

if TYPE_CHECKING:
    from .build import build_release
    from .config import ReleaseConfig, SourceConfig, demo_config, load_config
    from .errors import MicroeReleaseError
    from .labels import CLASS_NAMES


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
        globals()[name] = value
        return value
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def train(*args, **kwargs):  # type: ignore[no-untyped-def]
    """Train the reference model; see :func:`microe_release.training.train` (imports torch lazily)."""
    from .training import train as _train

    return _train(*args, **kwargs)


def load_model(model_dir):  # type: ignore[no-untyped-def]
    """Load a trained model; see :func:`microe_release.training.load_model` (imports torch lazily)."""
    from .training import load_model as _load_model

    return _load_model(model_dir)


__all__ = ["CLASS_NAMES", "MicroeReleaseError", "ReleaseConfig", "SourceConfig", "__version__", "build_release",
           "demo_config", "load_config", "load_model", "train"]
