"""Index (Einstein) notation for results with three or more indices.

Text syntax, read back by ``md.evaluate``::

    T[k,l,i,j] = -inv(X)[k,i]*inv(X)[j,l]

The bracket after ``T`` lists the result's axes in canonical order (those
of F, then those of X); a repeated index is summed; ``δ[k,i]`` is the
Kronecker delta.  Atoms are expressions of the language, parenthesised
when compound: ``(A*X)[i,l]``.
"""
from __future__ import annotations

from ..expr import Var
from .text import ATOM, POSTFIX, _fmt, number

FREE_NAMES = [("k", "l"), ("i", "j"), ("p", "q"), ("r", "s"), ("t", "u"), ("v", "w")]
SUMMED = "abcdefgh"


def name_indices(result) -> dict[str, str]:
    """Readable names: F's axes k,l; the first variable's i,j; then p,q; summed a,b,..."""
    names: dict[str, str] = {}
    free = result.tensor.free
    f_axes = len(free) - sum(len(_var_axes(result, w)) for w in result.wrt_list)
    groups = [free[:f_axes]]
    pos = f_axes
    for w in result.wrt_list:
        n = len(_var_axes(result, w))
        groups.append(free[pos:pos + n])
        pos += n
    taken = set(result.typed.variables)        # an index never reads as a variable
    spare = iter([L for pair in FREE_NAMES[len(groups):] for L in pair if L not in taken] +
                 [f"i{n}" for n in range(1, 100)])
    for g, letters in zip(groups, FREE_NAMES):
        for i, L in zip(g, letters):
            names[i] = L if L not in taken else next(spare)
    return names


def _var_axes(result, w):
    from ..expr import axes
    return axes(result.typed.variables[w].shape)


def _names(result):
    names = name_indices(result)
    import itertools
    taken = set(result.typed.variables)
    counter = itertools.chain((c for c in SUMMED if c not in taken), (f"a{i}" for i in itertools.count(1)))

    def name(i):
        if i not in names:
            names[i] = next(counter)
        return names[i]
    return name


def index_text(result) -> str:
    name = _names(result)
    head = "T[" + ",".join(name(i) for i in result.free) + "] = "
    parts = []
    for coeff, fs in result.index_terms:
        body = []
        for f in fs:
            if f.expr is None or getattr(f.expr, "kind", None) == "I":
                body.append("δ[" + ",".join(name(i) for i in f.idx) + "]")
            elif not f.idx:
                s, lvl = _fmt(f.expr)
                body.append(s if lvl >= POSTFIX else f"({s})")
            else:
                s, lvl = _fmt(f.expr)
                atom = s if lvl == ATOM else f"({s})"
                body.append(atom + "[" + ",".join(name(i) for i in f.idx) + "]")
        c = number(abs(coeff)) if coeff not in (1, -1) else ""
        text = "*".join(([c] if c else []) + body) or number(abs(coeff))
        parts.append(("-" if coeff < 0 else "+", text))
    if not parts:
        return "0"   # identically zero, at any number of indices
    out = ("-" if parts[0][0] == "-" else "") + parts[0][1]
    for sign, text in parts[1:]:
        out += f" {sign} {text}"
    return head + out


def index_latex(result) -> str:
    from .latex import to_latex
    name = _names(result)
    parts = []
    for coeff, fs in result.index_terms:
        body = []
        for f in fs:
            sub = "".join(name(i) for i in f.idx)
            if f.expr is None or getattr(f.expr, "kind", None) == "I":
                body.append(r"\delta_{" + sub + "}")
            elif not f.idx:
                body.append(to_latex(f.expr))
            else:
                s = to_latex(f.expr)
                atom = s if isinstance(f.expr, Var) else r"\left(" + s + r"\right)"
                body.append(atom + "_{" + sub + "}")
        c = number(abs(coeff)) if coeff not in (1, -1) else ""
        parts.append(("-" if coeff < 0 else "+", " ".join(([c] if c else []) + body)))
    head = "T_{" + "".join(name(i) for i in result.free) + "} = "
    if not parts:
        return head + "0"
    out = ("-" if parts[0][0] == "-" else "") + parts[0][1]
    for sign, text in parts[1:]:
        out += f" {sign} {text}"
    return head + out
