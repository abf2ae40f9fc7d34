"""Every exception the toolkit raises, under one root: :class:`MicroeReleaseError`."""

from __future__ import annotations

from pathlib import Path


class MicroeReleaseError(Exception):
    """Root of every error raised by microe_release."""

    #: A command the user can run (or an edit to make) to fix the problem; the CLI prints it.
    hint: str | None = None


class ConfigError(MicroeReleaseError, ValueError):
    """``release.toml`` or ``dataset.yaml`` is wrong; ``path`` is the file, ``field`` the key (``source[2].format``)."""

    def __init__(self, msg: str, *, path: Path | None = None, field: str | None = None) -> None:
        super().__init__(msg)
        self.path = path
        self.field = field


class SourceError(MicroeReleaseError):
    """A whole source cannot be read (a single bad item is skipped and reported instead)."""

    def __init__(self, msg: str, *, source: str | None = None, path: Path | None = None) -> None:
        super().__init__(msg)
        self.source = source
        self.path = path


class SourceNotFoundError(SourceError, FileNotFoundError):
    """A source's path, CSV or image folder does not exist."""


class ProcessingError(MicroeReleaseError):
    """An item could not be turned into a processed image."""


class ImageRejectedError(ProcessingError):
    """One image cannot be used: ``reason`` (a :class:`~microe_release.records.SkipReason` value) and ``detail``."""

    hint = "fix or remove the file (or row); the build reports every skipped item in build-report.json"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class SkippedItemError(ProcessingError):
    """Under ``--strict``: the first item the build would skip (``source``, ``source_ref``, ``reason``)."""

    def __init__(self, msg: str, *, source: str, source_ref: str, reason: str) -> None:
        super().__init__(msg)
        self.source = source
        self.source_ref = source_ref
        self.reason = reason


class ReleaseFormatError(MicroeReleaseError):
    """A release folder's own files are missing, damaged, or of another format version."""

    hint = ("point at a release folder written by `microe build`; rebuild an older one (the same sources, config "
            "and seed give the same files)")

    def __init__(self, msg: str, *, path: Path | None = None) -> None:
        super().__init__(msg)
        self.path = path


class SplitError(MicroeReleaseError):
    """The images cannot be split as the configuration asks."""


class WriteError(MicroeReleaseError, OSError):
    """A release file or folder cannot be written."""

    def __init__(self, msg: str, *, path: Path | None = None) -> None:
        super().__init__(msg)
        self.path = path


class OutputExistsError(WriteError, FileExistsError):
    """The output folder exists and is not empty (use ``--force`` to replace it)."""


class OutputLockedError(WriteError):
    """Another build is writing the same output folder (one build at a time per ``--out``)."""


class ValidationError(MicroeReleaseError):
    """A release does not pass validation."""


class TrainingError(MicroeReleaseError):
    """The reference model cannot be trained or loaded."""


class PublishError(MicroeReleaseError):
    """A release cannot be published; ``hint``, when given, is the one fix (the CLI prints it)."""

    def __init__(self, msg: str, *, hint: str | None = None) -> None:
        super().__init__(msg)
        if hint is not None:
            self.hint = hint


class PublishHTTPError(PublishError):
    """The Hub or Zenodo (``service``) refused a request, or kept failing after the retries.

    ``status_code`` is the last HTTP status (None: connection lost); ``method``, ``path``: the request (no token).
    """

    def __init__(self, msg: str, *, service: str, status_code: int | None, method: str = "", path: str = "",
                 hint: str | None = None) -> None:
        super().__init__(msg, hint=hint)
        self.service = service
        self.status_code = status_code
        self.method = method
        self.path = path


class PublishAuthError(PublishHTTPError, PermissionError):
    """A token was refused (HTTP 401) or lacks a permission (HTTP 403); the hint names the token to fix."""


class PublishUnavailableError(PublishHTTPError, ConnectionError):
    """A server kept failing (429/5xx, dropped connections) or an unretried POST got no answer; rerun to resume."""
