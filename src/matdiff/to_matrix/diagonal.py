"""Diagonal matrices in index form: M[i,j] = v[i]*δ[i,j] for a matrix M known to be diagonal.

A variable declared ``diagonal``, ``diag(v)`` of a vector, and what sums, products, powers,
inverses and transposes of those make are diagonal; diagonal matrices commute, so their
products, powers and inverses are entrywise on the diagonals (``inv(D)`` has the diagonal
``diag(D).^-1``).  ``expand`` writes a term's diagonal factors that way, so that the deltas
contract and the chain reading meets vectors instead of ``inv(D)^2``; ``lift`` goes back:
``diag(3*diag(D).^2)`` is ``3*D^2``.
"""
from __future__ import annotations

from fractions import Fraction

from .. import expr as E
from ..expr import Expr
from ..functions import FUNCTIONS
from ..index.tensor import Factor, Term, delta


def entries(e: Expr) -> Expr | None:
    """The column of the diagonal entries of ``e`` where ``e`` is known to be a diagonal
    matrix (n×n, n not 1), else None."""
    if e.shape[0] != e.shape[1] or e.shape[0] == 1:
        return None
    if isinstance(e, E.Var):
        return E.func("diag", e) if "diagonal" in e.props else None
    if isinstance(e, E.Const):
        return E.ones((e.shape[0], 1)) if e.kind in ("I", "eye") else None
    if isinstance(e, E.Transpose):
        return entries(e.arg)
    if isinstance(e, E.MatPow):
        v = entries(e.base)
        return None if v is None else E.power(v, e.exp)
    if isinstance(e, E.Func):
        return _function_entries(e)
    if isinstance(e, E.Product):
        vs = [entries(f) for f in e.chain]
        if not vs or any(v is None for v in vs):
            return None
        return E.mul(*(E.Product(1, e.scalars, ()),) if e.scalars else (), E.hadamard(*vs),
                     coeff=e.coeff)
    if isinstance(e, E.Add):
        vs = [entries(a) for a in e.args]
        return None if any(v is None for v in vs) else E.add(*vs)
    if isinstance(e, E.Hadamard):   # one diagonal operand makes the product diagonal
        if all(entries(a) is None for a in e.args):
            return None
        return E.hadamard(*(entries(a) or E.func("diag", a) for a in e.args))
    if isinstance(e, E.Power) and e.exp > 0:
        v = entries(e.base)
        return None if v is None else E.power(v, e.exp)
    return None


def _function_entries(e: E.Func) -> Expr | None:
    a = e.args[0]
    if e.name == "diag":
        return (E.transpose(a) if a.shape[0] == 1 else a) if E.is_vector_shape(a.shape) else None
    v = entries(a)
    if v is None:
        return None
    if e.name == "inv":
        return E.power(v, -1)
    if e.name == "expm":
        return E.func("exp", v)
    f = FUNCTIONS.get(e.name)
    if f is not None and f.kind == "elementwise" and f.at_zero == 0:   # f(0) = 0 keeps the zeros
        return E.func(e.name, v)
    return None


def expand(terms: list[Term], dims: dict) -> list[Term] | None:
    """The terms with every diagonal factor M[i,j] written v[i]*δ[i,j] (M[i,i] as v[i]);
    None where no factor is diagonal."""
    out, changed = [], False
    for t in terms:
        fs: list[Factor] = []
        for f in t.factors:
            v = None if f.is_delta or len(f.idx) != 2 or isinstance(f.expr, E.Const) else entries(f.expr)
            if v is None:
                fs.append(f)
                continue
            changed = True
            i, j = f.idx
            fs.append(Factor(v, (i,)))
            if i != j:
                fs.append(delta(i, j, dims.get(i)))
        out.append(Term(t.coeff, tuple(fs), t.rule))
    return out if changed else None


def lift(v: Expr) -> Expr | None:
    """``diag(v)`` as a matrix expression in diagonal matrices, where ``v`` is made by scaling,
    sums, elementwise products and integer powers of pieces among which is the diagonal
    ``diag(D)`` of a diagonal matrix D (that piece becomes D, another piece u stays diag(u));
    None where no piece is such a diagonal."""
    m, hit = _lift(v)
    return m if hit else None


def _lift(v: Expr) -> tuple[Expr, bool]:
    if isinstance(v, E.Func) and v.name == "diag" and not E.is_vector_shape(v.args[0].shape) \
            and entries(v.args[0]) is not None:
        return v.args[0], True
    if isinstance(v, E.Const) and v.kind == "ones" and v.shape[1] == 1:
        return E.identity(v.shape[0]), False
    if isinstance(v, E.Product) and len(v.chain) == 1:
        m, hit = _lift(v.chain[0])
        return E.Product(v.coeff, v.scalars, (m,)), hit
    if isinstance(v, (E.Hadamard, E.Add)):
        parts = [_lift(a) for a in v.args]
        ms = [m for m, _ in parts]
        return (E.mul(*ms) if isinstance(v, E.Hadamard) else E.add(*ms)), any(h for _, h in parts)
    if isinstance(v, E.Power) and Fraction(v.exp).denominator == 1:
        m, hit = _lift(v.base)
        if hit:
            return E.MatPow(m, int(v.exp)), True
    return E.func("diag", v), False
