"""A result with at most two indices and no matrix form is answered in index notation (issue 12.5).

``sum(E .* (A'*diag(x)*C) .* (B*diag(y)*D'))`` by x then y is
``T[i,p] = Σ_ab A[i,a] C[i,b] E[a,b] B[a,p] D[b,p]``: two sums tied in a square
(a Khatri–Rao product, which the language lacks).  It is answered, not refused:
its values match finite differences of the original in every layout, the printed
index form evaluates to the same numbers, and the steps end at it.
"""
from __future__ import annotations

import numpy as np
import pytest

from support import fd
import matdiff as md

VARS = {"A": "matrix(m,n)", "C": "matrix(m,p)", "B": "matrix(n,q)", "D": "matrix(p,q)",
        "E": "matrix(n,p)", "x": "vector(m)", "y": "vector(q)"}
SIZES = {"m": 3, "n": 4, "p": 2, "q": 5}
EXPR = "sum(E .* (A'*diag(x)*C) .* (B*diag(y)*D'))"


def inputs():
    rng = np.random.default_rng(1)
    return {k: rng.standard_normal(tuple(SIZES[d] for d in v[v.index("(") + 1:-1].split(",")))
            for k, v in VARS.items()}


def reference(a):
    return np.sum(a["E"] * (a["A"].T @ np.diag(a["x"]) @ a["C"]) * (a["B"] @ np.diag(a["y"]) @ a["D"].T))


@pytest.mark.parametrize("layout", fd.LAYOUTS)
def test_two_index_result_without_matrix_form_comes_in_index_notation(layout):
    a = inputs()
    r = md.derivative(EXPR, wrt=["x", "y"], vars=VARS, layout=layout)
    assert r.expr is None and r.text.startswith("T[")
    want = fd.reference(reference, a, ["x", "y"], layout)
    got = r.evaluate(**a)
    fd.assert_close(got, want, fd.TOLS[2], what=f"{EXPR} by x, y ({layout}) = {r.text!r}")
    assert fd.resolve_shape(r.shape, SIZES) == np.shape(want)
    again = md.evaluate(r.text, vars=VARS, shape=np.shape(want), **a)
    fd.assert_close(again, got, 1e-9, what=f"md.evaluate({r.text!r})")
    assert r.latex.startswith("T_")
    assert r.steps.text.rstrip().endswith(r.text)


def test_the_first_derivative_keeps_its_matrix_form():
    a = inputs()
    r = md.derivative(EXPR, wrt="x", vars=VARS)
    assert r.expr is not None
    fd.assert_close(r.evaluate(**a), fd.reference(reference, a, "x"), fd.TOLS[1], what=r.text)
