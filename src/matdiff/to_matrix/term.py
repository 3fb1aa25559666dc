"""One term of an index expression as a matrix expression, in named steps.

Each term is a product of factors with at most two indices.  The steps:

1. contract the Kronecker deltas by renaming indices;
2. take the scalars out, and read an index repeated inside one factor as
   its trace or its diagonal;
3. multiply factors on the same index pair, when the pair is shared beyond
   them, into one Hadamard product;
4. turn an index in three or more places into ``diag(v)`` of the vectors on
   it, leaving a chain through at most two places;
5. sum an index in one place only with ``ones`` (and fill a free axis that
   no factor carries with ``ones``);
6. read the chains, inner products and traces (``chains.read_chains``).

When the chains cannot be read (an index pair held by an elementwise function
or Hadamard product inside a chain), ``hadamard.hadamard_form`` merges factors
into Hadamard products and translates again.  Anything else is not a matrix
expression and raises ``NotMatrixForm``.
"""
from __future__ import annotations

from collections import defaultdict

from .. import expr as E
from ..expr import Expr
from ..render.text import to_text
from ..index.tensor import Factor, Term
from .chains import assemble, read_chains
from .deltas import eliminate_deltas
from .factors import NotMatrixForm, column, indices, is_chain, oriented, places
from .hadamard import hadamard_form, outer_product_on_result


def term_to_matrix(term: Term, free: tuple[str, ...], dims: dict, outer_on_result: bool = False) -> Expr:
    """The term as a matrix expression with axes ``free``; with ``outer_on_result``, vectors
    on both result axes beside a matrix on them are read as ``(u*v') .* M`` (the form that
    collects with other Hadamard products on the result's pair)."""
    factors, scalars = eliminate_deltas(list(term.factors), free, dims)
    factors = take_out_scalars_and_self_contractions(factors, free, scalars)
    if outer_on_result:
        factors = outer_product_on_result(factors, free)
    for dangling_first in (False, True):
        # the second time, an index summed nowhere else is summed first: its ones ends a
        # chain that an index in three places absorbs (B[j,a]*M[i,j] is M*diag(B*ones))
        try:
            return _chain_form(factors, free, dims, scalars, term.coeff, dangling_first)
        except NotMatrixForm:
            pass
    body = hadamard_form(factors, free, dims, _translate)
    return E.mul(*scalars, body, coeff=term.coeff)


def _chain_form(factors: list[Factor], free: tuple[str, ...], dims: dict, scalars: list[Expr],
                coeff, dangling_first: bool = False) -> Expr:
    """Steps 3-6: the term read as chains, inner products and traces (with
    ``dangling_first``, step 5 before step 4)."""
    factors = merge_hadamard_groups(factors, free)
    if dangling_first:
        factors = sum_dangling_indices(factors, free, dims)
    factors = resolve_shared_indices(factors, free, _Fresh(dims))
    factors = sum_dangling_indices(factors, free, dims)
    matrix, vectors, chain_scalars = read_chains(factors, free)
    return assemble(free, matrix, vectors, scalars + chain_scalars, coeff)


def _translate(factors: list[Factor], free: tuple[str, ...], dims: dict) -> Expr:
    return term_to_matrix(Term(1, tuple(factors)), free, dims)


def take_out_scalars_and_self_contractions(factors: list[Factor], free: tuple[str, ...],
                                           scalars: list[Expr]) -> list[Factor]:
    """Scalar factors go to ``scalars``; M[i,i] is tr(M) there, or diag(M)[i] when i is used
    elsewhere."""
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
    return rest


def merge_hadamard_groups(factors: list[Factor], free: tuple[str, ...]) -> list[Factor]:
    """Matrices on the same index pair, where an index of the pair is shared beyond them,
    become one Hadamard product (one edge of the graph)."""
    merged = True
    while merged:
        merged = False
        groups: dict[frozenset, list[int]] = defaultdict(list)
        for k, f in enumerate(factors):
            groups[frozenset(f.idx)].append(k)
        for key, ks in groups.items():
            if len(ks) < 2 or len(key) == 1:
                continue  # vectors sharing an index: see resolve_shared_indices
            if not any(places(factors, free, i) > len(ks) for i in key):
                continue
            base = factors[ks[0]]
            new = Factor(E.hadamard(*(oriented(factors[k], base.idx[0]) for k in ks)), base.idx)
            factors = [f for k, f in enumerate(factors) if k not in ks] + [new]
            merged = True
            break
    return factors


def resolve_shared_indices(factors: list[Factor], free: tuple[str, ...], fresh: "_Fresh") -> list[Factor]:
    """An index in three or more places: the vectors on it become diag(v) (Hadamard products
    of them when several), leaving a chain through at most two places.  An index that cannot
    be resolved yet waits for the others (resolving them may free it)."""
    while True:
        blocked: NotMatrixForm | None = None
        for i in indices(factors):
            if places(factors, free, i) <= 2:
                continue
            try:
                factors = _resolve_one_shared_index(factors, free, fresh, i)
                break
            except NotMatrixForm as exc:
                blocked = blocked or exc
        else:
            if blocked is not None:
                raise blocked
            return factors


def _resolve_one_shared_index(factors: list[Factor], free: tuple[str, ...], fresh: "_Fresh",
                              i: str) -> list[Factor]:
    count = places(factors, free, i)
    vecs = [k for k, f in enumerate(factors) if f.idx == (i,)]
    slots = count - len(vecs)          # matrix slots and the free axis
    if slots > 2:
        absorbed = _absorb_dead_end(factors, i, free)
        if absorbed is not None:
            return absorbed
    if not vecs or slots > 2:
        raise NotMatrixForm(f"an index is shared by {count} factors: no matrix form")
    # the vector that ends the chain (when there is room for one) is preferably a
    # product chain, which splices into the matrix product and factors alike
    vecs.sort(key=lambda k: (not is_chain(factors[k].expr), to_text(factors[k].expr)))
    keep = [f for k, f in enumerate(factors) if k not in vecs]
    j = fresh.new(i)
    if slots == 1 and not is_chain(factors[vecs[0]].expr):
        # no chain to splice: one Hadamard product of all the vectors ends the chain
        # (so that y ./ s .* s cancels), e.g. X'*(y .* (ones - s))
        return keep + [Factor(E.hadamard(*(column(factors[k].expr) for k in vecs)), (i,))]
    end = [] if slots == 2 else vecs[:1]
    inner = [k for k in vecs if k not in end]
    body = E.hadamard(*(column(factors[k].expr) for k in inner))
    if slots == 0:  # vectors only: v'*(w .* u ...) — an inner product, no diag
        return keep + [Factor(body, (i,)), Factor(factors[end[0]].expr, (i,))]
    new = [Factor(E.Func("diag", (body,)), (i, j))] if slots == 2 or inner else []
    if end:
        new.append(Factor(factors[end[0]].expr, (j,)))
    else:
        # rename one matrix slot (not the free axis) from i to j
        target = next(k for k, f in enumerate(keep) if i in f.idx)
        g = keep[target]
        pos = g.idx.index(i)
        keep[target] = Factor(g.expr, g.idx[:pos] + (j,) + g.idx[pos + 1:], g.dim)
    return keep + new


def _absorb_dead_end(factors: list[Factor], i: str, free: tuple[str, ...]) -> list[Factor] | None:
    """M[i,b] v[b] with b nowhere else is the vector (M*v)[i]: contract it in place; failing
    that, a longer chain M[i,b] N[b,c] ... v[d] that ends at a vector is contracted whole."""
    for k, f in enumerate(factors):
        if len(f.idx) != 2 or i not in f.idx or f.idx[0] == f.idx[1]:
            continue
        b = f.idx[1] if f.idx[0] == i else f.idx[0]
        if b in free or places(factors, free, b) != 2:
            continue
        v = next((m for m, g in enumerate(factors) if g.idx == (b,)), None)
        if v is None:
            continue
        out = list(factors)
        out[k] = Factor(E.mul(oriented(f, i), column(factors[v].expr)), (i,))
        del out[v]
        return out
    for k, f in enumerate(factors):
        if len(f.idx) == 2 and i in f.idx and f.idx[0] != f.idx[1]:
            chain = _dead_end_chain(factors, free, k, i)
            if chain is not None:
                seq = [oriented(factors[m], via) for m, via in chain[:-1]] + [column(factors[chain[-1][0]].expr)]
                used = {m for m, _ in chain}
                return [g for m, g in enumerate(factors) if m not in used] + [Factor(E.mul(*seq), (i,))]
    return None


def _dead_end_chain(factors: list[Factor], free: tuple[str, ...], k: int, i: str):
    """[(factor, entered by), ...] from factor k entered by i, through indices in two places
    only, to a vector; None if the chain meets a free index, a branch or a cycle."""
    chain, via, seen = [], i, set()
    while True:
        f = factors[k]
        chain.append((k, via))
        seen.add(k)
        if len(f.idx) == 1:
            return chain
        if f.idx[0] == f.idx[1]:
            return None
        nxt = f.idx[1] if f.idx[0] == via else f.idx[0]
        if nxt in free or places(factors, free, nxt) != 2:
            return None
        k = next(m for m, g in enumerate(factors) if m != k and nxt in g.idx)
        if k in seen:
            return None
        via = nxt


def sum_dangling_indices(factors: list[Factor], free: tuple[str, ...], dims: dict) -> list[Factor]:
    """An index in one place only and not free is summed: contract it with ones; a free axis
    that no factor carries is constant along it: ones too."""
    out = list(factors)
    for i in indices(factors):
        if places(factors, free, i) == 1 and i not in free:
            out.append(Factor(E.ones((dims.get(i), 1)), (i,)))
    for i in free:
        if not any(i in f.idx for f in out):
            out.append(Factor(E.ones((dims.get(i), 1)), (i,)))
    return out


class _Fresh:
    """New index names j1, j2, ... for one term, registered in ``dims``."""

    def __init__(self, dims):
        self.n = 0
        self.dims = dims

    def new(self, like: str) -> str:
        """A new index of the size of index ``like``."""
        self.n += 1
        name = f"j{self.n}"
        self.dims[name] = self.dims.get(like)
        return name
