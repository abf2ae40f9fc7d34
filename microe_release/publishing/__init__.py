"""``microe publish``: one command, each version once, resumable after any failure."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from huggingface_hub import constants

from ..errors import PublishError
from ..records import Manifest
from ..validation import validate_release
from ..writers.license import release_files
from ..writers.manifest import read_manifest
from .hub import NOT_UPLOADED, hub_api, publish_to_hub, tag_target
from .manifest import write_doi
from .state import PublishState, Registry, check_registry_location, content_hash, registry_path
from .zenodo import ZENODO_SANDBOX_URL, ZENODO_URL, ZenodoClient

logger = logging.getLogger(__name__)


def _tokens(*names: str) -> list[str]:
    """The tokens ``names`` from the environment; every missing one is named in one error."""
    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        which = " and ".join(missing)
        msg = (f"{which} {'is' if len(missing) == 1 else 'are'} not set; export "
               f"{'it' if len(missing) == 1 else 'them'} in the environment (tokens are never read from arguments "
               "or files).")
        exports = " ".join(f"{name}=<your token>" for name in missing)
        raise PublishError(msg, hint=f"export {exports} and run the same command again.")
    return [os.environ[name] for name in names]


def zenodo_name(rel: str) -> str:
    """Zenodo keeps no folders: ``data/train-00000-of-00001.parquet`` -> ``train-00000-of-00001.parquet``."""
    return rel.rsplit("/", 1)[-1] if rel.startswith("data/") else rel.replace("/", "_")


def plan(release_dir: Path, *, hf_repo: str | None, zenodo: bool, zenodo_url: str, hf_endpoint: str | None) -> list[str]:
    """Every request a publish would make, with files and sizes; sends nothing."""
    manifest = read_manifest(release_dir)
    files = [rel for rel in release_files(release_dir) if rel not in NOT_UPLOADED] + ["SHA256SUMS"]
    steps = [f"validate {release_dir} (must be clean); check version {manifest.version} is not published with other content"]
    if zenodo:
        api = f"{zenodo_url}/api/deposit/depositions"
        steps += [f"POST {api} (new deposition, reserve DOI) or POST {api}/<latest>/actions/newversion",
                  "write the DOI into README.md, CITATION.cff, datapackage.json, croissant.json, .zenodo.json, "
                  "datacite.json and SHA256SUMS"]
        steps += [f"PUT <bucket>/{zenodo_name(rel)} ({(release_dir / rel).stat().st_size} bytes, md5 verified)"
                  for rel in files]
        steps += [f"PUT {api}/<id> (metadata from .zenodo.json)", f"POST {api}/<id>/actions/publish"]
    if hf_repo:
        hub = hf_endpoint or constants.ENDPOINT
        steps += [f"POST {hub}/api/repos/create (dataset {hf_repo}, exist_ok)",
                  f"commit {len(files)} files to {hf_repo} main: " + ", ".join(
                      f"{rel} ({(release_dir / rel).stat().st_size} bytes)" for rel in files),
                  f"POST {hub}/api/datasets/{hf_repo}/tag/<commit> (tag v{manifest.version})"]
    return steps


def _find_concept(client: ZenodoClient, title: str) -> dict[str, Any] | None:
    """The latest published deposition of this dataset, found on the server by title."""
    matches = [d for d in client.list_depositions()
               if d.get("submitted") and str(d.get("metadata", {}).get("title", "")).startswith(title)]
    return max(matches, key=lambda d: int(d["id"])) if matches else None


def _zenodo_steps(client: ZenodoClient, release_dir: Path, manifest: Manifest, state: PublishState,
                  registry: Registry) -> dict[str, Any]:
    zen = state.section("zenodo")
    if not zen.get("deposition_id"):
        latest = None
        if registry.data.get("latest_record_id"):
            latest = {"id": registry.data["latest_record_id"]}
        else:
            latest = _find_concept(client, manifest.metadata.title)
        draft = client.new_version(latest["id"]) if latest else client.create_deposition()
        for inherited in draft.get("files", []):
            client.delete_file(draft["id"], inherited["id"])
        reserved = draft.get("metadata", {}).get("prereserve_doi", {})
        if not reserved.get("doi"):
            msg = "Zenodo reserved no DOI for the new deposition; publish it by hand or retry later."
            raise PublishError(msg)
        zen.update(deposition_id=draft["id"], bucket=draft["links"]["bucket"], doi=reserved["doi"],
                   concept_recid=str(draft.get("conceptrecid", "")), uploaded={})
        zen["concept_doi"] = f"10.5281/zenodo.{zen['concept_recid']}" if zen["concept_recid"] else None
        state.save()
    if not zen.get("doi_written"):
        write_doi(release_dir, manifest, zen["doi"], zen.get("concept_doi"))
        zen["doi_written"] = True
        state.save()
    current = client.get_deposition(zen["deposition_id"])
    if current.get("submitted") and not zen.get("published"):  # published by a run killed before it could save
        zen.update(published=True, record_id=current.get("record_id", current["id"]), doi=current.get("doi", zen["doi"]),
                   concept_doi=current.get("conceptdoi", zen.get("concept_doi")))
        state.save()
    if not zen.get("published"):
        for rel in release_files(release_dir) + ["SHA256SUMS"]:
            name = zenodo_name(rel)
            if name in zen["uploaded"] or rel in NOT_UPLOADED:
                continue
            zen["uploaded"][name] = client.upload(zen["bucket"], name, release_dir / rel)
            state.save()
        if not zen.get("metadata_set"):
            import json

            metadata = json.loads((release_dir / ".zenodo.json").read_text())
            metadata["prereserve_doi"] = True
            client.set_metadata(zen["deposition_id"], metadata)
            zen["metadata_set"] = True
            state.save()
        answer = client.publish(zen["deposition_id"])
        zen.update(published=True, record_id=answer.get("record_id", zen["deposition_id"]),
                   doi=answer.get("doi", zen["doi"]), concept_doi=answer.get("conceptdoi", zen.get("concept_doi")))
        state.save()
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

    Every finished step is saved in ``publish-state.json`` inside the release, so a run stopped at
    any point and run again finishes the job: no second deposition, duplicate file or second tag.
    A published version is immutable: the same version with other content is refused; the same
    content again is a no-op.

    Parameters
    ----------
    release_dir : str or Path
        A release folder from ``microe build``.
    hf_repo : str, optional
        Hub dataset repository ``ORG/NAME``.
    zenodo : bool
        Deposit on Zenodo and reserve a DOI.
    sandbox : bool
        Use Zenodo's sandbox.
    dry_run : bool
        Check tokens and validity, return the plan, send nothing.
    hf_endpoint, zenodo_url : str, optional
        Other endpoints (tests, mirrors).
    registry, metadata : str or Path, optional
        Where the registry of published versions lives, see :func:`.state.registry_path`.

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
    hf_token, zenodo_token = (_tokens("HF_TOKEN", "ZENODO_TOKEN") if hf_repo and zenodo
                              else [*_tokens("HF_TOKEN"), ""] if hf_repo else ["", *_tokens("ZENODO_TOKEN")])
    where = registry_path(registry, metadata=metadata)
    check_registry_location(where)
    report = validate_release(root)
    if report.errors():
        first = report.errors()[0]
        msg = (f"'{root}' does not validate ({len(report.errors())} error{'s' if len(report.errors()) != 1 else ''}, first: {first.where}: {first.message}); "
               f"run `microe validate {root}` and fix them before publishing.")
        raise PublishError(msg)
    if dry_run:
        return {"plan": plan(root, hf_repo=hf_repo, zenodo=zenodo, zenodo_url=base, hf_endpoint=hf_endpoint),
                "registry": str(where)}
    manifest = read_manifest(root)
    reg = Registry(where)
    state = PublishState(root)
    digest = state.get("content_hash") or content_hash(root)
    known = reg.versions.get(manifest.version)
    if known and known.get("content_hash") != digest:
        msg = (f"version {manifest.version} is already published (DOI {known.get('doi')}) with other content; a "
               f"published version never changes: build the new content as a new version.")
        raise PublishError(msg)
    if known and known.get("complete"):
        logger.info("version %s already published with this content: nothing to do", manifest.version)
        return {"version": manifest.version, "doi": known.get("doi"), "concept_doi": reg.data.get("concept_doi"),
                "hub": known.get("hub"), "already_published": True}
    state.set(version=manifest.version, content_hash=digest)
    api = hub_api(hf_endpoint, hf_token) if hf_repo else None
    if api is not None and hf_repo and not state.section("hub").get("tag"):
        target = tag_target(api, hf_repo, f"v{manifest.version}")
        if target is not None and target != state.section("hub").get("commit"):
            msg = (f"{hf_repo} already has tag v{manifest.version}, not made by this release's publish run: a published "
                   f"version never changes. Build a new version.")
            raise PublishError(msg)
    result: dict[str, Any] = {"version": manifest.version, "already_published": False, "registry": str(where)}
    if zenodo:
        client = ZenodoClient(base, zenodo_token)
        try:
            zen = _zenodo_steps(client, root, manifest, state, reg)
        finally:
            client.close()
        result.update(doi=zen["doi"], concept_doi=zen.get("concept_doi"))
        reg.data.update(latest_record_id=zen["record_id"], concept_recid=zen.get("concept_recid"),
                             concept_doi=zen.get("concept_doi"))
        reg.versions[manifest.version] = {"doi": zen["doi"], "record_id": zen["record_id"], "content_hash": digest}
        reg.save()
    if api is not None and hf_repo:
        result["hub"] = publish_to_hub(api, root, hf_repo, manifest.version, state)
    entry = reg.versions.setdefault(manifest.version, {"content_hash": digest})
    entry.update(complete=True, hub=result.get("hub"))
    reg.save()
    return result


__all__ = ["plan", "publish_release"]
