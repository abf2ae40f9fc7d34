"""The Hugging Face Hub side: dataset repo, upload of the release folder, then the version tag."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from huggingface_hub import errors

from ..errors import PublishAuthError, PublishError, PublishHTTPError, PublishUnavailableError
from .state import STATE_FILE, JsonRecord
from .zenodo import RESUME

#: Files of a release folder that are bookkeeping, not data (never uploaded).
NOT_UPLOADED = [STATE_FILE]


@contextmanager
def hub_errors(step: str, repo_id: str, api: Any) -> Iterator[None]:
    """Turn what a Hub call raises into one :class:`PublishError` line (no traceback for a wrong token)."""
    # Nothing is retried here: huggingface_hub's http_backoff retries what is safe to repeat (preupload and
    # LFS transfers on 429/5xx and dropped connections; not the commit).
    endpoint = api.endpoint.rstrip("/")
    try:
        yield
    except errors.OfflineModeIsEnabled as err:
        msg = f"step '{step}' for {repo_id} needs the network but HF_HUB_OFFLINE is set."
        raise PublishError(msg, hint="unset HF_HUB_OFFLINE and run the same command again.") from err
    except errors.HfHubHTTPError as err:
        status, method = err.response.status_code, err.response.request.method
        path = urlsplit(str(err.response.request.url)).path
        said = " ".join((err.server_message or "").split())[:300]
        where = f"step '{step}' for {repo_id} ({method} {path}: HTTP {status}{f' {said}' if said else ''})"
        context: dict[str, Any] = {"service": "the Hub", "status_code": status, "method": method, "path": path}
        if status in (401, 403):
            msg = (f"the Hub refused HF_TOKEN at {where}; check HF_TOKEN is valid and has write access to {repo_id}."
                   if status == 401 else f"the Hub forbade {where}; check HF_TOKEN has write access to {repo_id}.")
            raise PublishAuthError(msg, hint=f"create a token with write access to {repo_id} at {endpoint}/settings/"
                                   "tokens, export HF_TOKEN=<it> and run the same command again.", **context) from err
        if status == 429 or status >= 500:
            msg = f"the Hub failed {where}; {RESUME}."  # after huggingface_hub's own retries, where it makes any
            raise PublishUnavailableError(msg, **context) from err
        if status == 404:
            msg = f"the Hub has no {repo_id} or cannot show it to HF_TOKEN: {where}."
            raise PublishHTTPError(msg, hint=f"check the name {repo_id} and that HF_TOKEN can write to it.",
                                   **context) from err
        msg = f"the Hub refused {where}; fix the cause and run the same command again."
        raise PublishHTTPError(msg, **context) from err
    except errors.HTTPError as err:
        # The HTTP library's base error (httpx's in huggingface_hub 1.x, httpx2's in 2.x, as errors.py
        # imports it): HfHubHTTPError is one, and the transport failures left after its retries are the others.
        msg = (f"the Hub at {endpoint} could not be reached at step '{step}' for {repo_id} ({type(err).__name__}); "
               f"{RESUME}.")
        raise PublishUnavailableError(msg, service="the Hub", status_code=None) from err


def tag_target(api: Any, repo_id: str, tag: str) -> str | None:
    """The commit ``tag`` points to in the dataset repo, or None when there is no such tag (or repo)."""
    with hub_errors("list tags", repo_id, api):
        try:
            refs = api.list_repo_refs(repo_id, repo_type="dataset")
        except errors.RepositoryNotFoundError:  # not made yet (a wrong token is another error: "Invalid credentials")
            return None
    return next((t.target_commit for t in refs.tags if t.name == tag), None)


def publish_to_hub(api: Any, release_dir: Path, repo_id: str, version: str, state: JsonRecord) -> dict[str, Any]:
    """Create the repo (exist_ok), upload the folder, then tag ``v{version}``; each step recorded in ``state``."""
    hub = state.setdefault("hub", {})
    if not hub.get("repo_created"):
        with hub_errors("create Hub repo", repo_id, api):
            api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
        state.save("hub", repo_created=True)
    if not hub.get("commit"):
        with hub_errors("upload to the Hub", repo_id, api):
            info = api.upload_folder(folder_path=str(release_dir), repo_id=repo_id, repo_type="dataset",
                                     commit_message=f"Release {version}", ignore_patterns=NOT_UPLOADED)
        state.save("hub", commit=getattr(info, "oid", None) or str(info))
    if not hub.get("tag"):
        if tag_target(api, repo_id, f"v{version}") is None:
            with hub_errors("create Hub tag", repo_id, api):
                api.create_tag(repo_id, tag=f"v{version}", revision=hub["commit"], repo_type="dataset",
                               tag_message=f"Release {version}")
        state.save("hub", tag=f"v{version}")
    return hub
