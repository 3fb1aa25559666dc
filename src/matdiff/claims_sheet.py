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
from .check.sheet import LAYOUT_NOTES_LATEX
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


def _row_words(r: ClaimRow) -> tuple[str, str, str]:
    """A row's label, its verdict in words and matdiff's answer (text) where the claim fails."""
    e, v = r.entry, r.verdict
    label = e.label + (f" ({e.instance})" if e.instance else "")
    if v is None:
        return label, f"cannot decide: {r.error}", ""
    if v:
        return label, f"holds ({v.method})", ""
    detail = f"; {v.detail}" if v.detail else ""
    answer = "no symbolic form" if v.correct is None else v.correct.text
    return label, f"fails: {v.diagnosis}{detail}", answer


def _sections_of(rows: list[ClaimRow]) -> dict[str, list[ClaimRow]]:
    out: dict[str, list[ClaimRow]] = {}
    for r in rows:
        out.setdefault(r.entry.section or "Claims", []).append(r)
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
    for section, mine in _sections_of(rows).items():
        out += [f"## {section}", "", "| eq. | claim | verdict | matdiff | variables |",
                "|---|---|---|---|---|"]
        for r in mine:
            label, verdict, answer = _row_words(r)
            verdict = re.sub(r"^fails:", "**fails**:", verdict)
            answer = f"`{_cell(answer)}`" if answer else ""
            out.append(f"| {_cell(label)} | `{_cell(r.entry.claim)}` | {_cell(verdict)} | "
                       f"{answer} | {_cell(', '.join(r.entry.vars or []))} |")
        notes = [(r.entry.label, n) for r in mine for n in r.entry.notes]
        if notes:
            out.append("")
            out += [f"* **({label})** {note}" for label, note in notes]
        out.append("")
    return "\n".join(out)


_TEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "^": r"\^{}",
        "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "~": r"\~{}", "'": r"\textquotesingle{}"}


def _tex(s: str) -> str:
    """Plain text for LaTeX (the claims are shown as typed, in typewriter type)."""
    return "".join(_TEX.get(ch, ch) for ch in s)


def claims_latex(rows: list[ClaimRow], layout: str, title: str | None = None,
                 trials: int = 3) -> str:
    """The claim sheet as a LaTeX document: one table a section, each claim with its verdict
    and, where it fails, matdiff's answer."""
    c = counts(rows)
    out = [r"\documentclass{article}", r"\usepackage{amsmath,amssymb,textcomp}",
           r"\usepackage[margin=2cm]{geometry}", r"\begin{document}",
           r"\section*{" + _tex(title or "Checked claims") + "}",
           rf"Layout: \textbf{{{layout}}} --- {LAYOUT_NOTES_LATEX[layout]} Every claim was "
           r"checked by \texttt{matdiff check}: symbolically where the simplifier decides it, "
           rf"otherwise at {trials} random inputs with distinct dimensions, against matdiff's own "
           r"derivative, itself verified by central finite differences.",
           "", rf"\textbf{{{c['holds']} claims hold, {c['fails']} fail, {c['undecided']} matdiff "
           r"cannot decide.}"]
    for section, mine in _sections_of(rows).items():
        out += [r"\subsection*{" + _tex(section) + "}",
                r"\begin{tabular}{p{0.06\linewidth}p{0.34\linewidth}p{0.3\linewidth}"
                r"p{0.2\linewidth}}",
                r"eq. & claim & verdict & matdiff \\ \hline"]
        for r in mine:
            label, verdict, answer = _row_words(r)
            verdict = re.sub(r"^fails:", r"\\textbf{fails}:", _tex(verdict))
            if answer and r.verdict.correct is not None:
                answer = f"${r.verdict.correct.latex}$"
            else:
                answer = _tex(answer)
            out.append(rf"{_tex(label)} & \texttt{{{_tex(r.entry.claim)}}} & {verdict} & "
                       rf"{answer} \\")
        out.append(r"\end{tabular}")
        out += [rf"\par ({_tex(lb)}) {_tex(n)}" for lb, n in
                ((r.entry.label, n) for r in mine for n in r.entry.notes)]
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


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
    if rest or not args.file or args.format not in (None, "markdown", "latex"):
        return derivative_sheet_main(argv)  # it explains the usage
    try:
        if args.file == "-":
            text = sys.stdin.read()
        else:
            with open(args.file, encoding="utf-8") as fh:
                text = fh.read()
    except OSError:
        return derivative_sheet_main(argv)  # it reports the error
    if not is_claim_sheet(text):
        return derivative_sheet_main(argv, text=text)
    fmt = args.format or ("latex" if (args.output or "").endswith(".tex") else "markdown")
    source = None if args.file == "-" else args.file
    try:
        entries = read_claims(text)
        parts, failed = [], 0
        for layout in args.layout or ["mixed"]:
            rows = check_claims(entries, layout, max(1, args.trials))
            failed += sum(r.status != "holds" for r in rows)
            if fmt == "latex":
                parts.append(claims_latex(rows, layout, args.title, max(1, args.trials)))
            else:
                parts.append(claims_markdown(rows, layout, args.title, max(1, args.trials),
                                             source))
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
