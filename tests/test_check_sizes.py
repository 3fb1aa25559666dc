"""md.check's random sizes when typing ties sizes together (issue 14): a vec/kron size used
where another size is (``vec(X)'*A*vec(X)`` with A declared p×p ties p = m*n;
``vec(X)'*vec(Y)`` with X m×n and Y p×q ties m*n = p*q).  Every drawn sample satisfies every
tie, matdiff's derivative at it agrees with finite differences of the original expression
(written in NumPy here), a right claim holds and a doubled one fails as a constant factor."""
from __future__ import annotations

import numpy as np
import pytest

import matdiff as md
from matdiff.check import check, draw_samples
from matdiff.dims import Dim
from matdiff.errors import EvaluationError, ShapeError
from support.fd import assert_close, reference


def vec(a):
    return np.asarray(a).reshape(-1, order="F")


# (expression, wrt, declarations, NumPy reference of the expression, the right claim's result)
CASES = [
    ("alpha*vec(X)'*A*vec(X)", "alpha", {"X": "matrix(m,n)", "A": "matrix(p,p)"},
     lambda a: a["alpha"] * vec(a["X"]) @ a["A"] @ vec(a["X"]), "vec(X)'*A*vec(X)"),
    ("x'*A*vec(X)", "x", {"x": "vector(p)", "A": "matrix(p,q)"},
     lambda a: a["x"] @ a["A"] @ vec(a["X"]), "A*vec(X)"),
    ("alpha*vec(X)'*vec(Y)", "alpha", {"X": "matrix(m,n)", "Y": "matrix(p,q)"},
     lambda a: a["alpha"] * vec(a["X"]) @ vec(a["Y"]), "vec(X)'*vec(Y)"),
    ("alpha*x'*kron(X,X)*x", "alpha", {"X": "matrix(m,m)", "x": "vector(n)"},
     lambda a: a["alpha"] * a["x"] @ np.kron(a["X"], a["X"]) @ a["x"], "x'*kron(X,X)*x"),
    # 49*m*m = n*n is n = 7*m in lowest terms: computed, where a search up to the largest
    # size tried (12) finds nothing
    ("alpha*vec(Y)'*kron(a, kron(x, x))", "alpha", {"Y": "matrix(n,n)", "a": "vector(49)", "x": "vector(m)"},
     lambda a: a["alpha"] * vec(a["Y"]) @ np.kron(a["a"], np.kron(a["x"], a["x"])),
     "vec(Y)'*kron(a, kron(x, x))"),
    ("x'*kron(a,b)", "x", {"x": "vector(6)"},
     lambda a: a["x"] @ np.kron(a["a"], a["b"]), "kron(a,b)"),
    ("alpha*vec(X)'*kron(A,B)*vec(Y)", "alpha", None,
     lambda a: a["alpha"] * vec(a["X"]) @ np.kron(a["A"], a["B"]) @ vec(a["Y"]),
     "vec(X)'*kron(A,B)*vec(Y)"),
]
IDS = [c[0] for c in CASES]


def _size(d, sizes):
    return d.size(sizes.__getitem__) if isinstance(d, Dim) else sizes.get(d, d)


@pytest.mark.parametrize("expr, wrt, vars, f, right", CASES, ids=IDS)
def test_samples_satisfy_every_tie(expr, wrt, vars, f, right):
    r = md.derivative(expr, wrt=wrt, vars=vars)
    ties = r.typed.ties
    assert ties, "the case must tie a vec/kron size to another size"
    for s in draw_samples(r.typed.variables, [r.typed.expr], 4, seed=3, ties=ties):
        for a, b in ties:
            assert _size(a, s.dims) == _size(b, s.dims), (a, b, s.dims)
        assert_close(r.evaluate(**s.arrays), reference(f, s.arrays, wrt), what=expr)


@pytest.mark.parametrize("expr, wrt, vars, f, right", CASES, ids=IDS)
def test_claims_with_tied_sizes_are_decided(expr, wrt, vars, f, right):
    v = check(f"d/d{wrt} {expr} = {right}", vars=vars)
    assert v.holds, v
    doubled = check(f"d/d{wrt} {expr} = 2*({right})", vars=vars)
    assert not doubled.holds and doubled.diagnosis == "constant factor 2", doubled
    cx = doubled.counterexample
    for a, b in md.derivative(expr, wrt=wrt, vars=vars).typed.ties:
        assert _size(a, cx.dims) == _size(b, cx.dims)


def test_sizes_that_no_integer_satisfies_are_a_one_line_error():
    with pytest.raises(EvaluationError, match=r"no sizes satisfy m\*m = 6") as e:
        check("d/dalpha alpha*x'*kron(X,X)*x = x'*kron(X,X)*x",
              vars={"X": "matrix(m,m)", "x": "vector(6)"})
    assert "\n" not in str(e.value)


def test_declared_numbers_that_contradict_a_kron_size_are_a_shape_error():
    with pytest.raises(ShapeError, match=r"2\*3 = 6 is used where the size is 7"):
        md.derivative("kron(x,z)'*A*kron(x,z)", wrt="x",
                      vars={"x": "vector(2)", "z": "vector(3)", "A": "matrix(7,7)"})


# md.check compares shapes under the ties: with q = m*n (x'*A*vec(X), A p×q) a claim typed
# p×q (A - A + x*vec(X)') has the shape of matdiff's p×(m*n) answer (v, declared m*n, makes
# m*n a size that a variable fixes).  The right claim's values are those of finite
# differences of the expression at sizes drawn under the tie.
TIED = {"X": "matrix(m,n)", "A": "matrix(p,q)", "x": "vector(p)", "v": "vector(m*n)"}


@pytest.mark.parametrize("result, holds, diagnosis", [
    ("A - A + x*vec(X)'", True, "holds"),
    ("2*(A - A + x*vec(X)')", False, "constant factor 2"),
    ("(A - A)' + vec(X)*x'", False, "other layout: this is the numerator layout answer"),
    ("x*v'", False, "wrong"),
])
def test_claim_shapes_are_compared_under_the_ties(result, holds, diagnosis):
    v = check(f"d/dA x'*A*vec(X) = {result}", vars=TIED)
    assert bool(v) == holds and v.diagnosis == diagnosis, v
    assert not holds or v.method == "symbolic", v    # the simplifier decides it: equal shapes
    r = md.derivative("x'*A*vec(X)", wrt="A", vars=TIED)
    f = lambda a: a["x"] @ a["A"] @ vec(a["X"])  # noqa: E731
    for s in draw_samples(r.typed.variables, [r.typed.expr], 2, seed=4, ties=r.typed.ties):
        got = md.evaluate(result, vars=TIED, **s.arrays)
        want = reference(f, s.arrays, "A")
        if holds:
            assert_close(got, want, what=result)
        else:
            assert not np.allclose(np.asarray(got).reshape(-1), want.reshape(-1)), result
