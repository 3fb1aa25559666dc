"""Differentiating through vec and kron: by a scalar (d vec(U) = vec(dU), product rule for
kron), vec(U) and kron of vectors by a vector (the Kronecker form of dU), vec(U) and kron(U, V)
by a matrix (vec indices read back as index pairs), against finite differences of the original
expression, re-evaluated from the printed form and from compiled code; the vec form of each
result against the vec of r.evaluate; what has no closed form answers in index form."""
import numpy as np
import pytest

import matdiff as md
from support import fd as fdiff
from support.backends import as_backend
from support.vecs import vec_of_tensor

RNG = np.random.default_rng(3)
A, B, C = RNG.standard_normal((3, 4)), RNG.standard_normal((2, 3)), RNG.standard_normal((3, 4))
X, Y, T = RNG.standard_normal(4), RNG.standard_normal(3), 0.7
vecF = lambda m: np.asarray(m).reshape(-1, order="F")  # noqa: E731
DECL = {"A": "matrix(m,n)", "B": "matrix(p,m)", "C": "matrix(m,n)", "x": "vector(n)",
        "y": "vector(m)", "t": "scalar"}
VALUES = {"A": A, "B": B, "C": C, "x": X, "y": Y, "t": T}


def fd(f, x0, h=1e-6):
    x0 = np.asarray(x0, float)
    f0 = np.asarray(f(x0))
    out = np.zeros(f0.shape + x0.shape)
    for i in np.ndindex(x0.shape):
        e = np.zeros_like(x0)
        e[i] = h
        out[(...,) + i] = (np.asarray(f(x0 + e)) - np.asarray(f(x0 - e))) / (2 * h)
    return out


CASES = [
    ("vec(A + t*C)", "t", lambda t: vecF(A + t * C)),
    ("kron(A + t*C, B)", "t", lambda t: np.kron(A + t * C, B)),
    ("kron(B, t^2*A)", "t", lambda t: np.kron(B, t * t * A)),
    ("sum(vec(t*A).^2)", "t", lambda t: np.sum((t * A) ** 2)),
    ("vec(A*x*x')", "x", lambda x: vecF(A @ np.outer(x, x))),
    ("vec(y*x')", "x", lambda x: vecF(np.outer(Y, x))),
    ("norm2(kron(x, x))", "x", lambda x: np.linalg.norm(np.kron(x, x))),
    ("kron(y, x)", "x", lambda x: np.kron(Y, x)),
    ("vec(x)", "x", lambda x: x),
]


@pytest.mark.parametrize("expr,wrt,ref", CASES, ids=[c[0] for c in CASES])
def test_through_vec_and_kron(expr, wrt, ref):
    r = md.derivative(expr, wrt, vars=DECL)
    got = r.evaluate(**VALUES)
    want = fd(ref, VALUES[wrt])
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    again = md.evaluate(r.text, vars=DECL, shape=np.shape(want), **VALUES)
    np.testing.assert_allclose(again, got, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("expr,wrt", [("vec(A*diag(x))", "x"), ("y'*vec(A)", "A")])
def test_no_closed_form_answers_in_index_form(expr, wrt):
    """No Kronecker form (a Khatri-Rao product) and no unvec: index form, with δ[k,a,b]
    (tests/test_vec_index_form.py checks such answers against finite differences)."""
    r = md.derivative(expr, wrt, vars=DECL)
    assert r.expr is None and "δ[" in r.text
    with pytest.raises(md.NotSupportedError, match="vec form|Kronecker|vec index"):
        r.vec()


# ---- by a matrix, and kron of vectors -------------------------------------------------------

MV = {"X": "matrix(m,n)", "C": "matrix(p,p)", "E": "matrix(r,r)", "x": "vector(n)",
      "z": "vector(p)", "v": "vector(q)", "Q": "matrix(m,m)", "B": "matrix(p,q)",
      "alpha": "scalar"}
MVAL = {"X": RNG.standard_normal((3, 4)), "C": RNG.standard_normal((2, 2)),
        "E": RNG.standard_normal((3, 3)), "x": RNG.standard_normal(4), "z": RNG.standard_normal(2),
        "v": RNG.standard_normal(5), "Q": RNG.standard_normal((3, 3)),
        "B": RNG.standard_normal((2, 5)), "alpha": 0.6}

BY_ARRAY = [  # (expression, by, its NumPy value, the printed closed form where the issue names one)
    ("vec(X)'*vec(X)", "X", lambda a: vecF(a["X"]) @ vecF(a["X"]), "2*X"),
    ("tr(kron(C, E))", "C", lambda a: np.trace(np.kron(a["C"], a["E"])), "tr(E)*I"),
    ("tr(kron(C, E))", "E", lambda a: np.trace(np.kron(a["C"], a["E"])), "tr(C)*I"),
    ("kron(x, z')", "x", lambda a: np.kron(a["x"][:, None], a["z"][None, :]), None),
    ("kron(x', z')", "x", lambda a: np.kron(a["x"], a["z"]), "kron(I(n), z)"),
    ("sum(kron(X, B))", "X", lambda a: np.sum(np.kron(a["X"], a["B"])), None),
    ("vec(X)'*kron(I(n), Q)*vec(X)", "X",
     lambda a: vecF(a["X"]) @ np.kron(np.eye(4), a["Q"]) @ vecF(a["X"]), "(Q + Q')*X"),
    ("sum(exp(vec(X)))", "X", lambda a: np.sum(np.exp(a["X"])), "exp(X)"),
    ("vec(X)'*K(m,n)'*vec(X')", "X", lambda a: vecF(a["X"]) @ vecF(a["X"]), "2*X"),
    ("tr(kron(X'*X, C))", "X", lambda a: np.trace(np.kron(a["X"].T @ a["X"], a["C"])), None),
    ("norm2(kron(X, z))^2", "X", lambda a: np.sum(np.kron(a["X"], a["z"][:, None]) ** 2), None),
    ("kron(z, v) + vec(v*z')", "z", lambda a: 2 * np.kron(a["z"], a["v"]), None),
    ("kron(alpha, v) + v", "v", lambda a: a["alpha"] * a["v"] + a["v"], None),
    ("kron(alpha, v) + v", "alpha", lambda a: a["alpha"] * a["v"] + a["v"], None),
]


@pytest.mark.parametrize("expr,wrt,f,closed", BY_ARRAY, ids=[f"{c[0]} by {c[1]}" for c in BY_ARRAY])
def test_by_a_matrix_and_kron_of_vectors(expr, wrt, f, closed):
    r = md.derivative(expr, wrt, vars=MV)
    want = fdiff.reference(f, MVAL, wrt)
    fdiff.assert_close(r.evaluate(**MVAL), want, what=f"d {expr}/d{wrt} = {r.text}")
    again = md.evaluate(r.text, vars=MV, shape=np.shape(want), **MVAL)
    fdiff.assert_close(again, want, what=f"md.evaluate({r.text!r})")
    if closed is not None:
        assert r.text == closed
    if np.ndim(MVAL[wrt]):   # the Kronecker form is the vec of the same array
        t = fdiff.canonical(f, MVAL, wrt)
        v = r.vec()
        got = vec_of_tensor(r.evaluate(**MVAL) if len(r.free) > 2 else want, t.ndim - np.ndim(MVAL[wrt]))
        fdiff.assert_close(v.evaluate(**MVAL), vec_of_tensor(t, t.ndim - np.ndim(MVAL[wrt])),
                           what=f"vec form {v.text}", strict_shape=False)
        fdiff.assert_close(v.evaluate(**MVAL), got, 1e-9, what=f"vec form {v.text}", strict_shape=False)


@pytest.mark.parametrize("expr,wrt,f,closed", BY_ARRAY, ids=[f"{c[0]} by {c[1]}" for c in BY_ARRAY])
def test_compiled_by_a_matrix_and_kron_of_vectors(expr, wrt, f, closed, backend):
    c = md.compile(expr, wrt=wrt, vars=MV, backend=backend)
    value, grad = c(**as_backend(MVAL, backend))
    fdiff.assert_close(np.asarray(value), f(MVAL), what=f"{backend} value of {expr}")
    fdiff.assert_close(np.asarray(grad), fdiff.reference(f, MVAL, wrt), what=f"{backend} d/d{wrt} of {expr}")


INDEX_FORM = [  # 3+ indices, one a vec index (δ[k,a,b]: k the vec index of (a, b)); vec form or None
    ("vec(X)", "X", lambda a: vecF(a["X"]), "I(m*n)"),
    ("vec(X')", "X", lambda a: vecF(a["X"].T), "K(m, n)"),
    ("K(m, n)*vec(X)", "X", lambda a: vecF(a["X"].T), "K(m, n)"),
    ("kron(B, X)", "X", lambda a: np.kron(a["B"], a["X"]), None),
    ("kron(X, z)", "X", lambda a: np.kron(a["X"], a["z"][:, None]), None),
    ("vec(X)*vec(X)'", "X", lambda a: np.outer(vecF(a["X"]), vecF(a["X"])), None),
    ("exp(vec(X))", "X", lambda a: np.exp(vecF(a["X"])), None),
]


@pytest.mark.parametrize("expr,wrt,f,vec", INDEX_FORM, ids=[f"{c[0]} by {c[1]}" for c in INDEX_FORM])
def test_vec_index_in_index_form(expr, wrt, f, vec):
    r = md.derivative(expr, wrt, vars=MV)
    assert r.expr is None and "δ[" in r.text
    want = fdiff.reference(f, MVAL, wrt)
    fdiff.assert_close(r.evaluate(**MVAL), want, what=f"d {expr}/d{wrt} = {r.text}")
    again = md.evaluate(r.text, vars=MV, shape=np.shape(want), **MVAL)
    fdiff.assert_close(again, want, what=f"md.evaluate({r.text!r})")
    if vec is None:
        with pytest.raises(md.NotSupportedError, match="vec form|Kronecker"):
            r.vec()
    else:
        assert r.vec().text == vec
        fdiff.assert_close(r.vec().evaluate(**MVAL), vec_of_tensor(want, want.ndim - 2), 1e-9)


@pytest.mark.parametrize("expr,wrt,f,vec", INDEX_FORM, ids=[f"{c[0]} by {c[1]}" for c in INDEX_FORM])
def test_compiled_vec_index_in_index_form(expr, wrt, f, vec, backend):
    value, grad = md.compile(expr, wrt=wrt, vars=MV, backend=backend)(**as_backend(MVAL, backend))
    fdiff.assert_close(np.asarray(grad), fdiff.reference(f, MVAL, wrt), what=f"{backend} d/d{wrt} of {expr}")
