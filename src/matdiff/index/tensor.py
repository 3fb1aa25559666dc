"""Index (Einstein) notation: the intermediate form in which derivatives are taken.

A derivative is a ``TensorSum``: a sum of ``Term``s, each a number times a
product of ``Factor``s.  A factor is a matrix-language expression (an
*atom*: a variable, ``inv(X)``, ``tanh(B*x)``, a product chain, ...) carrying
one index name per tensor axis, or a Kronecker delta ``δ[i,j]``.  Indices
that occur in the sum's ``free`` tuple are the result's axes; every other
index is summed over (it may occur in two or more factors: an index in
three places is a Hadamard/diag pattern).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction

from ..expr import Expr, axes


@dataclass(frozen=True)
class Factor:
    expr: Expr | None          # None for a Kronecker delta
    idx: tuple[str, ...]
    dim: object = None         # size of a delta's axes (for I when both are free)

    @property
    def is_delta(self) -> bool:
        return self.expr is None

    @property
    def is_reshape(self) -> bool:
        """ρ[k; f, s]: k is the vec index of the pair (f, s) (index/reshape.py)."""
        return self.expr is None and len(self.idx) == 3

    def rename(self, old: str, new: str) -> "Factor":
        return Factor(self.expr, tuple(new if i == old else i for i in self.idx), self.dim)


def delta(i: str, j: str, dim) -> Factor:
    return Factor(None, (i, j), dim)


def reshape(k: str, fast: str, slow: str) -> Factor:
    """ρ[k; fast, slow] = δ[k, fast + size(fast)*slow]: k indexes vec of a (fast, slow) matrix."""
    return Factor(None, (k, fast, slow))


def atom(e: Expr, idx: tuple[str, ...]) -> Factor:
    assert len(axes(e.shape)) == len(idx), (e, idx)
    return Factor(e, tuple(idx))


@dataclass
class Term:
    coeff: object                       # Fraction or float
    factors: tuple[Factor, ...] = ()
    rule: str = ""                      # which derivative rule produced it (for the steps view)

    def times(self, c, *factors: Factor, rule: str = "") -> "Term":
        return Term(self.coeff * c, tuple(factors) + self.factors, rule or self.rule)


@dataclass
class TensorSum:
    terms: list[Term]
    free: tuple[str, ...]
    dims: dict = field(default_factory=dict)   # index name -> dimension


class Indices:
    """Fresh index names for one derivation."""

    def __init__(self):
        self.counter = itertools.count()
        self.dims: dict[str, object] = {}

    def fresh(self, dim) -> str:
        name = f"i{next(self.counter)}"
        self.dims[name] = dim
        return name

    def for_shape(self, shape) -> tuple[str, ...]:
        return tuple(self.fresh(d) for d in axes(shape))


def scale_terms(terms: list[Term], c) -> list[Term]:
    return [Term(t.coeff * c, t.factors, t.rule) for t in terms]


def product_terms(left: list[Term], right: list[Term]) -> list[Term]:
    return [Term(a.coeff * b.coeff, a.factors + b.factors, a.rule or b.rule)
            for a in left for b in right]


ONE = Fraction(1)
