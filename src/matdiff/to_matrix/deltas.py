"""Kronecker deltas contracted by renaming indices: the first step back to matrix form."""
from __future__ import annotations

from .. import expr as E
from ..expr import Expr
from ..index.tensor import Factor


def eliminate_deltas(factors: list[Factor], free: tuple[str, ...], dims: dict) -> tuple[list[Factor], list[Expr]]:
    """Rename indices to remove δ[i,j]; a delta between two free axes stays as I.

    Returns the factors and extra scalar factors (a traced δ[i,i] is a dimension)."""
    factors = list(factors)
    scalars: list[Expr] = []
    changed = True
    while changed:
        changed = False
        for k, f in enumerate(factors):
            if not f.is_delta or f.is_reshape:
                continue
            a, b = f.idx
            if a == b:
                if any(a in g.idx for j, g in enumerate(factors) if j != k) or a in free:
                    continue  # cannot happen in well-formed terms; keep going
                factors.pop(k)
                scalars.append(E.Func("tr", (E.identity(dims.get(a, f.dim)),)))
                changed = True
                break
            if a not in free or b not in free:
                old, new = (a, b) if a not in free else (b, a)
                factors.pop(k)
                factors = [g.rename(old, new) for g in factors]
                changed = True
                break
    out = []
    for f in factors:
        if f.is_delta and not f.is_reshape:
            out.append(Factor(E.identity(dims.get(f.idx[0], f.dim)), f.idx))
        else:
            out.append(f)
    return out, scalars
