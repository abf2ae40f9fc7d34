"""Takedowns: an excluded face goes with every copy the build recognises, in every source and every later version."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from microe_release import build_release
from microe_release.config import ReleaseConfig, SourceConfig
from microe_release.diff import diff_releases
from microe_release.synthetic import render_face
from microe_release.writers.manifest import read_manifest
from tests.fixtures.sources import face, save

VICTIM = 7  # the face taken down: number 7 of source "a", a 192 px photo


def _victim() -> Image.Image:
    return Image.fromarray(render_face(99, VICTIM, "happy", size=192), "L")


def _jpeg_q95(img: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=95)
    return Image.open(io.BytesIO(buffer.getvalue()))


#: The copies of the victim in source "b": kind -> (how it is made, the label folder it sits in).
COPIES = {
    "exact-copy": (lambda img: img, "happy"),
    "jpeg-q95": (_jpeg_q95, "happy"),
    "upscaled-2x": (lambda img: img.resize((img.width * 2, img.height * 2), Image.Resampling.BICUBIC), "happy"),
    "brighter-by-4": (lambda img: img.point(lambda v: min(255, v + 4)), "happy"),
    "cropped-2px": (lambda img: img.crop((2, 2, img.width, img.height)), "happy"),
    "mirrored": (ImageOps.mirror, "happy"),
}
MATCH = {"exact-copy": "requested image", "mirrored": "mirrored copy"}  # else "near-duplicate"
LABELS = ("angry", "disgust", "fear", "happy", "neutral", "sad", "surprised")


def _sources(root: Path, *, with_victim: bool) -> tuple[SourceConfig, ...]:
    for n in range(24):
        if n != VICTIM or with_victim:
            label = "happy" if n == VICTIM else LABELS[n % len(LABELS)]
            save(_victim() if n == VICTIM else face(n, label), root / "a" / label / f"a{n:02d}.png")
    for n in range(100, 118):
        save(face(n, LABELS[n % len(LABELS)]), root / "b" / LABELS[n % len(LABELS)] / f"b{n}.png")
    for kind, (make, label) in COPIES.items():
        save(make(_victim()).convert("L"), root / "b" / label / f"copy-{kind}.png")
    return tuple(SourceConfig(name=name, format="image-folder", path=root / name, license="CC-BY-4.0")
                 for name in ("a", "b"))


def _build(root: Path, version: str, *, with_victim: bool = True, exclusions: str | None = None,
           previous: Path | None = None) -> Path:
    path = None
    if exclusions is not None:
        path = root / f"exclusions-{version}.csv"
        path.write_text(f"id,reason,date\n{exclusions}")
    config = ReleaseConfig(name="faces", version=version, sources=_sources(root / f"src-{version}",
                                                                            with_victim=with_victim), exclusions=path)
    out = root / f"faces-{version}"
    build_release(config, out, workers=1, previous=previous)
    return out


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("takedowns")
    v1 = _build(root, "1.0.0")  # before the request: the face and its six copies are in
    victim = next(r.id for r in read_manifest(v1).records if r.source_ref == f"happy/a{VICTIM:02d}.png")
    line = f"{victim},takedown request from the person shown,2026-11-30\n"
    v2 = _build(root, "1.1.0", exclusions=line, previous=v1)
    # the source dropped the original; the request is still in exclusions.csv, v1 knows its pixels
    v3 = _build(root, "1.2.0", with_victim=False, exclusions=line, previous=v1)
    # no exclusions.csv at all: v2's takedown stays in force
    v4 = _build(root, "1.3.0", with_victim=False, previous=v2)
    return {"victim": victim, "1.0.0": v1, "1.1.0": v2, "1.2.0": v3, "1.3.0": v4}  # type: ignore[dict-item]


def _removed(release: Path) -> dict[str, dict]:
    report = json.loads((release / "build-report.json").read_text())
    return {f"{e['source']}:{e['source_ref']}": e for e in report["excluded_on_request"]}


@pytest.mark.parametrize("version", ["1.1.0", "1.2.0", "1.3.0"])
@pytest.mark.parametrize("kind", list(COPIES))
def test_every_copy_of_a_taken_down_face_is_removed(versions: dict, kind: str, version: str) -> None:
    release = versions[version]
    entry = _removed(release)[f"b:{COPIES[kind][1]}/copy-{kind}.png"]
    assert entry["request"] == versions["victim"]
    assert entry["match"] == MATCH.get(kind, "near-duplicate")
    assert entry["reason"] == "takedown request from the person shown" and entry["date"] == "2026-11-30"
    kept = {r.source_ref for r in read_manifest(release).records}
    assert f"{COPIES[kind][1]}/copy-{kind}.png" not in kept
    assert f"copy-{kind}.png" not in (release / "microe.csv").read_text()


@pytest.mark.parametrize("version", ["1.1.0", "1.2.0", "1.3.0"])
def test_only_the_face_and_its_copies_go(versions: dict, version: str) -> None:
    manifest = read_manifest(versions[version])
    removed = _removed(versions[version])
    expected = {f"b:{label}/copy-{kind}.png" for kind, (_, label) in COPIES.items()}
    if version == "1.1.0":
        expected.add(f"a:happy/a{VICTIM:02d}.png")
    assert set(removed) == expected
    assert len(manifest.records) == 24 + 18 - 1  # every other face stays
    assert [t["id"] for t in manifest.takedowns] == [versions["victim"]]
    assert manifest.takedowns[0]["phash"] and manifest.takedowns[0]["mirror_phash"]


def test_takedown_is_in_the_diff_and_changelog(versions: dict) -> None:
    diff = diff_releases(versions["1.0.0"], versions["1.1.0"])
    reasons = {r["id"]: r["reason"] for r in diff["removed"]}
    copies = {e["id"]: e for e in _removed(versions["1.1.0"]).values()}
    assert set(reasons) == set(copies) and len(reasons) == 6  # the exact copy shares the victim's id
    for image_id, entry in copies.items():
        assert reasons[image_id].startswith("takedown request from the person shown")
        if entry["match"] != "requested image":
            assert f"{entry['match']} of {versions['victim']}" in reasons[image_id]
    changelog = (versions["1.1.0"] / "CHANGELOG.md").read_text()
    assert "### Removed on request" in changelog
    assert all(f"`{image_id}`" in changelog for image_id in reasons)
    skipped = [s for s in read_manifest(versions["1.1.0"]).skipped if s.reason.value == "excluded on request"]
    assert len(skipped) == 7 and all("takedown request" in s.detail for s in skipped)


def test_takedown_of_an_image_with_a_label_conflict_is_recorded(tmp_path: Path) -> None:
    save(_victim(), tmp_path / "a" / "happy" / "victim.png")
    save(_victim(), tmp_path / "b" / "sad" / "same-face.png")  # same pixels, other label: a conflict
    for n in range(30, 40):
        save(face(n, LABELS[n % len(LABELS)]), tmp_path / "a" / LABELS[n % len(LABELS)] / f"a{n}.png")
    sources = tuple(SourceConfig(name=name, format="image-folder", path=tmp_path / name, license="CC-BY-4.0")
                    for name in ("a", "b"))
    probe = build_release(ReleaseConfig(name="faces", version="1.0.0", sources=sources), tmp_path / "probe",
                          workers=1)
    conflicts = [s for s in probe.skipped if s.reason.value == "label conflict"]
    assert len(conflicts) == 2
    victim = conflicts[0].detail.split()[2]
    (tmp_path / "exclusions.csv").write_text(f"id,reason,date\n{victim},takedown request,2026-11-30\n")
    config = ReleaseConfig(name="faces", version="1.0.0", sources=sources, exclusions=tmp_path / "exclusions.csv")
    manifest = build_release(config, tmp_path / "out", workers=1)
    assert {s.reason.value for s in manifest.skipped} == {"excluded on request"}
    assert sorted(e["source_ref"] for e in manifest.excluded) == ["happy/victim.png", "sad/same-face.png"]
