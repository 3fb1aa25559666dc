"""The call path of a compiled function: a signature (class, shape, dtype of each argument)
seen once is not checked again, and everything else still is, with the same results
and the same one-line errors."""
from __future__ import annotations

import numpy as np
import pytest

import matdiff as md


def _quad():
    rng = np.random.default_rng(0)
    return md.compile("x'*A*x", wrt="x"), rng.standard_normal(3), rng.standard_normal((3, 3))


@pytest.mark.parametrize("warm_calls", [1, 3])
def test_a_wrong_shape_after_good_calls_is_the_one_line_error(warm_calls):
    f, x, A = _quad()
    for _ in range(warm_calls):
        f(x=x, A=A)
        f(x, A)
    for bad in (lambda: f(x=x, A=np.ones((4, 4))), lambda: f(np.ones(4), A),
                lambda: f(x=x, A=np.ones((3, 4))), lambda: f(x=np.ones((3, 2)), A=A)):
        with pytest.raises(md.EvaluationError, match="should") as info:
            bad()
        assert "\n" not in str(info.value)
    assert np.allclose(f(x=x, A=A)[1], (A + A.T) @ x)  # and the good signature still works


def test_binding_errors_are_unchanged_by_the_short_path():
    f, x, A = _quad()
    f(x=x, A=A)
    for bad, says in ((lambda: f(x=x), "no value given for A"), (lambda: f(x, A, x), "too many positional"),
                      (lambda: f(x, x=x), "x given twice"), (lambda: f(x, A, A=A), "A given twice"),
                      (lambda: f(x=x, A=A, B=A), "not a variable")):
        with pytest.raises(md.EvaluationError, match=says):
            bad()


def test_every_kind_of_argument_gives_the_checked_result():
    f, x, A = _quad()
    want_v, want_g = x @ A @ x, (A + A.T) @ x
    calls = [dict(x=x, A=A), dict(x=x.tolist(), A=A.tolist()), dict(x=x.reshape(3, 1), A=A),
             dict(x=x.astype(np.float32), A=A.astype(np.float32)), dict(x=x, A=np.asfortranarray(A))]
    for _ in range(2):  # the second round runs what the first one filed
        for kw in calls:
            v, g = f(**kw)
            tol = 1e-5 if kw["x"].__class__ is np.ndarray and kw["x"].dtype == np.float32 else 1e-12
            assert np.allclose(v, want_v, rtol=tol) and np.allclose(g, want_g, rtol=tol)
            assert g.dtype == np.float64 and g.shape == (3,)
    n, i = np.arange(3), np.eye(3, dtype=int)   # integers after float64 arrays of the same shape
    f(x=n.astype(float), A=i.astype(float))
    v, g = f(x=n, A=i)
    assert g.dtype == np.float64 and np.allclose(g, 2 * n)


def test_several_sizes_and_scalars_and_keyword_names():
    f = md.compile("lambda*x'*A*x", wrt=["x", "lambda"], vars={"lambda": "scalar"})
    for n in (2, 5, 2):
        rng = np.random.default_rng(n)
        x, A = rng.standard_normal(n), rng.standard_normal((n, n))
        for lam in (0.5, np.float64(0.5), np.array(0.5)):
            v, (gx, gl) = f(lambda_=lam, x=x, A=A)
            assert np.allclose(v, 0.5 * x @ A @ x) and np.allclose(gl, x @ A @ x)
            assert np.allclose(gx, 0.5 * (A + A.T) @ x)
        with pytest.raises(md.EvaluationError, match="given twice"):
            f(**{"lambda": 1.0, "lambda_": 1.0, "x": x, "A": A})


def test_other_backends_take_the_short_path_with_their_own_arrays():
    jnp = pytest.importorskip("jax.numpy")
    f = md.compile("x'*A*x", wrt="x", backend="jax")
    x, A = np.arange(3.0), np.eye(3)
    for _ in range(2):
        v, g = f(x=jnp.asarray(x), A=jnp.asarray(A))
        assert np.allclose(np.asarray(g), 2 * x)
    with pytest.raises(md.EvaluationError, match="A should have shape"):
        f(x=jnp.asarray(x), A=jnp.ones((2, 2)))
