"""Presentation: a transpose back outside a sum or a product when that is shorter."""
from __future__ import annotations

from functools import lru_cache

from .. import expr as E
from ..expr import Add, Const, Expr, Func, Product, Transpose
from .base import check_time as _check_time, key, size
from .canonical import _negative, _tcount, make_func, make_product, make_sum
from .transpose import transpose


@lru_cache(maxsize=20000)
def prettify(e: Expr) -> Expr:
    # memoised like canonical and factor: derivatives share sub-trees, and an index form
    # prettifies thousands of atoms that contain the same ones
    _check_time()
    if isinstance(e, Add) and not e.is_scalar:
        # a'*X' + b' reads better as (X*a + b)': only for row vectors, or a clear gain
        # (judged on the canonical terms, before their own transposes are tidied)
        t = make_sum([transpose(a) for a in e.args])
        if isinstance(t, Add) and not any(E.is_commutation(x) for x in E.walk(t)):
            # (never for a Kronecker form with K: it is read with K(m,n) on the right, as
            # kron(X', I)*K(m,n) + kron(I, X'), not as the transpose of K(n,m)*kron(X, I) + ...)
            gain = size(e) - size(Transpose(t))
            if gain >= 3 or (gain >= 1 and (e.shape[0] == 1 or "'" not in key(t))):
                return Transpose(prettify(t))
    kids = tuple(prettify(c) for c in e.children)
    e = e.rebuild(kids) if kids else e
    if isinstance(e, Product) and e.coeff == -1 and not e.scalars and len(e.chain) == 1 \
            and isinstance(e.chain[0], Add) and any(_negative(a) for a in e.chain[0].args):
        return make_sum([make_product(-1, [], [a]) for a in e.chain[0].args])  # -(x - y) = y - x
    if isinstance(e, Product) and e.coeff < -1 and len(e.chain) >= 2:
        # -2*(X - U*V')*V reads better as 2*(U*V' - X)*V (-P*(x - m) stays: as textbooks write it)
        sums = [k for k, f in enumerate(e.chain) if isinstance(f, Add)
                or (isinstance(f, Transpose) and isinstance(f.arg, Add))]
        if len(sums) == 1 and isinstance(e.chain[sums[0]], Add) and any(_negative(a) for a in e.chain[sums[0]].args):
            k = sums[0]
            flipped = make_sum([make_product(-1, [], [a]) for a in e.chain[k].args])
            return Product(-e.coeff, e.scalars, e.chain[:k] + (flipped,) + e.chain[k + 1:])
    if isinstance(e, Add):
        e = _logistic_complement(e)
    if isinstance(e, Product) and len(e.chain) >= 2 and _tcount(e.chain) >= 2:
        # -inv(X)'*A'*inv(X)' reads better as -(inv(X)*A*inv(X))'
        inner = Product(1, (), tuple(transpose(f) for f in reversed(e.chain)))
        pulled = Product(e.coeff, e.scalars, (Transpose(inner),))
        if size(pulled) <= size(e) - 2 and _tcount(inner.chain) == 0:
            return pulled
    return e


def _logistic_complement(e: Add) -> Expr:
    """ones - sigmoid(u) = sigmoid(-u): shorter, and how the logistic derivative reads."""
    ones = [a for a in e.args if isinstance(a, Const) and a.kind == "ones"]
    for other in e.args:
        if ones and isinstance(other, Product) and other.coeff == -1 and not other.scalars \
                and len(other.chain) == 1 and isinstance(other.chain[0], Func) \
                and other.chain[0].name == "sigmoid":
            s = make_func("sigmoid", (make_product(-1, [], [other.chain[0].args[0]]),))
            rest = [a for a in e.args if a is not ones[0] and a is not other]
            return Add([s] + rest) if rest else s
    return e
