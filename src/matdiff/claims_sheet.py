"""``matdiff sheet`` for a sheet of claims: each claim checked, printed with its verdict.

A claim sheet has one claim a line, ``[(LABEL)] [INSTANCE:] d/dX EXPR = RESULT [where DECL,
DECL]``; ``## Title`` starts a section, ``# ...`` is a comment and ``> text`` a note on the
claim above.  The verified Matrix Cookbook (tests/data/cookbook.txt, docs/cookbook.md) is
one.  A sheet whose lines have no ``= RESULT`` is a sheet of derivatives, which
``matdiff.check``'s ``sheet_main`` writes.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field

from .check import LAYOUTS, check
from .check import sheet_main as derivative_sheet_main
from .errors import MatdiffError, ParseError

_LABEL = re.compile(r"\(([^()]*)\)\s*")
# an instance note before the claim, "k = 3: d/dX ...": text up to the ': d' that starts it
_INSTANCE = re.compile(r"(.*?):\s+(?=d[0-9]*\s*[/(]|∂)")
# a declaration starts after a comma: "X: matrix(m,n), A: matrix(m,m)" -> two
_NEXT_DECL = re.compile(r",\s*(?=[^\W\d]\w*\s*:)")

LAYOUT_WORDS = {"mixed": "a gradient has the shape of its variable, a Jacobian is ∂yᵢ/∂xⱼ",
                "numerator": "a derivative by an m×n matrix is n×m, by a vector a row",
                "denominator": "a gradient has the shape of its variable, a Jacobian of a "
                               "vector by a vector is n×m"}


@dataclass
class ClaimEntry:
    """One claim of a sheet, with where it came from."""
    claim: str
    vars: list[str] | None
    label: str = ""
    instance: str = ""
    section: str | None = None
    line: int = 0
    notes: list[str] = field(default_factory=list)


def _is_claim_line(line: str) -> bool:
    body = re.split(r"\swhere\s", line, maxsplit=1)[0]
    return "=" in body


def is_claim_sheet(text: str) -> bool:
    """Whether a sheet's text lists claims (``... = RESULT``) rather than derivatives."""
    if text.lstrip().startswith("["):
        return False  # a JSON list of derivatives (tests/data/seeds.json), read by matdiff.check
    lines = [ln.strip() for ln in text.splitlines()]
    return any(ln and not ln.startswith(("#", ">")) and _is_claim_line(ln) for ln in lines)


def read_claims(text: str) -> list[ClaimEntry]:
    """The claims of a claim sheet, in order; a line that is not a claim is a ``ParseError``."""
    out, section = [], None
    numbered = ((n, raw.strip()) for n, raw in enumerate(text.splitlines(), 1))
    for n, line in ((n, ln) for n, ln in numbered if ln and not re.match(r"#(?!#)", ln)):
        if line.startswith("##"):  # a section; a single '#' is a comment, left out above
            section = line.lstrip("#").strip() or None
        elif line.startswith(">"):
            if not out:
                raise ParseError(f"line {n}: a note ('> ...') needs a claim above it")
            out[-1].notes.append(line[1:].strip())
        else:
            out.append(_read_claim(line, n, section))
    return out


def _read_claim(line: str, n: int, section: str | None) -> ClaimEntry:
    if not _is_claim_line(line):
        raise ParseError(f"line {n}: a claim sheet line reads '(LABEL) d/dX EXPR = RESULT "
                         "[where DECL, ...]'")
    label = instance = ""
    m = _LABEL.match(line)
    if m:
        label, line = m.group(1).strip(), line[m.end():]
    m = _INSTANCE.match(line)
    if m:
        instance, line = m.group(1).strip(), line[m.end():]
    claim, _, decls = line.partition(" where ")
    vars = [d.strip() for d in _NEXT_DECL.split(decls) if d.strip()] or None
    return ClaimEntry(claim.strip(), vars, label, instance, section, n)


@dataclass
class ClaimRow:
    entry: ClaimEntry
    verdict: object = None      # a matdiff.check Verdict, or None when undecided
    error: str = ""             # why matdiff could not decide the claim

    @property
    def status(self) -> str:
        if self.verdict is None:
            return "undecided"
        return "holds" if self.verdict else "fails"


def check_claims(entries: list[ClaimEntry], layout: str, trials: int = 3) -> list[ClaimRow]:
    """Check every claim in ``layout``.  A claim matdiff cannot decide (it cannot take the
    derivative) is kept as undecided, with the reason."""
    rows = []
    for e in entries:
        try:
            rows.append(ClaimRow(e, check(e.claim, vars=e.vars, layout=layout, trials=trials)))
        except MatdiffError as err:
            if isinstance(err, ParseError):
                raise ParseError(f"line {e.line}: {err}") from None
            rows.append(ClaimRow(e, None, " ".join(str(err).split())))
    return rows


def _cell(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def counts(rows: list[ClaimRow]) -> dict[str, int]:
    out = {"holds": 0, "fails": 0, "undecided": 0}
    for r in rows:
        out[r.status] += 1
    return out


def claims_markdown(rows: list[ClaimRow], layout: str, title: str | None = None,
                    trials: int = 3, source: str | None = None) -> str:
    """The claim sheet as Markdown: one table a section, notes after it."""
    c = counts(rows)
    command = f"matdiff sheet {source} --layout {layout}" if source else "matdiff sheet"
    out = [f"# {title or 'Checked claims'}", "",
           f"Generated by `{command}`. Every claim was checked by `matdiff check` in the "
           f"**{layout} layout** ({LAYOUT_WORDS[layout]}): symbolically where the simplifier "
           f"decides it, otherwise at {trials} random inputs with distinct dimensions, against "
           "matdiff's own derivative, itself verified by central finite differences. Repeated "
           "indices in index forms are summed.", "",
           f"**{c['holds']} claims hold, {c['fails']} fail, {c['undecided']} matdiff cannot "
           "decide.**", ""]
    sections = list(dict.fromkeys(r.entry.section or "Claims" for r in rows))
    for section in sections:
        mine = [r for r in rows if (r.entry.section or "Claims") == section]
        out += [f"## {section}", "", "| eq. | claim | verdict | matdiff | variables |",
                "|---|---|---|---|---|"]
        for r in mine:
            e = r.entry
            label = e.label + (f" ({e.instance})" if e.instance else "")
            if r.verdict is None:
                verdict, answer = f"cannot decide: {r.error}", ""
            elif r.verdict:
                verdict, answer = f"holds ({r.verdict.method})", ""
            else:
                detail = f"; {r.verdict.detail}" if r.verdict.detail else ""
                verdict = f"**fails**: {r.verdict.diagnosis}{detail}"
                answer = f"`{_cell(r.verdict.correct.text)}`"
            out.append(f"| {_cell(label)} | `{_cell(e.claim)}` | {_cell(verdict)} | {answer} | "
                       f"{_cell(', '.join(e.vars or []))} |")
        notes = [(r.entry.label, n) for r in mine for n in r.entry.notes]
        if notes:
            out.append("")
            out += [f"* **({label})** {note}" for label, note in notes]
        out.append("")
    return "\n".join(out)


def sheet_main(argv: list[str]) -> int:
    """``matdiff sheet FILE``: a claim sheet here, a sheet of derivatives in matdiff.check."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("file", nargs="?")
    p.add_argument("--layout", action="append", choices=LAYOUTS)
    p.add_argument("--format")
    p.add_argument("-o", "--output")
    p.add_argument("--title")
    p.add_argument("--trials", type=int, default=3)
    args, rest = p.parse_known_args(argv)
    if rest or not args.file or args.file == "-" or args.format == "latex":
        return derivative_sheet_main(argv)
    try:
        with open(args.file, encoding="utf-8") as fh:
            text = fh.read()
    except OSError:
        return derivative_sheet_main(argv)  # it reports the error
    if not is_claim_sheet(text):
        return derivative_sheet_main(argv)
    try:
        entries = read_claims(text)
        parts, failed = [], 0
        for layout in args.layout or ["mixed"]:
            rows = check_claims(entries, layout, max(1, args.trials))
            failed += sum(r.status != "holds" for r in rows)
            parts.append(claims_markdown(rows, layout, args.title, max(1, args.trials),
                                         args.file))
    except MatdiffError as e:
        print(f"matdiff: error: {e}", file=sys.stderr)
        return 2
    doc = "\n".join(parts)
    doc = doc if doc.endswith("\n") else doc + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(doc)
    else:
        sys.stdout.write(doc)
    return 1 if failed else 0
