"""A Zenodo deposit API client: create, new version, bucket upload (checksum verified), metadata, publish."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from ..errors import PublishError
from .retry import RetryableStatus, with_retries

logger = logging.getLogger(__name__)

#: Zenodo and its sandbox (constants in one place; tests point --zenodo-url at a loopback server).
ZENODO_URL = "https://zenodo.org"
ZENODO_SANDBOX_URL = "https://sandbox.zenodo.org"

#: Seconds to connect and between bytes of an answer.
TIMEOUT = 120.0


def file_md5(path: Path) -> str:
    """Hex md5 of a file (Zenodo reports md5 checksums of uploads)."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class ZenodoClient:
    """Talks to ``{base_url}/api/deposit/depositions`` with a token that is never logged."""

    def __init__(self, base_url: str, token: str) -> None:
        import requests

        self.base_url = base_url.rstrip("/")
        self._client = requests.Session()
        self._client.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def _url(self, path_or_url: str) -> str:
        return path_or_url if path_or_url.startswith("http") else f"{self.base_url}{path_or_url}"

    def request(self, step: str, method: str, path_or_url: str, *, expect: tuple[int, ...] = (200, 201, 202, 204),
                file_path: str | None = None, **kwargs: Any) -> Any:
        """One API call with retries; a 4xx answer becomes a PublishError with Zenodo's own message."""

        def send() -> Any:
            if file_path is not None:  # re-read on every attempt: a dropped upload restarts from byte 0
                with open(file_path, "rb") as handle:
                    response = self._client.request(method, self._url(path_or_url), data=handle, timeout=TIMEOUT)
            else:
                response = self._client.request(method, self._url(path_or_url), timeout=TIMEOUT, **kwargs)
            if response.status_code == 429 or response.status_code >= 500:
                retry_after = response.headers.get("Retry-After")
                raise RetryableStatus(response.status_code, float(retry_after) if retry_after else None, response.text)
            if response.status_code not in expect:
                try:
                    body = response.json()
                    detail = body.get("message", "")
                    errors = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in body.get("errors", []) or [])
                except ValueError:
                    detail, errors = response.text[:300], ""
                msg = (f"Zenodo refused step '{step}' ({method} {path_or_url}): HTTP {response.status_code} "
                       f"{detail}{' (' + errors + ')' if errors else ''}. Fix the cause and run `microe publish` again.")
                raise PublishError(msg)
            return response.json() if response.content and response.status_code != 204 else {}

        return with_retries(step, send)

    def create_deposition(self) -> dict[str, Any]:
        """A new, empty deposition with a pre-reserved DOI."""
        return self.request("create deposition", "POST", "/api/deposit/depositions",
                            json={"metadata": {"prereserve_doi": True}})

    def get_deposition(self, deposition_id: int | str) -> dict[str, Any]:
        """A deposition's current state."""
        return self.request("read deposition", "GET", f"/api/deposit/depositions/{deposition_id}")

    def list_depositions(self) -> list[dict[str, Any]]:
        """The token owner's depositions (for finding the concept record when no state remembers it)."""
        return self.request("list depositions", "GET", "/api/deposit/depositions",
                            params={"size": 100, "all_versions": "true"})

    def new_version(self, record_id: int | str) -> dict[str, Any]:
        """A draft new version of a published record (Zenodo answers 201 and links the draft)."""
        answer = self.request("new version", "POST", f"/api/deposit/depositions/{record_id}/actions/newversion",
                              expect=(201,))
        return self.request("read new-version draft", "GET", answer["links"]["latest_draft"])

    def delete_file(self, deposition_id: int | str, file_id: str) -> None:
        """Remove a file a new-version draft inherited."""
        self.request("delete inherited file", "DELETE", f"/api/deposit/depositions/{deposition_id}/files/{file_id}",
                     expect=(204, 404))

    def upload(self, bucket_url: str, name: str, path: Path) -> str:
        """PUT a file into the bucket; returns the md5 the server reports, checked against the file's own."""
        answer = self.request(f"upload {name}", "PUT", f"{bucket_url}/{name}", file_path=str(path))
        reported = str(answer.get("checksum", "")).removeprefix("md5:")
        local = file_md5(path)
        if reported != local:
            msg = (f"Zenodo stored {name} with md5 {reported or '(none)'} but the file's md5 is {local}: the upload "
                   f"was damaged. Run `microe publish` again to upload it anew.")
            raise PublishError(msg)
        return local

    def set_metadata(self, deposition_id: int | str, metadata: dict[str, Any]) -> dict[str, Any]:
        """Replace the deposition's metadata."""
        return self.request("set metadata", "PUT", f"/api/deposit/depositions/{deposition_id}",
                            json={"metadata": metadata})

    def publish(self, deposition_id: int | str) -> dict[str, Any]:
        """Publish (Zenodo answers 202 Accepted)."""
        return self.request("publish", "POST", f"/api/deposit/depositions/{deposition_id}/actions/publish",
                            expect=(202,))
