"""Issue 12's small remaining items: sizes of K and I written as products (K(m*n, p)),
kron of identities simplified away, the Kronecker form of X'*X read as a textbook writes it;
each derivative against central finite differences of the original expression, re-evaluated
from its printed form, from compiled code and through md.check."""
import numpy as np
import pytest

import matdiff as md
from support import fd
from support.backends import as_backend
from support.vecs import commutation, vec, vec_of_tensor

RNG = np.random.default_rng(1212)
VARS = {"C": "matrix(m*n, p)", "B": "matrix(p, m*n)", "X": "matrix(m,n)", "t": "scalar"}
VALUES = {"C": RNG.standard_normal((6, 4)), "B": RNG.standard_normal((4, 6)),
          "X": RNG.standard_normal((3, 2)), "t": 0.8}


# ---- sizes written as products ---------------------------------------------------------------

def test_product_sizes_parse_and_evaluate():
    assert np.allclose(md.evaluate("K(2*3, 4)"), commutation(6, 4))
    assert np.allclose(md.evaluate("I(2*3)"), np.eye(6))
    C = VALUES["C"]
    assert np.allclose(md.evaluate("K(m*n, p)*vec(C)", vars=VARS, C=C), vec(C.T))
    assert np.allclose(md.evaluate("I(m*n)*C", vars=VARS, C=C), C)


@pytest.mark.parametrize("text", ["K(m*, p)", "K(m*n*, p)", "I(2*0)", "K(m*n.5, p)"])
def test_bad_product_sizes_are_refused(text):
    with pytest.raises(md.ParseError):
        md.evaluate(text)


def test_k_of_a_product_by_c():
    """K(m*n, p)*vec(C) by C (C is mn×p): a 3-index result, and its vec form K(m*n, p)."""
    f = lambda a: commutation(6, 4) @ vec(a["C"])   # noqa: E731
    r = md.derivative("K(m*n,p)*vec(C)", wrt="C", vars=VARS)
    want = fd.reference(f, VALUES, "C")
    fd.assert_close(r.evaluate(**VALUES), want, what=r.text)
    fd.assert_close(md.evaluate(r.text, vars=VARS, shape=want.shape, **VALUES), want,
                    what=f"md.evaluate({r.text!r})")
    v = r.vec()
    assert v.text == "K(m*n, p)" and v.latex == r"\mathbf{K}_{mn,p}"
    fd.assert_close(v.evaluate(**VALUES), vec_of_tensor(want, 1), what=v.text)
    assert md.check(f"d/dC K(m*n,p)*vec(C) = {r.text}", vars=VARS)


def test_k_of_a_product_by_a_scalar():
    f = lambda a: vec(a["B"]) @ commutation(6, 4) @ vec(a["t"] ** 2 * a["C"])   # noqa: E731
    r = md.derivative("vec(B)'*K(m*n,p)*vec(t^2*C)", wrt="t", vars=VARS)
    assert "K(" in r.text and "kron" not in r.text
    assert r"\mathbf{K}_{p,mn}" in r.latex   # the scalar written the other way round
    want = fd.reference(f, VALUES, "t")
    fd.assert_close(r.evaluate(**VALUES), want, what=r.text)
    fd.assert_close(md.evaluate(r.text, vars=VARS, **VALUES), want, what="read back")
    assert md.check(f"d/dt vec(B)'*K(m*n,p)*vec(t^2*C) = {r.text}", vars=VARS)
    assert not md.check("d/dt vec(B)'*K(m*n,p)*vec(t^2*C) = 2*t*vec(B)'*vec(C)", vars=VARS)


@pytest.mark.parametrize("expr,wrt,f", [
    ("vec(B)'*K(m*n,p)*vec(t^2*C)", "t",
     lambda a: vec(a["B"]) @ commutation(6, 4) @ vec(a["t"] ** 2 * a["C"])),
    ("K(m*n,p)*vec(C)", "C", lambda a: commutation(6, 4) @ vec(a["C"])),
], ids=["by t", "by C"])
def test_compiled_code_with_product_sizes(expr, wrt, f, backend):
    c = md.compile(expr, wrt=wrt, vars=VARS, backend=backend)
    value, grad = c(**as_backend({k: VALUES[k] for k in ("B", "C", "t") if k in c.params},
                                 backend))
    fd.assert_close(np.asarray(value), f(VALUES), what=f"{backend} value of {expr}")
    fd.assert_close(np.asarray(grad), fd.reference(f, VALUES, wrt), what=f"{backend} d/d{wrt}")


# ---- Kronecker forms read as textbooks write them ----------------------------------------------

@pytest.mark.parametrize("expr,printed,f", [
    ("X'*X", "kron(I(n), X') + kron(X', I(n))*K(m, n)", lambda a: a["X"].T @ a["X"]),
    ("X'", "K(m, n)", lambda a: a["X"].T),
    ("X", "I(m*n)", lambda a: a["X"]),
])
def test_vec_forms_print_short(expr, printed, f):
    r = md.derivative(expr, wrt="X", vars=VARS)
    v = r.vec()
    assert v.text == printed
    t = fd.canonical(f, VALUES, "X")
    fd.assert_close(v.evaluate(**VALUES), vec_of_tensor(t, 2), what=v.text)
    fd.assert_close(v.evaluate(**VALUES), vec_of_tensor(r.evaluate(**VALUES), 2), 1e-12,
                    what=f"{v.text} against r.evaluate")
    again = md.evaluate(v.text, vars=VARS, **VALUES)
    fd.assert_close(again, vec_of_tensor(t, 2), what=f"md.evaluate({v.text!r})")
