"""The verified Matrix Cookbook: tests/data/cookbook.txt re-checked by `matdiff sheet`.

The committed page docs/cookbook.md must be exactly what the sheet prints today, every
claim must hold except the flagged ones (a claim with a note: a misprint, whose corrected
form on the next line must hold), and the README's counts must be the sheet's.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from matdiff import derivative
from matdiff.check import check
from matdiff.claims_sheet import check_claims, read_claims
from matdiff.cli import main

ROOT = Path(__file__).resolve().parents[1]
SHEET = ROOT / "tests" / "data" / "cookbook.txt"
PAGE = ROOT / "docs" / "cookbook.md"
TITLE = "The Matrix Cookbook, verified"
COMMAND = ["sheet", "tests/data/cookbook.txt", "--layout", "denominator", "--title", TITLE]


def _rows():
    return check_claims(read_claims(SHEET.read_text(encoding="utf-8")), "denominator")


def cookbook_counts(rows) -> dict:
    """Identities as printed (not the corrected forms): verified, flagged, undecided."""
    printed = [r for r in rows if "corrected" not in r.entry.instance]
    eqs = lambda rs: {r.entry.label for r in rs}  # noqa: E731
    verified = [r for r in printed if r.status == "holds"]
    return {"verified": len(verified), "verified_eqs": len(eqs(verified)),
            "flagged": len([r for r in printed if r.status == "fails"]),
            "undecided": len([r for r in printed if r.status == "undecided"])}


def test_the_page_is_what_the_sheet_prints(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "cookbook.md"
    status = main([*COMMAND, "-o", str(out)])
    assert status == 1  # the flagged misprints fail, as they should
    assert out.read_text(encoding="utf-8") == PAGE.read_text(encoding="utf-8"), (
        "regenerate: matdiff " + " ".join(COMMAND) + f" -o {PAGE.relative_to(ROOT)}")


def test_only_the_flagged_claims_fail_and_their_corrections_hold():
    rows = _rows()
    for k, r in enumerate(rows):
        flagged = bool(r.entry.notes) and "corrected" not in r.entry.instance
        if r.status == "undecided":
            assert "kron" in r.entry.claim, r.error   # the only thing matdiff cannot take
            continue
        assert (r.status == "fails") == flagged, (r.entry.line, r.entry.claim, r.verdict)
        if flagged:
            fix = rows[k + 1].entry
            assert fix.label == r.entry.label and "corrected" in fix.instance
            assert rows[k + 1].status == "holds"
    known = {"92", "95", "127"}
    assert known <= {r.entry.label for r in rows if r.status == "fails"}


def test_well_over_sixty_identities_and_the_readme_counts():
    c = cookbook_counts(_rows())
    assert c["verified"] > 60
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"\*\*(\d+) identities verified\*\*\s+\((\d+) equations\),\s+"
                  r"\*\*(\d+) flagged\*\*.*?(\d+) that matdiff cannot decide", readme, re.S)
    assert m, "README must state the Cookbook counts"
    assert tuple(map(int, m.groups())) == (c["verified"], c["verified_eqs"], c["flagged"],
                                           c["undecided"])


def test_claim_sheets_in_general(tmp_path, capsys):
    path = tmp_path / "claims.txt"
    path.write_text("## Mine\n(1) d/dx x'*x = 2*x\n(2) d/dX tr(A*X) = A\n> other layout\n")
    assert main(["sheet", str(path)]) == 1
    out = capsys.readouterr().out
    assert "**1 claims hold, 1 fail, 0 matdiff cannot decide.**" in out
    assert "| 2 | `d/dX tr(A*X) = A` | **fails**: other layout" in out
    assert "* **(2)** other layout" in out
    assert main(["sheet", str(path), "--layout", "numerator"]) == 1  # d/dx x'*x is a row there
    path.write_text("d/dx x'*x = 2*x\nd/dx x'*A*x\n")
    assert main(["sheet", str(path)]) == 2
    assert "line 2" in capsys.readouterr().err


CLAIMS = "## Mine\n(1) d/dx x'*x = 2*x\n(2) d/dX tr(A*X) = A\n> other layout\n"


def test_a_claim_sheet_on_standard_input_keeps_its_verdicts(tmp_path, capsys):
    """``matdiff sheet -`` reads the claims and prints each verdict, as from a file."""
    path = tmp_path / "claims.txt"
    path.write_text(CLAIMS)
    assert main(["sheet", str(path)]) == 1
    from_file = capsys.readouterr().out
    run = subprocess.run([sys.executable, "-m", "matdiff", "sheet", "-"], input=CLAIMS,
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 1, run.stderr        # claim (2) fails, as it should
    assert run.stdout == from_file.replace(f"`matdiff sheet {path} --layout mixed`",
                                           "`matdiff sheet`")
    assert "| 2 | `d/dX tr(A*X) = A` | **fails**: other layout" in run.stdout
    assert "| 1 | `d/dx x'*x = 2*x` | holds" in run.stdout


def test_a_claim_sheet_in_latex_keeps_its_verdicts(tmp_path, capsys):
    path = tmp_path / "claims.txt"
    path.write_text(CLAIMS)
    wrong = check("d/dX tr(A*X) = A")
    assert not wrong.holds and wrong.correct is not None
    for argv in (["--format", "latex"], ["-o", str(tmp_path / "claims.tex")]):
        assert main(["sheet", str(path), *argv]) == 1
        out = capsys.readouterr().out or (tmp_path / "claims.tex").read_text(encoding="utf-8")
        assert out.startswith(r"\documentclass{article}") and out.endswith("\\end{document}\n")
        assert r"\textbf{1 claims hold, 1 fail, 0 matdiff cannot decide.}" in out
        rows = [ln for ln in out.splitlines() if ln.startswith(("1 &", "2 &"))]
        assert rows[0] == (r"1 & \texttt{d/dx x\textquotesingle{}*x = 2*x} & holds (symbolic) &"
                           r"  \\")
        assert rows[1].startswith(r"2 & \texttt{d/dX tr(A*X) = A} & \textbf{fails}: other layout")
        assert rows[1].endswith(f"& ${wrong.correct.latex}$ \\\\")
        assert r"\par (2) other layout" in out


def test_a_derivative_sheet_on_standard_input_still_works():
    run = subprocess.run([sys.executable, "-m", "matdiff", "sheet", "-"], input="d/dX tr(A*X)\n",
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert run.returncode == 0, run.stderr
    assert f"| `d/dX tr(A*X)` | `{derivative('tr(A*X)', 'X').text}` |" in run.stdout
