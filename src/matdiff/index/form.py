"""The index form of a derivative made ready to print (index/render.py prints it).

Kronecker deltas are contracted where an index is summed, atoms simplified
(identities keep their size), entries that do not depend on the indices become
coefficients, transposes move into the index order, and like terms combine.
"""
from __future__ import annotations

from collections import Counter
from fractions import Fraction
from functools import lru_cache

from ..expr import Const, Func, Num, Product, Transpose
from ..simplify import key, simplify, transpose
from ..to_matrix import _sized_identities, eliminate_deltas
from .tensor import Factor, TensorSum


def clean_terms(tensor: TensorSum) -> list[tuple[object, list[Factor]]]:
    """Deltas contracted away where an index is summed; atoms simplified; transposes moved
    into index order; an index summed over two atoms written as their product."""
    out = []
    dims = dict(tensor.dims)
    free = set(tensor.free)
    for t in tensor.terms:
        factors, scalars = eliminate_deltas(list(t.factors), tensor.free, dims)
        fs: list[Factor] = [Factor(simplify(s), ()) for s in scalars]
        coeff = t.coeff
        for f in factors:
            if _is_atom(f):
                c, more = _clean(f.expr, f.idx)
                coeff = coeff * c
                fs += more
            else:
                fs.append(Factor(None, f.idx, f.dim))
        # a summed index that only constant atoms carried (ones[a,a], ones[a]*ones[a]) is
        # gone with them: the sum over it is its size, tr(I(d))
        kept = {i for f in fs for i in f.idx}
        fs += [Factor(Func("tr", (Const("eye", (dims[i], dims[i])),)), ()) for i in
               sorted({i for f in factors for i in f.idx} - kept - free) if i in dims]
        coeff, fs = _merge_scalars(*_contract(coeff, fs, free))
        if coeff != 0:
            out.append((coeff, fs))
    # like terms combine (the same factors in any order, a delta either way round, the
    # summed indices renamed); terms that cancel disappear
    merged: dict[tuple, object] = {}
    first: dict[tuple, list[Factor]] = {}
    for coeff, fs in out:
        k = _term_key(fs, set(tensor.free))
        first.setdefault(k, fs)
        merged[k] = merged.get(k, 0) + coeff
    return [(c, first[k]) for k, c in merged.items() if c != 0]


def _is_atom(f: Factor) -> bool:
    """Not a delta (nor an identity standing for one between two free axes)."""
    return f.expr is not None and not (f.idx and getattr(f.expr, "kind", None) in ("I", "eye"))


def _clean(e, idx) -> tuple[object, list[Factor]]:
    """One atom simplified: (a number it contributes, the factors left)."""
    e = _simplified(e)
    # entries that do not depend on the indices: a number or a scalar factor
    c, scalar = _constant_entry(e)
    if c is not None:
        return c, ([Factor(scalar, ())] if scalar is not None else [])
    if isinstance(e, Transpose) and len(idx) == 2:
        e, idx = e.arg, (idx[1], idx[0])
    elif isinstance(e, Transpose) and len(idx) == 1:
        e = e.arg
    elif idx:   # (X'^2)[i,q] reads (X^2)[q,i], (a'*X')[q] reads (X*a)[q]: fewer transposes
        t = _simplified(Transpose(e))
        if key(t).count("'") < key(e).count("'"):
            e, idx = t, idx[::-1]
    return 1, [Factor(e, idx)]


@lru_cache(maxsize=4096)
def _simplified(e):
    """e simplified, its identities sized (in an index form nothing else may fix their size).
    Memoised: a high-order derivative repeats a few atoms in thousands of factors under
    other index names (29 distinct among 7,460 in one order-2 fuzz case), and simplifying
    each copy afresh took 20 s."""
    return _sized_identities(simplify(e))


def _contract(coeff, fs: list[Factor], free: set) -> tuple[object, list[Factor]]:
    """F[x,a]*G[a,y] = (F*G)[x,y] for an index a summed over exactly two atoms that share
    no other index: X[a,i]*X[q,a] is (X^2)[q,i], so it meets the terms written that way."""
    while True:
        count = Counter(i for f in fs for i in f.idx)
        for a, n in count.items():
            ks = [k for k, f in enumerate(fs) if a in f.idx]
            if a in free or n != 2 or len(ks) != 2 or not all(_is_atom(fs[k]) for k in ks):
                continue
            f, g = fs[ks[0]], fs[ks[1]]
            if set(f.idx) & set(g.idx) != {a} or len(set(f.idx)) < len(f.idx) or len(set(g.idx)) < len(g.idx):
                continue
            (left, x), (right, y) = _side(f, a, 1), _side(g, a, 0)
            c, more = _clean(Product(1, (), (left, right)), x + y)
            coeff = coeff * c
            fs = [h for k, h in enumerate(fs) if k not in ks] + more
            break
        else:
            return coeff, fs


def _merge_scalars(coeff, fs: list[Factor]) -> tuple[object, list[Factor]]:
    """The factors without an index multiplied into one scalar and simplified, so that
    ``N*(1/N)^2`` meets ``1/N`` and terms that differ only there combine or cancel."""
    scalars = [f.expr for f in fs if f.expr is not None and not f.idx]
    if len(scalars) < 2:
        return coeff, fs
    c, more = _clean(Product(1, [(s, Fraction(1)) for s in scalars], ()), ())
    if more and isinstance(more[0].expr, Product) and not isinstance(more[0].expr.coeff, float):
        # its number joins the term's; the rest, scalar factors and a chain such as a'*X*b, stays
        e = more[0].expr
        rest = [Factor(Product(1, e.scalars, e.chain), ())] if e.scalars or e.chain else []
        c, more = c * e.coeff, rest
    return coeff * c, [f for f in fs if f.expr is None or f.idx] + more


def _side(f: Factor, a: str, at: int):
    """f's expression oriented so the summed index a is its axis ``at`` (1: columns, for
    the left operand; 0: rows, for the right one), and f's other index."""
    e, idx = f.expr, f.idx
    if len(idx) == 2:
        return (e if idx[at] == a else transpose(e)), tuple(i for i in idx if i != a)
    column = e.shape[1] == 1
    return (e if column != (at == 1) else transpose(e)), ()


def _term_key(fs: list[Factor], free: set) -> tuple:
    """One key for a term's factors up to their order, delta symmetry and summed names."""
    def shape(f, ren):
        idx = tuple(ren.get(i, i) if i in free else ren.get(i, "_") for i in f.idx)
        if f.expr is None and len(idx) == 2:   # δ[i,j] = δ[j,i]; not so a reshape δ[k,a,b]
            idx = tuple(sorted(idx))
        return (key(f.expr) if f.expr is not None else "δ", idx, f.dim if f.expr is None else None)
    ordered = sorted(fs, key=lambda f: repr(shape(f, {})))
    ren: dict[str, str] = {}
    for f in ordered:
        for i in f.idx:
            if i not in free and i not in ren:
                ren[i] = f"#{len(ren)}"
    return tuple(sorted(repr(shape(f, ren)) for f in ordered))


def _constant_entry(e):
    """Every entry of e is the same: (number, scalar expression or None) — zero, ones,
    c*ones, s*ones/t; else (None, None)."""
    if isinstance(e, Const) and e.kind in ("zero", "ones"):
        return (0 if e.kind == "zero" else 1), None
    if isinstance(e, Num):
        return e.value, None
    if isinstance(e, Product) and len(e.chain) == 1 and \
            isinstance(e.chain[0], Const) and e.chain[0].kind in ("zero", "ones"):
        if e.chain[0].kind == "zero":
            return 0, None
        return e.coeff, (Product(1, e.scalars, ()) if e.scalars else None)
    return None, None
