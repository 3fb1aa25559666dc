"""Kronecker (vec) form of a derivative with four (or three) indices.

``vec_form`` reads ``d vec(F) / d vec(X)'`` as ``kron(P, Q)`` or ``vec(A)*vec(B)'``
terms, translating each part with ``term.term_to_matrix``.
"""
from __future__ import annotations

from .. import expr as E
from ..dims import dim_mul
from ..expr import Expr
from ..index.tensor import Factor, TensorSum, Term
from .deltas import eliminate_deltas
from .factors import NotMatrixForm, components
from .term import term_to_matrix
from ..index.reshape import Fresh, expand_free


def _sized_identities(e: Expr) -> Expr:
    """Write every identity with its size: kron(A', I) would not say how big I is."""
    if isinstance(e, E.Const) and e.kind == "I":
        return E.Const("eye", e.shape)
    kids = tuple(_sized_identities(c) for c in e.children)
    return e.rebuild(kids) if kids else e


def vec_form(ts: TensorSum, f_idx: tuple[str, ...], x_idx: tuple[str, ...],
             collect: bool = False) -> Expr:
    """``d vec(F) / d vec(X)'`` (column-major vec, Magnus–Neudecker) as a matrix expression.

    A term whose index graph splits into a part joining F's first axis with
    X's first and a part joining F's second axis with X's second is
    ``kron(P, Q)`` with ``Q[k,i]`` and ``P[l,j]``; one that joins F's first axis
    with X's second (a transpose of X inside) is ``kron(P, Q)*K(m,n)``, the
    commutation matrix reordering vec(X) into vec(X'); a term that splits into an
    F part and an X part is ``vec(A)*vec(B)'``.  Anything else (a Khatri–Rao
    pattern: one index in three places) has no Kronecker form and raises.  With
    ``collect``, Kronecker terms with the same ``P`` are one, ``kron(P, Q1 + Q2)`` (the
    terms of ``kron(A, dB)``).
    """
    ts, f_idx, x_idx = _vec_indices_as_pairs(ts, f_idx, x_idx)

    def orders(idx):
        """(slow, fast) axes of a vec: column-major, so the first axis is the fast one; a
        single axis may be either (the other has size 1)."""
        if len(idx) == 2:
            return [(idx[1], idx[0])]
        if len(idx) == 1:
            return [(None, idx[0]), (idx[0], None)]
        return [(None, None)]

    configs = [(rs, rf, cs, cf, None) for rs, rf in orders(f_idx) for cs, cf in orders(x_idx)]
    if len(x_idx) == 2:  # F's fast axis joined with X's slow one: kron(P, Q)*K(m,n) (X m×n)
        configs += [(rs, rf, x_idx[0], x_idx[1], E.commutation(*(ts.dims[x] for x in x_idx)))
                    for rs, rf in orders(f_idx)]
    out = []
    krons: dict = {}     # with collect: (P, K) -> the Q of each term
    for term in ts.terms:
        factors, scalars = eliminate_deltas(list(term.factors), ts.free, ts.dims)
        for f in factors:
            if not f.idx:
                scalars.append(f.expr)
        comps = components([f for f in factors if f.idx])
        done = False
        for rs, rf, cs, cf, commute in configs:
            fast, slow = {rf, cf} - {None}, {rs, cs} - {None}
            q_parts, p_parts = [], []
            for c in comps:
                fr = {x for f in c for x in f.idx} & set(ts.free)
                if fr <= fast:
                    q_parts += c
                elif fr <= slow:
                    p_parts += c
                else:
                    break
            else:
                q = _part(q_parts, rf, cf, ts.dims)
                p = _part(p_parts, rs, cs, ts.dims) if slow else None
                if collect and p is not None:
                    krons.setdefault((p, commute), []).append(E.mul(*scalars, q, coeff=term.coeff))
                else:
                    body = E.Func("kron", (p, q)) if slow else q
                    out.append(E.mul(*scalars, body, *([commute] if commute else []),
                                     coeff=term.coeff))
                done = True
                break
        if done:
            continue
        # vec(A) * vec(B)': an F-only part times an X-only part
        f_parts, x_parts = [], []
        for c in comps:
            fr = {x for f in c for x in f.idx} & set(ts.free)
            if fr <= set(f_idx):
                f_parts += c
            elif fr <= set(x_idx):
                x_parts += c
            else:
                raise NotMatrixForm("this derivative has no Kronecker (vec) form: an index "
                                    "joins F's and X's axes in one factor (a Khatri-Rao product)")
        a = _vec_of(f_parts, f_idx, ts.dims)
        b = (E.transpose(_vec_of(x_parts, x_idx, ts.dims)),) if x_idx else ()   # none: vec(A)
        out.append(E.mul(*scalars, a, *b, coeff=term.coeff))
    out += [E.mul(E.Func("kron", (p, E.add(*qs))), *([commute] if commute else []))
            for (p, commute), qs in krons.items()]
    if not out:
        from functools import reduce
        size = lambda idx: reduce(dim_mul, (ts.dims[x] for x in idx), 1)  # noqa: E731
        return E.zero((size(f_idx), size(x_idx)))
    return E.add(*out)


def _vec_indices_as_pairs(ts: TensorSum, f_idx, x_idx):
    """The sum with each free vec index (of a vec or kron: index/reshape.py) written as its pair."""
    if not any(g.is_reshape for t in ts.terms for g in t.factors):
        return ts, f_idx, x_idx
    fresh = Fresh(dict(ts.dims))
    terms, sides = ts.terms, []
    for side in (f_idx, x_idx):
        pairs = ()
        for k in side:
            got = expand_free(terms, k, fresh)
            if got is None:
                raise NotMatrixForm("a factor on a vec index has no form in its pair (an unvec "
                                    "the language lacks)")
            terms, pair = got
            pairs += pair
        if len(pairs) > 2:
            raise NotMatrixForm("a vec form needs F and X to have at most two axes each")
        sides.append(pairs)
    if any(g.is_reshape for t in terms for g in t.factors):
        raise NotMatrixForm("a vec index meets a factor that has no form in its index pair")
    return TensorSum(terms, sides[0] + sides[1], fresh.dims), sides[0], sides[1]


def _part(factors: list[Factor], row: str | None, col: str | None, dims: dict) -> Expr:
    """The matrix [row, col] of a group of factors (a column if no col, a row if no row)."""
    free = tuple(x for x in (row, col) if x is not None)
    if not free:
        return term_to_matrix(Term(1, tuple(factors)), (), dims) if factors else E.Num(1)
    m = term_to_matrix(Term(1, tuple(factors)), free, dims)
    if row is None:
        m = E.transpose(m)
    return m


def _vec_of(factors: list[Factor], idx: tuple[str, ...], dims: dict) -> Expr:
    m = term_to_matrix(Term(1, tuple(factors)), idx, dims)
    return E.Func("vec", (m,)) if len(idx) == 2 else m
