"""What every step of the index-to-matrix translation shares: the refusal and factor reading."""
from __future__ import annotations

from .. import expr as E
from ..errors import NotSupportedError
from ..expr import Expr
from ..index.tensor import Factor


class NotMatrixForm(NotSupportedError):
    """The index expression has no closed form in matrix notation."""


def column(e: Expr) -> Expr:
    """A vector atom as a column vector."""
    return E.transpose(e) if e.shape[0] == 1 and e.shape[1] != 1 else e


def oriented(f: Factor, first: str) -> Expr:
    """A two-index factor read from index ``first`` to its other index."""
    e = f.expr
    return e if f.idx[0] == first else E.transpose(e)


def is_chain(e: Expr) -> bool:
    """A matrix-product chain such as tanh(B*x)'*C (it splices into a longer chain)."""
    return isinstance(e, E.Product) and len(e.chain) >= 2


def places(factors: list[Factor], free: tuple[str, ...], i: str) -> int:
    """In how many places index ``i`` occurs: factor slots, plus one if it is a result axis."""
    return sum(g.idx.count(i) for g in factors) + (1 if i in free else 0)


def indices(factors: list[Factor]) -> list[str]:
    """The indices of the factors, in a fixed order."""
    return sorted({i for f in factors for i in f.idx})


def components(factors: list[Factor], cut: set[str] = frozenset()) -> list[list[Factor]]:
    """Factors grouped by the indices they share (connected components), not counting the
    indices in ``cut``."""
    groups: list[tuple[set, list[Factor]]] = []
    for f in factors:
        idx = set(f.idx) - cut
        hit = [g for g in groups if g[0] & idx]
        merged_idx, merged = set(idx), [f]
        for g in hit:
            merged_idx |= g[0]
            merged = g[1] + merged
            groups.remove(g)
        groups.append((merged_idx, merged))
    return [g[1] for g in groups]
