"""microe_release: build, validate and publish FAIR, versioned facial-expression datasets (Microe)."""

from __future__ import annotations

__version__ = "0.1.0"

from .build import build_release  # noqa: E402
from .config import ReleaseConfig, SourceConfig, demo_config, load_config  # noqa: E402
from .errors import MicroeReleaseError  # noqa: E402
from .labels import CLASS_NAMES  # noqa: E402

__all__ = [
    "CLASS_NAMES",
    "MicroeReleaseError",
    "ReleaseConfig",
    "SourceConfig",
    "__version__",
    "build_release",
    "demo_config",
    "load_config",
]
