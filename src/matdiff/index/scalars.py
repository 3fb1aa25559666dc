"""A term's scalar factors that cancel, written as one.

A quotient differentiated twice leaves a term such as ``exp(v)[]*exp(v)[]*(u/exp(v)^3)[k]``:
the true value ``u*exp(-v)`` is tiny but finite, while each factor alone overflows (exp(v)^2)
or underflows (u/exp(v)^3) where v is large, and their product is inf*0 = NaN.  Where a
scalar occurs in one term with powers of both signs, every occurrence, in the term's scalar
factors and in the scalar part of its atoms, is moved into one scalar factor and the powers
combine (``exp(v)^-1``).  Terms without such a pair are left as they are.
"""
from __future__ import annotations

from fractions import Fraction

from ..expr import Expr, Num, Power, Product
from ..simplify import simplify
from .tensor import Factor, Term


def cancel_scalars(terms: list[Term]) -> list[Term]:
    return [_cancel(t) for t in terms]


def _powers(s: Expr) -> list[tuple[Expr, object]]:
    """A scalar as (base, power) pairs: the scalar factors of a product, a power's base."""
    if isinstance(s, Product) and not s.chain:
        return list(s.scalars)
    if isinstance(s, Power) and s.is_scalar:
        return [(s.base, s.exp)]
    return [(s, Fraction(1))]


def _cancel(t: Term) -> Term:
    signs: dict[Expr, set] = {}
    for f in t.factors:
        if f.expr is None:
            continue
        pairs = _powers(f.expr) if not f.idx else \
            (f.expr.scalars if isinstance(f.expr, Product) else ())
        for b, p in pairs:
            signs.setdefault(b, set()).add(p > 0)
    mixed = {b for b, s in signs.items() if len(s) == 2}
    if not mixed:
        return t
    scalars: list[tuple[Expr, object]] = []
    factors: list[Factor] = []
    for f in t.factors:
        if f.expr is not None and not f.idx:
            scalars.append((f.expr, Fraction(1)))
        elif f.expr is not None and isinstance(f.expr, Product) and \
                any(b in mixed for b, _ in f.expr.scalars):
            e = f.expr
            scalars += [(b, p) for b, p in e.scalars if b in mixed]
            kept = [(b, p) for b, p in e.scalars if b not in mixed]
            bare = e.coeff == 1 and not kept and len(e.chain) == 1
            factors.append(Factor(e.chain[0] if bare else Product(e.coeff, kept, e.chain), f.idx, f.dim))
        else:
            factors.append(f)
    s = simplify(Product(1, scalars, ()))
    if isinstance(s, Num):
        return Term(t.coeff * s.value, tuple(factors), t.rule)
    return Term(t.coeff, tuple(factors) + (Factor(s, ()),), t.rule)
