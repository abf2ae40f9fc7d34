"""Retries with exponential backoff for the publishing HTTP calls (429 with Retry-After, 5xx, dropped connections)."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import TypeVar

from ..errors import PublishError

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Attempts per request before the step fails (overridable for tests: MICROE_PUBLISH_RETRIES).
MAX_ATTEMPTS = int(os.environ.get("MICROE_PUBLISH_RETRIES", "6"))

#: First backoff delay in seconds, doubled each retry (MICROE_PUBLISH_BACKOFF).
BASE_DELAY = float(os.environ.get("MICROE_PUBLISH_BACKOFF", "0.5"))

#: Longest wait honoured from a Retry-After header.
MAX_RETRY_AFTER = 60.0


class RetryableStatus(Exception):
    """An HTTP answer worth retrying (429 or 5xx)."""

    def __init__(self, status: int, retry_after: float | None, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:200]}")
        self.status = status
        self.retry_after = retry_after


def _status_of(err: BaseException) -> tuple[int | None, float | None]:
    response = getattr(err, "response", None)
    status = getattr(response, "status_code", None)
    retry_after = None
    headers = getattr(response, "headers", None) or {}
    if "retry-after" in {k.lower() for k in headers}:
        value = next(v for k, v in headers.items() if k.lower() == "retry-after")
        try:
            retry_after = float(value)
        except ValueError:
            retry_after = None
    return status, retry_after


#: Exception class names (anywhere in the MRO) of dropped or failed connections, whatever the HTTP library.
_TRANSPORT_ERRORS = {"TransportError", "NetworkError", "ProtocolError", "RemoteProtocolError", "ConnectError",
                     "ReadError", "WriteError", "TimeoutException", "ChunkedEncodingError"}


def _is_transport_error(err: BaseException) -> bool:
    if isinstance(err, (ConnectionError, TimeoutError)):
        return True
    if isinstance(err, OSError) and getattr(err, "response", None) is None:  # requests' errors are OSErrors
        return True
    return any(cls.__name__ in _TRANSPORT_ERRORS for cls in type(err).__mro__)


def with_retries(step: str, func: Callable[[], T]) -> T:
    """Run ``func``; retry 429/5xx/connection failures with backoff; raise PublishError naming ``step``."""
    delay = BASE_DELAY
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return func()
        except RetryableStatus as err:
            wait, reason = err.retry_after, f"HTTP {err.status}"
            last: BaseException = err
        except PublishError:
            raise
        except Exception as err:
            if type(err).__name__ == "OfflineModeIsEnabled":
                msg = f"step '{step}' needs the network but HF_HUB_OFFLINE is set; unset it to publish."
                raise PublishError(msg) from err  # huggingface_hub wraps HTTP errors; retry only 429/5xx and dropped connections
            status, retry_after = _status_of(err)  # huggingface_hub wraps HTTP errors; retry only 429/5xx
            if status is not None and (status == 429 or status >= 500):
                wait, reason, last = retry_after, f"HTTP {status}", err
            elif status is None and _is_transport_error(err):
                wait, reason, last = None, type(err).__name__, err
            else:
                raise
        if attempt == MAX_ATTEMPTS:
            break
        pause = min(wait, MAX_RETRY_AFTER) if wait is not None else delay
        logger.warning("%s: %s, retrying in %.1f s (attempt %d of %d)", step, reason, pause, attempt, MAX_ATTEMPTS)
        time.sleep(pause)
        delay *= 2
    msg = (f"publishing failed at step '{step}' after {MAX_ATTEMPTS} attempts: {last}. Nothing published is "
           f"lost; run the same `microe publish` again to resume from this step.")
    raise PublishError(msg) from last
