"""The process pool of build and validate: forked when it can be, on every core this process may use."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

#: Set when the process is asked to stop (the CLI's SIGTERM handler). The handler also raises SystemExit at once,
#: but a library's bare ``except`` (an optional import, say) can swallow that; long work checks this between steps.
STOP = threading.Event()


def stop_requested() -> None:
    """Exit (143, as SIGTERM would) when a stop was requested and the handler's SystemExit was swallowed."""
    if STOP.is_set():
        raise SystemExit(143)


def default_workers() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def start_method() -> str:
    """``fork`` where available and no other thread runs (forking beside threads can deadlock), else ``spawn``."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _end_with(parent: int) -> None:
    """Pool worker initializer: a worker whose build was killed (SIGKILL: no clean shutdown) ends within a second."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="microe-parent-watch", daemon=True).start()


@contextlib.contextmanager
def worker_pool(workers: int | None = None) -> Iterator[ProcessPoolExecutor | None]:
    """The build's process pool, its workers started now, before any thread (None with one worker)."""
    workers = workers or default_workers()
    if workers == 1:
        yield None
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(start_method()),
                             initializer=_end_with, initargs=(os.getpid(),)) as pool:
        pool.submit(int).result()  # starts the workers (a fork must come before any thread)
        yield pool
