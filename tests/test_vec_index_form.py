"""Derivatives through vec and kron that have no matrix form answer in index form (issue 12.5).

Two kinds were refused before: ``d vec(U)/dx'`` where an index of x meets U's
entries elementwise (a Khatri–Rao product: ``vec(exp(x*z'))``, ``vec(A*diag(x))``),
and a general vector or matrix on a vec index (an unvec the language lacks:
``a'*vec(X)`` by X is ``unvec(a)``).  Both are answered with the vec-index delta
``δ[k,a,b]`` (k the vec index of the pair (a, b)).  Each answer is checked against
central finite differences of the original expression, re-evaluated from its
printed form, confirmed by ``md.check``, reached by the steps, and compiled.
"""
import numpy as np
import pytest

import matdiff as md
from support import fd
from support.backends import as_backend

VARS = {"X": "matrix(m,n)", "A": "matrix(m,n)", "B": "matrix(n,m)", "S": "matrix(n,n)",
        "x": "vector(n)", "z": "vector(m)"}          # a, u, M: sizes from their use (m*n, n*n)
RNG = np.random.default_rng(12)
VALUES = {"X": RNG.standard_normal((3, 4)), "A": RNG.standard_normal((3, 4)),
          "B": RNG.standard_normal((4, 3)), "S": RNG.standard_normal((4, 4)),
          "x": RNG.standard_normal(4), "z": RNG.standard_normal(3), "a": RNG.standard_normal(12),
          "u": RNG.standard_normal(16), "M": RNG.standard_normal((12, 12))}
vecF = lambda m: np.asarray(m).reshape(-1, order="F")  # noqa: E731

INDEX_FORM = [
    # d vec(U)/dx' with x's index on U's entries (Khatri-Rao): no Kronecker form
    ("vec(exp(x*z'))", "x", lambda a: vecF(np.exp(np.outer(a["x"], a["z"])))),
    ("vec(x*x' .* S)", "x", lambda a: vecF(np.outer(a["x"], a["x"]) * a["S"])),
    ("vec(A*diag(x))", "x", lambda a: vecF(a["A"] @ np.diag(a["x"]))),
    ("vec(diag(x)*B)", "x", lambda a: vecF(np.diag(a["x"]) @ a["B"])),
    ("vec(tanh(z*x'))", "x", lambda a: vecF(np.tanh(np.outer(a["z"], a["x"])))),
    # a general vector or matrix on a vec index: unvec(a)
    ("a'*vec(X)", "X", lambda a: a["a"] @ vecF(a["X"])),
    ("a'*vec(exp(X))", "X", lambda a: a["a"] @ vecF(np.exp(a["X"]))),
    ("sum(a .* exp(vec(X)))", "X", lambda a: np.sum(a["a"] * np.exp(vecF(a["X"])))),
    ("a'*K(n,m)*vec(X')", "X", lambda a: a["a"] @ vecF(a["X"])),
    ("vec(X)'*M*vec(X)", "X", lambda a: vecF(a["X"]) @ a["M"] @ vecF(a["X"])),
    ("norm2(M*vec(X))^2", "X", lambda a: np.sum((a["M"] @ vecF(a["X"])) ** 2)),
    ("u'*vec(S*S)", "S", lambda a: a["u"] @ vecF(a["S"] @ a["S"])),
    ("u'*kron(S, S)*u", "S", lambda a: a["u"] @ np.kron(a["S"], a["S"]) @ a["u"]),
]
CLOSED = [   # vec and kron of Hadamard products and elementwise functions, by a vector
    ("kron(x, x) .* u", "x", lambda a: np.kron(a["x"], a["x"]) * a["u"]),
    ("sin(vec(x*x'))", "x", lambda a: np.sin(vecF(np.outer(a["x"], a["x"])))),
    ("a'*K(n,m)*vec(x*z')", "x", lambda a: a["a"] @ vecF(np.outer(a["z"], a["x"]))),
]


def _arrays(r) -> dict:
    return {k: VALUES[k] for k in r.typed.variables}


@pytest.mark.parametrize("expr,wrt,f", INDEX_FORM + CLOSED,
                         ids=[f"{c[0]} by {c[1]}" for c in INDEX_FORM + CLOSED])
def test_answered_against_finite_differences(expr, wrt, f):
    r = md.derivative(expr, wrt, vars=VARS)
    if (expr, wrt, f) in INDEX_FORM:
        assert r.expr is None and "δ[" in r.text and r.text.startswith("T[")
    else:
        assert r.expr is not None
    arrays = _arrays(r)
    want = fd.reference(f, arrays, wrt)
    got = r.evaluate(**arrays)
    fd.assert_close(got, want, what=f"d {expr}/d{wrt} = {r.text}")
    again = md.evaluate(r.text, vars=VARS, shape=np.shape(want), **arrays)
    fd.assert_close(again, got, 1e-9, what=f"md.evaluate({r.text!r})")
    assert md.check(f"d/d{wrt} {expr} = {r.text}", vars=VARS).holds
    assert r.steps.text.rstrip().endswith(r.text)


@pytest.mark.parametrize("expr,wrt,f", INDEX_FORM, ids=[f"{c[0]} by {c[1]}" for c in INDEX_FORM])
def test_a_wrong_index_form_is_caught(expr, wrt, f):
    """The check above can fail: the form doubled does not hold."""
    r = md.derivative(expr, wrt, vars=VARS)
    head, body = r.text.split(" = ", 1)
    assert not md.check(f"d/d{wrt} {expr} = {head} = {body} + {body}", vars=VARS).holds


@pytest.mark.parametrize("expr,wrt,f", INDEX_FORM, ids=[f"{c[0]} by {c[1]}" for c in INDEX_FORM])
def test_compiled(expr, wrt, f, backend):
    r = md.derivative(expr, wrt, vars=VARS)
    arrays = _arrays(r)
    value, grad = md.compile(expr, wrt=wrt, vars=VARS, backend=backend)(**as_backend(arrays, backend))
    fd.assert_close(np.asarray(value), f(arrays), what=f"{backend} value of {expr}")
    fd.assert_close(np.asarray(grad), fd.reference(f, arrays, wrt), what=f"{backend} d/d{wrt} of {expr}")


def test_trace_of_a_kron_makes_its_matrix_square():
    """tr(kron(X, X)) needs n*n = m*m for X n×m, which holds only where n = m: typing makes X
    square (as tr(X) does), and the derivative has its closed form, at a 3×3 X."""
    r = md.derivative("tr(kron(X, X))", "X")
    assert r.typed.variables["X"].shape == ("n", "n") and r.typed.ties == ()
    assert r.text == "2*tr(X)*I"
    a = {"X": VALUES["S"][:3, :3]}
    want = fd.reference(lambda v: np.trace(np.kron(v["X"], v["X"])), a, "X")
    fd.assert_close(r.evaluate(**a), want, what=r.text)
    fd.assert_close(md.evaluate(r.text, shape=(3, 3), **a), want, 1e-9, what=r.text)
    fd.assert_close(np.asarray(md.compile("tr(kron(X, X))", wrt="X", value=False)(**a)), want,
                    what="compiled")
    assert md.check("d/dX tr(kron(X, X)) = 2*tr(X)*I").holds


def test_trace_of_a_kron_with_tied_sizes():
    """tr(kron(W, V)) with W n×m and V p×q is square where n*p = m*q, which no two sizes
    force: the tie stays, the answer is in index form, and md.check's sampler draws sizes
    that satisfy it (each drawn sample checked against finite differences)."""
    from matdiff.check import draw_samples
    r = md.derivative("tr(kron(W, V))", "W")
    assert r.expr is None and "δ[" in r.text and len(r.typed.ties) == 1
    f = lambda v: np.trace(np.kron(v["W"], v["V"]))  # noqa: E731
    shapes = set()
    for s in draw_samples(r.typed.variables, [r.typed.expr], 3, seed=5, ties=r.typed.ties):
        a = s.arrays
        (n, m), (p, q) = a["W"].shape, a["V"].shape
        assert n * p == m * q
        shapes.add((n, m, p, q))
        want = fd.reference(f, a, "W")
        fd.assert_close(r.evaluate(**a), want, what=r.text)
        fd.assert_close(md.evaluate(r.text, shape=want.shape, **a), want, 1e-9, what=r.text)
    assert any(n != m for n, m, _, _ in shapes), shapes   # not only square draws


def test_reading_back_sizes_an_index_from_its_vec_index():
    """In δ[k,a,b] with k's size known, a sizes b (and b sizes a) when the form is read back."""
    v = {"B": "matrix(n,p)", "y": "vector(n)", "z": "vector(p)"}
    expr = "tr(K(p,n)*kron(B', kron(y + logsumexp(z), z')))"
    r = md.derivative(expr, "z", vars=v)
    a = {"B": VALUES["B"], "y": VALUES["x"], "z": VALUES["z"][:3]}
    b, y = a["B"], a["y"]
    n, p = b.shape
    K = np.zeros((n * p, n * p))
    for i in range(n):
        for j in range(p):
            K[i + n * j, j + p * i] = 1.0    # K(p,n)*vec(A) = vec(A') for A p×n

    def f(w):
        lse = np.log(np.sum(np.exp(w["z"])))
        return np.trace(K @ np.kron(b.T, np.kron((y + lse)[:, None], w["z"][None, :])))

    want = fd.reference(f, a, "z")
    fd.assert_close(r.evaluate(**a), want, what=r.text)
    fd.assert_close(md.evaluate(r.text, vars=v, shape=np.shape(want), **a), want, 1e-6, what=r.text)
