"""Issue 12, items 2, 4, 6 (alpha^beta) and 7: diagonal variables, traces of matrix functions,
a scalar expression as exponent, declared matrix shapes.

Each case: values against central finite differences of the ORIGINAL expression (a NumPy
reference written here), the printed form evaluated again, the printed form no longer than
the closed form named, and the compiled NumPy code against the finite differences.
"""
from __future__ import annotations

import numpy as np
import pytest

from support import fd
from support.closed_forms import (Case, check_generated_code, check_no_longer_than_form,
                                  check_value_and_printed_form)
from support.reference import expm
import matdiff as md

N, M = 4, 3
SQ = {"X": ("matrix(n,n)", (N, N)), "A": ("matrix(n,n)", (N, N)), "B": ("matrix(n,n)", (N, N))}


def pick(*names, table=SQ, **extra):
    out = {k: table[k] for k in names}
    out.update(extra)
    return out


def small(rng, *shape):
    return 0.4 * rng.standard_normal(shape)


def diagonal(lo=0.5, hi=1.5):
    """A diagonal matrix, its entries of either sign and away from 0 (inverses exist)."""
    return lambda rng, n, _: np.diag(rng.uniform(lo, hi, n) * rng.choice([-1, 1], n))


def pos_diagonal(rng, n, _):
    return np.diag(rng.uniform(0.5, 1.5, n))


DIAG = {"D": ("matrix(n,n) diagonal", (N, N))}
POW = {"alpha": ("scalar", ()), "beta": ("scalar", ()), "x": ("vector(n)", (N,))}
POSITIVE_BASE = {"alpha": fd.positive, "x": fd.positive}
INV = np.linalg.inv
CASES = [
    # ---- item 2: diagonal variables; powers and inverses of D are entrywise on its diagonal
    Case("tr-D^-2", "tr(D^-2)", "D", DIAG, lambda a: np.trace(INV(a["D"]) @ INV(a["D"])), "-2*D^-3",
         gen={"D": diagonal()}),
    Case("tr-inv(D)^2", "tr(inv(D)^2)", "D", DIAG, lambda a: np.trace(INV(a["D"]) @ INV(a["D"])),
         "-2*inv(D)^3", gen={"D": diagonal()}),
    Case("sum-inv(D)", "sum(inv(D))", "D", DIAG, lambda a: np.sum(INV(a["D"])), "-inv(D)^2",
         gen={"D": diagonal()}),
    Case("tr-D^3", "tr(D^3)", "D", DIAG, lambda a: np.trace(a["D"] @ a["D"] @ a["D"]), "3*D^2",
         gen={"D": diagonal()}),
    Case("tr-D", "tr(D)", "D", DIAG, lambda a: np.trace(a["D"]), "I", gen={"D": diagonal()}),
    Case("diag(x)^-2-ones", "diag(x)^-2*ones", "x", {"x": ("vector(n)", (N,))},
         lambda a: INV(np.diag(a["x"])) @ INV(np.diag(a["x"])) @ np.ones(N), "-2*diag(x.^-3)",
         gen={"x": lambda rng, n: rng.uniform(0.5, 1.5, n) * rng.choice([-1, 1], n)}),
    Case("tr-diag(x)^3", "tr(diag(x)^3)", "x", {"x": ("vector(n)", (N,))},
         lambda a: np.trace(np.linalg.matrix_power(np.diag(a["x"]), 3)), "3*x.^2"),
    Case("quadratic-in-inv(D)", "x'*inv(D)*x", "D", pick(x=("vector(n)", (N,)), **DIAG),
         lambda a: a["x"] @ INV(a["D"]) @ a["x"], "-diag(x.^2)*D^-2", gen={"D": diagonal()}),
    Case("tr-A-D^2", "tr(A*D^2)", "D", pick("A", **DIAG), lambda a: np.trace(a["A"] @ a["D"] @ a["D"]),
         "2*diag(diag(A))*D", gen={"D": diagonal()}),
    Case("logdet-positive-diagonal", "logdet(D)", "D", {"D": ("matrix(n,n) diagonal positive", (N, N))},
         lambda a: np.linalg.slogdet(a["D"])[1], "inv(D)", gen={"D": pos_diagonal}),
    Case("tr-expm-diagonal", "tr(expm(D))", "D", DIAG, lambda a: np.trace(expm(a["D"])), "expm(D)",
         gen={"D": diagonal(0.1, 0.5)}),
    # ---- item 6: a scalar expression as exponent (the base positive)
    Case("pow-by-exponent", "alpha^beta", "beta", POW, lambda a: a["alpha"] ** a["beta"], "log(alpha)*alpha^beta",
         gen=POSITIVE_BASE),
    Case("pow-by-base", "alpha^beta", "alpha", POW, lambda a: a["alpha"] ** a["beta"], "beta*alpha^(beta - 1)",
         gen=POSITIVE_BASE),
    Case("epow-by-exponent", "sum(x.^beta)", "beta", POW, lambda a: np.sum(a["x"] ** a["beta"]),
         "sum(log(x) .* x.^beta)", gen=POSITIVE_BASE),
    Case("epow-by-base", "x.^beta", "x", POW, lambda a: a["x"] ** a["beta"], "diag(beta*x.^(beta - 1))",
         gen=POSITIVE_BASE),
    Case("pow-hessian", "alpha^(beta*x'*x)", "x", POW, lambda a: a["alpha"] ** (a["beta"] * a["x"] @ a["x"]),
         order=2, gen=POSITIVE_BASE),
    # ---- item 7: a gradient by a matrix(1,n) or matrix(n,1) variable keeps the variable's shape
    Case("row-matrix-gradient", "tr(A'*A)", "A", {"A": ("matrix(1,n)", (1, N))},
         lambda a: np.trace(a["A"].T @ a["A"]), "2*A"),
    Case("row-matrix-linear", "A*x", "A", {"A": ("matrix(1,n)", (1, N)), "x": ("vector(n)", (N,))},
         lambda a: (a["A"] @ a["x"]).item(), "x'"),
    Case("column-matrix-linear", "x'*A", "A", {"A": ("matrix(n,1)", (N, 1)), "x": ("vector(n)", (N,))},
         lambda a: (a["x"] @ a["A"]).item(), "x"),
    Case("row-matrix-elementwise", "sum(exp(A))", "A", {"A": ("matrix(1,n)", (1, N))},
         lambda a: np.sum(np.exp(a["A"])), "exp(A)"),
    # ---- item 4: d tr(f(U)) = tr(f'(U) dU) for an analytic f, though U and dU do not commute
    Case("tr-expm", "tr(expm(X))", "X", pick("X"), lambda a: np.trace(expm(a["X"])), "expm(X)'",
         gen={"X": small}),
    Case("tr-scaled-expm-sum", "tr(A + alpha*expm(X*B))", "X", pick("A", "X", "B", alpha=("scalar", ())),
         lambda a: np.trace(a["A"] + a["alpha"] * expm(a["X"] @ a["B"])), gen={"X": small, "B": small}),
    Case("tr-expm-transposed", "tr(2*expm(X'*X))", "X", {"X": ("matrix(m,n)", (M, N))},
         lambda a: 2 * np.trace(expm(a["X"].T @ a["X"])), "4*X*expm(X'*X)", gen={"X": small}),
    Case("tr-expm-by-scalar", "tr(expm(t*A + B))", "t", pick("A", "B", t=("scalar", ())),
         lambda a: np.trace(expm(a["t"] * a["A"] + a["B"])), "tr(A*expm(t*A + B))",
         gen={"A": small, "B": small}),
    Case("tr-expm-symmetric", "tr(expm(X))", "X", {"X": ("matrix(n,n) symmetric", (N, N))},
         lambda a: np.trace(expm(a["X"])), "expm(X)",
         gen={"X": lambda rng, *s: (lambda g: 0.2 * (g + g.T))(rng.standard_normal(s))}),
]


@pytest.mark.parametrize("c", [pytest.param(c, id=c.id) for c in CASES])
def test_value_and_printed_form(c):
    check_value_and_printed_form(c)


@pytest.mark.parametrize("c", [pytest.param(c, id=c.id) for c in CASES if c.form])
def test_no_longer_than_the_named_form(c):
    check_no_longer_than_form(c)


@pytest.mark.parametrize("c", [pytest.param(c, id=c.id) for c in CASES])
def test_generated_code(c):
    check_generated_code(c)


@pytest.mark.parametrize("expr", ["tr(A*expm(X))", "tr(expm(X)*expm(X))", "expm(X)"])
def test_frechet_derivative_refused_in_one_line(expr):
    with pytest.raises(md.NotSupportedError) as err:
        md.derivative(expr, wrt="X")
    msg = str(err.value)
    assert "\n" not in msg and "Frechet derivative" in msg and "tr(expm(U))" in msg


def test_positive_diagonal_is_positive_on_its_diagonal():
    # 'diagonal positive': the entries off the diagonal are 0, not > 0
    vars = {"D": "matrix(n,n) diagonal positive"}
    D = np.diag([0.5, 2.0, 3.0])
    assert md.evaluate("sum(log(diag(D)))", vars=vars, D=D) == pytest.approx(np.log(3.0))
    with pytest.raises(md.EvaluationError, match="declared positive"):
        md.evaluate("sum(log(diag(D)))", vars=vars, D=np.diag([0.5, -2.0, 3.0]))
    v = md.check("d/dD sum(log(diag(D))) = inv(D)", vars=vars)
    assert v.holds and v.trials >= 1
    assert not md.check("d/dD sum(log(diag(D))) = D", vars=vars)


@pytest.mark.parametrize("backend", ["numpy", "jax", "torch", "dask"])
@pytest.mark.parametrize("c", [pytest.param(c, id=c.id) for c in CASES if c.id.startswith(("pow-", "epow-"))])
def test_scalar_exponent_in_every_backend(c, backend):
    pytest.importorskip({"numpy": "numpy", "jax": "jax", "torch": "torch", "dask": "dask"}[backend])
    if backend != "jax":
        return check_generated_code(c, backend)
    import jax
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)    # float64, as the other backends
    try:
        check_generated_code(c, backend)
    finally:
        jax.config.update("jax_enable_x64", old)


def test_scalar_exponent_latex():
    assert md.derivative("alpha^beta", wrt="beta").latex.endswith(r"\alpha^{\beta}\log\left(\alpha\right)")
    assert r"\mathbf{x}^{\odot \beta}" in md.derivative("sum(x.^beta)", wrt="beta").latex


@pytest.mark.parametrize("layout, shape", [("mixed", (1, N)), ("numerator", (N, 1)), ("denominator", (1, N))])
def test_declared_row_matrix_keeps_its_shape_in_every_layout(layout, shape):
    r = md.derivative("tr(A'*A)", wrt="A", vars={"A": "matrix(1,n)"}, layout=layout)
    A = np.arange(1.0, N + 1).reshape(1, N)
    assert r.evaluate(A=A).shape == shape and len(r.shape) == 2
    np.testing.assert_allclose(r.evaluate(A=A).reshape(-1), 2 * A.reshape(-1))
