"""From index notation back to matrix notation.

Each term is a product of factors with at most two indices.  After
deltas are eliminated by renaming, factors sharing an index form a graph
in which every index joins exactly two places (a factor slot or a free
result axis): following it gives chains (matrix products; reading a
factor against its index order transposes it), chains closing on
themselves (traces) and chains ending in vectors (inner products).  An
index in three or more places is a Hadamard / ``diag(v)`` pattern and is
rewritten first; an index in one place only is summed with ``ones``.
Anything else is not a matrix expression and raises ``NotMatrixForm``.
"""
from __future__ import annotations

from collections import defaultdict

from . import expr as E
from .errors import NotSupportedError
from .expr import Expr
from .render.text import to_text
from .tensor import Factor, TensorSum, Term


class NotMatrixForm(NotSupportedError):
    """The index expression has no closed form in matrix notation."""


def _column(e: Expr) -> Expr:
    """A vector atom as a column vector."""
    return E.transpose(e) if e.shape[0] == 1 and e.shape[1] != 1 else e


def _oriented(f: Factor, first: str) -> Expr:
    """A two-index factor read from index ``first`` to its other index."""
    e = f.expr
    return e if f.idx[0] == first else E.transpose(e)


def eliminate_deltas(factors: list[Factor], free: tuple[str, ...], dims: dict) -> tuple[list[Factor], list[Expr]]:
    """Rename indices to remove δ[i,j]; a delta between two free axes stays as I.

    Returns the factors and extra scalar factors (a traced δ[i,i] is a dimension)."""
    factors = list(factors)
    scalars: list[Expr] = []
    changed = True
    while changed:
        changed = False
        for k, f in enumerate(factors):
            if not f.is_delta:
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
        if f.is_delta:
            out.append(Factor(E.identity(dims.get(f.idx[0], f.dim)), f.idx))
        else:
            out.append(f)
    return out, scalars


def term_to_matrix(term: Term, free: tuple[str, ...], dims: dict) -> Expr:
    factors, scalars = eliminate_deltas(list(term.factors), free, dims)
    fresh = _Fresh(dims)

    # scalars out; repeated index inside one factor: diag or trace
    rest: list[Factor] = []
    for f in factors:
        if not f.idx:
            scalars.append(f.expr)
        elif len(f.idx) == 2 and f.idx[0] == f.idx[1]:
            i = f.idx[0]
            elsewhere = i in free or any(i in g.idx for g in factors if g is not f)
            if elsewhere:
                rest.append(Factor(E.Func("diag", (f.expr,)), (i,)))
            else:
                scalars.append(E.Func("tr", (f.expr,)))
        else:
            rest.append(f)
    factors = rest

    def count(i: str) -> int:
        return sum(g.idx.count(i) for g in factors) + (1 if i in free else 0)

    # Hadamard: factors with the same index set, where an index is shared beyond them
    merged = True
    while merged:
        merged = False
        groups: dict[frozenset, list[int]] = defaultdict(list)
        for k, f in enumerate(factors):
            groups[frozenset(f.idx)].append(k)
        for key, ks in groups.items():
            if len(ks) < 2 or not any(count(i) > len(ks) for i in key):
                continue
            if len(key) == 1:
                continue  # vectors sharing an index: see the diag step below
            base = factors[ks[0]]
            parts = []
            for k in ks:
                g = factors[k]
                if len(base.idx) == 2:
                    parts.append(_oriented(g, base.idx[0]))
                else:
                    parts.append(_column(g.expr))
            new = Factor(E.hadamard(*parts), base.idx if len(base.idx) == 2 else (base.idx[0],))
            if len(base.idx) == 1:
                new = Factor(new.expr, base.idx)
            factors = [f for k, f in enumerate(factors) if k not in ks] + [new]
            merged = True
            break

    # an index in three or more places: the vectors on it become diag(v) (Hadamard
    # products of them when several), leaving a chain through at most two places
    progress = True
    while progress:
        progress = False
        for i in sorted({i for f in factors for i in f.idx}):
            if count(i) <= 2:
                continue
            vecs = [k for k, f in enumerate(factors) if f.idx == (i,)]
            slots = count(i) - len(vecs)          # matrix slots and the free axis
            if slots > 2 and _absorb_dead_end(factors, i, free, count):
                progress = True
                break
            if not vecs or slots > 2:
                raise NotMatrixForm(f"an index is shared by {count(i)} factors: no matrix form")
            # the vector that ends the chain (when there is room for one) is preferably a
            # product chain, which splices into the matrix product and factors alike
            vecs.sort(key=lambda k: (not _is_chain(factors[k].expr), to_text(factors[k].expr)))
            end = [] if slots == 2 else vecs[:1]
            inner = [k for k in vecs if k not in end]
            j = fresh.new(dims.get(i))
            if slots == 1 and not _is_chain(factors[vecs[0]].expr):
                # no chain to splice: one Hadamard product of all the vectors ends the chain
                # (so that y ./ s .* s cancels), e.g. X'*(y .* (ones - s))
                merged = E.hadamard(*(_column(factors[k].expr) for k in vecs))
                factors = [f for k, f in enumerate(factors) if k not in vecs] + [Factor(merged, (i,))]
                progress = True
                break
            body = E.hadamard(*(_column(factors[k].expr) for k in inner))
            new = [Factor(E.Func("diag", (body,)), (i, j))] if slots == 2 or len(inner) > 0 else []
            if end:
                t = factors[end[0]]
                new.append(Factor(t.expr, (j,)) if slots >= 1 else Factor(t.expr, (j,)))
                if slots == 0:  # vectors only: v'*(w .* u ...) — an inner product, no diag
                    new = [Factor(body, (i,)), Factor(t.expr, (i,))]
            else:
                # rename one matrix slot (not the free axis) from i to j
                target = next(k for k, f in enumerate(factors) if k not in vecs and i in f.idx)
                g = factors[target]
                pos = g.idx.index(i)
                factors[target] = Factor(g.expr, g.idx[:pos] + (j,) + g.idx[pos + 1:], g.dim)
            factors = [f for k, f in enumerate(factors) if k not in vecs] + new
            progress = True
            break

    # an index in one place only and not free is summed: contract with ones
    for i in sorted({i for f in factors for i in f.idx}):
        if count(i) == 1 and i not in free:
            factors.append(Factor(E.ones((dims.get(i), 1)), (i,)))
    for i in free:
        if not any(i in f.idx for f in factors):  # constant along a free axis
            factors.append(Factor(E.ones((dims.get(i), 1)), (i,)))

    # walk chains
    holder: dict[str, list[int]] = defaultdict(list)
    for k, f in enumerate(factors):
        for i in f.idx:
            holder[i].append(k)
    used = [False] * len(factors)

    def walk(k: int, via: str) -> tuple[list[Expr], str | None, bool]:
        """Follow from factor k entered by index `via`; returns (oriented exprs, exit free index, ended at vector)."""
        seq: list[Expr] = []
        while True:
            used[k] = True
            f = factors[k]
            if len(f.idx) == 1:
                seq.append(_column(f.expr))
                return seq, None, True
            seq.append(_oriented(f, via))
            nxt = f.idx[1] if f.idx[0] == via else f.idx[0]
            if nxt in free:
                return seq, nxt, False
            via = nxt
            k = next(h for h in holder[nxt] if h != k)

    matrix: Expr | None = None
    vectors: dict[str, Expr] = {}
    for i in free:
        if i in vectors or (matrix is not None):
            continue
        start = holder[i][0]
        if used[start]:
            continue
        seq, end, at_vector = walk(start, i)
        if at_vector:
            vectors[i] = E.mul(*seq)
        else:
            matrix = E.mul(*seq)
    # the rest: vector-to-vector chains (scalars) and cycles (traces)
    for k, f in enumerate(factors):
        if used[k] or len(f.idx) != 1:
            continue
        used[k] = True
        first = E.transpose(_column(f.expr))
        seq = [first]
        other = holder[f.idx[0]]
        k2 = next(h for h in other if h != k)
        s2, _, _ = walk(k2, f.idx[0])
        scalars.append(E.mul(*(seq + s2)))
    for k, f in enumerate(factors):
        if used[k]:
            continue
        seq, _, _ = _cycle(factors, holder, used, k)
        scalars.append(E.Func("tr", (E.mul(*seq),)))

    if len(free) == 0:
        body: list[Expr] = []
    elif len(free) == 1:
        body = [vectors[free[0]]]
    elif matrix is not None:
        body = [matrix]
    else:
        body = [vectors[free[0]], E.transpose(vectors[free[1]])]
    return E.mul(*scalars, *body, coeff=term.coeff)


def _is_chain(e: Expr) -> bool:
    """A matrix-product chain such as tanh(B*x)'*C (it splices into a longer chain)."""
    return isinstance(e, E.Product) and len(e.chain) >= 2


def _absorb_dead_end(factors: list[Factor], i: str, free, count) -> bool:
    """M[i,b] v[b] with b nowhere else is the vector (M*v)[i]: contract it in place."""
    for k, f in enumerate(factors):
        if len(f.idx) != 2 or i not in f.idx or f.idx[0] == f.idx[1]:
            continue
        b = f.idx[1] if f.idx[0] == i else f.idx[0]
        if b in free or count(b) != 2:
            continue
        v = next((m for m, g in enumerate(factors) if g.idx == (b,)), None)
        if v is None:
            continue
        vec = E.mul(_oriented(f, i), _column(factors[v].expr))
        factors[k] = Factor(vec, (i,))
        del factors[v]
        return True
    return False


def _cycle(factors, holder, used, k):
    f = factors[k]
    start = f.idx[0]
    via = start
    seq = []
    while True:
        used[k] = True
        f = factors[k]
        seq.append(_oriented(f, via))
        nxt = f.idx[1] if f.idx[0] == via else f.idx[0]
        if nxt == start:
            return seq, None, False
        k = next(h for h in holder[nxt] if not used[h])
        via = nxt


class _Fresh:
    def __init__(self, dims):
        self.n = 0
        self.dims = dims

    def new(self, dim) -> str:
        self.n += 1
        name = f"j{self.n}"
        self.dims[name] = dim
        return name


def to_matrix(ts: TensorSum, free: tuple[str, ...]) -> Expr:
    """The sum as one matrix expression whose axes are ``free`` in that order (rows first)."""
    if len(free) > 2:
        raise NotMatrixForm("a result with more than two indices has no matrix form")
    terms = [term_to_matrix(t, free, dict(ts.dims)) for t in ts.terms]
    if not terms:
        shape = tuple(ts.dims[i] for i in free) + (1,) * (2 - len(free))
        return E.zero(shape)
    return E.add(*terms)


# ---- Kronecker (vec) form ---------------------------------------------------------

def _components(factors: list[Factor]) -> list[list[Factor]]:
    """Factors grouped by shared indices (connected components)."""
    groups: list[tuple[set, list[Factor]]] = []
    for f in factors:
        idx = set(f.idx)
        hit = [g for g in groups if g[0] & idx]
        merged_idx, merged = set(idx), [f]
        for g in hit:
            merged_idx |= g[0]
            merged = g[1] + merged
            groups.remove(g)
        groups.append((merged_idx, merged))
    return [g[1] for g in groups]


def _sized_identities(e: Expr) -> Expr:
    """Write every identity with its size: kron(A', I) would not say how big I is."""
    if isinstance(e, E.Const) and e.kind == "I":
        return E.Const("eye", e.shape)
    kids = tuple(_sized_identities(c) for c in e.children)
    return e.rebuild(kids) if kids else e


def vec_form(ts: TensorSum, f_idx: tuple[str, ...], x_idx: tuple[str, ...]) -> Expr:
    """``d vec(F) / d vec(X)'`` (column-major vec, Magnus–Neudecker) as a matrix expression.

    A term whose index graph splits into a part joining F's first axis with
    X's first and a part joining F's second axis with X's second is
    ``kron(P, Q)`` with ``Q[k,i]`` and ``P[l,j]``; a term that splits into an
    F part and an X part is ``vec(A)*vec(B)'``.  Anything else has no
    Kronecker form (a commutation matrix would be needed) and raises.
    """
    def orders(idx):
        """(slow, fast) axes of a vec: column-major, so the first axis is the fast one; a
        single axis may be either (the other has size 1)."""
        if len(idx) == 2:
            return [(idx[1], idx[0])]
        if len(idx) == 1:
            return [(None, idx[0]), (idx[0], None)]
        return [(None, None)]

    configs = [(rs, rf, cs, cf) for rs, rf in orders(f_idx) for cs, cf in orders(x_idx)]
    out = []
    for term in ts.terms:
        factors, scalars = eliminate_deltas(list(term.factors), ts.free, ts.dims)
        for f in factors:
            if not f.idx:
                scalars.append(f.expr)
        comps = _components([f for f in factors if f.idx])
        done = False
        for rs, rf, cs, cf in configs:
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
                body = E.Func("kron", (_part(p_parts, rs, cs, ts.dims), q)) if slow else q
                out.append(E.mul(*scalars, body, coeff=term.coeff))
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
                raise NotMatrixForm("this derivative has no Kronecker (vec) form without a "
                                    "commutation matrix")
        a = _vec_of(f_parts, f_idx, ts.dims)
        b = _vec_of(x_parts, x_idx, ts.dims)
        out.append(E.mul(*scalars, a, E.transpose(b), coeff=term.coeff))
    if not out:
        from functools import reduce
        size = lambda idx: reduce(E._dim_mul, (ts.dims[x] for x in idx), 1)  # noqa: E731
        return E.zero((size(f_idx), size(x_idx)))
    return E.add(*out)


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
