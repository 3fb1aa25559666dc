"""From index notation back to matrix notation.

Each term is a product of factors with at most two indices.  After
deltas are eliminated by renaming, factors sharing an index form a graph
in which every index joins exactly two places (a factor slot or a free
result axis): following it gives chains (matrix products; reading a
factor against its index order transposes it), chains closing on
themselves (traces) and chains ending in vectors (inner products).  An
index in three or more places is a Hadamard / ``diag(v)`` pattern and is
rewritten first; an index in one place only is summed with ``ones``.
Elementwise functions and Hadamard products inside chains, traces and sums
become Hadamard factors (``hadamard``).  Anything else is not a matrix
expression and raises ``NotMatrixForm``.

The steps of one term are in ``term``, the chain reading in ``chains``, the
Hadamard route in ``hadamard`` and the Kronecker (vec) form of 3- and
4-index results in ``kron``.
"""
from __future__ import annotations

from .. import expr as E
from ..expr import Expr
from ..index.tensor import TensorSum
from .deltas import eliminate_deltas
from .factors import NotMatrixForm
from .kron import _sized_identities, vec_form
from .term import term_to_matrix

__all__ = ["NotMatrixForm", "eliminate_deltas", "term_to_matrix", "to_matrix", "vec_form",
           "_sized_identities"]


def to_matrix(ts: TensorSum, free: tuple[str, ...]) -> Expr:
    """The sum as one matrix expression whose axes are ``free`` in that order (rows first)."""
    if len(free) > 2:
        raise NotMatrixForm("a result with more than two indices has no matrix form")
    if any(g.is_reshape for t in ts.terms for g in t.factors):   # a vec index among free
        if len(free) != 2:
            raise NotMatrixForm("a vec index alone has no matrix form")
        return _sized_identities(vec_form(ts, free[:1], free[1:]))
    outer = _hadamard_on_result(ts, free)
    terms = [term_to_matrix(t, free, dict(ts.dims), outer) for t in ts.terms]
    if not terms:
        shape = tuple(ts.dims[i] for i in free) + (1,) * (2 - len(free))
        return E.zero(shape)
    return E.add(*terms)


def _hadamard_on_result(ts: TensorSum, free: tuple[str, ...]) -> bool:
    """Whether a term of the sum is a Hadamard product on the result's index pair: a factor
    (not an identity) on the pair that is itself a Hadamard product or shares a result index
    with another matrix, and no vector on a result index."""
    pair = set(free)
    if len(pair) != 2:
        return False
    for t in ts.terms:
        factors, _ = eliminate_deltas(list(t.factors), free, dict(ts.dims))
        on_pair = [f for f in factors if set(f.idx) == pair
                   and not (isinstance(f.expr, E.Const) and f.expr.kind == "I")]
        if not on_pair or any(len(f.idx) == 1 and f.idx[0] in pair for f in factors):
            continue
        beside = sum(1 for f in factors if len(f.idx) == 2 and set(f.idx) & pair) > 1
        if beside or any(isinstance(f.expr, E.Hadamard) for f in on_pair):
            return True
    return False
