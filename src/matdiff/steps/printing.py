"""Index forms of the steps in text and LaTeX: ``T[i,j] = A[a,i]*B[j,a]``, with the
derivatives not expanded yet (``Pending``) as ``∂U[a,b]/∂X[i,j]``."""
from __future__ import annotations

import itertools

from .. import expr as E
from ..expr import Expr
from ..tensor import Factor, Term
from .trace import Pending


SUMMED_LETTERS = "abcdefgh" + "mnoxyz"


class _Names:
    """Readable index names: F's axes k,l; the variable's i,j (then p,q); summed a, b, ..."""

    def __init__(self, free_names: dict[str, str], wrt_shapes: dict, taken=()):
        self.names = dict(free_names)
        self.wrt_shapes = wrt_shapes        # for printing ∂X (bold) or ∂t (italic) in LaTeX
        used = set(free_names.values()) | set(taken)   # never a variable's name
        # an endless supply: a1, a2, ... after the single letters
        self.pool = itertools.chain((c for c in SUMMED_LETTERS if c not in used),
                                    (f"a{k}" for k in itertools.count(1) if f"a{k}" not in used))

    def __call__(self, i: str) -> str:
        if i not in self.names:
            self.names[i] = next(self.pool)
        return self.names[i]


def _plain(e: Expr) -> Expr:
    """A product of one factor (as the product rule leaves them) printed as that factor."""
    if isinstance(e, E.Product) and e.coeff == 1:
        if not e.scalars and len(e.chain) == 1:
            return e.chain[0]
        if not e.chain and len(e.scalars) == 1 and e.scalars[0][1] == 1:
            return e.scalars[0][0]
    return e


def _atom_text(e: Expr) -> tuple[str, bool]:
    """(text, compound?) of an atom."""
    from ..render.text import ATOM, _fmt
    s, lvl = _fmt(_plain(e))
    return s, lvl < ATOM


def _oriented(e: Expr, idx: tuple) -> tuple[Expr, tuple]:
    """A[b,a] rather than A'[a,b]; x[a] rather than x'[a]."""
    e = _plain(e)
    if isinstance(e, E.Transpose):
        if len(idx) == 2:
            return e.arg, (idx[1], idx[0])
        return e.arg, idx
    return e, idx


def _factor_text(f: Factor, name) -> str:
    e = f.expr
    if e is None or (isinstance(e, E.Const) and e.kind == "I" and f.idx):
        return "δ[" + ",".join(name(i) for i in f.idx) + "]"
    if isinstance(e, Pending):
        target = e.target
        out, w = f.idx[:e.n_out], f.idx[e.n_out:]
        s, compound = _atom_text(target)
        top = "∂" + (f"({s})" if compound else s)
        if out:
            top += "[" + ",".join(name(i) for i in out) + "]"
        bottom = "∂" + e.wrt + ("[" + ",".join(name(i) for i in w) + "]" if w else "")
        return f"{top}/{bottom}"
    e, idx = _oriented(e, f.idx)
    s, compound = _atom_text(e)
    if not idx:
        return f"({s})" if compound else s
    return (f"({s})" if compound else s) + "[" + ",".join(name(i) for i in idx) + "]"


def _factor_latex(f: Factor, name) -> str:
    from ..render.latex import name_latex, to_latex
    e = f.expr

    def sub(idx):
        return "_{" + "".join(name(i) for i in idx) + "}" if idx else ""

    def wrapped(x: Expr) -> str:
        s = to_latex(x)
        return s if isinstance(x, E.Var) else r"\left(" + s + r"\right)"

    if e is None or (isinstance(e, E.Const) and e.kind == "I" and f.idx):
        return r"\delta" + sub(f.idx)
    if isinstance(e, Pending):
        out, w = f.idx[:e.n_out], f.idx[e.n_out:]
        target = _plain(e.target)
        top = wrapped(target) + sub(out) if out else to_latex(target)
        bottom = name_latex(e.wrt, name.wrt_shapes.get(e.wrt, (2, 2) if w else (1, 1))) + sub(w)
        return r"\frac{\partial " + top + r"}{\partial " + bottom + "}"
    e, idx = _oriented(e, f.idx)
    if not idx:
        if isinstance(e, (E.Var, E.Func)):
            return to_latex(e)
        return r"\left(" + to_latex(e) + r"\right)"
    return wrapped(e) + sub(idx)


def _signed_sum(terms: list[Term], factor, number, joiner: str) -> str:
    """Terms as ``c*f1*f2 - ...`` (text) or ``c \\, f1 \\, f2 - ...`` (LaTeX)."""
    if not terms:
        return "0"
    out = ""
    for k, t in enumerate(terms):
        body = [factor(f) for f in t.factors]
        mag = abs(t.coeff)
        if mag != 1 or not body:
            body.insert(0, number(mag))
        text = joiner.join(body)
        sign = "-" if t.coeff < 0 else "+"
        out += (("-" if sign == "-" else "") + text) if k == 0 else f" {sign} {text}"
    return out


def _terms_text(terms: list[Term], name) -> str:
    from ..render.text import number
    return _signed_sum(terms, lambda f: _factor_text(f, name), number, "*")


def _terms_latex(terms: list[Term], name) -> str:
    from ..render.latex import _number
    return _signed_sum(terms, lambda f: _factor_latex(f, name), lambda m: _number(m)[0], r" \, ")


def _head(free, name) -> str:
    return "T" + ("[" + ",".join(name(i) for i in free) + "]" if free else "")


def _head_latex(free, name) -> str:
    return "T" + ("_{" + "".join(name(i) for i in free) + "}" if free else "")


def _latex_text(s: str) -> str:
    """Plain words inside ``\\text{}``."""
    table = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
             "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\~{}", "^": r"\^{}",
             "∂": r"$\partial$", "δ": r"$\delta$", "×": r"$\times$"}
    return "".join(table.get(ch, ch) for ch in s)
