"""A reshape of a summed vec index read back as one vec or Kronecker-form factor.

``ρ[k; f, s]`` (index/reshape.py) says that k is the vec index of the pair (f, s).
The block of ρ is every factor reached from f and s through indices that are
neither k, nor a result axis, nor the vec index of a reshape.  Where no factor of
the block carries k and the block with ρ leaves at most one index j besides k,
the two are one matrix ``M[k, j]``: ``vec`` of the block's matrix form when there
is no j, its Kronecker (vec) form (``kron.vec_form``) when there is; a block that
holds the other reshape of k (``tr(kron(A, B))``) is read with that k renamed, as
the trace of its Kronecker form.  The term then holds ``M`` in their place, and k
meets its other factors as an ordinary index: ``d vec(U)/dt = vec(dU)`` by a
scalar, ``kron(dA, B)``, the Kronecker form of ``d vec(U)/dx'`` inside a longer
product.  The terms of one vec or kron node (the same ρ, whose pair is fresh, and
the same factors around it) are read together, as the one matrix dU.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import expr as E
from ..index.tensor import Factor, TensorSum, Term, atom
from .factors import NotMatrixForm


@dataclass
class _Plan:
    r: Factor                 # the reshape folded
    inside: tuple             # the block, with k renamed in a traced reshape
    outside: tuple            # the term's other factors
    leave: tuple              # the index besides k that the block leaves (none or one)
    trace: str | None         # k's second name, where the block holds k's other reshape
    own: bool                 # whether the block holds factors of the rule's own (a kron's)

    @property
    def key(self):
        return self.outside, self.r.idx, self.leave, self.trace


def fold_reshapes(terms: list[Term], free: tuple[str, ...], dims: dict, to_matrix,
                  free_too: bool = False) -> list[Term]:
    """The terms with every reshape of a summed index (with ``free_too``, of a result axis
    too) that has a block folded into one factor (``to_matrix`` reads a block: passed in, it
    is the package's entry point)."""
    done: list = []
    todo = [(n, t, frozenset()) for n, t in enumerate(terms)]   # (place, term, unfoldable ρs)
    while todo:
        groups: dict = {}
        for n, t, bad in todo:
            plan = _plan(t, free, dims, bad, free_too)
            if plan is None:
                done.append((n, t))
            else:
                groups.setdefault(plan.key, []).append((n, t, bad, plan))
        todo = []
        for group in groups.values():
            read = _read(group, free, dims, to_matrix)
            if read is not None:
                todo.append((group[0][0], read, group[0][2]))
                continue
            for n, t, bad, plan in group:      # read alone, or leave this ρ as it is
                one = _read([(n, t, bad, plan)], free, dims, to_matrix) if len(group) > 1 else None
                todo.append((n, one, bad) if one is not None else (n, t, bad | {plan.r.idx}))
    return [t for _, t in sorted(done, key=lambda x: x[0])]


def _reach(starts, others: list[Factor], stop: set) -> set[int]:
    """Positions of the factors reached from the indices ``starts`` through indices not in
    ``stop``."""
    found, seen, todo = set(), set(), [i for i in starts if i not in stop]
    while todo:
        i = todo.pop()
        if i in seen:
            continue
        seen.add(i)
        for n, g in enumerate(others):
            if n not in found and i in g.idx:
                found.add(n)
                todo += [x for x in g.idx if x not in stop]
    return found


def _plan(t: Term, free, dims: dict, bad, free_too: bool) -> _Plan | None:
    """How the first foldable reshape of t folds, or None."""
    for r in t.factors:
        if r.is_reshape and (free_too or r.idx[0] not in free) and r.idx not in bad \
                and r.idx[1] != r.idx[2]:
            others = [g for g in t.factors if g is not r]
            vec_ids = {g.idx[0] for g in t.factors if g.is_reshape}
            stop = set(free) | vec_ids
            block = _reach(r.idx[1:], others, stop)
            # A rule puts its own factors before those of the derivative inside it, so what
            # follows ρ is dU's own: its scalars and its parts on result axes only (no vec
            # index, nothing shared with what precedes ρ) go inside too, as in vec(dU).
            at = next(n for n, g in enumerate(t.factors) if g is r)
            before = {x for n, g in enumerate(others) if n < at and n not in block for x in g.idx}
            extra: set = set()
            for n in range(at, len(others)):
                if n not in block | extra:
                    part = _reach(others[n].idx, others, stop) | {n}
                    idx = {x for m in part for x in others[m].idx}
                    if min(part) >= at and not idx & (before | vec_ids) and not part & block:
                        extra |= part
            for add in (extra, set()):
                plan = _block(r, others, block | add, free, dims, min(block | add, default=at) < at)
                if plan is not None or not add:
                    break
            if plan is not None:
                return plan
    return None


def _block(r: Factor, others: list[Factor], block: set, free, dims: dict, own: bool) -> _Plan | None:
    k, f, s = r.idx
    inside = [others[n] for n in sorted(block)]
    outside = tuple(g for n, g in enumerate(others) if n not in block)
    on_k = [g for g in inside if k in g.idx]
    trace = None
    if on_k:   # the other reshape of k (a trace of a kron): read with k renamed, then traced
        if len(on_k) > 1 or not on_k[0].is_reshape or any(k in g.idx for g in outside) \
                or k in free:
            return None
        trace = k + "'"
        while trace in dims:
            trace += "'"
        inside = [g.rename(k, trace) if g is on_k[0] else g for g in inside]
    held = {x for g in inside for x in g.idx} | {f, s}
    leave = tuple(sorted(x for x in held if x in free or any(x in g.idx for g in outside)))
    if trace is not None:
        leave = (trace,) + leave
    if len(leave) > 1:
        return None
    return _Plan(r, tuple(inside), outside, leave, trace, own)


def _read(group: list, free, dims: dict, to_matrix) -> Term | None:
    """The terms of a group (one plan's key) as one term holding their block's matrix."""
    plan = group[0][3]
    k, f, s = plan.r.idx
    dims = dict(dims)
    if plan.trace is not None:
        dims[plan.trace] = dims[k]
    try:
        if plan.leave:   # identities sized in the Kronecker form of a derivative by a vector
            j = plan.leave[0]
            body = [Term(t.coeff, (p.r,) + p.inside) for _, t, _, p in group]
            m = to_matrix(TensorSum(body, (k, j), dims), (k, j), sized=j in free,
                          collect=j not in free)   # kron(A, dB) by a scalar: dB whole
        elif plan.own:   # kron(a, b) of column vectors: as a kron
            body = [Term(t.coeff, (p.r,) + p.inside) for _, t, _, p in group]
            m = to_matrix(TensorSum(body, (k,), dims), (k,), sized=False, collect=True)
        else:
            body = [Term(t.coeff, p.inside) for _, t, _, p in group]
            m = E.Func("vec", (to_matrix(TensorSum(body, (f, s), dims), (f, s)),))
    except NotMatrixForm:
        return None
    rule = group[0][1].rule
    if plan.trace is not None:
        return Term(1, plan.outside + (atom(E.func("tr", m), ()),), rule)
    return Term(1, plan.outside + (atom(m, (k, *plan.leave)),), rule)
