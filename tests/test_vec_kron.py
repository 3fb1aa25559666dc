"""Differentiating through vec and kron: by a scalar (d vec(U) = vec(dU), product rule for
kron), vec(U) and kron of vectors by a vector (the Kronecker form of dU), against finite
differences; what has no closed form is refused clearly."""
import numpy as np
import pytest

import matdiff as md

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


@pytest.mark.parametrize("expr,wrt", [("vec(A*diag(x))", "x"), ("y'*vec(A)", "A"),
                                     ("sum(kron(A, B))", "A")])
def test_no_closed_form_is_refused(expr, wrt):
    with pytest.raises(md.NotSupportedError, match="vec|kron|Kronecker"):
        md.derivative(expr, wrt, vars=DECL)
