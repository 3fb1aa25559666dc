"""The verified cheat sheet: a list of derivatives, each checked against finite
differences before it is printed in Markdown or LaTeX."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .. import expr as E
from ..errors import MatdiffError, ParseError
from .reference import derivative
from .claim import parse_claim
from .finite import verify
from .inputs import draw_samples


@dataclass
class SheetEntry:
    """One line of a sheet's input: ``d/dX EXPR [where DECL, DECL]`` (or a JSON object)."""
    expression: str
    wrt: str
    order: int = 1
    vars: dict | list | None = None
    section: str | None = None
    line: int = 0


def _split_decls(text: str) -> list[str]:
    """``A: matrix(n,n) symmetric, x: vector(n)`` -> two declarations (commas inside
    parentheses stay); ``;`` also separates."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch in ",;" and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return [d.strip() for d in out if d.strip()]


def read_sheet(text: str) -> list[SheetEntry]:
    """Entries of a sheet file.

    Text: one derivative a line, ``d/dX EXPR`` (``d2/dx2 EXPR`` for a second derivative),
    optionally followed by ``where DECL, DECL`` (or ``; DECL; DECL``); ``# ...`` is a comment,
    ``## Title`` starts a section.  JSON: a list of objects with ``expr``, ``wrt`` and
    optionally ``vars`` and ``order`` (the format of tests/data/seeds.json)."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as e:
            raise ParseError(f"the sheet is not valid JSON: {e.msg} (line {e.lineno})") from None
        out = []
        for k, it in enumerate(items):
            if not isinstance(it, dict) or "expr" not in it or "wrt" not in it:
                raise ParseError(f"sheet entry {k + 1} needs 'expr' and 'wrt'")
            out.append(SheetEntry(it["expr"], it["wrt"], int(it.get("order", 1)), it.get("vars"),
                                  it.get("section"), k + 1))
        return out
    out, section = [], None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or (line.startswith("#") and not line.startswith("##")):
            continue
        if line.startswith("##"):
            section = line.lstrip("#").strip() or None
            continue
        body, decls = line, None
        m = re.search(r"\s(?:where)\s|;", line)
        if m:
            body, decls = line[:m.start()], _split_decls(line[m.end():])
        try:
            c = parse_claim(body + " = 0")
        except ParseError as e:
            raise ParseError(f"line {n}: {e.message}; a sheet line reads 'd/dX EXPR "
                             f"[where DECL, ...]'") from None
        out.append(SheetEntry(c.expression, c.wrt, c.order, decls, section, n))
    return out


KIND_SECTIONS = ["Scalar by scalar", "Scalar by vector", "Scalar by matrix", "Vector by scalar",
                 "Vector by vector", "Matrix by scalar", "Second derivatives",
                 "Three or more indices"]


def _kind_section(r) -> str:
    var = r.typed.variables[r.wrt[-1]]
    x = len(E.axes(var.shape))
    f = len(E.axes(r.typed.expr.shape))
    if len(r.free) > 2:
        return "Three or more indices"
    if r.order > 1:
        return "Second derivatives"
    names = {0: "scalar", 1: "vector", 2: "matrix"}
    return f"{names[f].capitalize()} by {names[x]}"


@dataclass
class SheetLine:
    entry: SheetEntry
    result: object       # engine.Derivation
    error: float         # relative error against finite differences
    section: str


def _decl_text(r) -> str:
    from ..render.text import shape_text
    parts = []
    for name, v in r.typed.variables.items():
        props = " " + " ".join(sorted(v.props)) if v.props else ""
        parts.append(f"{name}: {shape_text(v.shape)}{props}")
    return ", ".join(parts)


def build_sheet(entries: list[SheetEntry], layout: str, trials: int = 3, seed: int = 0):
    """Derive and verify every entry; returns (lines, failures).  A line is kept only when
    matdiff's derivative agrees with finite differences at ``trials`` random inputs; one that
    does not is a failure (entry, why).  An entry matdiff cannot read or differentiate
    raises its ``MatdiffError``, naming the line."""
    lines, failures, seen = [], [], set()
    for k, entry in enumerate(entries):
        key = (entry.expression, entry.wrt, entry.order, json.dumps(entry.vars, sort_keys=True))
        if key in seen:
            continue
        seen.add(key)
        try:
            r = derivative(entry.expression, entry.wrt, vars=entry.vars, layout=layout,
                           order=entry.order)
        except MatdiffError as e:
            raise type(e)(f"line {entry.line}: {e}") from None
        try:
            samples = draw_samples(r.typed.variables, [r.typed.expr], trials, seed + k,
                                   ties=r.typed.ties)
            err = verify(r, samples)
        except MatdiffError as e:
            failures.append((entry, str(e)))
            continue
        lines.append(SheetLine(entry, r, err, entry.section or _kind_section(r)))
    return lines, failures


def _lhs_text(r) -> str:
    k = "" if r.order == 1 else str(r.order)
    w = r.wrt[-1]
    return f"d{k}/d{w}{k}"


def _statement_latex(r) -> str:
    from ..render.latex import name_latex, statement_latex, to_latex
    var = r.typed.variables[r.wrt[-1]]
    f_latex = to_latex(r.typed.expr)
    w_latex = name_latex(var.name, var.shape)
    if r.expr is None:
        return r.latex
    return statement_latex(f_latex, w_latex, r.expr, None, r.order)


LAYOUT_NOTES = {
    "mixed": "a gradient has the shape of its variable; a Jacobian of a vector by a vector is "
             "∂yᵢ/∂xⱼ (m×n).",
    "numerator": "the derivative of a scalar by an m×n matrix is n×m (the transpose of the "
                 "gradient) and by a vector a row; a Jacobian is ∂yᵢ/∂xⱼ (m×n).",
    "denominator": "the derivative of a scalar by a matrix has the matrix's shape and by a "
                   "vector is a column; the derivative of a vector (m) by a vector (n) is n×m.",
}


LAYOUT_NOTES_LATEX = {
    "mixed": r"a gradient has the shape of its variable; a Jacobian of a vector by a vector is "
             r"$\partial y_i/\partial x_j$ ($m\times n$).",
    "numerator": r"the derivative of a scalar by an $m\times n$ matrix is $n\times m$ (the "
                 r"transpose of the gradient) and by a vector a row; a Jacobian is "
                 r"$\partial y_i/\partial x_j$ ($m\times n$).",
    "denominator": r"the derivative of a scalar by a matrix has the matrix's shape and by a "
                   r"vector is a column; the derivative of a vector ($m$) by a vector ($n$) is "
                   r"$n\times m$.",
}


def _md_cell(s: str) -> str:
    """Text for a Markdown table cell: no bare '|' (norms and absolute values in LaTeX use
    \\Vert and \\vert, which render the same)."""
    for a, b in ((r"\left\|", r"\left\Vert "), (r"\right\|", r"\right\Vert "),
                 (r"\left|", r"\left\vert "), (r"\right|", r"\right\vert ")):
        s = s.replace(a, b)
    return s.replace("|", "\\|")


def sheet_markdown(lines: list[SheetLine], layout: str, title: str | None = None,
                   trials: int = 3, source: str | None = None) -> str:
    title = title or f"Matrix calculus cheat sheet ({layout} layout)"
    command = f"matdiff sheet {source} --layout {layout}" if source else "matdiff sheet"
    out = [f"# {title}", "",
           f"Generated by `{command}`, in the **{layout} layout**: {LAYOUT_NOTES[layout]}",
           "Every formula below was checked before it was printed: matdiff's closed form, "
           f"evaluated at {trials} random inputs with distinct dimensions, agrees with central "
           "finite differences of the expression (the *check* column is the largest relative "
           "error). Repeated indices in index forms are summed.", ""]
    for section in _sections(lines):
        out += [f"## {section}", "", "| derivative | result | LaTeX | variables | check |",
                "|---|---|---|---|---|"]
        for ln in lines:
            if ln.section != section:
                continue
            r = ln.result
            lhs = f"{_lhs_text(r)} {ln.entry.expression}"
            out.append(f"| `{_md_cell(lhs)}` | `{_md_cell(r.text)}` | "
                       f"${_md_cell(_statement_latex(r))}$ | {_md_cell(_decl_text(r))} | "
                       f"{ln.error:.0e} |")
        out.append("")
    return "\n".join(out)


def sheet_latex(lines: list[SheetLine], layout: str, title: str | None = None,
                trials: int = 3) -> str:
    title = title or f"Matrix calculus cheat sheet ({layout} layout)"
    note = LAYOUT_NOTES_LATEX[layout]
    out = [r"\documentclass{article}", r"\usepackage{amsmath,amssymb}",
           r"\usepackage[margin=2cm]{geometry}", r"\begin{document}",
           r"\section*{" + title + "}",
           rf"Layout: \textbf{{{layout}}} --- {note} Every formula was checked numerically "
           rf"against central finite differences at {trials} random inputs with distinct "
           r"dimensions before it was printed."]
    for section in _sections(lines):
        out += [r"\subsection*{" + section + "}", r"\begin{align*}"]
        rows = [_statement_latex(ln.result) for ln in lines if ln.section == section]
        out.append(" \\\\\n".join("&" + row for row in rows))
        out += [r"\end{align*}"]
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


def _sections(lines: list[SheetLine]) -> list[str]:
    names = list(dict.fromkeys(ln.section for ln in lines))
    order = {s: k for k, s in enumerate(KIND_SECTIONS)}
    if all(n in order for n in names):
        names.sort(key=order.get)
    return names
