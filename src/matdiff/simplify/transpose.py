"""Transposes pushed to the leaves of a canonical expression."""
from __future__ import annotations

from functools import lru_cache

from .. import expr as E
from ..expr import Add, Const, Expr, Func, Hadamard, MatPow, Power, Product, Transpose, Var
from ..functions import COMMUTES, FUNCTIONS
from .base import hadamard_order


@lru_cache(maxsize=20000)   # memoised: derivatives share sub-trees (as canonical does)
def transpose(e: Expr) -> Expr:
    """The transpose of a canonical expression, pushed to the leaves."""
    if e.is_scalar:
        return e
    if E.is_zero(e):
        return E.zero((e.shape[1], e.shape[0]))
    if isinstance(e, Transpose):
        return e.arg
    if isinstance(e, Var):
        return e if e.symmetric else Transpose(e)
    if isinstance(e, Const):
        if e.kind == "I":
            return e
        if e.kind == "K":  # K(m,n)' = K(n,m), its inverse
            return E.commutation(e.size[1], e.size[0])
        return Const(e.kind, (e.shape[1], e.shape[0]))
    if isinstance(e, Product):
        chain = []
        for f in reversed(e.chain):
            t = transpose(f)    # (P')' is the product P: spliced in, never a product in a chain
            plain = isinstance(t, Product) and t.coeff == 1 and not t.scalars
            chain.extend(t.chain if plain else (t,))
        return Product(e.coeff, e.scalars, tuple(chain))
    if isinstance(e, Add):
        return Add(transpose(a) for a in e.args)
    if isinstance(e, Hadamard):
        return Hadamard(hadamard_order(transpose(a) for a in e.args))
    if isinstance(e, Power):
        return Power(transpose(e.base), e.exp)
    if isinstance(e, MatPow):
        return MatPow(transpose(e.base), e.exp)
    if isinstance(e, Func):
        if _transpose_rule(e.name) == COMMUTES:
            # f(A)' = f(A'): written f(A)' (as textbooks do), and f(S)' = f(S) for symmetric S
            a = e.args[0]
            if isinstance(a, Transpose):
                return Func(e.name, (a.arg,))
            if transpose(a) == a:
                return e
            return Transpose(e)
        if e.name == "diag" and e.shape[0] == e.shape[1] and e.args[0].shape[1] == 1:
            return e  # a diagonal matrix is symmetric
        if e.name == "kron":
            return Func("kron", tuple(transpose(a) for a in e.args))
    return Transpose(e)


def _transpose_rule(name: str) -> str | None:
    """How a function meets the transpose (functions.py): COMMUTES, INVARIANT or None."""
    f = FUNCTIONS.get(name)
    return f.transpose if f is not None else None

