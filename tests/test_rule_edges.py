"""Rule paths the table of tests/test_rules.py misses (issue 14, item 10), each against central
finite differences of the same expression written in NumPy: a product whose scalar factors carry
powers other than ±1 (``alpha^2*A*x/beta^2`` as one Product with the exponents 2 and -2:
``E.Product`` takes any exponent, parsing makes only ±1; differentiated by ``engine.derive``);
the trace of linear combinations with an expm term; the derivative of a row of length 2 by a
scalar (read back transposed, where a test of the length against 2 would pass unseen).  Fast:
part of scripts/mutation.sh's runner."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import matdiff as md
from matdiff import engine
from matdiff import expr as E
from matdiff.shapes import typecheck
from support.fd import assert_close, reference
from support.reference import expm

RNG = np.random.default_rng(14)
VALUES = {"alpha": 1.3, "beta": 0.7, "x": RNG.standard_normal(3), "A": RNG.standard_normal((2, 3))}


def _powered_product(v):
    """alpha^2 * beta^-2 * A * x as one Product."""
    return E.Product(1, ((v["alpha"], Fraction(2)), (v["beta"], Fraction(-2))), (v["A"], v["x"]))


def _powered_scalars(v):
    """3 * alpha^3 * beta^2, a Product of scalars only."""
    return E.Product(3, ((v["alpha"], Fraction(3)), (v["beta"], Fraction(2))), ())


CASES = [
    (_powered_product, lambda a: a["alpha"] ** 2 / a["beta"] ** 2 * (a["A"] @ a["x"])),
    (_powered_scalars, lambda a: 3 * a["alpha"] ** 3 * a["beta"] ** 2),
]


@pytest.mark.parametrize("build, f", CASES, ids=["alpha^2*A*x/beta^2", "3*alpha^3*beta^2"])
@pytest.mark.parametrize("wrt", ["alpha", "beta"])
def test_product_with_powered_scalar_factors(build, f, wrt):
    typed = typecheck("alpha*beta*A*x")
    typed.expr = build(typed.variables)
    r = md.Result.of(engine.derive(typed, [wrt]))
    assert_close(r.evaluate(**VALUES), reference(f, VALUES, wrt), what=r.text)


# ---- tr of a linear combination: tr(f(V)) parts by the linearity of the trace ------------------
S = {"X": "matrix(n,n)", "A": "matrix(n,n)"}
TRACES = [
    ("tr(X + expm(X))", "X", lambda a: np.trace(a["X"] + expm(a["X"]))),
    ("tr(2*expm(X))", "X", lambda a: 2 * np.trace(expm(a["X"]))),
    ("tr(alpha*expm(X))", "X", lambda a: a["alpha"] * np.trace(expm(a["X"]))),
    ("tr(alpha*expm(X))", "alpha", lambda a: a["alpha"] * np.trace(expm(a["X"]))),
    ("tr(expm(X)' - A*X)", "X", lambda a: np.trace(expm(a["X"]).T - a["A"] @ a["X"])),
    ("tr(3*(expm(X) + X'))", "X", lambda a: 3 * np.trace(expm(a["X"]) + a["X"].T)),
    ("tr(-(alpha*expm(X))')", "X", lambda a: -a["alpha"] * np.trace(expm(a["X"]))),
    ("tr(A*X + X')", "X", lambda a: np.trace(a["A"] @ a["X"] + a["X"].T)),
]
SQUARE = {"alpha": 0.8, "X": 0.4 * RNG.standard_normal((3, 3)), "A": RNG.standard_normal((3, 3))}


@pytest.mark.parametrize("expression, wrt, f", TRACES, ids=[f"{c[0]} by {c[1]}" for c in TRACES])
def test_trace_of_a_linear_combination(expression, wrt, f):
    r = md.derivative(expression, wrt=wrt, vars=S)
    assert_close(r.evaluate(**SQUARE), reference(f, SQUARE, wrt), what=r.text)


# ---- d U/dt of a row U of length 2 (read back transposed: the index form has no orientation) ----
ROW = {"t": 0.6, "a": RNG.standard_normal(2), "B": RNG.standard_normal((2, 3))}


@pytest.mark.parametrize("expression, f", [
    ("kron(t*a', B)", lambda v: np.kron(v["t"] * v["a"][None, :], v["B"])),
    ("kron(B, t^2*a')", lambda v: np.kron(v["B"], v["t"] ** 2 * v["a"][None, :])),
])
def test_a_row_of_length_two_by_a_scalar(expression, f):
    r = md.derivative(expression, wrt="t", vars={"t": "scalar", "a": "vector(2)", "B": "matrix(2,3)"})
    assert_close(r.evaluate(**ROW), reference(f, ROW, "t"), what=r.text)


# ---- kron by a matrix whose result has a literal size 2 (p, q: the vec indices of its rows, columns)
KR = {"a": RNG.standard_normal(2), "B": RNG.standard_normal((2, 3)), "t": 0.6}


@pytest.mark.parametrize("expression, wrt, f", [
    ("kron(a', B)", "B", lambda v: np.kron(v["a"][None, :], v["B"])),
    ("kron(B', a)", "B", lambda v: np.kron(v["B"].T, v["a"][:, None])),
    ("kron(B, t*a')", "t", lambda v: np.kron(v["B"], v["t"] * v["a"][None, :])),
])
def test_kron_with_a_literal_size_two(expression, wrt, f):
    r = md.derivative(expression, wrt=wrt, vars={"t": "scalar", "a": "vector(2)", "B": "matrix(2,3)"})
    assert_close(r.evaluate(**KR), reference(f, KR, wrt), what=r.text)

