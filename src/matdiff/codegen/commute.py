"""The commutation matrix K(m,n) in generated code: a reshape and a swap of axes of what it
multiplies (K(m,n)*vec(A) = vec(A')), never a product with an mn×mn matrix."""
from __future__ import annotations

from .. import expr as E
from ..expr import Expr, Transpose
from .chains import Item, axis_of


class Commuting:
    """A mixin of ``lowering.Lowering`` (it uses ``dense_of``, ``op`` and ``T``)."""

    def commuted(self, factors: list[Expr]) -> tuple[list[Expr], list[Item]]:
        """A chain with a commutation matrix K(m,n): the factors before it, and the item of
        K(m,n)*(what follows) as a permutation of rows (or of what precedes it, of columns),
        never a product with K."""
        k = next((i for i, f in enumerate(factors) if commutation_size(f)), None)
        if k is None or len(factors) == 1:
            return factors, []
        m, n = commutation_size(factors[k])
        if k + 1 < len(factors):      # K(m,n)*R
            node = self.commute(self.dense_of(E.mul(*factors[k + 1:])), m, n)
            return factors[:k], [Item("x", node, axis_of(factors[k].shape[0]),
                                      axis_of(factors[-1].shape[1]))]
        node = self.T(self.commute(self.T(self.dense_of(E.mul(*factors[:k]))), n, m))  # L*K = (K'*L')'
        return [], [Item("x", node, axis_of(factors[0].shape[0]), axis_of(factors[k].shape[1]))]

    def commute(self, x: int, m, n) -> int:
        """K(m,n) times the node x (a vector of m*n entries or a matrix of m*n rows)."""
        return self.op("commute", (x,), (m, n), self.g[x].shape)


def commutation_size(f: Expr):
    """(m, n) of a factor K(m,n) (or of K(n,m)' = K(m,n)), else None."""
    if isinstance(f, Transpose) and E.is_commutation(f.arg):
        return f.arg.size[1], f.arg.size[0]
    return f.size if E.is_commutation(f) else None
