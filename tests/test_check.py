"""Checking claimed derivatives (matdiff.check, ``matdiff check``) and the verified cheat
sheet (``matdiff sheet``, docs/cheatsheet-*.md).

* every formula of tests/data/seeds.json, as the seed states it: the right ones hold, the
  seed's printed wrong answers fail with the right diagnosis;
* more than thirty realistic wrong claims, each flagged with the right diagnosis, and their
  corrected versions holding;
* the verdict object, its counterexample (a real one), the claim grammar, bad input, the
  command lines (exit 0 / 1 / 2), and the committed cheat sheets.

Claims matdiff has no derivative of its own for, and the inputs a check draws:
test_check_numeric.py.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import matdiff as md
from matdiff import cli
from matdiff.check import (Verdict, build_sheet, check, draw_samples, parse_claim, read_sheet,
                           sheet_markdown)
from matdiff.errors import MatdiffError

ROOT = Path(__file__).resolve().parents[1]
SEEDS = json.loads((ROOT / "tests" / "data" / "seeds.json").read_text(encoding="utf-8"))
DOCS = ROOT / "docs"


# ---- the seeds, as they state their formulas ---------------------------------------------

# Results with four indices, in the seeds' own index notation (∂F_kl/∂x_ij), as language text.
INDEX_FORMS = {
    "s002-idx-inv": "T[k,l,i,j] = -inv(X)[k,i]*inv(X)[j,l]",
    "s002-idx-X": "T[k,l,i,j] = δ[k,i]*δ[l,j]",
    "s002-idx-XA": "T[k,l,i,j] = δ[k,i]*A[j,l]",
    "s002-idx-XtA": "T[k,l,i,j] = δ[k,j]*A[i,l]",
    "s002-idx-XA-J": "T[k,l,i,j] = δ[k,i]*A[j,l]",          # (J^ij A)_kl
    "s002-idx-XtA-J": "T[k,l,i,j] = δ[k,j]*A[i,l]",         # (J^ji A)_kl
    "s002-idx-Xpow2": "T[k,l,i,j] = δ[k,i]*X[j,l] + X[k,i]*δ[j,l]",
    "s002-idx-Xpow3": "T[k,l,i,j] = δ[k,i]*(X^2)[j,l] + X[k,i]*X[j,l] + (X^2)[k,i]*δ[j,l]",
    "s002-idx-Xpow4": ("T[k,l,i,j] = δ[k,i]*(X^3)[j,l] + X[k,i]*(X^2)[j,l] + (X^2)[k,i]*X[j,l]"
                       " + (X^3)[k,i]*δ[j,l]"),
    "s002-idx-XtAX": "T[k,l,i,j] = δ[k,j]*(A*X)[i,l] + δ[l,j]*(X'*A)[k,i]",
}


def _printed_power_sum(n: int) -> str:
    """The seed's printed (wrong) Σ_(r=0..n−1) ((X^r)ᵀXⁿbaᵀ(X^(n−r−1))ᵀ + X^(n−r−1)baᵀ(Xⁿ)ᵀX^r)."""
    return " + ".join(f"(X^{r})'*X^{n}*b*a'*(X^{n - r - 1})' + X^{n - r - 1}*b*a'*(X^{n})'*X^{r}"
                      for r in range(n))


# What the seeds printed where they are wrong (seed_correct false; see `formula` and `note`),
# and the diagnosis each must get.
PRINTED_WRONG = {
    # ∂²/∂x ‖Ax + b‖² = 2Aᵀ(Ax + b): a second derivative is claimed, the first is printed
    "s003-normsq-affine": ("d2/dx2 norm2(A*x + b)^2 = 2*A'*(A*x + b)", "order",
                           "wrong order: this is the first derivative"),
    # the first term of each pair is the transpose of the right one
    "s002-pow-aTXnTXnb-2": (f"d/dX a'*(X^2)'*X^2*b = {_printed_power_sum(2)}", "terms transposed",
                            "terms transposed: 1, 3 of 4"),
    "s002-pow-aTXnTXnb-3": (f"d/dX a'*(X^3)'*X^3*b = {_printed_power_sum(3)}", "terms transposed",
                            "terms transposed: 1, 3, 5 of 6"),
    "s002-pow-aTXnTXnb-4": (f"d/dX a'*(X^4)'*X^4*b = {_printed_power_sum(4)}", "terms transposed",
                            "terms transposed: 1, 3, 5, 7 of 8"),
}


def _lhs(seed) -> str:
    k = seed["order"]
    return f"d/d{seed['wrt']}" if k == 1 else f"d{k}/d{seed['wrt']}{k}"


def _seed_claim(seed) -> str:
    rhs = seed["expected"] if seed["expected"] is not None else INDEX_FORMS[seed["id"]]
    return f"{_lhs(seed)} {seed['expr']} = {rhs}"


def test_every_wrong_seed_is_encoded():
    assert {s["id"] for s in SEEDS if not s["seed_correct"]} == set(PRINTED_WRONG)
    assert {s["id"] for s in SEEDS if s["expected"] is None} == set(INDEX_FORMS)


@pytest.mark.parametrize("seed", SEEDS, ids=[s["id"] for s in SEEDS])
def test_seed_formula_as_stated(seed):
    if seed["seed_correct"]:
        v = check(_seed_claim(seed), vars=seed["vars"], layout=seed["layout"])
        assert v, v.report()
        assert v.holds and v.kind == "holds" and v.diagnosis == "holds"
        assert v.counterexample is None
    else:
        claim, kind, diagnosis = PRINTED_WRONG[seed["id"]]
        v = check(claim, vars=seed["vars"], layout=seed["layout"])
        assert not v, v.report()
        assert (v.kind, v.diagnosis) == (kind, diagnosis), v.report()
        # matdiff's correct answer is the seed's corrected one
        if seed["order"] == v.claim.order:
            assert check(f"{_lhs(seed)} {seed['expr']} = {seed['expected']}", vars=seed["vars"],
                         layout=seed["layout"]).holds


@pytest.mark.parametrize("seed", [s for s in SEEDS if s.get("expected_vec")],
                         ids=[s["id"] for s in SEEDS if s.get("expected_vec")])
def test_seed_vec_form(seed):
    """d vec(F)/d vec(X)' (Magnus–Neudecker) is accepted for a 4-index derivative."""
    v = check(f"{_lhs(seed)} {seed['expr']} = {seed['expected_vec']}", vars=seed["vars"],
              layout=seed["layout"])
    assert v, v.report()


# ---- realistic wrong claims --------------------------------------------------------------

SQ = {"A": "matrix(n,n)", "x": "vector(n)"}
REC = {"A": "matrix(p,m)", "X": "matrix(m,n)", "B": "matrix(n,p)"}
SYMX = {"X": "matrix(n,n) symmetric", "A": "matrix(n,n)"}
WRONG = [
    # ---- the answer in another layout
    ("layout-trAXB", "d/dX tr(A*X*B) = A'*B'", REC, "numerator", "layout",
     "other layout: this is the denominator layout answer", "d/dX tr(A*X*B) = B*A"),
    ("layout-trAX", "d/dX tr(A*X) = A'", {"A": "matrix(n,m)", "X": "matrix(m,n)"}, "numerator",
     "layout", "other layout: this is the denominator layout answer", "d/dX tr(A*X) = A"),
    ("layout-Ax-mixed", "d/dx A*x = A'", {"A": "matrix(m,n)", "x": "vector(n)"}, "mixed",
     "layout", "other layout: this is the denominator layout answer", "d/dx A*x = A"),
    ("layout-Ax-denominator", "d/dx A*x = A", {"A": "matrix(m,n)", "x": "vector(n)"},
     "denominator", "layout", "other layout: this is the numerator layout answer",
     "d/dx A*x = A'"),
    ("layout-logdet", "d/dX logdet(X) = inv(X)", {"X": "matrix(n,n)"}, "denominator", "layout",
     "other layout: this is the numerator layout answer", "d/dX logdet(X) = inv(X)'"),
    ("layout-aXb", "d/dX a'*X*b = a*b'", {"X": "matrix(m,n)", "a": "vector(m)", "b": "vector(n)"},
     "numerator", "layout", "other layout: this is the denominator layout answer",
     "d/dX a'*X*b = b*a'"),
    ("layout-dxT", "d/dx' x'*y = y", {"x": "vector(n)", "y": "vector(n)"}, "denominator",
     "layout", "other layout: this is the denominator layout answer", "d/dx' x'*y = y'"),
    ("layout-det", "d/dX det(X) = det(X)*inv(X)", {"X": "matrix(n,n)"}, "denominator", "layout",
     "other layout: this is the numerator layout answer", "d/dX det(X) = det(X)*inv(X)'"),
    ("layout-xTA", "d/dx x'*A = A'", {"x": "vector(m)", "A": "matrix(m,n)"}, "denominator",
     "layout", "other layout: this is the numerator layout answer", "d/dx x'*A = A"),
    ("layout-grad-row", "d/dx x'*A*x = x'*(A + A')", SQ, "mixed", "layout",
     "other layout: this is the numerator layout answer", "d/dx x'*A*x = (A + A')*x"),
    # ---- a missing transpose (no layout shows it so: a matrix by a scalar)
    ("transposed-UT", "d/dt (P + t*Q)' = Q", {"P": "matrix(m,n)", "Q": "matrix(m,n)", "t": "scalar"},
     "mixed", "transposed", "transposed", "d/dt (P + t*Q)' = Q'"),
    ("transposed-AU", "d/dt A*(C + t*D) = D'*A'",
     {"A": "matrix(m,n)", "C": "matrix(n,p)", "D": "matrix(n,p)", "t": "scalar"}, "numerator",
     "transposed", "transposed", "d/dt A*(C + t*D) = A*D"),
    ("transposed-inverse", "d/dt inv(P + t*Q) = -inv(P + t*Q)'*Q'*inv(P + t*Q)'",
     {"P": "matrix(n,n) spd", "Q": "matrix(n,n)", "t": "scalar"}, "denominator", "transposed",
     "transposed", "d/dt inv(P + t*Q) = -inv(P + t*Q)*Q*inv(P + t*Q)"),
    # ---- a factor 2 that needs a symmetric matrix
    ("symmetric-quad", "d/dx x'*A*x = 2*A*x", SQ, "mixed", "symmetric",
     "holds only for symmetric A", "d/dx x'*A*x = (A + A')*x"),
    ("symmetric-trXtAX", "d/dX tr(X'*A*X) = 2*A*X", {"A": "matrix(m,m)", "X": "matrix(m,n)"},
     "mixed", "symmetric", "holds only for symmetric A", "d/dX tr(X'*A*X) = (A + A')*X"),
    ("symmetric-trXAXt", "d/dX tr(X*A*X') = 2*X*A", {"A": "matrix(n,n)", "X": "matrix(m,n)"},
     "mixed", "symmetric", "holds only for symmetric A", "d/dX tr(X*A*X') = X*(A + A')"),
    ("symmetric-hessian", "d2/dx2 x'*A*x = 2*A", SQ, "mixed", "symmetric",
     "holds only for symmetric A", "d2/dx2 x'*A*x = A + A'"),
    ("symmetric-mahalanobis", "d/dx (x - mu)'*S*(x - mu) = 2*S*(x - mu)",
     {"S": "matrix(n,n)", "x": "vector(n)", "mu": "vector(n)"}, "mixed", "symmetric",
     "holds only for symmetric S", "d/dx (x - mu)'*S*(x - mu) = (S + S')*(x - mu)"),
    ("symmetric-residual", "d/dX (a - X*b)'*C*(a - X*b) = -2*b*(a - X*b)'*C",
     {"X": "matrix(m,n)", "a": "vector(m)", "b": "vector(n)", "C": "matrix(m,m)"}, "numerator",
     "symmetric", "holds only for symmetric C", "d/dX (a - X*b)'*C*(a - X*b) = -b*(a - X*b)'*(C + C')"),
    # ---- a constant factor
    ("factor-xx", "d/dx x'*x = x", {"x": "vector(n)"}, "mixed", "factor", "constant factor 1/2",
     "d/dx x'*x = 2*x"),
    ("factor-trXtX", "d/dX tr(X'*X) = X", {"X": "matrix(m,n)"}, "mixed", "factor",
     "constant factor 1/2", "d/dX tr(X'*X) = 2*X"),
    ("factor-least-squares", "d/dx norm2(A*x - b)^2 = A'*(A*x - b)",
     {"A": "matrix(m,n)", "x": "vector(n)", "b": "vector(m)"}, "mixed", "factor",
     "constant factor 1/2", "d/dx norm2(A*x - b)^2 = 2*A'*(A*x - b)"),
    ("factor-trX3", "d/dX tr(X^3) = X^2", {"X": "matrix(n,n)"}, "numerator", "factor",
     "constant factor 1/3", "d/dX tr(X^3) = 3*X^2"),
    ("factor-norm", "d/dx norm2(x) = 2*x/norm2(x)", {"x": "vector(n)"}, "mixed", "factor",
     "constant factor 2", "d/dx norm2(x) = x/norm2(x)"),
    # ---- the sign on an inverse
    ("sign-trinv", "d/dX tr(inv(X)) = inv(X)^2", {"X": "matrix(n,n)"}, "numerator", "sign",
     "wrong sign", "d/dX tr(inv(X)) = -inv(X)^2"),
    ("sign-inverse-t", "d/dt inv(P + t*Q) = inv(P + t*Q)*Q*inv(P + t*Q)",
     {"P": "matrix(n,n) spd", "Q": "matrix(n,n)", "t": "scalar"}, "mixed", "sign", "wrong sign",
     "d/dt inv(P + t*Q) = -inv(P + t*Q)*Q*inv(P + t*Q)"),
    ("sign-trAinv", "d/dX tr(A*inv(X)) = inv(X)*A*inv(X)", {"A": "matrix(n,n)", "X": "matrix(n,n)"},
     "numerator", "sign", "wrong sign", "d/dX tr(A*inv(X)) = -inv(X)*A*inv(X)"),
    ("sign-aXinvb", "d/dX a'*inv(X)*b = inv(X)'*a*b'*inv(X)'",
     {"X": "matrix(n,n)", "a": "vector(n)", "b": "vector(n)"}, "mixed", "sign", "wrong sign",
     "d/dX a'*inv(X)*b = -inv(X)'*a*b'*inv(X)'"),
    # ---- symmetric X: the Matrix Cookbook's G + G' - diag(G), and the unstructured G
    ("cookbook-trAX", "d/dX tr(A*X) = A + A' - A .* I", SYMX, "mixed", "cookbook",
     "Matrix Cookbook's G + G' - diag(G)", "d/dX tr(A*X) = (A + A')/2"),
    ("cookbook-logdet", "d/dX logdet(X) = 2*inv(X) - inv(X) .* I", {"X": "matrix(n,n) spd"},
     "mixed", "cookbook", "Matrix Cookbook's G + G' - diag(G)", "d/dX logdet(X) = inv(X)"),
    ("cookbook-aXa", "d/dX a'*X*a = 2*a*a' - (a*a') .* I",
     {"X": "matrix(n,n) symmetric", "a": "vector(n)"}, "mixed", "cookbook",
     "Matrix Cookbook's G + G' - diag(G)", "d/dX a'*X*a = a*a'"),
    ("cookbook-xXy", "d/dX x'*X*y = x*y' + y*x' - (x*y') .* I",
     {"X": "matrix(n,n) symmetric", "x": "vector(n)", "y": "vector(n)"}, "mixed", "cookbook",
     "Matrix Cookbook's G + G' - diag(G)", "d/dX x'*X*y = (x*y' + y*x')/2"),
    ("unstructured-trAX", "d/dX tr(A*X) = A'", SYMX, "mixed", "unstructured", "unstructured G",
     "d/dX tr(A*X) = (A + A')/2"),
    ("unstructured-xXy", "d/dX x'*X*y = x*y'",
     {"X": "matrix(n,n) symmetric", "x": "vector(n)", "y": "vector(n)"}, "mixed",
     "unstructured", "unstructured G", "d/dX x'*X*y = (x*y' + y*x')/2"),
    ("unstructured-diagonal", "d/dD tr(D*A) = A'", {"D": "matrix(n,n) diagonal"}, "mixed",
     "unstructured", "unstructured G: D is diagonal", "d/dD tr(D*A) = A .* I"),
    # ---- the derivative of another order
    ("order-hessian-as-gradient", "d2/dx2 norm2(A*x - b)^2 = 2*A'*(A*x - b)",
     {"A": "matrix(m,n)", "x": "vector(n)", "b": "vector(m)"}, "mixed", "order",
     "wrong order: this is the first derivative", "d2/dx2 norm2(A*x - b)^2 = 2*A'*A"),
    ("order-gradient-as-hessian", "d/dx x'*A*x = A + A'", SQ, "mixed", "order",
     "wrong order: this is the second derivative", "d/dx x'*A*x = (A + A')*x"),
    # ---- the product rule with a term missing
    ("missing-trXAXt", "d/dX tr(X*A*X') = A*X'", {"A": "matrix(n,n)", "X": "matrix(m,n)"},
     "numerator", "missing term", "missing term: A'*X'", "d/dX tr(X*A*X') = (A + A')*X'"),
    ("missing-UV", "d/dt (A + t*B)*(C + t*D) = B*(C + t*D)",
     {"A": "matrix(m,n)", "B": "matrix(m,n)", "C": "matrix(n,p)", "D": "matrix(n,p)", "t": "scalar"},
     "mixed", "missing term", "missing term: (A + t*B)*D",
     "d/dt (A + t*B)*(C + t*D) = B*(C + t*D) + (A + t*B)*D"),
    ("missing-quad", "d/dx x'*A*x = A*x", SQ, "mixed", "missing term", "missing term: A'*x",
     "d/dx x'*A*x = A*x + A'*x"),
    # ---- some terms transposed, or with the wrong sign
    ("term-transposed", "d/dX tr(X*A*X*B) = B'*X'*A' + B*X*A",
     {"A": "matrix(n,n)", "B": "matrix(n,n)", "X": "matrix(n,n)"}, "numerator",
     "terms transposed", "term transposed: 1 of 2", "d/dX tr(X*A*X*B) = A*X*B + B*X*A"),
    ("term-sign", "d/dX tr(A*X) - tr(X*B) = A + B", {"A": "matrix(n,m)", "B": "matrix(n,m)",
     "X": "matrix(m,n)"}, "numerator", "terms sign", "term with the wrong sign: 2 of 2",
     "d/dX tr(A*X) - tr(X*B) = A - B"),
]


def test_enough_wrong_claims():
    assert len(WRONG) >= 30
    assert {w[4] for w in WRONG} >= {"layout", "transposed", "symmetric", "factor", "sign",
                                       "cookbook", "unstructured", "order", "missing term"}


@pytest.mark.parametrize("case", WRONG, ids=[w[0] for w in WRONG])
def test_wrong_claim_diagnosed(case):
    _, claim, vars_, layout, kind, diagnosis, _ = case
    v = check(claim, vars=vars_, layout=layout)
    assert not v and not v.holds, v.report()
    assert v.kind == kind, v.report()
    assert v.diagnosis.startswith(diagnosis), v.report()
    assert v.counterexample is not None
    # matdiff's answer comes in the claim's layout
    c = parse_claim(claim, layout)
    r = md.derivative(c.expression, c.wrt, vars=vars_, layout=c.layout, order=c.order)
    assert v.correct.text == r.text


@pytest.mark.parametrize("case", WRONG, ids=[w[0] for w in WRONG])
def test_corrected_claim_holds(case):
    _, _, vars_, layout, _, _, corrected = case
    v = check(corrected, vars=vars_, layout=layout)
    assert v and v.holds and v.diagnosis == "holds", v.report()


# ---- the verdict ---------------------------------------------------------------------------

def test_verdict_holds_symbolically():
    v = check("d/dX tr(A*X*B) = B*A", layout="numerator")
    assert isinstance(v, Verdict) and bool(v) is True
    assert v.method == "symbolic" and v.trials == 3
    assert v.correct.text == "B*A"
    text = str(v)
    assert "holds" in text and "symbolically" in text


def test_verdict_holds_numerically_where_the_simplifier_cannot_tell():
    # (tr(A*X) by a symmetric X against (A + A')/2 is now decided symbolically: 0.5*(A + A'))
    v = check("d/dx sum(sin(x).^2) = sin(2*x)")   # a trigonometric identity
    assert v and v.method == "numeric"
    assert "numerically" in str(v) and "distinct dimensions" in str(v)


def test_counterexample_is_real():
    v = check("d/dx x'*A*x = 2*A*x")
    ce = v.counterexample
    assert set(ce.inputs) == {"x", "A"}
    claimed = md.evaluate("2*A*x", **ce.inputs)
    correct = md.derivative("x'*A*x", wrt="x").evaluate(**ce.inputs)
    np.testing.assert_allclose(ce.claimed, claimed)
    np.testing.assert_allclose(ce.correct, correct)
    assert ce.max_difference == pytest.approx(np.max(np.abs(claimed - correct)))
    assert ce.max_difference > 1e-3
    text = str(v)
    for part in ("fails", "holds only for symmetric A", "(A + A')*x", "largest difference",
                 "x =", "A ="):
        assert part in text, text


def test_counterexample_shape_mismatch_is_reported():
    v = check("d/dX tr(A*X*B) = A'*B'", layout="numerator")
    assert v.method == "symbolic"            # decided by the shapes alone
    assert v.counterexample.max_difference is None
    assert "matrix" in v.counterexample.shapes


def test_orientation_of_vectors_matters():
    """∂(xᵀy)/∂xᵀ is a row: a column is the denominator layout's answer (seed 003)."""
    assert check("d/dx' x'*y = y'")
    v = check("d/dx' x'*y = y")
    assert not v and v.kind == "layout" and "row vector" in v.counterexample.shapes


def test_distinct_dimensions():
    samples = draw_samples(md.derivative("tr(A*X*B)", wrt="X").typed.variables, [], 5, seed=3)
    for s in samples:
        sizes = list(s.dims.values())
        assert len(sizes) == 3 and len(set(sizes)) == 3 and all(2 <= n <= 7 for n in sizes)
        assert s.arrays["X"].shape == (s.dims["m"], s.dims["n"]) or s.arrays["X"].ndim == 2


def test_well_conditioned_inputs():
    r = md.derivative("logdet(X'*X) + tr(inv(P + t*Q))", wrt="X",
                      vars={"P": "matrix(k,k) spd", "t": "scalar"})
    for s in draw_samples(r.typed.variables, [r.typed.expr], 6, seed=1):
        X = s.arrays["X"]
        assert np.linalg.cond(X.T @ X) < 1e6
        assert np.linalg.cond(s.arrays["P"] + s.arrays["t"] * s.arrays["Q"]) < 1e6
        assert np.all(np.linalg.eigvalsh(s.arrays["P"]) > 0)


def test_verdict_to_dict():
    d = check("d/dx x'*x = x").to_dict()
    assert d["holds"] is False and d["kind"] == "factor" and d["correct"] == "2*x"
    json.dumps(d)


def test_ill_formed_claim_fails():
    v = check("d/dX tr(A*X*B) = A*B", layout="numerator")
    assert not v and v.kind == "ill-formed"


# ---- the claim grammar ----------------------------------------------------------------------

@pytest.mark.parametrize("text, expression, wrt, order, layout, result", [
    ("d/dX tr(A*X*B) = B*A", "tr(A*X*B)", "X", 1, "mixed", "B*A"),
    ("d2/dx2 x'*A*x = A + A'", "x'*A*x", "x", 2, "mixed", "A + A'"),
    ("d2/dx^2 x'*A*x = A + A'", "x'*A*x", "x", 2, "mixed", "A + A'"),
    ("d2/dx dx' x'*A*x = A + A'", "x'*A*x", "x", 2, "mixed", "A + A'"),
    ("d2/dxdx' x'*A*x = A + A'", "x'*A*x", "x", 2, "mixed", "A + A'"),
    ("d/dx' A*x = A", "A*x", "x", 1, "numerator", "A"),
    ("d(x'*a)/dx = a", "x'*a", "x", 1, "mixed", "a"),
    ("∂/∂x x'*x = 2*x", "x'*x", "x", 1, "mixed", "2*x"),
    ("∂²/∂x² x'*x = 2*I", "x'*x", "x", 2, "mixed", "2*I"),
    ("d/dx2 x2'*x2 = 2*x2", "x2'*x2", "x2", 1, "mixed", "2*x2"),
    ("d/dSigma logdet(Sigma) = inv(Sigma)", "logdet(Sigma)", "Sigma", 1, "mixed", "inv(Sigma)"),
])
def test_parse_claim(text, expression, wrt, order, layout, result):
    c = parse_claim(text)
    assert (c.expression, c.wrt, c.order, c.layout, c.result) == (expression, wrt, order, layout,
                                                                   result)


def test_dxT_form_is_numerator_whatever_the_layout():
    assert parse_claim("d/dx' x'*y = y'", layout="denominator").layout == "numerator"
    assert check("d/dx' A*x = A", layout="denominator")
    assert check("d/dx A*x = A'", layout="denominator")


@pytest.mark.parametrize("bad", [
    "tr(A*X*B) = B*A",               # no d/dX
    "d/dX tr(A*X*B)",                # no '='
    "d/dX tr(A*X*B = B*A",           # syntax error on the left
    "d/dX tr(A*X*B) = B*",           # syntax error on the right
    "d/dX tr(A*X*B) = ",             # nothing claimed
    "d/dY tr(A*X*B) = B*A",          # Y is not a variable
    "d/dX tr(A*X) = A + Z",          # Z does not occur
    "d2/dx3 x'*x = 2*I",             # orders disagree
    "",
])
def test_bad_input_raises(bad):
    with pytest.raises(MatdiffError):
        check(bad)


def test_exported():
    if not callable(getattr(md, "check", None)):
        pytest.skip("md.check is not exported yet: add `from .check import check` to "
                    "matdiff/__init__.py")
    assert md.check is check


# ---- the command line -----------------------------------------------------------------------

def _run(argv, capsys):
    status = cli.main(list(argv))
    out = capsys.readouterr()
    return status, out.out, out.err


def test_cli_check_holds(capsys):
    status, out, err = _run(["check", "d/dX tr(A*X*B) = B*A", "--layout", "numerator"], capsys)
    assert status == 0 and "holds" in out and not err


def test_cli_check_fails(capsys):
    status, out, err = _run(["check", "d/dX tr(A*X*B) = A'*B'", "--layout", "numerator"], capsys)
    assert status == 1
    assert "other layout: this is the denominator layout answer" in out and "B*A" in out


def test_cli_check_declarations_and_json(capsys):
    status, out, _ = _run(["check", "d/dX logdet(X) = 2*inv(X) - inv(X) .* I",
                           "--var", "X: matrix(n,n) spd", "--format", "json"], capsys)
    assert status == 1
    d = json.loads(out)
    assert d["kind"] == "cookbook" and d["correct"] == "inv(X)"


@pytest.mark.parametrize("argv", [["check", "d/dX tr(A*X*B = B*A"], ["check"],
                                  ["check", "x'*x = 2*x"], ["check", "d/dx x'*x = 2*x", "--bogus"]])
def test_cli_check_bad_input(argv, capsys):
    status, out, err = _run(argv, capsys)
    assert status == 2
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("matdiff: error:")


# ---- the cheat sheet ----------------------------------------------------------------------------

SHEET = """\
# a comment
## Quadratic forms
d/dx x'*A*x where A: matrix(n,n), x: vector(n)
d2/dx2 x'*A*x
d/dX tr(X*A*X') ; X: matrix(m,n); A: matrix(n,n)
## Inverses
d/dX logdet(X) where X: matrix(n,n) spd
d/dt inv(P + t*Q) where P: matrix(n,n) spd, Q: matrix(n,n), t: scalar
"""


def test_read_sheet():
    entries = read_sheet(SHEET)
    assert [(e.expression, e.wrt, e.order, e.section) for e in entries] == [
        ("x'*A*x", "x", 1, "Quadratic forms"), ("x'*A*x", "x", 2, "Quadratic forms"),
        ("tr(X*A*X')", "X", 1, "Quadratic forms"), ("logdet(X)", "X", 1, "Inverses"),
        ("inv(P + t*Q)", "t", 1, "Inverses")]
    assert entries[4].vars == ["P: matrix(n,n) spd", "Q: matrix(n,n)", "t: scalar"]


def test_sheet_lines_are_checked_and_true():
    lines, failures = build_sheet(read_sheet(SHEET), "numerator")
    assert not failures and len(lines) == 5
    for ln in lines:
        assert ln.error < 1e-6
        e = ln.entry
        k = "" if e.order == 1 else str(e.order)
        assert check(f"d{k}/d{e.wrt}{k} {e.expression} = {ln.result.text}", vars=e.vars,
                     layout="numerator")
    text = sheet_markdown(lines, "numerator")
    assert "## Quadratic forms" in text and "`x'*(A + A')`" in text


def test_cli_sheet(tmp_path, capsys):
    src = tmp_path / "list.txt"
    src.write_text(SHEET, encoding="utf-8")
    out_md, out_tex = tmp_path / "sheet.md", tmp_path / "sheet.tex"
    assert cli.main(["sheet", str(src), "--layout", "denominator", "-o", str(out_md)]) == 0
    assert cli.main(["sheet", str(src), "--layout", "numerator", "-o", str(out_tex)]) == 0
    assert "`(A + A')*x`" in out_md.read_text(encoding="utf-8")
    tex = out_tex.read_text(encoding="utf-8")
    assert tex.startswith("\\documentclass") and "\\begin{align*}" in tex
    status, out, err = _run(["sheet", str(tmp_path / "missing.txt")], capsys)
    assert status == 2 and "cannot read" in err
    bad = tmp_path / "bad.txt"
    bad.write_text("d/dx x'*x +\n", encoding="utf-8")
    status, out, err = _run(["sheet", str(bad)], capsys)
    assert status == 2 and "line 1" in err


# The committed cheat sheets of the seeds' formulas: every line must check out.
ROW = re.compile(r"^\| `(d(\d*)/d(\w+?)\2 (.*))` \| `(.*)` \| \$.*\$ \| (.*) \| (\S+) \|$")


@pytest.mark.parametrize("layout", ["numerator", "denominator"])
def test_committed_cheatsheet(layout):
    path = DOCS / f"cheatsheet-{layout}.md"
    assert path.exists(), f"generate it: matdiff sheet tests/data/seeds.json --layout {layout} -o {path}"
    rows = [ROW.match(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith("| `d")]
    assert rows and all(rows)
    wanted = {(s["expr"], s["wrt"], s["order"]) for s in SEEDS}
    seen = set()
    for m in rows:
        lhs, order, wrt, expression, result, decls = m.group(1, 2, 3, 4, 5, 6)
        seen.add((expression, wrt, int(order or 1)))
        result = result.replace("\\|", "|")
        v = check(f"{lhs} = {result}", vars=[d.strip() for d in re.split(r",\s*(?=\w+:)", decls)],
                  layout=layout)
        assert v, v.report()
    assert seen == wanted


def test_cli_no_symbolic_form(capsys):
    status, out, err = _run(["check", "d/dX tr(expm(X)*expm(X)) = 2*expm(2*X)'"], capsys)
    assert status == 0 and "matdiff has no symbolic form to compare" in out and not err
    status, out, err = _run(["check", "d/dX tr(expm(X)*expm(X)) = 2*expm(2*X)", "--format", "json"],
                            capsys)
    assert status == 1
    d = json.loads(out)
    assert d["holds"] is False and d["kind"] == "transposed" and d["correct"] is None
    assert "expm" in d["no_symbolic_form"]


def test_cli_sheet_of_the_seeds_json(tmp_path):
    # the committed cheat sheets' command: a JSON list of derivatives is not a claim sheet
    out = tmp_path / "seeds.md"
    assert cli.main(["sheet", str(ROOT / "tests" / "data" / "seeds.json"), "--layout", "numerator",
                     "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "## Three or more indices" in text and "| `d/dX inv(X)` |" in text
