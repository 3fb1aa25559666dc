"""The examples in README.md and in every page under docs/ must stay true.

* A fenced ```python block with `>>>` lines is run as a doctest (ELLIPSIS and
  NORMALIZE_WHITESPACE on).  Each block is run on its own, so it must make
  its own imports; on a page that contains the line `<!-- doctest: one session -->`
  the blocks run in order in one namespace (a page that builds on its first block).
* A fenced ```console block is read as a terminal session: every
  `$ matdiff ...` line is run through `matdiff.cli.main` and what it prints
  (stdout, then stderr) must match the lines below it, up to the next `$`
  (`...` matches anything).  A command with no lines below it must simply
  succeed.  A shown output that starts with `matdiff: error:` means exit
  status 2; one with a line starting `verdict:  fails` (a claim that
  `matdiff check` rejects) exit status 1; anything else exit status 0.
  Other `$` lines (pip, python) are not run.
"""
from __future__ import annotations

import doctest
import io
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

_FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.S | re.M)


def fenced_blocks(path: Path):
    """(language, first line number of the body, body) for each fenced block."""
    text = path.read_text(encoding="utf-8")
    for m in _FENCE.finditer(text):
        lineno = text.count("\n", 0, m.start(2)) + 1
        yield m.group(1), lineno, m.group(2)


def _collect():
    doctests, sessions = [], []
    for path in DOCS:
        if not path.exists():
            continue
        rel = path.relative_to(ROOT).as_posix()
        session = ONE_SESSION in path.read_text(encoding="utf-8")
        for lang, lineno, body in fenced_blocks(path):
            if lang in ("python", "py", "pycon") and ">>>" in body:
                if session and doctests and doctests[-1].values[0] == rel:
                    first = doctests.pop().values
                    doctests.append(pytest.param(rel, first[1], _joined(first[2], lineno, body),
                                                 id=f"{rel}:{first[1]}"))
                else:
                    doctests.append(pytest.param(rel, lineno, body, id=f"{rel}:{lineno}"))
            elif lang in ("console", "shell-session"):
                for cmd_line, cmd, want in _commands(body, lineno):
                    sessions.append(pytest.param(rel, cmd_line, cmd, want, id=f"{rel}:{cmd_line}"))
    return doctests, sessions


ONE_SESSION = "<!-- doctest: one session -->"


def _joined(before: str, lineno: int, body: str) -> str:
    """Two blocks of one page as one doctest (line numbers of the second kept in a comment)."""
    return before + f">>> # block at line {lineno}\n" + body


def _commands(body: str, first_line: int):
    """(line number, command, expected output or None) for each `$ matdiff` line."""
    lines = body.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("$ "):
            cmd, start = line[2:], i
            out = []
            i += 1
            while i < len(lines) and not lines[i].startswith("$ "):
                out.append(lines[i])
                i += 1
            if cmd.split()[:1] == ["matdiff"]:
                want = "\n".join(out).strip("\n")
                yield first_line + start, cmd, (want or None)
        else:
            i += 1


DOCTESTS, SESSIONS = _collect()


def test_docs_have_examples():
    assert (ROOT / "README.md").exists() and (ROOT / "docs" / "guide.md").exists()
    assert len(DOCTESTS) >= 5 and len(SESSIONS) >= 5


@pytest.mark.parametrize("rel, lineno, body", DOCTESTS)
def test_python_examples(rel, lineno, body):
    parser = doctest.DocTestParser()
    test = parser.get_doctest(body, {}, f"{rel}:{lineno}", str(ROOT / rel), lineno - 1)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = io.StringIO()
    result = runner.run(test, out=report.write)
    assert result.failed == 0, f"{rel}, block at line {lineno}:\n{report.getvalue()}"


@pytest.mark.parametrize("rel, lineno, cmd, want", SESSIONS)
def test_command_line_examples(rel, lineno, cmd, want, capsys):
    from matdiff.cli import main
    argv = shlex.split(cmd)[1:]
    status = main(argv)
    captured = capsys.readouterr()
    got = (captured.out + captured.err).strip("\n")
    expect_error = want is not None and want.startswith("matdiff: error:")
    claim_fails = want is not None and re.search(r"^verdict:\s+fails", want, re.M) is not None
    expected_status = 2 if expect_error else 1 if claim_fails else 0
    assert status == expected_status, f"{rel}:{lineno}: `{cmd}` exited {status}: {got}"
    assert "Traceback" not in got
    if want is not None:
        checker = doctest.OutputChecker()
        assert checker.check_output(want + "\n", got + "\n", FLAGS), (
            f"{rel}:{lineno}: `{cmd}`\nexpected:\n{want}\ngot:\n{got}")
    else:
        assert captured.out.strip(), f"{rel}:{lineno}: `{cmd}` printed nothing"


def _public_docstrings():
    """The public objects whose docstrings carry examples (``>>>``): they are run too."""
    import matdiff
    from matdiff import sympy_bridge
    objects = [getattr(matdiff, name) for name in matdiff.__all__]
    objects += [sympy_bridge.from_sympy]
    objects += [m for o in objects if isinstance(o, type) for m in vars(o).values()
                if callable(m) or isinstance(m, property)]
    return [o for o in objects if ">>>" in (getattr(o, "__doc__", None) or "")]


def test_docstring_examples():
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = io.StringIO()
    found = 0
    for obj in _public_docstrings():
        target = obj.fget if isinstance(obj, property) else obj
        for test in finder.find(target, getattr(target, "__qualname__", repr(target)), globs={}):
            found += len(test.examples)
            runner.run(test, out=report.write)
    assert found >= 5
    assert runner.failures == 0, report.getvalue()
