"""``--engine ray``: the Ray session the build and the validator run their per-image work in (docs/scale-out.md)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from .errors import ConfigError

logger = logging.getLogger(__name__)

#: Times a task whose worker process dies is run again (a bad image is a reported skip, not a failure).
MAX_TASK_RETRIES = 3

INSTALL_HINT = "pip install 'microe-release[ray]'"

ENGINES = ("local", "ray")


def check_engine(engine: str) -> None:
    """Refuse an unknown engine name, listing the valid ones."""
    if engine not in ENGINES:
        msg = f"unknown engine '{engine}'; use one of {', '.join(ENGINES)}."
        raise ConfigError(msg, field="engine")


def import_ray() -> Any:
    """Import Ray Data, or say how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as err:
        msg = f"--engine ray needs Ray Data, which is not installed here ({err}); install it with {INSTALL_HINT}."
        raise ConfigError(msg, field="engine") from err
    return ray


@contextlib.contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator[Any]:
    """Ray, started locally or joined at ``address`` for the block (an already running Ray is reused)."""
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.WARNING}
    try:
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=num_cpus, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as err:
        where = f"the Ray cluster at '{address}'" if address else "a local Ray"
        msg = (f"cannot start or join {where}: {err}. Check --ray-address (e.g. 'auto' on a cluster node, "
               "'ray://HEAD:10001' from outside), or leave it out to start a local Ray.")
        raise ConfigError(msg, field="ray_address") from err
    try:
        yield ray
    finally:
        ray.shutdown()


@contextlib.contextmanager
def ordered_quiet_context(ray: Any) -> Iterator[None]:
    """Keep rows in input order (so both engines see the same sequence) and Ray's own bars off."""
    context = ray.data.DataContext.get_current()
    saved = (context.execution_options.preserve_order, context.enable_progress_bars)
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    try:
        yield
    finally:
        context.execution_options.preserve_order, context.enable_progress_bars = saved
