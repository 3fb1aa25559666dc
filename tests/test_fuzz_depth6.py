"""Failures of the depth-6 fuzz run (scripts/fuzz.py --seed 0 --depth 6; issue 12): a hang
in evaluating an index form, a NaN from a correct formula, and printed where-forms that
md.evaluate refused to read back.

Each case goes through the fuzzer's own check (``fuzz._check``): r.evaluate against central
finite differences of the ORIGINAL expression (its NumPy reference, tests/support/fd.py),
then md.evaluate(r.text) against r.evaluate.  No wall clock: a hang is asserted through a
count of the work done.
"""
from __future__ import annotations

import numpy as np

import matdiff as md
import matdiff.index.form as index_form
from support.variables import VARS, values
from test_fuzz_regressions import fuzz


def _ok(case_number: int):
    case = fuzz.make_case(0, case_number, depth=6)
    out = fuzz._check(case, None)
    assert out.status == "ok", (case.text, out.status, out.phase, out.detail[:500])
    return out


# ---- case 6881: an order-2 derivative by B in index form, 20 s in r.evaluate ----------------
# Its 378 terms hold 7,460 atoms but only 29 distinct ones; index/form.py simplified every
# copy (19,820 calls of simplify, each walking the whole atom) before evaluating.

HANG_6881 = ("((z)'*(((((diag(z) ⊙ ((((1 + exp((Z).T))).^-1) + matrix(2))))^2)*((z*((inv(((adj("
             "(((kron(alpha, (B*C)) + kron((y/sigmoid(beta)), ((((1 + exp(u))).^0.5))')))'*((kron(alpha, "
             "(B*C)) + kron((y/sigmoid(beta)), ((((1 + exp(u))).^0.5))'))) + eye)))'*(adj((((kron(alpha, "
             "(B*C)) + kron((y/sigmoid(beta)), ((((1 + exp(u))).^0.5))')))'*((kron(alpha, (B*C)) + "
             "kron((y/sigmoid(beta)), ((((1 + exp(u))).^0.5))'))) + eye))) + eye))*u))') .* (((-(z*(u)')) "
             "+ C) + matrix(-1))))*(C).T)*(z*(((sin(arcsin(0.9*tanh(u)))*(((+z))'*inv((((B ./ exp(B)))'*"
             "((B ./ exp(B))) + eye))*(+z))))'*((((A).T).T*(((x + x)*((((((A)').T - A))'*(u ./ sigmoid("
             "(((A)')'*y)))))') .* ((((((kron(y, (x)'))'*(kron(y, (x)')) + I))^-1)).^3)))*(B .* B))*(-z))))")


def test_case_6881_is_right():
    _ok(6881)


def test_index_form_simplifies_each_distinct_atom_once(monkeypatch):
    calls = []
    real = index_form.simplify

    def counting(e, *args):
        calls.append(e)
        return real(e, *args)

    monkeypatch.setattr(index_form, "simplify", counting)
    index_form._simplified.cache_clear()
    r = md.derivative(HANG_6881, wrt="B", vars=VARS, order=2)
    terms = r.tensor.terms
    atoms = [f.expr for t in terms for f in t.factors if f.expr is not None]
    assert len(terms) > 300 and len(atoms) > 7000 and len(set(atoms)) < 50   # the case is as big
    got = r.evaluate(**values(1345115630))
    assert np.all(np.isfinite(got))
    # each distinct atom, contracted pair and transpose is simplified once; before the memo
    # each of the 7,460 copies was, under its own index names: 19,820 calls
    assert len(calls) == len(set(calls)) and len(calls) < 1000, len(calls)
