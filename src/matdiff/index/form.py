"""The index form of a derivative made ready to print (index/render.py prints it).

Kronecker deltas are contracted where an index is summed, atoms simplified
(identities keep their size), entries that do not depend on the indices become
coefficients, transposes move into the index order, and like terms combine.
"""
from __future__ import annotations

from ..expr import Const, Num, Product, Transpose
from ..simplify import key, simplify
from ..to_matrix import _sized_identities, eliminate_deltas
from .tensor import Factor, TensorSum


def clean_terms(tensor: TensorSum) -> list[tuple[object, list[Factor]]]:
    """Deltas contracted away where an index is summed; atoms simplified; transposes moved into index order."""
    out = []
    dims = dict(tensor.dims)
    for t in tensor.terms:
        factors, scalars = eliminate_deltas(list(t.factors), tensor.free, dims)
        fs: list[Factor] = []
        coeff = t.coeff
        for s in scalars:
            fs.append(Factor(simplify(s), ()))
        for f in factors:
            e = f.expr
            if e is not None and not (f.idx and getattr(e, "kind", None) == "I"):
                # identities keep their size: in an index form nothing else may fix it
                e = _sized_identities(simplify(e))
                idx = f.idx
                # entries that do not depend on the indices: a number or a scalar factor
                c, scalar = _constant_entry(e)
                if c is not None:
                    coeff = coeff * c
                    if scalar is not None:
                        fs.append(Factor(scalar, ()))
                    continue
                if isinstance(e, Transpose) and len(idx) == 2:
                    e, idx = e.arg, (idx[1], idx[0])
                elif isinstance(e, Transpose) and len(idx) == 1:
                    e = e.arg
                fs.append(Factor(e, idx))
            else:
                fs.append(Factor(None, f.idx, f.dim))
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


def _term_key(fs: list[Factor], free: set) -> tuple:
    """One key for a term's factors up to their order, delta symmetry and summed names."""
    def shape(f, ren):
        idx = tuple(ren.get(i, i) if i in free else ren.get(i, "_") for i in f.idx)
        if f.expr is None:
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
