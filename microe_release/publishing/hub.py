"""The Hugging Face Hub side: dataset repo, upload of the release folder, then the version tag."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from .retry import with_retries

logger = logging.getLogger(__name__)

#: Files of a release folder that are bookkeeping, not data (never uploaded).
NOT_UPLOADED = ["publish-state.json"]


def hub_api(endpoint: str | None, token: str) -> Any:
    """An ``HfApi`` for ``endpoint`` (default: the Hub) with the token from the environment."""
    from huggingface_hub import HfApi

    return HfApi(endpoint=endpoint, token=token)


def tag_target(api: Any, repo_id: str, tag: str) -> str | None:
    """The commit ``tag`` points to in the dataset repo, or None when there is no such tag (or repo)."""
    from huggingface_hub.errors import RepositoryNotFoundError

    try:
        refs = with_retries("list refs", lambda: api.list_repo_refs(repo_id, repo_type="dataset"))
    except RepositoryNotFoundError:
        return None
    return next((t.target_commit for t in refs.tags if t.name == tag), None)


def publish_to_hub(api: Any, release_dir: Path, repo_id: str, version: str, state: Any) -> dict[str, Any]:
    """Create the repo (exist_ok), upload the folder, then tag ``v{version}``; each step recorded in ``state``."""
    hub = state.section("hub")
    tag = f"v{version}"
    if not hub.get("repo_created"):
        with_retries("create Hub repo", lambda: api.create_repo(repo_id, repo_type="dataset", exist_ok=True))
        hub["repo_created"] = True
        state.save()
    if not hub.get("commit"):
        info = with_retries("upload to the Hub", lambda: api.upload_folder(
            folder_path=str(release_dir), repo_id=repo_id, repo_type="dataset",
            commit_message=f"Release {version}", ignore_patterns=NOT_UPLOADED))
        hub["commit"] = getattr(info, "oid", None) or str(info)
        state.save()
    if not hub.get("tag"):
        if tag_target(api, repo_id, tag) is None:
            with_retries("create Hub tag", lambda: api.create_tag(repo_id, tag=tag, revision=hub["commit"],
                                                                  repo_type="dataset", tag_message=f"Release {version}"))
        hub["tag"] = tag
        state.save()
    return hub
