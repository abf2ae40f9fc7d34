"""microe_release: build, validate and publish FAIR, versioned facial-expression datasets (Microe)."""

from __future__ import annotations

__version__ = "0.1.0"

from .build import build_release  # noqa: E402
from .config import ReleaseConfig, SourceConfig, demo_config, load_config  # noqa: E402
from .errors import MicroeReleaseError  # noqa: E402
from .labels import CLASS_NAMES  # noqa: E402


def train(*args, **kwargs):  # type: ignore[no-untyped-def]
    """Train the reference model; see :func:`microe_release.training.train` (imports torch lazily)."""
    from .training import train as _train

    return _train(*args, **kwargs)


def load_model(model_dir):  # type: ignore[no-untyped-def]
    """Load a trained model; see :func:`microe_release.training.load_model` (imports torch lazily)."""
    from .training import load_model as _load_model

    return _load_model(model_dir)

__all__ = [
    "CLASS_NAMES",
    "MicroeReleaseError",
    "ReleaseConfig",
    "SourceConfig",
    "__version__",
    "build_release",
    "demo_config",
    "load_config",
    "load_model",
    "train",
]
