"""Inverses meeting their matrices in a chain: ``inv(X)'`` meets ``X'``, ``inv(R'*R)*R'*R``
is ``I``, and ``adj(U)`` is ``det(U)*inv(U)`` where ``det(U)`` is known not to be 0."""
from __future__ import annotations

from fractions import Fraction

from ..expr import Expr, Func, MatPow, Product, Transpose
from .transpose import transpose


def base_exp(f: Expr):
    """(base, power) of a chain factor: X^k, inv(X) = X^-1, inv(X)' = X'^-1."""
    if isinstance(f, MatPow):
        return f.base, f.exp
    if isinstance(f, Func) and f.name == "inv":
        if isinstance(f.args[0], MatPow):     # inv(X^k) = X^-k
            return f.args[0].base, -f.args[0].exp
        return f.args[0], -1
    if isinstance(f, Transpose) and isinstance(f.arg, Func) and f.arg.name == "inv":
        b, k = base_exp(f.arg)                  # inv(X)' = inv(X'): meets X' in a chain
        return transpose(b), k
    return f, 1


def adj_as_inverse(e: Expr, dets: set) -> Expr:
    """e with each adj(U) of a U in dets written det(U)*inv(U) (not yet canonical)."""
    if isinstance(e, Func) and e.name == "adj" and e.args[0] in dets:
        return Product(1, [(Func("det", e.args), Fraction(1))], [Func("inv", e.args)])
    kids = e.children
    new = tuple(adj_as_inverse(k, dets) for k in kids)
    return e.rebuild(new) if new != kids else e


def _inverse_chain(f: Expr) -> tuple[Expr, ...] | None:
    """The factors P1..Pk of f = inv(P1*...*Pk) (or of its transpose), else None."""
    if isinstance(f, Transpose):
        inner = _inverse_chain(f.arg)
        return tuple(transpose(g) for g in reversed(inner)) if inner else None
    if isinstance(f, Func) and f.name == "inv" and isinstance(f.args[0], Product) \
            and f.args[0].coeff == 1 and not f.args[0].scalars:
        return f.args[0].chain
    return None


def has_inverse_of_product(chain) -> bool:
    return any(_inverse_chain(f) for f in chain)


def cancel_inverse(out: list[Expr]) -> None:
    """At the end of a chain being built: P*inv(P) = I and inv(P)*P = I for a product P
    spelled out in the chain (``inv(R'*R)*R'*R``), dropped in place."""
    c = _inverse_chain(out[-1])
    if c and len(out) > len(c) and tuple(out[-1 - len(c):-1]) == c:
        del out[-1 - len(c):]
        return
    for k in range(len(out) - 2, -1, -1):
        c = _inverse_chain(out[k])
        if c and len(out) - k - 1 == len(c) and tuple(out[k + 1:]) == c:
            del out[k:]
            return
