"""The simplifier: canonical form first, then textbook factoring.

1. ``canonical`` rewrites bottom-up to a normal form in which equal values
   are equal trees as often as cheaply possible: transposes pushed to the
   leaves (and dropped on symmetric variables and scalars), products
   flattened with their numbers and scalar factors collected, ``X*X`` as
   ``X^2``, ``inv(X)*X`` as ``I``, like terms of sums collected, scalars
   written in one orientation (``x'*y`` = ``y'*x``, ``tr`` cycled); the
   logistic function recognised (``exp(u) ./ (ones + exp(u))`` = ``sigmoid(u)``),
   elementwise products of sums distributed where that cancels terms;
   ``det(X^k)`` = ``det(X)^k``, and the inverse of a product of square factors
   split where factors then cancel (``B*inv(A*X*B)*A`` = ``inv(X)``); ``inv(R'*R)*R'*R``
   = ``I`` and ``adj(U)/det(U)`` = ``inv(U)`` (inverses.py); logs of products split and
   logs in sums merged where shorter, ``exp`` of logs undone, ``sigmoid(u) + sigmoid(-u)``
   = ``ones`` (logexp.py, which says when each is sound).
2. ``factor`` pulls common numbers, scalar factors and divisors, left/right
   matrix factors and elementwise factors out of sums: ``A*x + A'*x`` ->
   ``(A + A')*x``, ``a .* c + b .* c`` -> ``(a + b) .* c``.
3. ``prettify`` puts a transpose back outside a sum when that is shorter
   (``a'*X' + b'`` -> ``(X*a + b)'``) and writes ``ones - sigmoid(u)`` as
   ``sigmoid(-u)``.

Every rewrite keeps the value; the tests check each on random numbers.
"""
from __future__ import annotations

from ..expr import Expr
from . import base
from .base import key, size
from .canonical import (canonical, make_func, make_hadamard, make_matpow, make_power, make_product,
                        make_sum, term_order)
from .factoring import factor
from .prettify import prettify
from .transpose import transpose

__all__ = ["canonical", "factor", "prettify", "simplify", "transpose", "key", "size", "make_func",
           "make_hadamard", "make_matpow", "make_power", "make_product", "make_sum", "term_order"]


def simplify(e: Expr, deadline: float | None = None) -> Expr:
    """Canonical form, then factoring, then presentation.

    ``deadline`` (a ``clock.deadline_after()`` value) bounds the work: past it a
    ``LimitError`` is raised rather than a result left to grow."""
    previous = base._deadline[0]
    base._deadline[0] = deadline
    try:
        c = canonical(e)
        f = factor(c)
        f = factor(f)  # grouping can make new sums (diag(a) - diag(b) = diag(a - b)): factor those too
        return prettify(f)
    finally:
        base._deadline[0] = previous
