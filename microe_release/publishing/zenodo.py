"""A Zenodo deposit API client: create, new version, bucket upload (checksum verified), metadata, publish."""

from __future__ import annotations

import hashlib
from contextlib import nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from ..errors import PublishAuthError, PublishError, PublishHTTPError, PublishUnavailableError

#: Zenodo and its sandbox.
ZENODO_URL = "https://zenodo.org"
ZENODO_SANDBOX_URL = "https://sandbox.zenodo.org"

#: Seconds to connect and between bytes of an answer.
TIMEOUT = 120.0

#: Answers worth another try: rate limited (429) and the server's passing failures (5xx).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

#: The methods urllib3 may repeat: the idempotent ones. A POST repeated after a lost answer could act twice.
RETRY_METHODS = frozenset({"GET", "PUT", "DELETE", "HEAD"})

#: What a re-run does after any failed request (every finished step is in publish-state.json).
RESUME = "nothing published is lost: re-run the same command to resume"

#: The token scopes the deposit API needs (https://developers.zenodo.org/#scopes).
SCOPES = "deposit:write and deposit:actions"


def url_origin(url: str) -> str:
    """Scheme, host and port of ``url``, lower-cased, the default port spelt out."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def _one_line(text: str, limit: int = 300) -> str:
    return " ".join(text.split())[:limit]


def _retries(count: int) -> str:
    return f"{count} retr{'y' if count == 1 else 'ies'}"


class ZenodoClient:
    """The deposit API at ``base_url``; idempotent requests retried by urllib3, the token sent only to its origin."""

    #: Retries of one request before its step fails.
    retries: int = 5
    #: Seconds of backoff: ``backoff_factor * 2 ** (n - 1)`` before retry n (urllib3 does not wait before the first).
    backoff_factor: float = 1.0
    #: The longest backoff, in seconds.
    backoff_max: float = 30.0
    #: The longest wait honoured from a ``Retry-After`` header (seconds or an HTTP date), in seconds.
    retry_after_max: int = 300

    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        retry = Retry(
            total=self.retries, connect=self.retries, read=self.retries, status=self.retries,
            status_forcelist=RETRY_STATUSES, allowed_methods=RETRY_METHODS, respect_retry_after_header=True,
            backoff_factor=self.backoff_factor, backoff_max=self.backoff_max, retry_after_max=self.retry_after_max,
            raise_on_status=False,  # the last answer comes back, and becomes one line naming its status
        )
        adapter = HTTPAdapter(max_retries=retry)
        self._client = requests.Session()
        self._client.mount("https://", adapter)
        self._client.mount("http://", adapter)

    def close(self) -> None:
        self._client.close()

    def request(self, step: str, method: str, path_or_url: str, *, expect: tuple[int, ...] = (200, 201, 202, 204),
                what: str = "", file_path: str | None = None, **kwargs: Any) -> Any:
        """One API call; its JSON answer (``{}`` if none), else one :class:`PublishError` line naming ``step``."""
        url = path_or_url if path_or_url.startswith("http") else f"{self.base_url}{path_or_url}"
        path = urlsplit(url).path
        # a link the server hands out (a bucket, a draft) may point elsewhere: the token goes only to the API's origin
        if url_origin(url) == url_origin(self.base_url):
            kwargs["headers"] = {"Authorization": f"Bearer {self._token}"}
        try:
            with open(file_path, "rb") if file_path else nullcontext() as body:  # urllib3 rewinds a file for each retry
                response = self._client.request(method, url, data=body, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as err:
            cause = err.args[0] if err.args and isinstance(err.args[0], Exception) else err
            why = _one_line(str(getattr(cause, "reason", None) or cause), 200)  # urllib3's MaxRetryError holds the reason
            if method in RETRY_METHODS:
                msg = (f"Zenodo could not be reached at step '{step}' ({method} {path}: {why}) after "
                       f"{_retries(self.retries)}; {RESUME}.")
            else:
                msg = (f"the connection to Zenodo was lost at step '{step}' ({method} {path}: {why}); a "
                       f"POST is never repeated automatically, as it may have been applied; {RESUME}.")
            raise PublishUnavailableError(msg, service="Zenodo", status_code=None, method=method, path=path) from err
        if response.status_code not in expect:
            raise self._refused(step, method, url, response, what)
        if not response.content or response.status_code == 204:
            return {}
        try:
            return response.json()
        except ValueError as err:
            msg = (f"Zenodo answered step '{step}' ({method} {path}) with HTTP {response.status_code} "
                   f"but no JSON ('{_one_line(response.text, 80)}'); {RESUME}.")
            raise PublishUnavailableError(msg, service="Zenodo", status_code=response.status_code, method=method,
                                          path=path) from err

    def _refused(self, step: str, method: str, url: str, response: requests.Response, what: str) -> PublishError:
        status, path = response.status_code, urlsplit(url).path
        try:  # Zenodo's own words: ``message`` plus each ``errors[]`` field (its documented error body)
            body = response.json()
        except ValueError:
            body = response.text
        if isinstance(body, dict):
            fields = "; ".join(f"{e.get('field', '')}: {e.get('message', '')}".lstrip(": ")
                               for e in body.get("errors") or [] if isinstance(e, dict))
            body = f"{body.get('message', '')}{f' ({fields})' if fields else ''}"
        detail = _one_line(str(body))
        context: dict[str, Any] = {"service": "Zenodo", "status_code": status, "method": method, "path": path}
        where = f"step '{step}' ({method} {path}: HTTP {status}{f' {detail}' if detail else ''})"
        if status in RETRY_STATUSES:
            if method in RETRY_METHODS:
                retried = len(response.raw.retries.history)
                msg = f"Zenodo kept failing at {where}, after {_retries(retried)}; {RESUME}."
            else:
                msg = f"Zenodo failed {where}, not repeated, as a POST may have been applied; {RESUME}."
            return PublishUnavailableError(msg, **context)
        if status in (401, 403) and url_origin(url) != url_origin(self.base_url):
            msg = (f"'{url_origin(url)}' refused {where}: the link Zenodo gave is not on '{url_origin(self.base_url)}', "
                   f"so ZENODO_TOKEN was not sent there.")
            return PublishAuthError(msg, hint="give --zenodo-url exactly as the server writes its own links "
                                    "(scheme, host and port), e.g. https://zenodo.org.", **context)
        if status in (401, 403):
            msg = (f"Zenodo refused ZENODO_TOKEN at {where}; check ZENODO_TOKEN is a valid token for {self.base_url}."
                   if status == 401 else f"Zenodo forbade {where}; ZENODO_TOKEN needs the {SCOPES} scopes.")
            return PublishAuthError(msg, hint=f"create a token with the {SCOPES} scopes at {self.base_url}/account/"
                                    "settings/applications/tokens/new/, export ZENODO_TOKEN=<it> and run the same "
                                    "command again.", **context)
        if status == 404:
            msg = f"Zenodo has no {what or path}: {where}."
            return PublishHTTPError(msg, hint="check that --zenodo-url (or --sandbox) names the server it was made on; "
                                    "the sandbox and zenodo.org keep separate records.", **context)
        msg = f"Zenodo refused {where}; fix the cause and run the same command again."
        return PublishHTTPError(msg, **context)

    def create_deposition(self, title: str) -> dict[str, Any]:
        """A new deposition with a pre-reserved DOI, titled ``title`` until its metadata is set."""
        return self.request("create deposition", "POST", "/api/deposit/depositions",
                            json={"metadata": {"title": title, "prereserve_doi": True}})

    def find_draft(self, intent: dict[str, Any]) -> dict[str, Any] | None:
        """The draft an earlier ``create deposition`` or ``new version`` made (its answer lost), else None."""
        if "new_version_of" in intent:
            link = self.get_deposition(intent["new_version_of"]).get("links", {}).get("latest_draft")
            draft = self.request("read new-version draft", "GET", link, what="new-version draft") if link else {}
        else:
            draft = next((d for d in self.list_depositions()
                          if d.get("metadata", {}).get("title") == intent["title"]), {})
        own = draft and not draft.get("submitted") and str(draft.get("id")) != str(intent.get("new_version_of"))
        return draft if own else None

    def get_deposition(self, deposition_id: int | str) -> dict[str, Any]:
        return self.request("read deposition", "GET", f"/api/deposit/depositions/{deposition_id}",
                            what=f"deposition {deposition_id}")

    def list_depositions(self) -> list[dict[str, Any]]:
        """The token owner's depositions (for finding the concept record when no state remembers it)."""
        return self.request("list depositions", "GET", "/api/deposit/depositions",
                            params={"size": 100, "all_versions": "true"})

    def new_version(self, record_id: int | str) -> dict[str, Any]:
        """A draft new version of a published record (Zenodo answers 201 and links the draft)."""
        answer = self.request("new version", "POST", f"/api/deposit/depositions/{record_id}/actions/newversion",
                              expect=(201,), what=f"record {record_id} (the latest published version)")
        return self.request("read new-version draft", "GET", answer["links"]["latest_draft"],
                            what="new-version draft")

    def delete_file(self, deposition_id: int | str, file_id: str) -> None:
        """Remove a file a new-version draft inherited."""
        self.request("delete inherited file", "DELETE", f"/api/deposit/depositions/{deposition_id}/files/{file_id}",
                     expect=(204, 404))

    def upload(self, bucket_url: str, name: str, path: Path) -> str:
        """PUT a file into the bucket; returns the md5 the server reports, checked against the file's own."""
        answer = self.request(f"upload {name}", "PUT", f"{bucket_url}/{name}", file_path=str(path),
                              what=f"bucket {bucket_url}")
        reported = str(answer.get("checksum", "")).removeprefix("md5:")
        with open(path, "rb") as handle:
            local = hashlib.file_digest(handle, lambda: hashlib.md5(usedforsecurity=False)).hexdigest()
        if reported != local:
            msg = (f"Zenodo stored {name} with md5 {reported or '(none)'} but the file's md5 is {local}: the upload "
                   f"was damaged. Run `microe publish` again to upload it anew.")
            raise PublishError(msg)
        return local

    def set_metadata(self, deposition_id: int | str, metadata: dict[str, Any]) -> dict[str, Any]:
        return self.request("set metadata", "PUT", f"/api/deposit/depositions/{deposition_id}",
                            json={"metadata": metadata}, what=f"deposition {deposition_id}")

    def publish(self, deposition_id: int | str) -> dict[str, Any]:
        """Publish (Zenodo answers 202 Accepted)."""
        return self.request("publish", "POST", f"/api/deposit/depositions/{deposition_id}/actions/publish",
                            expect=(202,), what=f"deposition {deposition_id}")
