"""What the ``microe`` commands share: one-line errors, the progress switch, option checks."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import click

from .distributed import ENGINES
from .errors import MicroeReleaseError

F = TypeVar("F", bound=Callable[..., Any])


class CommandGroup(click.Group):
    """A group whose commands turn a MicroeReleaseError into one line on stderr and exit 1 (--debug: traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MicroeReleaseError as err:
            if ctx.params.get("debug"):
                raise
            hint = f" Hint: {err.hint}" if err.hint else ""
            click.secho(f"error: {err}{hint}", fg="red", err=True)
            sys.exit(1)


def progress_enabled() -> bool:
    """Whether a command draws progress bars: stderr is a terminal and ``microe -q`` was not given."""
    context = click.get_current_context(silent=True)
    quiet = bool(context is not None and context.find_root().params.get("quiet"))
    return sys.stderr.isatty() and not quiet


def engine_options(func: F) -> F:
    """--engine and --ray-address, shared by build and validate."""
    func = click.option("--ray-address", default=None, metavar="ADDR",
                        help="With --engine ray: join this Ray cluster ('auto', 'ray://HEAD:10001') instead of starting a local Ray.")(func)
    return click.option("--engine", type=click.Choice(list(ENGINES)), default="local", show_default=True,
                        help="Where per-image work runs: a process pool here, or Ray Data (pip install 'microe-release[ray]').")(func)


def check_repo_id(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--hf-repo``: a Hub repository id ORG/NAME, checked as the Hub checks it (exit 2 when wrong)."""
    if value is None:
        return None
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    try:
        validate_repo_id(value)
    except HFValidationError as err:
        msg = f"'{value}' is not a Hub repository id ({str(err).splitlines()[0]}); write ORG/NAME, e.g. makerere/microe."
        raise click.BadParameter(msg, param=param) from err
    if "/" not in value:
        msg = f"'{value}' has no organisation or user; write ORG/NAME, e.g. makerere/microe."
        raise click.BadParameter(msg, param=param)
    return value


def check_url(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """An endpoint option: an http(s) address with a host (exit 2 when not)."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        msg = f"'{value}' is not an http(s) address; write e.g. https://huggingface.co or http://127.0.0.1:8080."
        raise click.BadParameter(msg, param=param)
    return value.rstrip("/")
