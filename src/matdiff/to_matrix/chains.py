"""Reading a contraction graph in which every index joins exactly two places.

Following shared indices gives chains (matrix products; reading a factor
against its index order transposes it): a chain from a free axis ends at
the other free axis (the matrix) or at a vector (a vector of the result),
a chain between two vectors is an inner product and a chain closing on
itself is a trace.
"""
from __future__ import annotations

from collections import defaultdict

from .. import expr as E
from ..expr import Expr
from ..index.tensor import Factor
from .factors import column, oriented


class _Graph:
    """Factors, each index joining two places; ``used`` marks the factors already read."""

    def __init__(self, factors: list[Factor], free: tuple[str, ...]):
        self.factors = factors
        self.free = free
        self.holder: dict[str, list[int]] = defaultdict(list)
        for k, f in enumerate(factors):
            for i in f.idx:
                self.holder[i].append(k)
        self.used = [False] * len(factors)

    def walk(self, k: int, via: str) -> tuple[list[Expr], str | None, bool]:
        """Follow from factor k entered by index `via`; returns (oriented exprs, exit free index,
        ended at vector)."""
        seq: list[Expr] = []
        while True:
            self.used[k] = True
            f = self.factors[k]
            if len(f.idx) == 1:
                seq.append(column(f.expr))
                return seq, None, True
            seq.append(oriented(f, via))
            nxt = f.idx[1] if f.idx[0] == via else f.idx[0]
            if nxt in self.free:
                return seq, nxt, False
            via = nxt
            k = next(h for h in self.holder[nxt] if h != k)

    def cycle(self, k: int) -> list[Expr]:
        """The factors of the cycle through factor k, oriented head to tail."""
        start = via = self.factors[k].idx[0]
        seq = []
        while True:
            self.used[k] = True
            f = self.factors[k]
            seq.append(oriented(f, via))
            nxt = f.idx[1] if f.idx[0] == via else f.idx[0]
            if nxt == start:
                return seq
            k = next(h for h in self.holder[nxt] if not self.used[h])
            via = nxt


def read_chains(factors: list[Factor], free: tuple[str, ...]) -> tuple[Expr | None, dict[str, Expr], list[Expr]]:
    """(the chain between the two free axes, the chains from a free axis to a vector, the
    scalars: inner products between vectors and traces of cycles)."""
    g = _Graph(factors, free)
    matrix: Expr | None = None
    vectors: dict[str, Expr] = {}
    for i in free:
        if i in vectors or (matrix is not None):
            continue
        start = g.holder[i][0]
        if g.used[start]:
            continue
        seq, end, at_vector = g.walk(start, i)
        if at_vector:
            vectors[i] = E.mul(*seq)
        else:
            matrix = E.mul(*seq)
    scalars: list[Expr] = []
    for k, f in enumerate(factors):  # vector-to-vector chains: inner products
        if g.used[k] or len(f.idx) != 1:
            continue
        g.used[k] = True
        k2 = next(h for h in g.holder[f.idx[0]] if h != k)
        rest, _, _ = g.walk(k2, f.idx[0])
        scalars.append(E.mul(E.transpose(column(f.expr)), *rest))
    for k in range(len(factors)):  # what is left is cycles: traces
        if not g.used[k]:
            scalars.append(E.Func("tr", (E.mul(*g.cycle(k)),)))
    return matrix, vectors, scalars


def assemble(free: tuple[str, ...], matrix: Expr | None, vectors: dict[str, Expr], scalars: list[Expr],
             coeff) -> Expr:
    """The term: its scalars times its matrix (or vector, or outer product of two vectors)."""
    if len(free) == 0:
        body: list[Expr] = []
    elif len(free) == 1:
        body = [vectors[free[0]]]
    elif matrix is not None:
        body = [matrix]
    else:
        body = [vectors[free[0]], E.transpose(vectors[free[1]])]
    return E.mul(*scalars, *body, coeff=coeff)
