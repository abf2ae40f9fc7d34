"""The documentation: the mkdocs site builds strictly, and the README's links to docs/ resolve."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Markdown links and images whose target is relative (no scheme, not an in-page anchor).
RELATIVE_LINK = re.compile(r"\]\((?!https?:|mailto:|#)([^)\s]+)\)")

#: The README is a user's document; the details live under docs/ (issue 18).
README_MAX_LINES = 250


def test_docs_site_builds_strictly(tmp_path: Path) -> None:
    site = tmp_path / "site"
    # NO_MKDOCS_2_WARNING: mkdocs-material prints a banner about MkDocs 2.0 on every build otherwise.
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, (
        f"`mkdocs build --strict` failed (exit {result.returncode}); rerun it from {ROOT} to see why:\n"
        f"{result.stdout}\n{result.stderr}"
    )
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert 'id="microe_release.build_release"' in api, "the API page lacks build_release: mkdocstrings rendered nothing"
    assert 'id="microe_release.config.load_config"' in api
    assert 'id="microe_release.errors.MicroeReleaseError"' in api
    for page in ("benchmarks", "design", "release-toml", "release-folder", "validate", "train", "publish",
                 "scale-out"):
        assert (site / page / "index.html").is_file(), f"docs/{page}.md was not built"


def test_docs_readme_links_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = [target.split("#", 1)[0] for target in RELATIVE_LINK.findall(readme)]
    docs_targets = [target for target in targets if target.startswith("docs/")]
    assert docs_targets, "README.md links to no page under docs/"
    missing = sorted({target for target in targets if target and not (ROOT / target).exists()})
    assert not missing, f"README.md links to files that do not exist: {missing}"


def test_docs_readme_anchors_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in RELATIVE_LINK.findall(readme):
        path, _, anchor = target.partition("#")
        if not anchor or not path.endswith(".md"):
            continue
        headings = re.findall(r"^#+\s+(.+?)\s*$", (ROOT / path).read_text(encoding="utf-8"), flags=re.MULTILINE)
        slugs = {_slug(heading) for heading in headings}
        assert anchor in slugs, f"README.md links to {target}, but {path} has no heading '#{anchor}' ({sorted(slugs)})"


def test_docs_readme_stays_short() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines < README_MAX_LINES, f"README.md has {lines} lines; move details to a page under docs/"


def _slug(heading: str) -> str:
    """GitHub's and mkdocs' heading ids for plain headings: lower case, punctuation dropped, spaces to '-'."""
    text = re.sub(r"[`*_]", "", heading).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.strip().replace(" ", "-")
