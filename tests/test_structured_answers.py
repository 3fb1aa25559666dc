"""Issue 12, items 2, 4, 6 (alpha^beta) and 7: diagonal variables, traces of matrix functions,
a scalar expression as exponent, declared matrix shapes.

Each case: values against central finite differences of the ORIGINAL expression (a NumPy
reference written here), the printed form evaluated again, the printed form no longer than
the closed form named, and the compiled NumPy code against the finite differences.
"""
from __future__ import annotations

import numpy as np
import pytest

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


CASES = [
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
