"""Every recorded derivation step names the rule that was applied (issue 14, item 10).

For a table of derivatives that between them apply every rule of ``diff.py``, the set of rule
names in the steps is exactly the rules that the derivative needs (a rule that is applied but
named wrongly, or a name left out, fails), and each step agrees numerically with the one before
it (``Steps.differences``: a derivative not yet expanded is taken by central finite
differences of the original expression, so the chain from the definition to the printed
result does not trust matdiff's rules).  Fast: it is part of scripts/mutation.sh's runner.
"""
from __future__ import annotations

import pytest

import matdiff as md
from matdiff.check import draw_samples

VAR = "the variable itself: ∂X[a,b]/∂X[i,j] = δ[a,i]*δ[b,j]"
TR, PROD, SUM = "d tr(U) = tr(dU)", "product rule", "d sum(U) = sum(dU)"
ADD, TRANSPOSE = "sum rule: d(U + V) = dU + dV", "transpose: d(U') = (dU)'"
INV = "d inv(U) = -inv(U) dU inv(U)"
POW = "d u^v = v*u^(v - 1) du + log(u)*u^v dv"
KRON = "d kron(A, B) = kron(dA, B) + kron(A, dB), δ[p,c,a]: p the row index of (c,a)"
VEC = "d vec(U) = vec(dU), δ[k,a,b]: k the vec index of (a,b)"

CASES = [   # expression, variable, declarations, the rules it applies
    ("tr(A*X*B)", "X", None, {TR, PROD, VAR}),
    ("alpha*x", "alpha", None, {PROD, VAR}),
    ("x'*A*x", "x", None, {PROD, TRANSPOSE, VAR}),
    ("x .* exp(x)", "x", None, {"Hadamard product rule", "chain rule through exp", VAR}),
    ("sum(sigmoid(W*x))", "W", None, {SUM, "chain rule through sigmoid", PROD, VAR}),
    ("norm2(A*x + b)^2", "x", None,
     {"power rule", "d norm2(u) = u'*du/norm2(u)", ADD, PROD, VAR}),
    ("tr(X^3)", "X", None, {TR, "matrix power rule", VAR}),
    ("tr(X^-2)", "X", None, {"X^-k = inv(X)^k", TR, "matrix power rule", INV, VAR}),
    ("tr(expm(X))", "X", None, {"d tr(expm(V)) = tr(expm'(V) dV)", VAR}),
    ("expm(alpha*A)", "alpha", None, {"d expm(s*M) = ds*M*expm(s*M)", VAR}),
    ("det(X)", "X", None, {"d det(U) = det(U) tr(inv(U) dU)", VAR}),
    ("tr(adj(X))", "X", None, {TR, "d adj(U) = d(det(U) inv(U))"}),
    ("logdet(X)", "X", None, {"d logdet(U) = tr(inv(U) dU)", VAR}),
    ("tr(A*inv(X))", "X", None, {TR, PROD, INV, VAR}),
    ("diag(x)", "x", None, {"d diag(u) = diag(du)", VAR}),
    ("diag(X)", "X", None, {"d diag(U) = diag(dU)", VAR}),
    ("norm1(x)", "x", None, {"d norm1(u) = sign(u)'*du", VAR}),
    ("logsumexp(x)", "x", None, {"d logsumexp(u) = softmax(u)'*du", VAR}),
    ("softmax(x)", "x", None,
     {"d softmax(u) = softmax(u) .* du - softmax(u)*(softmax(u)'*du)", VAR}),
    ("alpha^beta", "alpha", None, {POW, VAR}),
    ("alpha^beta", "beta", None, {POW, VAR}),
    # vec and kron by anything: dU in index notation with the vec index's delta δ[k,a,b]
    ("vec(alpha*A)", "alpha", None, {VEC, PROD, VAR}),
    ("vec(x*z')", "x", None, {VEC, PROD, VAR}),
    ("kron(x, z)", "x", None, {"kron(a, b) = vec(b*a') for vectors a, b", VEC, PROD, TRANSPOSE, VAR}),
    ("vec(X)'*vec(X)", "X", None,
     {VEC, PROD, TRANSPOSE, VAR}),
    ("kron(alpha*C, A)", "alpha", None, {KRON, PROD, VAR}),
    ("kron(A, alpha*C)", "alpha", None, {KRON, PROD, VAR}),
    ("tr(kron(C, E))", "C", {"C": "matrix(n,n)", "E": "matrix(p,p)"}, {KRON, TR, VAR}),
    ("sum(kron(X, B))", "X", None, {KRON, SUM, VAR}),
]


@pytest.mark.parametrize("expression, wrt, vars_, rules", CASES,
                         ids=[f"{c[0]} by {c[1]}" for c in CASES])
def test_each_step_names_the_rule_applied(expression, wrt, vars_, rules):
    r = md.derivative(expression, wrt=wrt, vars=vars_)
    steps = r.steps
    named = {name for s in steps if s.kind == "rule" for name in s.rule.split("; ")}
    assert named == rules, steps.text
    assert steps[-1].text == r.text
    for sample in draw_samples(r.typed.variables, [r.typed.expr], 1, seed=5,
                               ties=r.typed.ties):
        diffs = steps.differences(**sample.arrays)
        assert any(d is not None for d in diffs), steps.text
        assert all(d is None or d < 1e-6 for d in diffs), steps.text
