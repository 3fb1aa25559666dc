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
Hadamard route in ``hadamard``, the Kronecker (vec) form of 3- and 4-index
results in ``kron``, and the reshape of a summed vec index read back as one
vec or Kronecker-form factor in ``fold``.
"""
from __future__ import annotations

from .. import expr as E
from ..expr import Expr
from ..index.tensor import TensorSum
from .deltas import eliminate_deltas
from .factors import NotMatrixForm
from .fold import fold_reshapes
from .kron import _sized_identities, vec_form
from .term import term_to_matrix

__all__ = ["NotMatrixForm", "eliminate_deltas", "term_to_matrix", "to_matrix", "vec_form",
           "_sized_identities", "fold"]


def fold(terms: list, free: tuple[str, ...], dims: dict, free_too: bool = False) -> list:
    """The terms with each reshape of a summed vec index (with ``free_too``, of a result axis
    too) folded into a vec or Kronecker-form factor where it can be (``fold.fold_reshapes``)."""
    return fold_reshapes(terms, free, dims, to_matrix, free_too)


def to_matrix(ts: TensorSum, free: tuple[str, ...], sized: bool = True,
              collect: bool = False) -> Expr:
    """The sum as one matrix expression whose axes are ``free`` in that order (rows first);
    ``sized``: a Kronecker form writes its identities with their sizes (``I(n)``);
    ``collect``: and adds its terms of the same left factor (``vec_form``)."""
    if len(free) > 2:
        raise NotMatrixForm("a result with more than two indices has no matrix form")
    if any(g.is_reshape for t in ts.terms for g in t.factors):
        ts = TensorSum(fold(ts.terms, free, ts.dims), ts.free, ts.dims)
        if any(g.is_reshape and g.idx[0] not in free for t in ts.terms for g in t.factors):
            raise NotMatrixForm("a vec index meets a factor that has no form in its index pair "
                                "(an unvec the language lacks)")
    if any(g.is_reshape for t in ts.terms for g in t.factors):   # a vec index among free
        m = vec_form(ts, free[:1], free[1:], collect)
        return _sized_identities(m) if sized else m
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
