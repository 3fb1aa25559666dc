"""The log/exp, logistic and inverse rewrites of the simplifier keep the value on random
expressions (hypothesis), evaluated on inputs that respect the declarations.

Elementwise expressions over positive (declared) vectors u, v, a vector w that is positive
but not declared so, and x, y of both signs whose product is positive (so log(x .* y) is
defined and log(x) + log(y) is not), built from log, exp, sigmoid, softplus, .*, ./,
powers, sums and a scalar broadcast over a vector (1 - sigmoid(x)); matrix expressions over
an invertible A, a spd P and a tall C (C'*C invertible, C*C' not) with inv, adj, det, logdet,
tr, transposes, products, elementwise factors inside products (tanh(A)*B) and the
commutation matrix K.  An input outside the original's domain discards the example; the
simplified form must then be defined and equal, stage by stage (canonical, factor, prettify)."""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from matdiff.errors import EvaluationError
from matdiff.evaluate import evaluate_expr
from matdiff.shapes import typecheck
from matdiff.simplify import canonical, factor, prettify

N = 4
DECLS = {"u": "vector(n) positive", "v": "vector(n) positive", "w": "vector(n)", "x": "vector(n)",
         "y": "vector(n)", "c": "scalar positive", "s": "scalar", "A": "matrix(n,n)",
         "B": "matrix(n,n)", "P": "matrix(n,n) spd", "C": "matrix(m,n)"}


def _values():
    rng = np.random.default_rng(7)
    m = rng.standard_normal((N, N))
    x = np.array([1.2, -0.7, 0.4, -1.5])   # x and y of both signs, but x .* y > 0: log(x .* y)
    return {"u": rng.uniform(0.5, 2, N), "v": rng.uniform(0.5, 2, N), "w": rng.uniform(0.5, 2, N),
            "x": x, "y": x * rng.uniform(0.5, 2, N), "c": 1.3, "s": -0.8,
            "A": rng.standard_normal((N, N)) + N * np.eye(N), "B": rng.standard_normal((N, N)),
            "P": m @ m.T + N * np.eye(N), "C": rng.standard_normal((N + 2, N))}


VALUES = _values()

_vleaf = st.sampled_from(["u", "v", "w", "x", "y", "ones", "exp(x)", "sigmoid(y)"])


def _vnode(inner):
    one = st.sampled_from(["log({})", "exp({})", "sigmoid({})", "sigmoid(-{})", "softplus({})",
                           "log1p(exp({}))", "({}).^2", "({}).^-1", "-({})", "c*({})", "s*({})",
                           "({})/sum(exp({}))", "(1 + ({}))", "(1 - sigmoid({}))", "(s - ({}))"])
    two = st.sampled_from(["({}) .* ({})", "({}) ./ ({})", "({}) + ({})", "({}) - ({})",
                           "log({}) - log({})", "exp(log({}) + {})", "log(({}) .* ({}))",
                           "log(({}) ./ ({}))", "log(({}).^3 .* exp({}))"])
    return st.one_of(st.builds(lambda f, a: f.format(a, a), one, inner),
                     st.builds(lambda f, a, b: f.format(a, b), two, inner, inner))


vectors = st.recursive(_vleaf, _vnode, max_leaves=5)

_mleaf = st.sampled_from(["A", "B", "P", "A'", "inv(A)", "adj(A)", "C'*C", "inv(C'*C)", "C'*(C*inv(C'*C)*C')*C"])


def _mnode(inner):
    one = st.sampled_from(["inv({})", "({})'", "adj({})/det({})", "det({})*inv({})", "c*({})", "(1 + ({}))"])
    two = st.sampled_from(["({})*({})", "({}) + ({})", "inv(({})*({}))", "tanh({})*({})", "({})*(exp({}) .* A)"])
    return st.one_of(st.builds(lambda f, a: f.format(a, a), one, inner),
                     st.builds(lambda f, a, b: f.format(a, b), two, inner, inner))


matrices = st.recursive(_mleaf, _mnode, max_leaves=4)
scalars_of = st.sampled_from(["sum({})", "tr({})", "det({})", "logdet(c*P) - logdet(P) + tr({})",
                              "log(det(({})*({})'))", "vec({})'*K(n,n)*vec({})", "sum(A*sigmoid({}))"])


def _same_value(text: str) -> None:
    try:
        t = typecheck(text, {**DECLS})
        before = evaluate_expr(t.expr, VALUES, t.variables)
    except EvaluationError:
        assume(False)
        return
    shape = np.shape(before)
    assume(np.all(np.isfinite(before)) and np.max(np.abs(before), initial=0) < 1e8)
    assume(np.linalg.cond(np.atleast_2d(before)) < 1e8 if len(shape) == 2 and shape[0] == shape[1] else True)
    e = t.expr
    for stage in (canonical, factor, prettify):
        e = stage(e)
        after = evaluate_expr(e, VALUES, t.variables, shape=shape or None)
        np.testing.assert_allclose(np.asarray(after, float) + np.zeros(shape), before,
                                   rtol=1e-7, atol=1e-7 * (1 + np.max(np.abs(before), initial=0)),
                                   err_msg=f"{stage.__name__}: {text}")


COMMON = dict(derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@settings(max_examples=300, **COMMON)
@given(vectors)
@example("log(x .* y)")
@example("log(exp(x) ./ y .* x)")
def test_elementwise_rewrites_keep_the_value(text):
    _same_value(text)


@settings(max_examples=200, **COMMON)
@given(matrices, scalars_of)
def test_inverse_and_determinant_rewrites_keep_the_value(m, f):
    _same_value(m)
    _same_value(f.format(m, m))
