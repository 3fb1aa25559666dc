"""md.check where matdiff has no derivative of its own (finite differences alone decide the
verdict), and the random inputs a check draws, which follow the function table's domains
(the claims, verdicts, command lines and sheets: test_check.py)."""
from __future__ import annotations

import numpy as np
import pytest

import matdiff as md
from support.reference import expm
from matdiff.check import check, draw_samples, parse_claim
from matdiff.errors import NotSupportedError


# ---- claims matdiff has no derivative of its own for: finite differences decide -----------
# Each expression below is one matdiff refuses to differentiate (asserted first), so the
# verdict rests on central finite differences alone. The expected derivatives are worked out
# by hand; the values in the counterexamples are compared with independent NumPy formulas.

NO_SYMBOLIC_HOLDS = [
    # tr(expm(X)*expm(X)) = tr(expm(2*X)), so the gradient is 2*expm(2*X)' (matdiff refuses:
    # d expm(X) inside a product needs the Frechet derivative)
    ("d/dX tr(expm(X)*expm(X)) = 2*expm(2*X)'", None, "mixed"),
    ("d/dX tr(expm(X)*expm(X)) = 2*expm(2*X)", None, "numerator"),
    # logdet(expm(X)) = tr(X)
    ("d/dX logdet(expm(X)) = I", None, "mixed"),
    ("d/dt logdet(expm(t*A + B)) = tr(A)", ["t: scalar"], "mixed"),
]

# matdiff refused these (vec by a matrix) until it read vec indices back as index pairs; now
# its own derivative decides.  vec(X)'*vec(A) = tr(A'X); within symmetric matrices the
# gradient is (A + A')/2, within diagonal ones diag(diag(A))
VEC_CLAIMS_HOLD = [
    ("d/dX vec(X)'*vec(A) = A", ["X: matrix(m,n)", "A: matrix(m,n)"], "mixed"),
    ("d/dX vec(X)'*vec(A) = A'", ["X: matrix(m,n)", "A: matrix(m,n)"], "numerator"),
    ("d/dX vec(X)'*vec(A) = (A + A')/2", ["X: matrix(n,n) symmetric", "A: matrix(n,n)"], "mixed"),
    ("d/dX vec(X)'*vec(A) = diag(diag(A))", ["X: matrix(n,n) diagonal", "A: matrix(n,n)"],
     "mixed"),
    ("d/dX vec(X)'*vec(X) = 2*X", None, "mixed"),
    # three indices, claimed in the vec form: d vec(vec(X))/d vec(X)' = I
    ("d/dX vec(X) = I", None, "mixed"),
]


@pytest.mark.parametrize("claim,vars,layout", VEC_CLAIMS_HOLD)
def test_vec_claims_hold(claim, vars, layout):
    c = parse_claim(claim, layout)
    md.derivative(c.expression, c.wrt, vars=vars, layout=c.layout, order=c.order)  # not refused
    v = check(claim, vars=vars, layout=layout, trials=4)
    assert v.holds and v.kind == "holds" and not v.no_symbolic, v.report()


def _refused(claim: str, vars, layout: str) -> NotSupportedError:
    c = parse_claim(claim, layout)
    with pytest.raises(NotSupportedError) as err:
        md.derivative(c.expression, c.wrt, vars=vars, layout=c.layout, order=c.order)
    return err.value


@pytest.mark.parametrize("claim,vars,layout", NO_SYMBOLIC_HOLDS)
def test_no_symbolic_form_holds_numerically(claim, vars, layout):
    refusal = _refused(claim, vars, layout)
    v = check(claim, vars=vars, layout=layout, trials=4)
    assert v.holds, v.report()
    assert v.method == "numeric" and v.kind == "holds" and v.trials == 4
    assert v.correct is None and v.no_symbolic == str(refusal)
    assert v.max_difference < 1e-6
    report = v.report()
    assert "holds (numerically: at 4 random inputs" in report
    assert "matdiff has no symbolic form to compare" in report
    d = v.to_dict()
    assert d["holds"] is True and d["correct"] is None
    assert d["no_symbolic_form"] == str(refusal)


def _values(v):
    ce = v.counterexample
    return ce.inputs, np.asarray(ce.claimed, float), np.asarray(ce.correct, float)


def test_no_symbolic_form_fails_transposed():
    claim = "d/dX tr(expm(X)*expm(X)) = 2*expm(2*X)"
    _refused(claim, None, "mixed")
    v = check(claim)
    assert not v and v.kind == "transposed" and v.method == "numeric"
    inputs, claimed, correct = _values(v)
    X = np.asarray(inputs["X"], float)
    np.testing.assert_allclose(claimed, 2 * expm(2 * X), rtol=1e-10)
    np.testing.assert_allclose(correct, 2 * expm(2 * X).T, rtol=1e-6, atol=1e-6)
    assert v.counterexample.max_difference == pytest.approx(
        np.max(np.abs(2 * expm(2 * X) - 2 * expm(2 * X).T)), rel=1e-6)
    assert "finite differences" in str(v.counterexample)


def test_no_symbolic_form_fails_factor():
    _refused("d/dX tr(expm(X)*expm(X)) = expm(2*X)'", None, "mixed")
    v = check("d/dX tr(expm(X)*expm(X)) = expm(2*X)'")
    assert not v and v.kind == "factor" and v.diagnosis == "constant factor 1/2"
    inputs, claimed, correct = _values(v)
    X = np.asarray(inputs["X"], float)
    np.testing.assert_allclose(correct, 2 * expm(2 * X).T, rtol=1e-6, atol=1e-6)


def test_no_symbolic_form_fails_wrong_with_counterexample():
    vars = ["t: scalar"]
    claim = "d/dt tr(A*expm(t*A + B)) = tr(A)"
    _refused(claim, vars, "mixed")
    v = check(claim, vars=vars)
    assert not v and v.kind == "wrong" and v.method == "numeric"
    inputs, claimed, correct = _values(v)
    t, A, B = (np.asarray(inputs[k], float) for k in ("t", "A", "B"))
    assert float(claimed) == pytest.approx(np.trace(A))
    h = 1e-5   # the Frechet derivative has no closed form: an independent central difference
    fd_value = (np.trace(A @ expm((t + h) * A + B)) - np.trace(A @ expm((t - h) * A + B))) / (2 * h)
    assert float(correct) == pytest.approx(fd_value, rel=1e-5)
    assert "fails (numerically) - wrong" in v.report()


def test_no_symbolic_form_symmetric_variable_fails():
    # for a symmetric X the unstructured gradient A is not the derivative: (A + A')/2 is
    vars = ["X: matrix(n,n) symmetric", "A: matrix(n,n)"]
    v = check("d/dX vec(X)'*vec(A) = A", vars=vars)
    assert not v
    inputs, claimed, correct = _values(v)
    A = np.asarray(inputs["A"], float)
    np.testing.assert_allclose(correct, (A + A.T) / 2, rtol=1e-8, atol=1e-10)


def test_vec_claim_in_the_other_layout():
    vars = ["X: matrix(m,n)", "A: matrix(m,n)"]
    v = check("d/dX vec(X)'*vec(A) = A'", vars=vars)        # mixed: the gradient is m×n
    assert not v and v.kind == "layout" and v.detail == "in the mixed layout it is A"


def test_no_symbolic_form_nothing_to_difference():
    # the second derivative of tr(expm(X)*expm(X)) needs a first derivative to difference: none
    with pytest.raises(NotSupportedError):
        check("d2/dX2 tr(expm(X)*expm(X)) = 0")


# ---- random inputs follow the function table's domains ---------------------------------------

@pytest.mark.parametrize("claim,holds", [
    # d arcsin(u) = du/sqrt(1 - u^2), d arccos(u) = -du/sqrt(1 - u^2) (by hand)
    ("d/dx sum(arcsin(x)) = (ones - x.^2).^(-1/2)", True),
    ("d/dX sum(arccos(X)) = -(ones - X.^2).^(-1/2)", True),
    ("d/dX sum(arccos(X)) = (ones - X.^2).^(-1/2)", False),
    ("d/dx arcsin(x) = diag((ones - x.^2).^(-1/2))", True),
    ("d/dx sum(log(arcsin(x))) = (ones - x.^2).^(-1/2) ./ arcsin(x)", True),
])
def test_unit_interval_inputs(claim, holds):
    # variables under arcsin/arccos are drawn inside (-1, 1), away from the edges where the
    # derivative is infinite (drawn positive, most vectors fell outside and no input was valid)
    v = check(claim, trials=4)
    assert bool(v) is holds, v.report()
    if not holds:      # the arccos claim with the wrong sign: matdiff's value, from the inputs
        X = np.asarray(v.counterexample.inputs["X"], float)
        assert np.all(np.abs(X) < 1)
        np.testing.assert_allclose(v.counterexample.correct, -(1 - X**2) ** -0.5, rtol=1e-10)
        assert v.kind == "sign"


def test_samples_respect_the_domains():
    from matdiff.shapes import typecheck
    t = typecheck("sum(arcsin(x)) + sum(log(y)) + logdet(A) + sum(abs(z))", None)
    for s in draw_samples(t.variables, [t.expr], 20, seed=1):
        x, y, A, z = (np.asarray(s.arrays[k]) for k in "xyAz")
        assert np.all(np.abs(x) < 0.95) and np.all(y > 0.05)
        assert np.linalg.det(A) > 0 and np.linalg.cond(A) < 1e6
        assert np.all(np.abs(z) > 0.05)
