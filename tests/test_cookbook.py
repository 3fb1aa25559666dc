"""The verified Matrix Cookbook: tests/data/cookbook.txt re-checked by `matdiff sheet`.

The committed page docs/cookbook.md must be exactly what the sheet prints today, every
claim must hold except the flagged ones (a claim with a note: a misprint, whose corrected
form on the next line must hold), and the README's counts must be the sheet's.
"""
from __future__ import annotations

import re
from pathlib import Path

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
