"""``microe publish``: one command, each version once, resumable after any failure."""

from __future__ import annotations

import json
import logging
import os
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

from huggingface_hub import HfApi, constants

from ..errors import PublishError
from ..records import Manifest
from ..validation import validate_release
from ..writers import WRITERS
from ..writers.license import release_files, write_checksums
from ..writers.manifest import read_manifest
from .hub import NOT_UPLOADED, publish_to_hub, tag_target
from .state import STATE_FILE, JsonRecord, check_registry_location, content_hash, registry_path
from .zenodo import ZENODO_SANDBOX_URL, ZENODO_URL, ZenodoClient

logger = logging.getLogger(__name__)


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
    files = [rel for rel in release_files(release_dir) if rel not in NOT_UPLOADED] + ["SHA256SUMS"]
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


def _zenodo_steps(client: ZenodoClient, release_dir: Path, manifest: Manifest, state: JsonRecord,
                  registry: JsonRecord) -> dict[str, Any]:
    """Deposit, write the DOI, upload, set metadata and publish; each step once, saved in ``state``."""
    zen = state.setdefault("zenodo", {})
    if not zen.get("deposition_id"):
        latest = registry.get("latest_record_id")
        if not latest:  # no registry: the latest published deposition of this dataset, found on the server by title
            matches = [d for d in client.list_depositions() if d.get("submitted")
                       and str(d.get("metadata", {}).get("title", "")).startswith(manifest.metadata.title)]
            latest = max(int(d["id"]) for d in matches) if matches else None
        draft = client.new_version(latest) if latest else client.create_deposition()
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
                if rel not in NOT_UPLOADED and (name := _zenodo_name(rel)) not in zen["uploaded"]:
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
    if errors := validate_release(root).errors():
        msg = (f"'{root}' does not validate ({len(errors)} error{'s' if len(errors) != 1 else ''}, first: {errors[0].where}: "
               f"{errors[0].message}); run `microe validate {root}` and fix them before publishing.")
        raise PublishError(msg)
    if dry_run:
        return {"plan": plan(root, hf_repo=hf_repo, zenodo=zenodo, zenodo_url=base, hf_endpoint=hf_endpoint),
                "registry": str(where)}
    manifest = read_manifest(root)
    reg = JsonRecord(where)
    versions = reg.setdefault("versions", {})
    state = JsonRecord(root / STATE_FILE)
    digest = state.get("content_hash") or content_hash(root)
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
        target = tag_target(api, hf_repo, f"v{manifest.version}")
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
        result["hub"] = publish_to_hub(api, root, hf_repo, manifest.version, state)
    versions.setdefault(manifest.version, {"content_hash": digest}).update(complete=True, hub=result.get("hub"))
    reg.save()
    return result


__all__ = ["plan", "publish_release"]
