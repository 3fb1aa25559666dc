"""Index (Einstein) notation printed: a derivative with three or more indices, and
the steps view's intermediate sums (steps/printing.py adds its pending derivatives).

Text syntax, read back by ``md.evaluate`` (index/parse.py)::

    T[k,l,i,j] = -inv(X)[k,i]*inv(X)[j,l]

The bracket after ``T`` lists the result's axes in canonical order (those
of F, then those of X); a repeated index is summed; ``δ[k,i]`` is the
Kronecker delta.  Atoms are expressions of the language, parenthesised
when compound: ``(A*X)[i,l]``.
"""
from __future__ import annotations

import itertools

from .. import expr as E
from ..expr import Expr
from ..render.latex import to_latex
from ..render.sizing import inner_sizes, sized_constants
from ..render.text import ATOM, _fmt, number
from .tensor import Factor

FREE_NAMES = [("k", "l"), ("i", "j"), ("p", "q"), ("r", "s"), ("t", "u"), ("v", "w")]
SUMMED = "abcdefgh"


def name_indices(result) -> dict[str, str]:
    """Readable names: F's axes k,l; the first variable's i,j; then p,q, ..."""
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
    return E.axes(result.typed.variables[w].shape)


class IndexNames:
    """Index name -> printed name: the free ones given, the summed ones a, b, ... as met
    (never a variable's name nor a free one's), then a1, a2, ..."""

    def __init__(self, free_names: dict[str, str], taken=(), summed: str = SUMMED,
                 wrt_shapes: dict | None = None):
        self.names = dict(free_names)
        self.wrt_shapes = wrt_shapes or {}     # for printing ∂X (bold) or ∂t (italic) in LaTeX
        used = set(free_names.values()) | set(taken)
        self.pool = itertools.chain((c for c in summed if c not in used),
                                    (f"a{k}" for k in itertools.count(1) if f"a{k}" not in used))

    def __call__(self, i: str) -> str:
        if i not in self.names:
            self.names[i] = next(self.pool)
        return self.names[i]


def plain(e: Expr) -> Expr:
    """A product of one factor (as the product rule leaves them) printed as that factor."""
    if isinstance(e, E.Product) and e.coeff == 1:
        if not e.scalars and len(e.chain) == 1:
            return e.chain[0]
        if not e.chain and len(e.scalars) == 1 and e.scalars[0][1] == 1:
            return e.scalars[0][0]
    return e


def atom_text(e: Expr) -> str:
    """An atom's text, parenthesised when compound."""
    s, lvl = _fmt(plain(e))
    return f"({s})" if lvl < ATOM else s


def _oriented(e: Expr, idx: tuple) -> tuple[Expr, tuple]:
    """A[b,a] rather than A'[a,b]; x[a] rather than x'[a]."""
    e = plain(e)
    if isinstance(e, E.Transpose):
        if len(idx) == 2:
            return e.arg, (idx[1], idx[0])
        return e.arg, idx
    return e, idx


def _is_delta(f: Factor) -> bool:
    return f.expr is None or (isinstance(f.expr, E.Const) and f.expr.kind == "I" and bool(f.idx))


def _bracket(idx, name) -> str:
    return "[" + ",".join(name(i) for i in idx) + "]" if idx else ""


def sub_latex(idx, name) -> str:
    return "_{" + "".join(name(i) for i in idx) + "}" if idx else ""


def wrapped_latex(x: Expr) -> str:
    s = to_latex(x)
    return s if isinstance(x, E.Var) else r"\left(" + s + r"\right)"


def factor_text(f: Factor, name) -> str:
    """``δ[a,i]``, ``inv(X)[k,a]``, ``(A*X)[i,l]`` or a scalar factor."""
    if _is_delta(f):
        return "δ" + _bracket(f.idx, name)
    e, idx = _oriented(f.expr, f.idx)
    return atom_text(e) + _bracket(idx, name)


def factor_latex(f: Factor, name, bare_scalars: bool = False) -> str:
    """``\\delta_{ai}``, ``X_{ij}``, ``\\left(A X\\right)_{il}``; a scalar factor other than
    a variable or a function call is parenthesised unless ``bare_scalars``."""
    if _is_delta(f):
        return r"\delta" + sub_latex(f.idx, name)
    e, idx = _oriented(f.expr, f.idx)
    if not idx:
        bare = bare_scalars or isinstance(e, (E.Var, E.Func))
        return to_latex(e) if bare else r"\left(" + to_latex(e) + r"\right)"
    return wrapped_latex(e) + sub_latex(idx, name)


def signed_sum(terms, factor, number, joiner: str) -> str:
    """``(coeff, factors)`` pairs as ``c*f1*f2 - ...`` (text) or ``c \\, f1 \\, f2 - ...``."""
    if not terms:
        return "0"
    out = ""
    for k, (coeff, factors) in enumerate(terms):
        body = [factor(f) for f in factors]
        mag = abs(coeff)
        if mag != 1 or not body:
            body.insert(0, number(mag))
        text = joiner.join(body)
        sign = "-" if coeff < 0 else "+"
        out += (("-" if sign == "-" else "") + text) if k == 0 else f" {sign} {text}"
    return out


def head(free, name) -> str:
    return "T" + _bracket(free, name)


def head_latex(free, name) -> str:
    return "T" + sub_latex(free, name)


def _names(result) -> IndexNames:
    return IndexNames(name_indices(result), taken=result.typed.variables)


def index_text(result) -> str:
    if not result.index_terms:
        return "0"   # identically zero, at any number of indices
    name = _names(result)
    return head(result.free, name) + " = " + \
        signed_sum(sized_terms(result.index_terms, result.free), lambda f: factor_text(f, name),
                   number, "*")


def index_latex(result) -> str:
    if not result.index_terms:
        return "0"   # as index_text: identically zero prints 0 at any number of indices
    name = _names(result)
    return head_latex(result.free, name) + " = " + signed_sum(
        sized_terms(result.index_terms, result.free),
        lambda f: factor_latex(f, name, bare_scalars=True), number, " ")


def sized_terms(terms, free) -> list:
    """The terms with each atom's constants sized where reading back would not size them
    (render/sizing.py).  An index is sized by the result's shape (free), by an atom whose
    own leaves fix that axis, or through a delta; an atom any of whose indices nothing
    sizes is written to size itself whole."""
    known = set(free)
    changed = True
    while changed:
        size = len(known)
        for _, factors in terms:
            for f in factors:
                if f.is_reshape:   # δ[k,a,b]: k = a*b, any two give the third
                    if sum(i in known for i in f.idx) >= 2:
                        known.update(f.idx)
                elif f.is_delta:
                    if known & set(f.idx):
                        known.update(f.idx)
                else:
                    known.update(i for i, fixed in zip(f.idx, _axes_fixed(f, known)) if fixed)
        changed = len(known) > size
    return [(coeff, [f if f.is_delta else
                     Factor(sized_constants(f.expr, set(f.idx) <= known), f.idx, f.dim)
                     for f in factors])
            for coeff, factors in terms]


def _axes_fixed(f: Factor, known: set) -> list[bool]:
    """For each index of an atom, whether the atom's leaves or a known index fix its axis."""
    r, c, r_fixes_c, c_fixes_r = inner_sizes(f.expr)
    axes = [i for i, d in enumerate(f.expr.shape) if d != 1] if len(f.idx) == 1 else [0, 1][:len(f.idx)]
    fixed = {0: r, 1: c}
    for i, ax in zip(f.idx, axes):
        fixed[ax] = fixed[ax] or i in known
    fixed[1] = fixed[1] or (fixed[0] and r_fixes_c)
    fixed[0] = fixed[0] or (fixed[1] and c_fixes_r)
    return [fixed[ax] for ax in axes]
