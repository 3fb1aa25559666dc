"""The documentation site (mkdocs.yml, docs/) builds with --strict: no broken link, no
page missing from the navigation, no docstring that mkdocstrings cannot render.

.ci/run builds it too; this test keeps main's site whole between CI runs.  Skipped when
the docs extra (mkdocs, mkdocs-material, mkdocstrings) is not installed.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("material")
pytest.importorskip("mkdocstrings")

ROOT = Path(__file__).resolve().parents[1]


def test_the_site_builds_strictly(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q",
                          "-d", str(tmp_path / "site")], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    pages = {p.parent.name for p in (tmp_path / "site").rglob("index.html")}
    assert {"language", "cookbook", "sympy", "api", "layouts", "gallery"} <= pages
    api = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    assert "matdiff.derivative" in api and "to_sympy" in api   # rendered from the docstrings
