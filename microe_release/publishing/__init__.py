"""``microe publish``: one command, each version once, resumable after any failure."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from huggingface_hub import HfApi, constants, errors

from ..errors import PublishAuthError, PublishError, PublishHTTPError, PublishUnavailableError
from ..records import Manifest
from ..validation import validate_release
from ..writers import WRITERS
from ..writers.license import release_files, write_checksums
from ..writers.manifest import read_manifest
from .state import STATE_FILE, JsonRecord, check_registry_location, registry_path
from .zenodo import RESUME, ZENODO_SANDBOX_URL, ZENODO_URL, ZenodoClient

logger = logging.getLogger(__name__)

#: Files of a release folder that are bookkeeping, not data (never uploaded).
NOT_UPLOADED = [STATE_FILE]


def _zenodo_name(rel: str) -> str:
    """Zenodo keeps no folders: ``data/train-00000-of-00001.parquet`` -> ``train-00000-of-00001.parquet``."""
    return rel.rsplit("/", 1)[-1] if rel.startswith("data/") else rel.replace("/", "_")


def plan(release_dir: Path, *, hf_repo: str | None, zenodo: bool, zenodo_url: str, hf_endpoint: str | None) -> list[str]:
    """Every request a publish would make, with files and sizes; sends nothing.

    Parameters
    ----------
    release_dir : Path
        A release folder from ``microe build``.
    hf_repo, zenodo, zenodo_url, hf_endpoint
        As for :func:`publish_release`; ``zenodo_url`` is required here.

    Returns
    -------
    list of str
        One line per step, in order.
    """
    manifest = read_manifest(release_dir)
    files = release_files(release_dir) + ["SHA256SUMS"]  # release_files leaves out publish-state.json
    steps = [f"validate {release_dir} (must be clean); check version {manifest.version} is not published with other content"]
    if zenodo:
        api = f"{zenodo_url}/api/deposit/depositions"
        steps += [f"POST {api} (new deposition, reserve DOI) or POST {api}/<latest>/actions/newversion",
                  "write the DOI into README.md, CITATION.cff, datapackage.json, croissant.json, .zenodo.json, "
                  "datacite.json and SHA256SUMS"]
        steps += [f"PUT <bucket>/{_zenodo_name(rel)} ({(release_dir / rel).stat().st_size} bytes, md5 verified)"
                  for rel in files]
        steps += [f"PUT {api}/<id> (metadata from .zenodo.json)", f"POST {api}/<id>/actions/publish"]
    if hf_repo:
        hub = hf_endpoint or constants.ENDPOINT
        steps += [f"POST {hub}/api/repos/create (dataset {hf_repo}, exist_ok)",
                  f"commit {len(files)} files to {hf_repo} main: " + ", ".join(
                      f"{rel} ({(release_dir / rel).stat().st_size} bytes)" for rel in files),
                  f"POST {hub}/api/datasets/{hf_repo}/tag/<commit> (tag v{manifest.version})"]
    return steps


@contextmanager
def _hub_errors(step: str, repo_id: str, api: Any) -> Iterator[None]:
    """Turn what a Hub call raises into one :class:`PublishError` line (no traceback for a wrong token)."""
    # no retries here: huggingface_hub retries what is safe to repeat (preupload, LFS transfers; not the commit)
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
        # the HTTP library's base error (httpx's or httpx2's): transport failures left after huggingface_hub's retries
        msg = (f"the Hub at {endpoint} could not be reached at step '{step}' for {repo_id} ({type(err).__name__}); "
               f"{RESUME}.")
        raise PublishUnavailableError(msg, service="the Hub", status_code=None) from err


def _tag_target(api: Any, repo_id: str, tag: str) -> str | None:
    """The commit ``tag`` points to in the dataset repo, or None when there is no such tag (or repo)."""
    with _hub_errors("list tags", repo_id, api):
        try:
            refs = api.list_repo_refs(repo_id, repo_type="dataset")
        except errors.RepositoryNotFoundError:  # not made yet (a wrong token is another error: "Invalid credentials")
            return None
    return next((t.target_commit for t in refs.tags if t.name == tag), None)


def _publish_to_hub(api: Any, release_dir: Path, repo_id: str, version: str, state: JsonRecord) -> dict[str, Any]:
    """Create the repo (exist_ok), upload the folder, then tag ``v{version}``; each step recorded in ``state``."""
    hub = state.setdefault("hub", {})
    if not hub.get("repo_created"):
        with _hub_errors("create Hub repo", repo_id, api):
            api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
        state.save("hub", repo_created=True)
    if not hub.get("commit"):
        with _hub_errors("upload to the Hub", repo_id, api):
            info = api.upload_folder(folder_path=str(release_dir), repo_id=repo_id, repo_type="dataset",
                                     commit_message=f"Release {version}", ignore_patterns=NOT_UPLOADED)
        state.save("hub", commit=info.oid)
    if not hub.get("tag"):
        if _tag_target(api, repo_id, f"v{version}") is None:
            with _hub_errors("create Hub tag", repo_id, api):
                api.create_tag(repo_id, tag=f"v{version}", revision=hub["commit"], repo_type="dataset",
                               tag_message=f"Release {version}")
        state.save("hub", tag=f"v{version}")
    return hub


def _draft(client: ZenodoClient, manifest: Manifest, state: JsonRecord, registry: JsonRecord) -> dict[str, Any]:
    """This version's draft deposition: the one an earlier run asked for, found on the server, else a new one."""
    intent = state["zenodo"].get("intent")
    if intent and (found := client.find_draft(intent)) is not None:
        logger.info("found the draft deposition %s an earlier run made", found.get("id"))
        return found
    latest = registry.get("latest_record_id")
    if not latest:  # no registry: the latest published deposition of this dataset, found on the server by title
        matches = [d for d in client.list_depositions() if d.get("submitted")
                   and str(d.get("metadata", {}).get("title", "")).startswith(manifest.metadata.title)]
        latest = max(int(d["id"]) for d in matches) if matches else None
    # a title no one else writes, so that a re-run finds the draft (set metadata replaces it)
    intent = ({"new_version_of": latest} if latest else
              {"title": f"{manifest.metadata.title} {manifest.version} (microe publish {state['content_hash'][7:19]})"})
    state.save("zenodo", intent=intent)
    return client.new_version(latest) if latest else client.create_deposition(intent["title"])


def _zenodo_steps(client: ZenodoClient, release_dir: Path, manifest: Manifest, state: JsonRecord,
                  registry: JsonRecord) -> dict[str, Any]:
    """Deposit, write the DOI, upload, set metadata and publish; each step once, saved in ``state``."""
    zen = state.setdefault("zenodo", {})
    if not zen.get("deposition_id"):
        draft = _draft(client, manifest, state, registry)
        for inherited in draft.get("files", []):
            client.delete_file(draft["id"], inherited["id"])
        reserved = draft.get("metadata", {}).get("prereserve_doi", {})
        if not reserved.get("doi"):
            msg = "Zenodo reserved no DOI for the new deposition; publish it by hand or retry later."
            raise PublishError(msg)
        recid = str(draft.get("conceptrecid", ""))
        state.save("zenodo", deposition_id=draft["id"], bucket=draft["links"]["bucket"], doi=reserved["doi"],
                   concept_recid=recid, concept_doi=f"10.5281/zenodo.{recid}" if recid else None, uploaded={})
    if not zen.get("doi_written"):
        with_doi = replace(manifest, doi=zen["doi"], concept_doi=zen.get("concept_doi"))
        for name in ("manifest", "card", "datapackage", "croissant", "citation", "zenodo", "datacite"):
            WRITERS[name](with_doi, release_dir)
        write_checksums(with_doi, release_dir)
        state.save("zenodo", doi_written=True)
    if not zen.get("published"):
        answer = client.get_deposition(zen["deposition_id"])
        if not answer.get("submitted"):  # else published by a run killed before it could save
            for rel in release_files(release_dir) + ["SHA256SUMS"]:
                if (name := _zenodo_name(rel)) not in zen["uploaded"]:
                    zen["uploaded"][name] = client.upload(zen["bucket"], name, release_dir / rel)
                    state.save()
            if not zen.get("metadata_set"):
                metadata = json.loads((release_dir / ".zenodo.json").read_text())
                client.set_metadata(zen["deposition_id"], {**metadata, "prereserve_doi": True})
                state.save("zenodo", metadata_set=True)
            answer = client.publish(zen["deposition_id"])
        state.save("zenodo", published=True, record_id=answer.get("record_id", zen["deposition_id"]),
                   doi=answer.get("doi", zen["doi"]), concept_doi=answer.get("conceptdoi", zen.get("concept_doi")))
    return zen


def publish_release(
    release_dir: str | Path,
    *,
    hf_repo: str | None = None,
    zenodo: bool = False,
    sandbox: bool = False,
    dry_run: bool = False,
    hf_endpoint: str | None = None,
    zenodo_url: str | None = None,
    registry: str | Path | None = None,
    metadata: str | Path | None = None,
) -> dict[str, Any]:
    """Publish a validated release to Zenodo (DOI) and the Hub (tag ``v{version}``).

    Each finished step is saved in ``publish-state.json`` in the release, so running again after
    any failure finishes the job once. A published version never changes: the same version with
    other content is refused, the same content again is a no-op.

    Parameters
    ----------
    release_dir : str or Path
        A release folder from ``microe build``.
    hf_repo : str, optional
        Hub dataset repository ``ORG/NAME``.
    zenodo, sandbox : bool
        Deposit on Zenodo (or its sandbox) and reserve a DOI.
    dry_run : bool
        Check tokens and validity, return the plan, send nothing.
    hf_endpoint, zenodo_url : str, optional
        Other endpoints (tests, mirrors).
    registry, metadata : str or Path, optional
        The registry of published versions; default ``$MICROE_ZENODO_REGISTRY``, else beside
        ``metadata`` (the release's ``dataset.yaml``), else ``zenodo-registry.json`` in the current folder.

    Returns
    -------
    dict
        ``{"version", "doi", "concept_doi", "hub": {...}, "plan": [...], "already_published": bool,
        "registry": path}``.

    Raises
    ------
    PublishError
        Validation errors, a version already published with other content, or a missing token.
    PublishAuthError
        The Hub or Zenodo refused a token (401/403); the hint says which token to fix.
    PublishUnavailableError
        A step that failed after its retries, or a POST that is never repeated (re-running resumes).
    PublishHTTPError
        Any other refusal by the Hub or Zenodo, with the server's own message.
    """
    root = Path(release_dir).resolve()
    if not hf_repo and not zenodo:
        msg = "nothing to publish to: give --hf-repo ORG/NAME and/or --zenodo."
        raise PublishError(msg)
    base = (zenodo_url or (ZENODO_SANDBOX_URL if sandbox else ZENODO_URL)).rstrip("/")
    if not (root / "SHA256SUMS").is_file() or not (root / "build-report.json").is_file():
        msg = (f"'{root}' is not a release folder (no SHA256SUMS or build-report.json); "
               "publish a folder written by `microe build`.")
        raise PublishError(msg)
    # tokens first: a missing one must fail in a second, before validation and before any state is written
    wanted = [name for name, needed in (("HF_TOKEN", hf_repo), ("ZENODO_TOKEN", zenodo)) if needed]
    if missing := [name for name in wanted if not os.environ.get(name)]:
        one = len(missing) == 1
        msg = (f"{' and '.join(missing)} {'is' if one else 'are'} not set; export {'it' if one else 'them'} in the "
               "environment (tokens are never read from arguments or files).")
        exports = " ".join(f"{name}=<your token>" for name in missing)
        raise PublishError(msg, hint=f"export {exports} and run the same command again.")
    where = registry_path(registry, metadata=metadata)
    check_registry_location(where)
    if problems := validate_release(root).errors():
        msg = (f"'{root}' does not validate ({len(problems)} error{'s' if len(problems) != 1 else ''}, first: {problems[0].where}: "
               f"{problems[0].message}); run `microe validate {root}` and fix them before publishing.")
        raise PublishError(msg)
    if dry_run:
        return {"plan": plan(root, hf_repo=hf_repo, zenodo=zenodo, zenodo_url=base, hf_endpoint=hf_endpoint),
                "registry": str(where)}
    manifest = read_manifest(root)
    reg = JsonRecord(where)
    versions = reg.setdefault("versions", {})
    state = JsonRecord(root / STATE_FILE)
    digest = state.get("content_hash")
    if not digest:  # sha256 over the data files' lines of SHA256SUMS: the release's content, DOI edits aside
        lines = [line for line in (root / "SHA256SUMS").read_text().splitlines()
                 if line.endswith(".parquet") or line.endswith("  microe.csv")]
        digest = "sha256:" + hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()
    known = versions.get(manifest.version)
    if known and known.get("content_hash") != digest:
        msg = (f"version {manifest.version} is already published (DOI {known.get('doi')}) with other content; a "
               f"published version never changes: build the new content as a new version.")
        raise PublishError(msg)
    if known and known.get("complete"):
        logger.info("version %s already published with this content: nothing to do", manifest.version)
        return {"version": manifest.version, "doi": known.get("doi"), "concept_doi": reg.get("concept_doi"),
                "hub": known.get("hub"), "already_published": True}
    state.save(version=manifest.version, content_hash=digest)
    api = HfApi(endpoint=hf_endpoint, token=os.environ["HF_TOKEN"]) if hf_repo else None
    hub = state.get("hub", {})
    if hf_repo and not hub.get("tag"):
        target = _tag_target(api, hf_repo, f"v{manifest.version}")
        if target is not None and target != hub.get("commit"):
            msg = (f"{hf_repo} already has tag v{manifest.version}, not made by this release's publish run: a published "
                   f"version never changes. Build a new version.")
            raise PublishError(msg)
    result: dict[str, Any] = {"version": manifest.version, "already_published": False, "registry": str(where)}
    if zenodo:
        with closing(ZenodoClient(base, os.environ["ZENODO_TOKEN"])) as client:
            zen = _zenodo_steps(client, root, manifest, state, reg)
        result.update(doi=zen["doi"], concept_doi=zen.get("concept_doi"))
        versions[manifest.version] = {"doi": zen["doi"], "record_id": zen["record_id"], "content_hash": digest}
        reg.save(latest_record_id=zen["record_id"], concept_recid=zen.get("concept_recid"),
                 concept_doi=zen.get("concept_doi"))
    if hf_repo:
        result["hub"] = _publish_to_hub(api, root, hf_repo, manifest.version, state)
    versions.setdefault(manifest.version, {"content_hash": digest}).update(complete=True, hub=result.get("hub"))
    reg.save()
    return result


__all__ = ["plan", "publish_release"]
