"""Derivation steps (``Result.steps``, matdiff.steps).

* for every case of tests/data/seeds.json the steps end in the printed result, and each
  step is numerically equal to the one before it (derivatives not expanded yet are taken by
  finite differences, so the check does not trust matdiff's rules);
* the steps are matdiff's real intermediates: the last index form is the result's
  ``tensor``, the matrix forms are those the engine reached the printed form by;
* the rules are named; a wrong rule shows up as a step that does not agree with the one
  before; text, LaTeX and the command line.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import matdiff as md
from matdiff import diff
from matdiff.check import draw_samples
from matdiff.layouts import layout_transposed
from matdiff.simplify import transpose
from matdiff.steps import Steps

ROOT = Path(__file__).resolve().parents[1]
SEEDS = json.loads((ROOT / "tests" / "data" / "seeds.json").read_text(encoding="utf-8"))
TOL = 1e-6     # relative; the finite differences are good to about 1e-10


def _unique(seeds):
    seen, out = set(), []
    for s in seeds:
        key = (s["expr"], s["wrt"], s["layout"], s["order"], json.dumps(s["vars"], sort_keys=True))
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


CASES = _unique(SEEDS)


def _result(seed):
    return md.derivative(seed["expr"], wrt=seed["wrt"], vars=seed["vars"], layout=seed["layout"],
                         order=seed["order"])


def _assert_consistent(steps: Steps, samples):
    for s in samples:
        diffs = steps.differences(**s.arrays)
        for step, d in zip(steps, diffs):
            if d is not None:
                assert d < TOL, f"step {step.number} ({step.rule}) differs from the one before " \
                                f"by {d:.3g}:\n{steps.text}"
        # not comparable: only where a new derivative starts
        stages = [step.stage for step in steps]
        for k, d in enumerate(diffs):
            if d is None:
                assert k == 0 or stages[k] != stages[k - 1], steps.text


@pytest.mark.parametrize("seed", CASES, ids=[s["id"] for s in CASES])
def test_seed_steps(seed):
    r = _result(seed)
    steps = r.steps
    assert isinstance(steps, Steps) and len(steps) >= 2
    # ends in the printed result
    assert steps[-1].text == r.text
    assert steps.text.splitlines()[-1].strip() == r.text
    assert steps[0].kind == "definition" and steps[-1].kind in ("layout", "result")
    # each step numerically equal to the previous one
    samples = draw_samples(r.typed.variables, [r.typed.expr], 2, seed=7)
    _assert_consistent(steps, samples)


@pytest.mark.parametrize("seed", CASES[::7], ids=[s["id"] for s in CASES[::7]])
def test_steps_are_real_intermediates(seed):
    r = _result(seed)
    steps = r.steps
    index_steps = [s for s in steps if s.kind in ("definition", "rule", "structure")]
    last = index_steps[-1].source[1]
    assert [(t.coeff, t.factors) for t in last.terms] == \
        [(t.coeff, t.factors) for t in r.tensor.terms]
    # the matrix steps are the engine's own, recorded once (as T: transposed back where the
    # layout shows T transposed); where the layout does not change T, the last is the result
    flip = layout_transposed(r)
    recorded = [transpose(e) if flip else e for k, _, e in r.matrix_steps if k != "diagonal"]
    assert [s.source[1] for s in steps if s.kind in ("matrix", "simplify")] == recorded
    if r.expr is not None and not flip and not r.as_row:
        assert recorded[-1] == r.expr


@pytest.mark.parametrize("expression, wrt, vars_, rules", [
    ("tr(A*X*B)", "X", None, ["d tr(U) = tr(dU)", "product rule", "the variable itself"]),
    ("tr(A*inv(X))", "X", None, ["d inv(U) = -inv(U) dU inv(U)"]),
    ("logdet(X)", "X", {"X": "matrix(n,n) spd"}, ["d logdet(U) = tr(inv(U) dU)",
                                                   "X is declared symmetric"]),
    ("det(X)", "X", None, ["d det(U) = det(U) tr(inv(U) dU)"]),
    ("A*tanh(B*x)", "x", None, ["chain rule through tanh", "product rule"]),
    ("norm2(A*x + b)^2", "x", None, ["power rule", "d norm2(u) = u'*du/norm2(u)",
                                     "sum rule: d(U + V) = dU + dV"]),
    ("tr(X^3)", "X", None, ["matrix power rule"]),
    ("x'*A*x", "x", None, ["transpose: d(U') = (dU)'"]),
    ("tr(X^-2)", "X", None, ["X^-k = inv(X)^k"]),
])
def test_rules_are_named(expression, wrt, vars_, rules):
    steps = md.derivative(expression, wrt=wrt, vars=vars_).steps
    named = " | ".join(s.rule for s in steps)
    for rule in rules:
        assert rule in named, steps.text
    assert any(s.kind == "matrix" for s in steps) and steps[-1].kind == "layout"


def test_seed_style_trace_derivation():
    """∂tr(AXB)/∂X: trace, product rule, deltas, contraction, layout — as seed 002 derives it."""
    r = md.derivative("tr(A*X*B)", wrt="X", layout="numerator")
    assert [s.text for s in r.steps] == [
        "T[i,j] = ∂tr(A*X*B)/∂X[i,j]",
        "T[i,j] = ∂(A*X*B)[a,a]/∂X[i,j]",
        "T[i,j] = A[a,b]*B[c,a]*∂X[b,c]/∂X[i,j]",
        "T[i,j] = A[a,b]*B[c,a]*δ[b,i]*δ[c,j]",
        "T[i,j] = A[a,i]*B[j,a]",
        "T = A'*B'",
        "T = A'*B'",
        "B*A",
    ]
    assert "numerator layout" in r.steps[-1].rule and "transpose" in r.steps[-1].rule


def test_a_wrong_rule_is_caught(monkeypatch):
    """With d inv(U) = +inv(U) dU inv(U) (a sign lost), the step that applies it disagrees
    with the one before: the check does not trust matdiff's rules."""
    def wrong_inv(D, e, out, w):
        return [diff.Term(-t.coeff, t.factors, t.rule) for t in diff.d_inv(D, e, out, w)]
    monkeypatch.setitem(diff.FUNC_RULES, "inv", wrong_inv)
    r = md.derivative("tr(A*inv(X))", wrt="X")
    steps = r.steps
    s = draw_samples(r.typed.variables, [r.typed.expr], 1, seed=1)[0]
    diffs = steps.differences(**s.arrays)
    bad = [step.rule for step, d in zip(steps, diffs) if d is not None and d > 1e-3]
    assert bad == ["d inv(U) = -inv(U) dU inv(U)"]


def test_second_derivative_steps():
    r = md.derivative("x'*A*x", wrt="x", order=2, layout="denominator")
    steps = r.steps
    assert {s.stage for s in steps} == {1, 2}
    starts = [s for s in steps if s.kind == "definition"]
    assert len(starts) == 2 and "derivative number 2" in starts[1].rule
    assert steps[-1].text == "A + A'"


def test_symmetric_structure_step():
    r = md.derivative("tr(A*X)", wrt="X", vars={"X": "matrix(n,n) symmetric"})
    kinds = [s.kind for s in r.steps]
    assert "structure" in kinds
    s = draw_samples(r.typed.variables, [r.typed.expr], 1)[0]
    assert all(d is None or d < TOL for d in r.steps.differences(**s.arrays))


def test_unstructured_result_has_no_structure_step():
    r = md.derivative("tr(A*X)", wrt="X", vars={"X": "matrix(n,n) symmetric"},
                      options=md.Options(structured=False))
    assert "structure" not in [s.kind for s in r.steps]
    assert r.steps[-1].text == r.text


def test_zero_derivative():
    r = md.derivative("a'*a", wrt="x", vars={"a": "vector(n)", "x": "vector(n)"})
    assert r.steps[0].text == "T[i] = 0" and "nothing here depends on x" in r.steps[0].rule
    assert r.steps[-1].text == "0"


def test_text_latex_and_list():
    steps = md.derivative("tr(A*inv(X))", wrt="X", layout="numerator").steps
    assert steps.text.startswith("Derivation of d/dX tr(A*inv(X)) (numerator layout)")
    assert str(steps) == steps.text
    latex = steps.latex
    assert latex.startswith("\\begin{align*}") and latex.endswith("\\end{align*}")
    assert latex.count("\\\\\n") == len(steps) - 1
    assert "\\partial" in latex and "\\delta_{" in latex
    json.dumps(steps.to_list())


@pytest.mark.parametrize("seed", CASES[::5], ids=[s["id"] for s in CASES[::5]])
def test_latex_renders(seed):
    latex2mathml = pytest.importorskip("latex2mathml.converter")
    for step in _result(seed).steps:
        latex2mathml.convert(step.latex)


def test_cli_steps(capsys):
    from matdiff import cli
    if "--steps" not in cli.build_parser().format_help():
        pytest.skip("the --steps option is not in cli.py yet (see matdiff.steps)")
    status = cli.main(["tr(A*X*B)", "--wrt", "X", "--layout", "numerator", "--steps"])
    out = capsys.readouterr().out
    assert status == 0 and out.strip().splitlines()[-1].strip() == "B*A"
    assert "product rule" in out


@pytest.mark.parametrize("expression, wrt", [
    ("vec(alpha*A)", "alpha"), ("kron(alpha*C, A)", "alpha"), ("vec(x*z')", "x"),
    ("kron(x, z)", "x"), ("vec(x) + vec(x*alpha)", "x"),
])
def test_steps_through_vec_and_kron(expression, wrt):
    """Rules that translate dU back to a matrix (vec, kron) are shown applied whole; the steps
    end in the printed result and each agrees with the one before."""
    r = md.derivative(expression, wrt=wrt)
    steps = r.steps
    assert steps[-1].text == r.text and steps[0].kind == "definition"
    assert any(s.kind == "rule" for s in steps)
    _assert_consistent(steps, draw_samples(r.typed.variables, [r.typed.expr], 2, seed=3))


def test_steps_are_drawn_from_the_record(monkeypatch):
    """The steps read the rules the engine recorded: they never run the differentiator again."""
    r = md.derivative("tr(A*inv(X))*x'*X*x", wrt="X", order=2)
    expected = r.steps.text

    def refuse(*a, **k):
        raise AssertionError("the steps differentiated again")
    monkeypatch.setattr(diff.Differentiator, "d", refuse)
    monkeypatch.setattr(diff.Differentiator, "d_terms", refuse)
    assert r.steps.text == expected
    assert r.stages and all(st.applied for st in r.stages)


@pytest.mark.parametrize("expression, wrt, vars_", [
    ("tr(D^3)", "D", {"D": "matrix(n,n) diagonal"}),
    ("tr(D^-2)", "D", {"D": "matrix(n,n) diagonal"}),
    ("sum(inv(D))", "D", {"D": "matrix(n,n) diagonal"}),
    ("diag(x)^-2*ones", "x", None),
])
def test_diagonal_steps_end_in_the_printed_form(expression, wrt, vars_):
    """The matrix steps of a diagonal variable are the engine's: the last is the result
    (tr(D^3) showed 3*(D^2 .* I) before 3*D^2), and each agrees with the one before."""
    r = md.derivative(expression, wrt=wrt, vars=vars_)
    steps = r.steps
    last = [s for s in steps if s.kind in ("matrix", "simplify")][-1]
    assert last.text == f"T = {r.text}"
    assert any(s.kind == "diagonal" for s in steps) or "diag" in r.text
    _assert_consistent(steps, draw_samples(r.typed.variables, [r.typed.expr], 2, seed=3))
