"""The reshape factor ρ of vec and kron, and vec indices read back as index pairs.

Differentiating ``vec(U)`` or ``kron(A, B)`` gives terms with a reshape factor
``ρ[k; f, s]`` (``tensor.reshape``, printed ``δ[k,f,s]``): the index k, of m*n
entries, is the pair (f, s), f the fast (row) axis as in vec; ``link`` makes it.
``contract_reshapes`` rewrites every other factor that carries a summed k in f
and s: a vector as its unvec (``vec(U)`` -> U, ``kron(x, y)`` -> ``y*x'``,
``kron(P, Q)*v`` -> ``Q*unvec(v)*P'``, elementwise functions entry by entry),
``kron(P, Q)[k,l]`` as ``P[s,s'] Q[f,f']`` with l the pair (f', s'), ``K(m,n)``
as a reshape with the axes swapped, an identity as a reshape of its other
index, a product split at its bonds, a sum term by term, and a second reshape
of k as two deltas.  A general matrix or vector on a vec index would need an
unvec the language lacks: that reshape stays, and the term is read back as it
is (``to_matrix.fold`` writes it as a vec or kron where it can, else the answer
is in index form).  ``expand_free`` writes a free vec index as its pair (the
Kronecker form of ``to_matrix.kron``).
"""
from __future__ import annotations

from .. import expr as E
from ..expr import Expr, axes
from ..functions import ELEMENTWISE, FUNCTIONS, SAME_SHAPE
from .tensor import Factor, Term, atom, delta, reshape


class Fresh:
    """Fresh index names not yet in ``dims`` (which it extends)."""

    def __init__(self, dims: dict, fresh=None):
        self.dims = dims
        self._fresh = fresh
        self._n = 0

    def __call__(self, dim) -> str | None:
        if dim == 1:
            return None
        if self._fresh is not None:
            return self._fresh(dim)
        while f"u{self._n}" in self.dims:
            self._n += 1
        name = f"u{self._n}"
        self.dims[name] = dim
        return name


def link(k: str | None, fast: str | None, slow: str | None, dims: dict) -> tuple[Factor, ...]:
    """Factors saying that k is the vec index of the pair (fast, slow); None is an axis of 1."""
    if k is None:
        return ()
    if fast is None or slow is None:
        other = slow if fast is None else fast
        return (delta(k, other, dims.get(k)),) if other is not None else ()
    return (reshape(k, fast, slow),)


def contract_reshapes(terms: list[Term], free: tuple[str, ...], fresh: Fresh) -> list[Term]:
    """The terms with every reshape of a summed index contracted where the language can say
    it; a reshape whose neighbour on k has no form in the pair stays as it is."""
    out: list[Term] = []
    for t in terms:
        out.extend(_contract(t, free, fresh, ()))
    return out


def _contract(t: Term, free, fresh: Fresh, kept: tuple) -> list[Term]:
    r = next((f for f in t.factors if f.is_reshape and f.idx[0] not in free and f not in kept),
             None)
    if r is None:
        return [t]
    k = r.idx[0]
    rest = [g for g in t.factors if g is not r]
    at = next((i for i, g in enumerate(rest) if k in g.idx), None)
    if at is None:   # Σ_k ρ[k; f, s] = 1 for every (f, s)
        return _contract(Term(t.coeff, tuple(rest), t.rule), free, fresh, kept)
    parts = rewrite(rest[at], r, fresh)
    if parts is None:   # no unvec in the language: ρ stays (index form, or to_matrix.fold)
        return _contract(t, free, fresh, kept + (r,))
    out = []
    for c, fs in parts:
        others = rest[:at] + list(fs) + rest[at + 1:]
        keep = (r,) if any(k in g.idx for g in others) else ()
        out.extend(_contract(Term(t.coeff * c, keep + tuple(others), t.rule), free, fresh, kept))
    return out


def rewrite(g: Factor, r: Factor, fresh: Fresh) -> list[tuple[object, tuple[Factor, ...]]] | None:
    """``g`` (which carries k) in the pair (f, s) that ``r = ρ[k; f, s]`` makes of k: a sum of
    (coefficient, factors); None where the language has no such form."""
    k, f, s = r.idx
    dims = fresh.dims
    m, n = dims[f], dims[s]
    if g.is_reshape:
        _, f2, s2 = g.idx
        if (dims[f2], dims[s2]) != (m, n):
            return None     # a vec index read two ways
        return [(1, (delta(f, f2, m), delta(s, s2, n)))]
    if g.is_delta:
        a, b = g.idx
        return [(1, (reshape(b if a == k else a, f, s),))]
    e, idx = g.expr, g.idx
    if len(idx) == 1:
        u = unvec(e, m, n)
        return None if u is None else [(1, (atom(u, (f, s)),))]
    if idx[0] == idx[1]:
        return None
    pos = idx.index(k)
    other = idx[1 - pos]
    if isinstance(e, E.Transpose):
        return rewrite(Factor(e.arg, idx[::-1]), r, fresh) if not _pushable(e.arg) else \
            rewrite(Factor(_push(e.arg), idx), r, fresh)
    if isinstance(e, E.Func) and e.name == "kron":
        parts = _kron_parts(e, pos, other, f, s, m, n, fresh)
        return None if parts is None else [(1, parts)]
    if E.is_commutation(e):
        a, b = e.size          # K(a,b)[j + b*i, i + a*j] = 1: the pair swapped
        if (m, n) != ((b, a) if pos == 0 else (a, b)):
            return None
        return [(1, link(other, s, f, dims))]
    if _is_eye(e):
        return [(1, (reshape(other, f, s),))]
    if isinstance(e, E.Add):
        return [(1, (Factor(a, idx),)) for a in e.args]
    if isinstance(e, E.Product):
        return [(e.coeff, _split(e, idx, fresh))]
    return None


def _pushable(e: Expr) -> bool:
    return (isinstance(e, E.Func) and e.name == "kron") or E.is_commutation(e) or \
        isinstance(e, (E.Product, E.Add)) or (isinstance(e, E.Const) and e.kind in ("I", "eye"))


def _push(e: Expr) -> Expr:
    """The transpose of e, pushed one level in (kron(P, Q)' = kron(P', Q'), K(a,b)' = K(b,a))."""
    if isinstance(e, E.Func) and e.name == "kron":
        return E.Func("kron", tuple(E.transpose(a) for a in e.args))
    if E.is_commutation(e):
        return E.commutation(e.size[1], e.size[0])
    if isinstance(e, E.Product):
        return E.Product(e.coeff, e.scalars, tuple(E.transpose(c) for c in reversed(e.chain)))
    if isinstance(e, E.Add):
        return E.Add(tuple(E.transpose(a) for a in e.args))
    return e


def _kron_parts(e: Expr, pos: int, other, f, s, m, n, fresh: Fresh) -> tuple[Factor, ...] | None:
    """kron(P, Q)[r, c] = P[rs, cs] Q[rf, cf]: the side of k is (f, s), the other side fresh."""
    P, Q = e.args
    side = 0 if pos == 0 else 1
    if (Q.shape[side], P.shape[side]) != (m, n):
        return None
    f2, s2 = fresh(Q.shape[1 - side]), fresh(P.shape[1 - side])
    p_idx = (s, s2) if pos == 0 else (s2, s)
    q_idx = (f, f2) if pos == 0 else (f2, f)
    return (_atom(P, p_idx, fresh.dims), _atom(Q, q_idx, fresh.dims)) + link(other, f2, s2, fresh.dims)


def _is_eye(e: Expr) -> bool:
    e = e.arg if isinstance(e, E.Transpose) else e
    return isinstance(e, E.Const) and e.kind in ("I", "eye")


def _atom(e: Expr, idx, dims: dict) -> Factor:
    """e on the indices that are not None; an identity as a delta, which renaming removes."""
    idx = tuple(i for i in idx if i is not None)
    if _is_eye(e) and len(idx) == 2:
        return delta(idx[0], idx[1], dims[idx[0]])
    return atom(e, idx)


def _split(e: E.Product, idx, fresh: Fresh) -> tuple[Factor, ...]:
    """A product as its factors, with fresh indices on its bonds."""
    out = [atom(sc if p == 1 else E.power(sc, p), ()) for sc, p in e.scalars]
    row = idx[0] if e.shape[0] != 1 else None
    col = idx[-1] if e.shape[1] != 1 else None
    chain = e.chain
    bonds = [fresh(c.shape[1]) for c in chain[:-1]]
    for c, a, b in zip(chain, [row] + bonds, bonds + [col]):
        out.append(atom(c, tuple(i for i in (a, b) if i is not None)))
    return tuple(out)


def unvec(e: Expr, m, n) -> Expr | None:
    """The m×n matrix whose vec is the vector e (column or row), or None where the language
    has no such form."""
    if isinstance(e, E.Transpose):
        return unvec(e.arg, m, n)
    if isinstance(e, E.Func):
        if e.name == "vec":
            return e.args[0] if e.args[0].shape == (m, n) else None
        if e.name == "kron":
            x, y = e.args
            if x.is_scalar or y.is_scalar:
                u = unvec(y if x.is_scalar else x, m, n)
                return None if u is None else E.mul(x if x.is_scalar else y, u)
            if len(axes(x.shape)) == 1 and len(axes(y.shape)) == 1:  # kron(x, y) = vec(y*x')
                col = lambda v: v if v.shape[1] == 1 else E.transpose(v)  # noqa: E731
                u = E.mul(col(y), E.transpose(col(x)))
                return u if u.shape == (m, n) else None
            return None
        # entry by entry, or over all entries at once (softmax): either way blind to the shape
        if FUNCTIONS.get(e.name) is not None and FUNCTIONS[e.name].kind in (ELEMENTWISE, SAME_SHAPE):
            u = unvec(e.args[0], m, n)
            return None if u is None else E.Func(e.name, (u,))
        return None
    if isinstance(e, (E.Hadamard, E.Add)):
        parts = [unvec(a, m, n) for a in e.args]
        if any(p is None for p in parts):
            return None
        return E.hadamard(*parts) if isinstance(e, E.Hadamard) else E.add(*parts)
    if isinstance(e, E.Power):
        u = unvec(e.base, m, n)
        return None if u is None else E.power(u, e.exp)
    if isinstance(e, E.Const):
        return E.ones((m, n)) if e.kind == "ones" else E.zero((m, n)) if e.kind == "zero" else None
    if isinstance(e, E.Product) and e.chain:
        u = _unvec_chain(list(e.chain), m, n)
        return None if u is None else E.mul(*(E.Product(1, [(sc, p)], ()) for sc, p in e.scalars), u,
                                           coeff=e.coeff)
    return None


def _unvec_chain(chain: list[Expr], m, n) -> Expr | None:
    if chain[0].shape[0] == 1:          # a row vector first: the transpose of the column
        return _unvec_chain([E.transpose(c) for c in reversed(chain)], m, n)
    if len(chain) == 1:
        return unvec(chain[0], m, n)
    head, rest = chain[0], E.mul(*chain[1:])
    if isinstance(head, E.Transpose) and _pushable(head.arg):
        head = _push(head.arg)
    if _is_eye(head):
        return unvec(rest, m, n)
    if E.is_commutation(head):           # K(a,b)*vec(W) = vec(W'), W a×b
        a, b = head.size
        u = unvec(rest, a, b) if (b, a) == (m, n) else None
        return None if u is None else E.transpose(u)
    if isinstance(head, E.Func) and head.name == "kron":   # kron(P, Q)*vec(W) = vec(Q*W*P')
        P, Q = head.args
        if (Q.shape[0], P.shape[0]) != (m, n):
            return None
        u = unvec(rest, Q.shape[1], P.shape[1])
        return None if u is None else E.mul(*(x for x in (Q, u, E.transpose(P)) if not _is_eye(x)))
    return None


def expand_free(terms: list[Term], k: str, fresh: Fresh) -> tuple[list[Term], tuple[str, ...]] | None:
    """A free vec index k as the pair (f, s) in every term (k read from its reshape factor);
    the pair is (k,) itself where k is no vec index; None where a factor on k has no form
    in the pair."""
    rs = [g for t in terms for g in t.factors if g.is_reshape and g.idx[0] == k]
    if not rs:
        return terms, (k,)
    dims = fresh.dims
    f, s = fresh(dims[rs[0].idx[1]]), fresh(dims[rs[0].idx[2]])
    r = reshape(k, f, s)
    out = []
    for t in terms:
        parts = [(1, t.factors)] if not any(k in g.idx for g in t.factors) else _in_pair(t, k, r, fresh)
        if parts is None:
            return None
        out.extend(Term(t.coeff * c, tuple(fs), t.rule) for c, fs in parts)
    return out, (f, s)


def _in_pair(t: Term, k: str, r: Factor, fresh: Fresh):
    """The factors of t with k rewritten as the pair of r, summed over the ways that gives."""
    done = [(1, list(t.factors))]
    while any(k in g.idx for _, fs in done for g in fs):
        nxt = []
        for c, fs in done:
            at = next((i for i, g in enumerate(fs) if k in g.idx), None)
            if at is None:
                nxt.append((c, fs))
                continue
            parts = rewrite(fs[at], r, fresh)
            if parts is None:
                return None
            for c2, new in parts:
                nxt.append((c * c2, fs[:at] + list(new) + fs[at + 1:]))
        done = nxt
    return done
