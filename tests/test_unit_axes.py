"""A variable declared matrix(n,1) or matrix(1,n) keeps its unit axis in Jacobians and Hessians
(issue 12, item 7): T[f..., x...] = ∂F[f...]/∂X[x...] with X's declared 2-D shape, as
jax.jacobian gives it for F's value (md.evaluate's) and X's array.  r.shape, r.evaluate, the
printed index form read back, compiled code, md.check and the vec form agree; each against
central finite differences of the original expression."""
import numpy as np
import pytest

import matdiff as md
from support import fd
from support.vecs import vec_of_tensor

VARS = {"A": "matrix(n,1)", "B": "matrix(1,n)", "x": "vector(n)", "C": "matrix(m,n)"}
RNG = np.random.default_rng(7)
VALUES = {"A": RNG.standard_normal((3, 1)), "B": RNG.standard_normal((1, 3)),
          "x": RNG.standard_normal(3), "C": RNG.standard_normal((2, 3))}
SIZES = {"n": 3, "m": 2}

CASES = [  # (expression, by, NumPy value of F, shape of T, its vec form)
    ("A", "A", lambda a: a["A"][:, 0], ("n", "n", 1), "I(n)"),
    ("B", "B", lambda a: a["B"][0], ("n", 1, "n"), "I(n)"),
    ("C*A", "A", lambda a: a["C"] @ a["A"][:, 0], ("m", "n", 1), "C"),
    ("x'*A*A'", "A", lambda a: (a["x"] @ a["A"]) * a["A"][:, 0], ("n", "n", 1), None),
    ("A*A'", "A", lambda a: a["A"] @ a["A"].T, ("n", "n", "n", 1), None),
    ("x'*A*A'*x", ["A", "A"], lambda a: float(a["x"] @ a["A"] @ a["A"].T @ a["x"]),
     ("n", 1, "n", 1), "2*x*x'"),
    ("sum(exp(A))", ["A", "A"], lambda a: float(np.exp(a["A"]).sum()), ("n", 1, "n", 1),
     "diag(exp(A))"),
    ("x'*A*B*x", ["A", "B"], lambda a: float(a["x"] @ a["A"] @ a["B"] @ a["x"]),
     ("n", 1, 1, "n"), "x*x'"),
]


@pytest.mark.parametrize("expr,wrt,f,shape,vec", CASES, ids=[f"{c[0]} by {c[1]}" for c in CASES])
def test_unit_axes_kept(expr, wrt, f, shape, vec):
    r = md.derivative(expr, wrt=wrt, vars=VARS)
    assert tuple(r.shape) == shape
    want = fd.canonical(f, VALUES, wrt)
    assert want.shape == tuple(SIZES.get(d, d) for d in shape)
    tol = fd.TOLS[1 if isinstance(wrt, str) else len(wrt)]
    fd.assert_close(r.evaluate(**VALUES), want, tol, what=r.text)
    again = md.evaluate(r.text, vars=VARS, shape=want.shape, **VALUES)
    fd.assert_close(again, want, tol, what=f"md.evaluate({r.text!r})")
    if isinstance(wrt, str) or len(set(wrt)) == 1:   # compile: a gradient, or with its Hessian
        c = md.compile(expr, wrt=wrt if isinstance(wrt, str) else wrt[0], vars=VARS,
                       order=1 if isinstance(wrt, str) else 2)
        out = c(**{k: VALUES[k] for k in c.params})
        fd.assert_close(np.asarray(out[-1]), want, tol, what=f"compiled d/d{wrt} of {expr}")
    by = wrt if isinstance(wrt, str) else wrt[0]
    lhs = f"d/d{by}" if isinstance(wrt, str) else f"d2/d{by}2" if len(set(wrt)) == 1 else None
    if lhs:
        assert md.check(f"{lhs} {expr} = {r.text}", vars=VARS)
    if vec is not None:
        v = r.vec()
        assert v.text == vec
        fd.assert_close(v.evaluate(**VALUES), vec_of_tensor(want, len(want.shape) - (
            2 if (wrt if isinstance(wrt, str) else wrt[-1]) in ("A", "B") else 1)), tol, what=v.text)


def test_claims_by_a_unit_axis_variable():
    assert md.check("d/dA A = I", vars=VARS)            # the vec form d vec(A)/d vec(A)'
    assert not md.check("d/dA A = 2*I", vars=VARS)
    assert md.check("d2/dA2 x'*A*A'*x = 2*x*x'", vars=VARS)
    assert md.check("d/dA tr(A*A') = 2*A", vars=VARS)   # a gradient, as before


def test_gradients_keep_their_matrix_form():
    r = md.derivative("tr(A'*A)", wrt="A", vars=VARS)
    assert r.text == "2*A" and tuple(r.shape) == ("n", 1)
    r = md.derivative("x'*A", wrt="A", vars=VARS)
    assert r.text == "x" and tuple(r.shape) == ("n", 1)
