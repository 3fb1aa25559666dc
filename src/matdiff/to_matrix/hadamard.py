"""Hadamard products inside chains, traces and sums (the route taken when chains alone fail).

An elementwise function of a matrix, or a Hadamard product, inside a matrix
product leaves an index pair shared by more than two places, which the
chain steps cannot read.  Three general moves remove such a pair, each
merging several factors into one, after which the term is translated again:

* factors on the same index pair (a vector pair ``u[p] v[q]`` counts as the
  matrix ``u*v'`` on it) are one Hadamard product;
* a factor on the result's index pair (or on the result's one index) is a
  Hadamard factor of the whole: ``(rest) .* H``; parts of the term joined only
  through the result's indices are the Hadamard product of their matrices;
* a factor ``H[p,q]`` whose pair closes off part of the graph (factors joined
  through indices of their own, reaching the outside only at p and q) is one
  edge: that part is the matrix ``M[p,q]`` and the edge is ``M .* H``;
* two or more such parts between the same pair, with no factor on the pair
  itself, are one edge too: the Hadamard product of their matrices.
"""
from __future__ import annotations

from itertools import combinations
from typing import Callable

from .. import expr as E
from ..expr import Expr
from ..index.tensor import Factor
from .factors import NotMatrixForm, column, components, indices, oriented, places

# (factors, free, dims) -> the matrix expression with axes free; raises NotMatrixForm
Translate = Callable[[list[Factor], tuple[str, ...], dict], Expr]


def hadamard_form(factors: list[Factor], free: tuple[str, ...], dims: dict, translate: Translate) -> Expr:
    """The factors (no scalars among them) as a matrix expression with axes ``free``, using
    Hadamard products; raises NotMatrixForm when none of the moves leads to a matrix form."""
    merged = merge_same_pairs(factors)
    if not free and len(merged) == 1:  # a full contraction of one Hadamard product
        return E.Func("sum", (merged[0].expr,))
    covered = _cover_of_result(merged, free, dims, translate)
    if covered is not None:
        return covered
    split = _split_at_result(merged, free, dims, translate)
    if split is not None:
        return split
    for new in edges_closing_off_parts(merged, free, dims, translate):
        try:
            return translate(new, free, dict(dims))
        except NotMatrixForm:
            continue
    if len(merged) < len(factors):
        try:
            return translate(merged, free, dict(dims))
        except NotMatrixForm:
            pass
    for new in parallel_parts(merged, free, dims, translate):
        try:
            return translate(new, free, dict(dims))
        except NotMatrixForm:
            continue
    raise NotMatrixForm("an index is shared by three or more factors and no Hadamard product "
                        "closes it: no matrix form")


def merge_same_pairs(factors: list[Factor], only: frozenset | None = None) -> list[Factor]:
    """Matrices on one index pair, and vectors u[p], v[q] beside a matrix on (p,q), become one
    Hadamard product on that pair (on the pair ``only`` when given)."""
    out = list(factors)
    pairs: dict[frozenset, list[int]] = {}
    for k, f in enumerate(out):
        if len(f.idx) == 2 and f.idx[0] != f.idx[1] and only in (None, frozenset(f.idx)):
            pairs.setdefault(frozenset(f.idx), []).append(k)
    drop: set[int] = set()
    for ks in pairs.values():
        p, q = out[ks[0]].idx
        parts = [oriented(out[k], p) for k in ks]
        up = next((k for k, f in enumerate(out) if f.idx == (p,) and k not in drop), None)
        vq = next((k for k, f in enumerate(out) if f.idx == (q,) and k not in drop), None)
        if up is not None and vq is not None:
            parts.insert(0, E.mul(column(out[up].expr), E.transpose(column(out[vq].expr))))
            drop |= {up, vq}
        if len(parts) < 2:
            continue
        drop |= set(ks[1:])
        out[ks[0]] = Factor(E.hadamard(*parts), (p, q))
    return [f for k, f in enumerate(out) if k not in drop]


def outer_product_on_result(factors: list[Factor], free: tuple[str, ...]) -> list[Factor]:
    """u[a] M[a,b] v[b] on the result's axes (a,b) is (u*v') .* M: the form that terms
    with a Hadamard product on the result's pair take, so that the two collect."""
    if len(free) != 2 or not all(any(f.idx == (i,) for f in factors) for i in free):
        return factors
    return merge_same_pairs(factors, frozenset(free))


def _cover_of_result(factors: list[Factor], free: tuple[str, ...], dims: dict,
                     translate: Translate) -> Expr | None:
    """``(rest) .* H`` where a factor H carries exactly the result's indices."""
    if not free or len(factors) < 2:
        return None
    for k, f in enumerate(factors):
        if sorted(f.idx) != sorted(free) or len(set(f.idx)) != len(f.idx):
            continue
        h = oriented(f, free[0]) if len(free) == 2 else column(f.expr)
        rest = factors[:k] + factors[k + 1:]
        try:
            return E.hadamard(translate(rest, free, dict(dims)), h)
        except NotMatrixForm:
            continue
    return None


def _split_at_result(factors: list[Factor], free: tuple[str, ...], dims: dict,
                     translate: Translate) -> Expr | None:
    """Parts of the term joined only through the result's indices, each reaching all of them,
    are the Hadamard product of their matrices (e.g. (A*B) .* (C*D))."""
    parts = [c for c in components(factors, set(free))
             if free and set(free) <= {i for f in c for i in f.idx}]
    if len(parts) < 2:
        return None
    rest = [f for f in factors if not any(f is g for c in parts for g in c)]
    try:
        return E.hadamard(*(translate(c + (rest if k == 0 else []), free, dict(dims))
                            for k, c in enumerate(parts)))
    except NotMatrixForm:
        return None


def edges_closing_off_parts(factors: list[Factor], free: tuple[str, ...], dims: dict,
                            translate: Translate):
    """Each way of merging a factor H[p,q] with the part of the graph that it closes off
    (``M[p,q]``, reaching the outside only at p and q) into the one edge ``M .* H``."""
    for k, h in enumerate(factors):
        if len(h.idx) != 2 or h.idx[0] == h.idx[1]:
            continue
        p, q = h.idx
        others = factors[:k] + factors[k + 1:]
        part = [f for c in components(others, {p, q}) if _closed_off(c, free, p, q) for f in c]
        if not part or not {p, q} <= {i for f in part for i in f.idx}:
            continue
        try:
            m = translate(part, (p, q), dict(dims))
        except NotMatrixForm:
            continue
        rest = [f for f in others if not any(f is g for g in part)]
        yield rest + [Factor(E.hadamard(m, h.expr), (p, q))]


def parallel_parts(factors: list[Factor], free: tuple[str, ...], dims: dict, translate: Translate):
    """Each way of merging two or more parts of the graph that join the same index pair
    (p, q) and reach the outside only there (paths p-b-q and p-d-q) into one edge, the
    Hadamard product of their matrices on (p, q): sum_b,d P[p,b] M[q,b] N[p,d] Q[q,d] is
    ((P*M') .* (N*Q'))[p,q].  Only pairs whose indices are each in three or more places."""
    crowded = [i for i in indices(factors) if places(factors, free, i) >= 3]
    for p, q in combinations(crowded, 2):
        parts = [c for c in components(factors, {p, q})
                 if {p, q} <= {i for f in c for i in f.idx} and _closed_off(c, free, p, q)]
        if len(parts) < 2:
            continue
        try:
            ms = [translate(list(c), (p, q), dict(dims)) for c in parts]
        except NotMatrixForm:
            continue
        rest = [f for f in factors if not any(f is g for c in parts for g in c)]
        yield rest + [Factor(E.hadamard(*ms), (p, q))]


def _closed_off(component: list[Factor], free: tuple[str, ...], p: str, q: str) -> bool:
    idx = {i for f in component for i in f.idx}
    return bool(idx & {p, q}) and idx & set(free) <= {p, q}

