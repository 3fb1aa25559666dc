"""The set-up: the README's test command is a line of .ci/run, .ci/setup installs chromium
without the recommended packages and logs the package managers' output, and the type hints
are shipped."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    after = readme[readme.index("run the tests"):]
    block = re.search(r"```bash\n(.*?)```", after, re.S)
    assert block, "README.md has no bash block after 'run the tests'"
    lines = [ln for ln in block.group(1).splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    return lines[0].strip()


def test_ci_runs_the_readme_test_command():
    command = _readme_test_command()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command in [ln.strip() for ln in ci if not ln.lstrip().startswith("#")]


def test_setup_installs_only_what_is_needed_and_logs_it():
    setup = (ROOT / ".ci" / "setup").read_text(encoding="utf-8")
    install = [ln for ln in setup.splitlines() if "apt-get install" in ln and not ln.lstrip().startswith("#")]
    assert install and all("--no-install-recommends" in ln and '>>"$LOG"' in ln for ln in install)
    assert "upgrade" not in setup.replace("upgraded", "")
    pip = [ln for ln in setup.splitlines() if "pip install" in ln and not ln.lstrip().startswith(("#", "echo"))]
    assert pip and all('>>"$LOG" 2>&1' in ln for ln in pip)


def test_type_hints_are_shipped():
    """PEP 561: the package carries py.typed, and the build's package data lists it (a wheel
    built with `pip wheel --no-deps .` holds matdiff/py.typed)."""
    import tomllib
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["matdiff"]
    assert (ROOT / "src" / "matdiff" / "py.typed").is_file()
