"""Differentiation in index notation.

``Differentiator.d(e, out, w)`` returns the terms of ∂e[out...]/∂X[w...]:
``out`` names the axes of ``e``, ``w`` those of the variable ``X``.  Every
node type has one rule below; an elementwise function's f'(u) is its entry's
``derivative`` in ``functions.py``.  A node without a rule raises
``NotSupportedError`` — it never silently contributes zero.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from . import expr as E
from . import clock
from .functions import FUNCTIONS
from .errors import LimitError, NotSupportedError
from .expr import (Add, Expr, Func, Hadamard, MatPow, Power, Product, Transpose, Var, axes)
from .index.reshape import link
from .index.tensor import Factor, Indices, Term, atom, delta

DEFAULT_MAX_TERMS = 5000


@dataclass
class Applied:
    """One rule applied: ∂node[out...]/∂X[w...] gave ``terms``; ``depth`` counts the rules
    applied around it (0 at the root); the fresh indices made while it ran are those from
    ``start`` to ``end`` in the order of ``Indices.dims``.  steps.py draws its view from these."""
    node: Expr
    out: tuple
    w: tuple
    depth: int
    terms: list = field(default_factory=list)
    start: int = 0
    end: int = 0


class Differentiator:
    """Derivatives with respect to one variable ``wrt`` (its name).

    With a ``trace`` list, every rule applied is appended to it (an ``Applied``, in the
    order the rules start: a rule before the rules inside it)."""

    def __init__(self, wrt: str, indices: Indices, max_terms: int = DEFAULT_MAX_TERMS,
                 deadline: float | None = None, trace: list | None = None):
        self.deadline = deadline  # a clock.deadline_after() value: after which the derivation is refused
        self.wrt = wrt
        self.ix = indices
        self.max_terms = max_terms
        self.trace = trace
        self._depth = 0
        self._dep: dict[Expr, bool] = {}

    def depends(self, e: Expr) -> bool:
        hit = self._dep.get(e)
        if hit is None:
            if isinstance(e, Var):
                hit = e.name == self.wrt
            else:
                hit = any(self.depends(c) for c in e.children)
            self._dep[e] = hit
        return hit

    def d(self, e: Expr, out: tuple[str, ...], w: tuple[str, ...]) -> list[Term]:
        if not self.depends(e):
            return []
        rule = RULES.get(type(e))
        if rule is None:
            raise NotSupportedError(f"no derivative rule for {type(e).__name__}")
        clock.tick()        # deriving again inside a printing (code's lower orders) is printing
        if clock.expired(self.deadline):
            raise LimitError("the derivation takes too long (over the time limit); "
                             "raise max_seconds to allow it")
        terms = rule(self, e, out, w) if self.trace is None else self._recorded(rule, e, out, w)
        if len(terms) > self.max_terms:
            raise LimitError(f"the derivative grows past {self.max_terms} terms; "
                             f"raise max_terms to allow it")
        return terms

    def _recorded(self, rule, e: Expr, out, w) -> list[Term]:
        applied = Applied(e, tuple(out), tuple(w), self._depth, start=len(self.ix.dims))
        self.trace.append(applied)
        self._depth += 1
        try:
            applied.terms = rule(self, e, out, w)
        finally:
            self._depth -= 1
        applied.end = len(self.ix.dims)   # only Indices.fresh adds to dims
        return applied.terms

    def d_terms(self, terms: list[Term], w: tuple[str, ...]) -> list[Term]:
        """Differentiate an index-notation sum once more (higher orders): product rule over factors."""
        result: list[Term] = []
        for t in terms:
            for k, f in enumerate(t.factors):
                if f.is_delta or not self.depends(f.expr):
                    continue
                rest = t.factors[:k] + t.factors[k + 1:]
                for dt in self.d(f.expr, f.idx, w):
                    result.append(Term(t.coeff * dt.coeff, rest + dt.factors, dt.rule))
            if len(result) > self.max_terms:
                raise LimitError(f"the derivative grows past {self.max_terms} terms; "
                                 f"raise max_terms to allow it")
        return result


def _times(terms: list[Term], c, *factors: Factor, rule: str) -> list[Term]:
    fs = tuple(f for f in factors if f is not None)
    return [Term(t.coeff * c, fs + t.factors, rule) for t in terms]


# ---- rules, one per node type -------------------------------------------------

def d_var(D: Differentiator, e: Var, out, w):
    # ∂X[a,b]/∂X[i,j] = δ[a,i] δ[b,j]
    return [Term(Fraction(1), tuple(delta(a, i, D.ix.dims[i]) for a, i in zip(out, w)), "variable")]


def d_add(D, e: Add, out, w):
    return [t for a in e.args for t in D.d(a, out, w)]


def d_transpose(D, e: Transpose, out, w):
    return D.d(e.arg, tuple(reversed(out)), w)


def _chain_indices(D, e: Product, out):
    """Index pairs (row, col) of each chain factor: None where the dimension is 1."""
    chain = e.chain
    row = out[0] if e.shape[0] != 1 else None
    col = out[-1] if e.shape[1] != 1 else None
    bonds = [D.ix.fresh(f.shape[1]) if f.shape[1] != 1 else None for f in chain[:-1]]
    rows = [row] + bonds
    cols = bonds + [col]
    return rows, cols


def _scalar_product(scalars) -> Expr:
    """The product of scalar factors s^p, as E.mul writes it (s alone for s^1)."""
    return E.mul(E.Product(1, scalars, ()))


def _side(U: Expr):
    """The size of a square matrix U (its rows; its columns are as many)."""
    return U.shape[0]


def _square_pair(D, U: Expr) -> tuple[str, str]:
    """Two fresh indices over a square U's rows (and columns)."""
    n = _side(U)
    return D.ix.fresh(n), D.ix.fresh(n)


def _ids(*idx):
    return tuple(i for i in idx if i is not None)


def d_product(D, e: Product, out, w):
    terms: list[Term] = []
    # scalar factors s^p: p s^(p-1) ds times the rest
    for k, (s, p) in enumerate(e.scalars):
        if not D.depends(s):
            continue
        scalars = list(e.scalars)
        if p == 1:
            scalars.pop(k)
        else:
            scalars[k] = (s, p - 1)
        if e.chain:
            f = atom(E.Product(1, scalars, e.chain), out)
        else:
            f = atom(_scalar_product(scalars), out) if scalars else None
        terms += _times(D.d(s, (), w), e.coeff * p, f, rule="product rule")
    if not any(D.depends(f) for f in e.chain):
        return terms
    rows, cols = _chain_indices(D, e, out)
    sf = atom(_scalar_product(e.scalars), ()) if e.scalars else None
    n = len(e.chain)
    for i, f in enumerate(e.chain):
        if not D.depends(f):
            continue
        left = atom(E.mul(*e.chain[:i]), _ids(rows[0], cols[i - 1])) if i > 0 else None
        right = atom(E.mul(*e.chain[i + 1:]), _ids(rows[i + 1], cols[-1])) if i < n - 1 else None
        terms += _times(D.d(f, _ids(rows[i], cols[i]), w), e.coeff, sf, left, right,
                        rule="product rule")
    return terms


def d_hadamard(D, e: Hadamard, out, w):
    terms = []
    for i, a in enumerate(e.args):
        if D.depends(a):
            others = E.hadamard(*(e.args[:i] + e.args[i + 1:]))
            terms += _times(D.d(a, out, w), 1, atom(others, out), rule="Hadamard product rule")
    return terms


def d_power(D, e: Power, out, w):
    # d u.^k = k u.^(k-1) .* du  (elementwise; ordinary power for a scalar)
    k = e.exp
    f = atom(E.power(e.base, k - 1), out) if k != 1 else None
    return _times(D.d(e.base, out, w), k, f, rule="power rule")


def _matpow(X: Expr, k: int) -> Expr:
    """X^k for k >= 1: X itself for k = 1."""
    return X if k == 1 else E.MatPow(X, k)


def d_matpow(D, e: MatPow, out, w):
    k, X = e.exp, e.base
    if k < 0:  # X^-k = inv(X)^k
        return D.d(_matpow(E.func("inv", X), -k), out, w)
    n = _side(X)
    terms = []
    for r in range(k):
        # d X^k = Σ_r X^r dX X^(k-1-r)
        a, b = D.ix.fresh(n), D.ix.fresh(n)
        left = atom(_matpow(X, r), (out[0], a)) if r else delta(out[0], a, n)
        s = k - 1 - r
        right = atom(_matpow(X, s), (b, out[1])) if s else delta(b, out[1], n)
        terms += _times(D.d(X, (a, b), w), 1, left, right, rule="matrix power rule")
    return terms


def d_func(D, e: Func, out, w):
    rule = FUNC_RULES.get(e.name)
    if rule is None:
        raise NotSupportedError(f"matdiff cannot differentiate through {e.name}(...) yet")
    return rule(D, e, out, w)


def d_elementwise(D, e: Func, out, w):
    u = e.args[0]
    g = FUNCTIONS[e.name].derivative(u, E)
    if E.is_zero(g):
        return []
    return _times(D.d(u, out, w), 1, atom(g, out), rule=f"chain rule through {e.name}")


# Analytic matrix functions f with their f': d tr(f(V)) = tr(f'(V) dV) holds even where V
# and dV do not commute (the trace is cyclic; Matrix Cookbook §2.5), though d f(V) alone
# has no closed form.
TRACE_DERIVATIVE = {"expm": lambda V: E.func("expm", V)}


def _trace_by_linearity(U: Expr):
    """tr(U) as a sum of scalar multiples of tr(f(V)) (f in TRACE_DERIVATIVE), by the
    linearity of the trace; None where U has no such part, or where it is tr(f(V)) itself."""
    if isinstance(U, Add):
        parts = [_traced_part(a) for a in U.args]
        if all(p is None for p in parts):
            return None
        return E.add(*(p if p is not None else E.func("tr", a) for p, a in zip(parts, U.args)))
    if isinstance(U, Transpose):
        return _trace_by_linearity(U.arg) or E.func("tr", U.arg)
    if isinstance(U, Product) and len(U.chain) == 1 and (U.scalars or U.coeff != 1):
        M = U.chain[0]
        inner = _traced_part(M)
        if inner is None:
            return None
        return E.mul(E.Product(U.coeff, U.scalars, ()) if U.scalars else E.Num(U.coeff), inner)
    return None


def _traced_part(U: Expr):
    """tr(U) split by linearity, or tr(U) itself where U is f(V); None where U has no such part."""
    return _trace_by_linearity(U) or (E.func("tr", U) if _is_traced_function(U) else None)


def _is_traced_function(U: Expr) -> bool:
    return isinstance(U, Func) and U.name in TRACE_DERIVATIVE


def d_tr(D, e, out, w):
    U = e.args[0]
    if _is_traced_function(U):
        V = U.args[0]
        a, b = _square_pair(D, V)
        return _times(D.d(V, (a, b), w), 1, atom(TRACE_DERIVATIVE[U.name](V), (b, a)),
                      rule=f"d tr({U.name}(V)) = tr({U.name}'(V) dV)")
    split = _trace_by_linearity(U)
    if split is not None:
        return D.d(split, out, w)
    i = D.ix.fresh(_side(U))
    return [Term(t.coeff, t.factors, "d tr(U) = tr(dU)") for t in D.d(U, (i, i), w)]


def d_det(D, e, out, w):
    # d det(U) = det(U) tr(inv(U) dU), in det and inv so that the simplifier can cancel det(U)
    # against a 1/det(U) (d log(det(U))); tr(adj(U) dU) holds at a singular U too but does not cancel
    U = e.args[0]
    a, b = _square_pair(D, U)
    return _times(D.d(U, (a, b), w), 1, atom(e, ()), atom(E.func("inv", U), (b, a)),
                  rule="d det(U) = det(U) tr(inv(U) dU)")


def d_adj(D, e, out, w):
    # adj(U) = det(U) inv(U), so d adj(U) = det(U) (tr(inv(U) dU) inv(U) - inv(U) dU inv(U))
    # (U invertible)
    U = e.args[0]
    a, b = _square_pair(D, U)
    dU, det, V = D.d(U, (a, b), w), atom(E.func("det", U), ()), E.func("inv", U)
    rule = "d adj(U) = d(det(U) inv(U))"
    return (_times(dU, 1, det, atom(V, (b, a)), atom(V, out), rule=rule)
            + _times(dU, -1, det, atom(V, (out[0], a)), atom(V, (b, out[1])), rule=rule))


def d_logdet(D, e, out, w):
    U = e.args[0]
    a, b = _square_pair(D, U)
    return _times(D.d(U, (a, b), w), 1, atom(E.func("inv", U), (b, a)),
                  rule="d logdet(U) = tr(inv(U) dU)")


def d_inv(D, e, out, w):
    U = e.args[0]
    a, b = _square_pair(D, U)
    return _times(D.d(U, (a, b), w), -1, atom(e, (out[0], a)), atom(e, (b, out[1])),
                  rule="d inv(U) = -inv(U) dU inv(U)")


def d_diag(D, e, out, w):
    u = e.args[0]
    if E.is_vector_shape(u.shape):      # vector -> diagonal matrix: δ[i,j] du[i]
        i, j = out
        return _times(D.d(u, (i,), w), 1, delta(i, j, D.ix.dims.get(i, _side(e))),
                      rule="d diag(u) = diag(du)")
    return D.d(u, (out[0], out[0]), w)  # matrix -> its diagonal


def d_sum(D, e, out, w):
    u = e.args[0]
    return D.d(u, D.ix.for_shape(u.shape), w)


def d_norm2(D, e, out, w):
    # d ‖u‖ = u·du / ‖u‖
    u = e.args[0]
    idx = D.ix.for_shape(u.shape)
    return _times(D.d(u, idx, w), 1, atom(E.power(e, -1), ()), atom(u, idx),
                  rule="d norm2(u) = u'*du/norm2(u)")


def d_norm1(D, e, out, w):
    u = e.args[0]
    idx = D.ix.for_shape(u.shape)
    return _times(D.d(u, idx, w), 1, atom(E.func("sign", u), idx), rule="d norm1(u) = sign(u)'*du")


def d_logsumexp(D, e, out, w):
    # d logsumexp(u) = softmax(u)·du
    u = e.args[0]
    idx = D.ix.for_shape(u.shape)
    return _times(D.d(u, idx, w), 1, atom(E.func("softmax", u), idx),
                  rule="d logsumexp(u) = softmax(u)'*du")


def d_softmax(D, e, out, w):
    # d softmax(u) = softmax(u) .* du - softmax(u) (softmax(u)·du)
    u = e.args[0]
    idx = D.ix.for_shape(u.shape)
    rule = "d softmax(u) = softmax(u) .* du - softmax(u)*(softmax(u)'*du)"
    return (_times(D.d(u, out, w), 1, atom(e, out), rule=rule)
            + _times(D.d(u, idx, w), -1, atom(e, out), atom(e, idx), rule=rule))


def d_expm(D, e, out, w):
    # d expm(s*M) = ds * M * expm(s*M) when M is constant (M commutes with expm(s*M));
    # in general d expm(U) needs U and dU to commute, which matdiff does not assume.
    U = e.args[0]
    if isinstance(U, Product) and U.scalars and not any(D.depends(f) for f in U.chain):
        s = _scalar_product(U.scalars)
        M = E.mul(*U.chain, coeff=U.coeff)
        a = D.ix.fresh(_side(U))
        return _times(D.d(s, (), w), 1, atom(M, (out[0], a)), atom(e, (a, out[1])),
                      rule="d expm(s*M) = ds*M*expm(s*M)")
    raise NotSupportedError("the derivative of expm(U) is the Frechet derivative of expm, which has "
                            "no closed matrix form when U and dU may not commute; matdiff "
                            "differentiates tr(expm(U)) and expm(s*M) (M constant) only")


def d_vec(D, e, out, w):
    # d vec(U)[k] = ρ[k; a, b] dU[a,b], k the vec index of (a, b) (index/reshape.py), by a
    # variable of any kind; to_matrix reads it back as vec(dU) or a Kronecker form
    U = e.args[0]
    if len(axes(U.shape)) < 2:  # vec of a vector is the vector itself
        return D.d(U if U.shape[1] == 1 else E.transpose(U), out, w)
    a, b = D.ix.for_shape(U.shape)
    return _times(D.d(U, (a, b), w), 1, *link(out[0], a, b, D.ix.dims),
                  rule="d vec(U) = vec(dU), δ[k,a,b]: k the vec index of (a,b)")


def d_pow(D, e, out, w):
    # d u.^v = v*u.^(v - 1) .* du + log(u) .* u.^v dv   (v a scalar expression, u > 0)
    u, v = e.args
    rule = "d u^v = v*u^(v - 1) du + log(u)*u^v dv"
    return (_times(D.d(u, out, w), 1, atom(E.mul(v, E.func("pow", u, E.sub(v, E.Num(1)))), out), rule=rule)
            + _times(D.d(v, (), w), 1, atom(E.hadamard(E.func("log", u), e), out), rule=rule))


def d_kron(D, e, out, w):
    # kron(A, B)[p, q] = A[a, b] B[c, d] with p the vec index of (c, a) and q of (d, b)
    A, B = e.args
    if w and A.shape[1] == 1 and B.shape[1] == 1:
        # kron(a, b) of column vectors is vec(b*a')
        return D.d(E.func("vec", E.mul(B, E.transpose(A))), out, w)
    a, b = (D.ix.fresh(d) if d != 1 else None for d in A.shape)
    c, d = (D.ix.fresh(x) if x != 1 else None for x in B.shape)
    p = out[0] if e.shape[0] != 1 else None
    q = out[-1] if e.shape[1] != 1 else None
    links = link(p, c, a, D.ix.dims) + link(q, d, b, D.ix.dims)
    rule = "d kron(A, B) = kron(dA, B) + kron(A, dB), δ[p,c,a]: p the row index of (c,a)"
    terms = []
    if D.depends(A):
        terms += _times(D.d(A, _ids(a, b), w), 1, atom(B, _ids(c, d)), *links, rule=rule)
    if D.depends(B):
        terms += _times(D.d(B, _ids(c, d), w), 1, atom(A, _ids(a, b)), *links, rule=rule)
    return terms


FUNC_RULES = {**{f.name: d_elementwise for f in FUNCTIONS.values() if f.derivative is not None},
              "tr": d_tr, "det": d_det, "adj": d_adj, "logdet": d_logdet, "inv": d_inv, "diag": d_diag,
              "sum": d_sum, "norm2": d_norm2, "norm1": d_norm1, "expm": d_expm,
              "logsumexp": d_logsumexp, "softmax": d_softmax, "vec": d_vec, "kron": d_kron,
              "pow": d_pow}

# Num and Const have no rule: nothing in them depends on the variable, so d() never asks.
RULES = {Var: d_var, Add: d_add, Transpose: d_transpose, Product: d_product,
         Hadamard: d_hadamard, Power: d_power, MatPow: d_matpow, Func: d_func}
