"""The commutation matrix K(m, n) (K(m,n)*vec(A) = vec(A') for A m×n): its typing, text,
LaTeX and value; derivatives through it against central finite differences of the original
expression, re-evaluated from the printed form and from code compiled for every backend
(where it is a reshape, never a product with an mn×mn matrix); and the vec (Kronecker) form
of derivatives where X enters transposed, of Hessians and of every 4-index result of the
seeds corpus, against the vec of r.evaluate."""
import numpy as np
import pytest

import matdiff as md
from support import corpus as cc
from support import fd
from support.backends import as_backend
from support.vecs import commutation, vec, vec_of_tensor

RNG = np.random.default_rng(12)
VARS = {"A": "matrix(m,n)", "B": "matrix(n,m)", "X": "matrix(m,n)", "P": "matrix(n,n)",
        "Q": "matrix(m,m)", "x": "vector(n)", "y": "vector(m)", "t": "scalar"}
VALUES = {"A": RNG.standard_normal((3, 4)), "B": RNG.standard_normal((4, 3)),
          "X": RNG.standard_normal((3, 4)), "P": RNG.standard_normal((4, 4)),
          "Q": RNG.standard_normal((3, 3)), "x": RNG.standard_normal(4),
          "y": RNG.standard_normal(3), "t": 0.7}


K34, K43 = commutation(3, 4), commutation(4, 3)


# ---- the constant itself --------------------------------------------------------------------

def test_value_text_and_latex():
    A = VALUES["A"]
    assert np.allclose(md.evaluate("K(m, n)*vec(A)", vars=VARS, A=A), vec(A.T))
    assert np.allclose(md.evaluate("K(3, 4)"), K34)
    assert np.allclose(md.evaluate("K(m,n)'*vec(B)", vars=VARS, B=VALUES["B"]), vec(VALUES["B"].T))
    r = md.derivative("K(m, n)*vec(t*A)", wrt="t", vars=VARS)
    assert r.text == "K(m, n)*vec(A)"
    assert r"\mathbf{K}_{m,n}" in r.latex
    r = md.derivative("vec(B)'*K(m,n)'*vec(t*A)", wrt="t", vars=VARS)   # K(m,n)' = K(n,m)
    assert np.isclose(r.evaluate(**VALUES), vec(VALUES["B"]) @ K43 @ vec(VALUES["A"]))


def test_k_times_its_transpose_is_the_identity():
    r = md.derivative("sum((K(m,n)*vec(t*A)).^2)", wrt="t", vars=VARS)
    assert "K" not in r.text                      # K(n,m)*K(m,n) = I, a permutation
    assert np.isclose(r.evaluate(**VALUES), 2 * 0.7 * np.sum(VALUES["A"] ** 2))


def test_k_as_a_variable_name_still_works():
    r = md.derivative("tr(K*X')", wrt="X", vars={"K": "matrix(m,n)", "X": "matrix(m,n)"})
    assert r.text == "K"


@pytest.mark.parametrize("text", ["K(m)", "K(m, n", "K(0, 2)"])
def test_bad_sizes_are_refused(text):
    with pytest.raises(md.ParseError):
        md.evaluate(text)


CASES = [
    ("vec(B)'*K(m,n)*vec(t*A)", "t", lambda a: vec(a["B"]) @ K34 @ vec(a["t"] * a["A"])),
    ("tr(K(m,n)*kron(t*A, B))", "t", lambda a: np.trace(K34 @ np.kron(a["t"] * a["A"], a["B"]))),
    ("tr(kron(t*B, A)*K(m,n))", "t", lambda a: np.trace(np.kron(a["t"] * a["B"], a["A"]) @ K34)),
    ("norm2(K(m,n)*vec(t^2*A))", "t", lambda a: np.linalg.norm(K34 @ vec(a["t"] ** 2 * a["A"]))),
    ("K(n, m)*kron(y, x)", "x", lambda a: K43 @ np.kron(a["y"], a["x"])),
    ("kron(x, y)'*K(m, n)*kron(x, y)", "x",
     lambda a: np.kron(a["x"], a["y"]) @ K34 @ np.kron(a["x"], a["y"])),
]


@pytest.mark.parametrize("expr,wrt,f", CASES, ids=[c[0] for c in CASES])
def test_derivatives_through_k(expr, wrt, f):
    r = md.derivative(expr, wrt=wrt, vars=VARS)
    want = fd.reference(f, VALUES, wrt)
    fd.assert_close(r.evaluate(**VALUES), want, what=f"d {expr}/d{wrt} = {r.text}")
    again = md.evaluate(r.text, vars=VARS, shape=np.shape(want), **VALUES)
    fd.assert_close(again, want, what=f"md.evaluate({r.text!r})")


@pytest.mark.parametrize("expr,wrt,f", CASES, ids=[c[0] for c in CASES])
def test_compiled_code_through_k(expr, wrt, f, backend):
    c = md.compile(expr, wrt=wrt, vars=VARS, backend=backend)
    src = c.source()   # K is a reshape and a swap of axes, never an mn×mn matrix
    assert "eye(m * n" not in src and "eye(n * m" not in src and "swapaxes" in src
    value, grad = c(**as_backend(VALUES, backend))
    fd.assert_close(np.asarray(value), f(VALUES), what=f"{backend} value of {expr}")
    fd.assert_close(np.asarray(grad), fd.reference(f, VALUES, wrt), what=f"{backend} d/d{wrt} of {expr}")


# ---- vec (Kronecker) forms with K -------------------------------------------------------------

VEC = [
    ("X'", ["X"], lambda a: a["X"].T),
    ("X'*X", ["X"], lambda a: a["X"].T @ a["X"]),
    ("X'*Q*X", ["X"], lambda a: a["X"].T @ a["Q"] @ a["X"]),
    ("X*P*X'", ["X"], lambda a: a["X"] @ a["P"] @ a["X"].T),
    ("A'*X + X'*A", ["X"], lambda a: a["A"].T @ a["X"] + a["X"].T @ a["A"]),
    ("tr(X*P*X'*Q)", ["X", "X"], lambda a: np.trace(a["X"] @ a["P"] @ a["X"].T @ a["Q"])),
    ("tr(X'*Q*X*P*X'*X)", ["X", "X"],
     lambda a: np.trace(a["X"].T @ a["Q"] @ a["X"] @ a["P"] @ a["X"].T @ a["X"])),
    ("sum((X*P*X').^2)", ["X", "X"], lambda a: np.sum((a["X"] @ a["P"] @ a["X"].T) ** 2)),
]


@pytest.mark.parametrize("expr,wrt,f", VEC, ids=[c[0] for c in VEC])
def test_vec_form_with_k(expr, wrt, f):
    r = md.derivative(expr, wrt=wrt, vars=VARS)
    t = fd.canonical(f, VALUES, wrt)
    want = vec_of_tensor(t, t.ndim - np.ndim(VALUES[wrt[-1]]))
    v = r.vec()
    fd.assert_close(v.evaluate(**VALUES), want, fd.TOLS[len(wrt)], what=f"vec form {v.text}")
    fd.assert_close(vec_of_tensor(r.evaluate(**VALUES), t.ndim - 2), v.evaluate(**VALUES),
                    1e-9, what=f"vec form {v.text} against r.evaluate")
    again = md.evaluate(v.text, vars=VARS, shape=want.shape, **VALUES)
    fd.assert_close(again, want, fd.TOLS[len(wrt)], what=f"md.evaluate({v.text!r})")


def test_transpose_is_k():
    assert md.derivative("X'", wrt="X", vars=VARS).vec().text == "K(m, n)"   # kron(I(m), I(n)) = I(m*n) drops


CORPUS = [c for c in cc.load_cases() if c.get("order", 1) == 1]


def test_every_4_index_result_of_the_corpus_has_a_vec_form():
    seen = 0
    for case in CORPUS:
        r = md.derivative(case["expr"], case["wrt"], vars=case["vars"], layout=case["layout"])
        if len(r.free) < 3:
            continue
        seen += 1
        inputs = cc.draw_inputs(case)
        t = np.asarray(r.evaluate(**inputs))
        want = vec_of_tensor(t, t.ndim - np.ndim(inputs[case["wrt"]]))
        fd.assert_close(r.vec().evaluate(**inputs), want, 1e-9, what=f"{case['id']}: {r.vec().text}")
    assert seen >= 10
