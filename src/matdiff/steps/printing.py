"""Index forms of the steps in text and LaTeX: ``T[i,j] = A[a,i]*B[j,a]``, with the
derivatives not expanded yet (``Pending``) as ``∂U[a,b]/∂X[i,j]``."""
from __future__ import annotations

from ..index.render import (atom_text, factor_latex, factor_text, plain, signed_sum,
                            sub_latex, wrapped_latex)
from ..index.tensor import Factor, Term
from .trace import Pending


SUMMED_LETTERS = "abcdefgh" + "mnoxyz"


def _factor_text(f: Factor, name) -> str:
    e = f.expr
    if not isinstance(e, Pending):
        return factor_text(f, name)
    out, w = f.idx[:e.n_out], f.idx[e.n_out:]
    top = "∂" + atom_text(e.target)
    if out:
        top += "[" + ",".join(name(i) for i in out) + "]"
    bottom = "∂" + e.wrt + ("[" + ",".join(name(i) for i in w) + "]" if w else "")
    return f"{top}/{bottom}"


def _factor_latex(f: Factor, name) -> str:
    from ..render.latex import name_latex, to_latex
    e = f.expr
    if not isinstance(e, Pending):
        return factor_latex(f, name)
    out, w = f.idx[:e.n_out], f.idx[e.n_out:]
    target = plain(e.target)
    top = wrapped_latex(target) + sub_latex(out, name) if out else to_latex(target)
    bottom = name_latex(e.wrt, name.wrt_shapes.get(e.wrt, (2, 2) if w else (1, 1))) + \
        sub_latex(w, name)
    return r"\frac{\partial " + top + r"}{\partial " + bottom + "}"


def _terms_text(terms: list[Term], name) -> str:
    from ..render.text import number
    return signed_sum([(t.coeff, t.factors) for t in terms], lambda f: _factor_text(f, name),
                      number, "*")


def _terms_latex(terms: list[Term], name) -> str:
    from ..render.latex import _number
    return signed_sum([(t.coeff, t.factors) for t in terms], lambda f: _factor_latex(f, name),
                      lambda m: _number(m)[0], r" \, ")


def _latex_text(s: str) -> str:
    """Plain words inside ``\\text{}``."""
    table = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
             "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\~{}", "^": r"\^{}",
             "∂": r"$\partial$", "δ": r"$\delta$", "×": r"$\times$"}
    return "".join(table.get(ch, ch) for ch in s)
