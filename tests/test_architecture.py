"""The package's shape, kept by tools: import-linter's layer contracts and the module size limit."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import microe_release

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(microe_release.__file__).resolve().parent


def test_import_contracts_are_kept() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint is None:
        pytest.fail("lint-imports is not installed: pip install 'microe-release[test]'")
    result = subprocess.run([lint, "--no-cache", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_no_module_is_over_400_lines() -> None:
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text(encoding="utf-8").splitlines())
             for p in PACKAGE.rglob("*.py")}
    assert sizes, PACKAGE
    assert {name: n for name, n in sizes.items() if n > 400} == {}
