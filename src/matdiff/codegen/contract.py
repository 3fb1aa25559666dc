"""Index-form results (3+ indices, or no matrix form) as tensor contractions.

A derivative that matdiff answers in index notation (a ``TensorSum``: terms,
each a number times factors with one index per axis) becomes one
``contract`` operation per term: the factors are lowered like any matrix
expression (so they share nodes with the value and the other outputs), a
Kronecker delta becomes an index renaming (or an identity where both of
its indices are free), and the term is an ``opt_einsum`` contraction whose
path the generated code chooses once per set of shapes (``_contract``).
"""
from __future__ import annotations

import opt_einsum

from ..index.tensor import Factor, TensorSum


def lower_tensor(low, ts: TensorSum, free: tuple[str, ...]) -> int:
    """The node computing ``ts`` with its axes in ``free`` order (``low``: a ``Lowering``)."""
    out_shape = tuple(ts.dims[i] for i in free)
    total = None
    for term in ts.terms:
        node = _term(low, list(term.factors), free, ts.dims, out_shape)
        if node is None:
            continue
        node = low.mul(low.num(term.coeff), node)
        total = node if total is None else low.add(total, node)
    if total is None:
        return low.op("zeros", (), (out_shape,), out_shape)
    return total


def _term(low, factors: list[Factor], free, dims, out_shape) -> int | None:
    factors = _without_deltas(factors, set(free))
    scalar = None
    operands, subs = [], []
    for f in factors:
        if f.is_reshape:   # δ[k,a,b]: the identity of size m*n with its columns as (a, b)
            k, a, b = (dims[i] for i in f.idx)
            eye = low.op("eye", (), (k,), (k, k))
            operands.append(low.op("splitcols", (eye,), (a, b), (k, a, b)))
        elif f.is_delta:
            n = dims.get(f.idx[0], f.dim)
            operands.append(low.op("eye", (), (n,), (n, n)))
        else:
            node = low.root(f.expr)
            if not f.idx:  # a scalar factor multiplies the contraction
                scalar = low.mul(scalar, node)
                continue
            operands.append(node)
        subs.append(f.idx)
    mentioned = {i for s in subs for i in s}
    for i in free:  # a free index no factor mentions: the term is constant along it
        if i not in mentioned:
            operands.append(low.op("ones", (), ((dims[i],),), (dims[i],)))
            subs.append((i,))
    if not operands:
        return scalar if scalar is not None else low.num(1)
    letters: dict[str, str] = {}

    def letter(i):
        return letters.setdefault(i, opt_einsum.get_symbol(len(letters)))

    spec = ",".join("".join(letter(i) for i in s) for s in subs) + "->" + "".join(letter(i) for i in free)
    node = low.op("contract", tuple(operands), (spec,), out_shape)
    return low.mul(scalar, node)


def _without_deltas(factors: list[Factor], free: set) -> list[Factor]:
    """δ[i,j] with a summed index: that index renamed to the other in every factor."""
    factors = list(factors)
    changed = True
    while changed:
        changed = False
        for k, f in enumerate(factors):
            if not f.is_delta or f.is_reshape or f.idx[0] == f.idx[1]:
                continue
            i, j = f.idx
            if j in free and i in free:
                continue
            old, new = (j, i) if j not in free else (i, j)
            factors = [g.rename(old, new) for g in factors[:k] + factors[k + 1:]]
            changed = True
            break
    return factors
