"""A scalar plus or minus a vector or matrix broadcasts elementwise (issue 12, item 6).

Typing rewrites ``s ± X`` as ``s*ones ± X``, so differentiation, printing, evaluation and
code generation see only what they already know.  For each case, with distinct dimensions:

* ``r.evaluate`` equals central finite differences of the ORIGINAL expression, written
  here independently in NumPy (where ``s + X`` is NumPy's own broadcast);
* the printed form ``r.text``, evaluated again by ``md.evaluate``, equals it;
* the compiled derivative (NumPy backend) equals the finite differences too.
"""
from __future__ import annotations

import numpy as np
import pytest

from support import fd
import matdiff as md
from matdiff.shapes import typecheck

M, N, P = 5, 3, 4
g = fd.gauss


def sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def pm1(rng, *shape):
    return rng.choice([-1.0, 1.0], size=shape)


def unit(rng, *shape):
    return rng.uniform(0.1, 0.9, shape)


LOGREG = {"X": ("matrix(m,n)", (M, N)), "w": ("vector(n)", (N,)), "y": ("vector(m)", (M,))}
CASES = [
    # (id, expression, wrt, declarations {name: (decl, shape)}, NumPy function, generators)
    ("logistic-loss", "sum(log(1 + exp(-y .* (X*w))))", "w", LOGREG,
     lambda a: np.sum(np.log(1 + np.exp(-a["y"] * (a["X"] @ a["w"])))), {"y": pm1}),
    ("cross-entropy-w", "(1 - y)'*log(1 - sigmoid(X*w))", "w", LOGREG,
     lambda a: (1 - a["y"]) @ np.log(1 - sig(a["X"] @ a["w"])), {"y": unit}),
    ("cross-entropy-y", "(1 - y)'*log(1 - sigmoid(X*w))", "y", LOGREG,
     lambda a: (1 - a["y"]) @ np.log(1 - sig(a["X"] @ a["w"])), {"y": unit}),
    ("scalar-minus-matrix", "sum(exp(2 - X))", "X", {"X": ("matrix(m,n)", (M, N))},
     lambda a: np.sum(np.exp(2 - a["X"])), {}),
    ("vector-plus-scalar-by-scalar", "norm2(x + s)^2", "s", {"x": ("vector(n)", (N,)), "s": ("scalar", ())},
     lambda a: np.sum((a["x"] + a["s"]) ** 2), {}),
    ("matrix-minus-scalar-by-scalar", "tr(A*(X - s))", "s",
     {"A": ("matrix(n,m)", (N, M)), "X": ("matrix(m,n)", (M, N)), "s": ("scalar", ())},
     lambda a: np.trace(a["A"] @ (a["X"] - a["s"])), {}),
    ("quadratic-form-broadcast", "sum(x'*A*x - X)", "x",
     {"x": ("vector(n)", (N,)), "A": ("matrix(n,n)", (N, N)), "X": ("matrix(m,p)", (M, P))},
     lambda a: np.sum(a["x"] @ a["A"] @ a["x"] - a["X"]), {}),
    ("row-minus-scalar", "(x' - 1)*B*x", "x", {"x": ("vector(n)", (N,)), "B": ("matrix(n,n)", (N, N))},
     lambda a: (a["x"] - 1) @ a["B"] @ a["x"], {}),
]


def inputs(decls, gens, seed=0):
    rng = np.random.default_rng(seed)
    return {k: (gens.get(k, g)(rng, *shape) if shape else float(gens.get(k, g)(rng)))
            for k, (_, shape) in sorted(decls.items())}


@pytest.mark.parametrize("id_, expr, wrt, decls, ref, gens", [pytest.param(*c, id=c[0]) for c in CASES])
def test_value_printed_form_and_code(id_, expr, wrt, decls, ref, gens):
    vars_ = {k: v[0] for k, v in decls.items()}
    a = inputs(decls, gens)
    want = fd.reference(ref, a, wrt)
    r = md.derivative(expr, wrt=wrt, vars=vars_)
    got = r.evaluate(**a)
    fd.assert_close(got, want, fd.TOLS[1], what=f"{expr} d/d{wrt} = {r.text!r}")
    again = md.evaluate(r.text, vars=vars_, shape=np.shape(want), **a)
    fd.assert_close(again, got, 1e-9, strict_shape=False, what=f"md.evaluate({r.text!r})")
    out = md.compile(expr, wrt=wrt, vars=vars_, value=False)(**a)
    fd.assert_close(out[-1] if isinstance(out, tuple) else out, want, fd.TOLS[1], strict_shape=False,
                    what=f"compiled {expr} d/d{wrt}")


def test_the_value_broadcasts_like_numpy():
    rng = np.random.default_rng(1)
    X, x = rng.normal(size=(M, N)), rng.normal(size=N)
    fd.assert_close(md.evaluate("2 - X", vars={"X": "matrix(m,n)"}, X=X), 2 - X, 1e-12)
    fd.assert_close(md.evaluate("x + 3", vars={"x": "vector(n)"}, x=x), x + 3, 1e-12)


def test_s_times_I_is_still_the_identity():
    """``s*I`` scales the identity; ``s + X`` adds s to every entry: the two differ."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(N, N))
    vars_ = {"X": "matrix(n,n)"}
    fd.assert_close(md.evaluate("X + 2*I", vars=vars_, X=X), X + 2 * np.eye(N), 1e-12)
    fd.assert_close(md.evaluate("X + 2", vars=vars_, X=X), X + 2, 1e-12)


def test_shapes_still_must_match_between_non_scalars():
    with pytest.raises(md.ShapeError, match="a sum needs equal shapes"):
        md.derivative("x + A", wrt="x", vars={"x": "vector(n)", "A": "matrix(n,n)"})


def test_a_name_subtracted_from_a_vector_is_a_vector():
    """The statistician's case with no declarations: mu is the mean vector, not mu*ones."""
    expr = "-0.5*logdet(Sigma) - 0.5*(x - mu)'*inv(Sigma)*(x - mu)"
    rng = np.random.default_rng(3)
    a = {"Sigma": fd.spd(rng, N), "x": rng.normal(size=N), "mu": rng.normal(size=N)}

    def ref(a):
        d = a["x"] - a["mu"]
        return -0.5 * np.linalg.slogdet(a["Sigma"])[1] - 0.5 * d @ np.linalg.inv(a["Sigma"]) @ d
    r = md.derivative(expr, wrt="mu")
    assert typecheck(expr).variables["mu"].shape == ("n", 1)
    want = fd.reference(ref, a, "mu")
    got = r.evaluate(**a)
    fd.assert_close(got, want, fd.TOLS[1], what=r.text)
    fd.assert_close(md.evaluate(r.text, **a), got, 1e-9, strict_shape=False, what=r.text)


def test_a_name_another_use_needs_as_a_scalar_broadcasts():
    """mu*x'*x needs a scalar mu, so x - mu broadcasts it (a vector mu would type only by
    adding a broadcast elsewhere)."""
    expr = "mu*x'*x + norm2(x - mu)^2"
    rng = np.random.default_rng(4)
    a = {"x": rng.normal(size=N), "mu": float(rng.normal())}
    r = md.derivative(expr, wrt="mu")
    assert typecheck(expr).variables["mu"].shape == (1, 1)
    want = fd.reference(lambda a: a["mu"] * a["x"] @ a["x"] + np.sum((a["x"] - a["mu"]) ** 2), a, "mu")
    fd.assert_close(r.evaluate(**a), want, fd.TOLS[1], strict_shape=False, what=r.text)


def test_a_declared_scalar_always_broadcasts():
    rng = np.random.default_rng(5)
    a = {"x": rng.normal(size=N), "mu": float(rng.normal())}
    r = md.derivative("norm2(x - mu)^2", wrt="mu", vars={"mu": "scalar"})
    want = fd.reference(lambda a: np.sum((a["x"] - a["mu"]) ** 2), a, "mu")
    fd.assert_close(r.evaluate(**a), want, fd.TOLS[1], strict_shape=False, what=r.text)
