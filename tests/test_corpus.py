"""The seed corpus (tests/data/seeds.json) through matdiff's public API.

For every case:  r = md.derivative(expr, wrt, vars, layout, order)
  * r.evaluate(**inputs) equals the case's np_expected (same shape);
  * md.evaluate(r.text, vars=..., shape=...) equals it too, i.e. the printed
    closed form is itself right (not for index-form results, whose
    `expected` is null);
  * r.shape, with the case's sizes, is the shape of np_expected;
  * where the case has np_expected_vec, r.vec() (the vec form) equals it.
Second-order derivatives, index-form results and vec forms carry the
marker `higher_order` (deselect with  -m "not higher_order").

The corpus data itself is checked against finite differences too.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from support import corpus as cc

CASES = cc.load_cases()


def _is_higher_order(case) -> bool:
    return case.get("order", 1) != 1 or case["expected"] is None


def _params(cases, always_higher=False):
    return [pytest.param(c, id=c["id"],
                         marks=[pytest.mark.higher_order] if always_higher or _is_higher_order(c) else [])
            for c in cases]


ALL = _params(CASES)
WITH_TEXT = _params([c for c in CASES if c["expected"] is not None])
WITH_VEC = _params([c for c in CASES if c.get("np_expected_vec")], always_higher=True)


def _derive(case):
    import matdiff as md
    return md.derivative(case["expr"], wrt=case["wrt"], vars=case["vars"],
                         layout=case["layout"], order=case.get("order", 1))


# ---- matdiff against the corpus ----------------------------------------------------

@pytest.mark.parametrize("case", ALL)
def test_derivative_value(case):
    inputs = cc.draw_inputs(case)
    want = cc.expected(case, inputs)
    r = _derive(case)
    got = r.evaluate(**inputs)
    cc.assert_close(got, want, what=f"{case['expr']} d/d{case['wrt']} ({case['layout']}): "
                                    f"r.evaluate of {getattr(r, 'text', None)!r}")


@pytest.mark.parametrize("case", WITH_TEXT)
def test_text_reevaluates(case):
    import matdiff as md
    inputs = cc.draw_inputs(case)
    want = cc.expected(case, inputs)
    r = _derive(case)
    assert isinstance(r.text, str) and r.text
    got = md.evaluate(r.text, vars=case["vars"], shape=want.shape, **inputs)
    # Same leniency as the acceptance runner: a printed 0 stands for zeros, and a
    # row/column orientation of a vector is not an error of the closed form.
    cc.assert_close(got, want, strict_shape=False,
                    what=f"md.evaluate({r.text!r}) for {case['expr']} d/d{case['wrt']} ({case['layout']})")


@pytest.mark.parametrize("case", ALL)
def test_symbolic_shape(case):
    inputs = cc.draw_inputs(case)
    want = cc.expected(case, inputs)
    r = _derive(case)
    assert cc.resolve_shape(r.shape, case["dims"]) == want.shape, (
        f"r.shape {r.shape} with {case['dims']} is not {want.shape}")


@pytest.mark.parametrize("case", WITH_VEC)
def test_vec_form(case):
    """r.vec() is the Magnus-Neudecker form d vec(F)/d vec(X)' as a Result of its own."""
    import matdiff as md
    inputs = cc.draw_inputs(case)
    want = cc.expected_vec(case, inputs)
    r = _derive(case)
    v = r.vec()
    cc.assert_close(v.evaluate(**inputs), want, what=f"r.vec().evaluate() for {case['expr']}")
    got = md.evaluate(v.text, vars=case["vars"], shape=want.shape, **inputs)
    cc.assert_close(got, want, strict_shape=False, what=f"md.evaluate({v.text!r})")


# ---- the corpus data itself ----------------------------------------------------------

@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in CASES])
def test_corpus_data_matches_finite_differences(case):
    inputs = cc.draw_inputs(case)
    ref, ref_vec = cc.fd_reference(case, inputs)
    cc.assert_close(cc.expected(case, inputs), ref, tol=cc.TOL_FD, what="np_expected vs finite differences")
    if case.get("np_expected_vec"):
        cc.assert_close(cc.expected_vec(case, inputs), ref_vec, tol=cc.TOL_FD,
                        what="np_expected_vec vs finite differences")


def test_corpus_ids_unique_and_complete():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    for c in CASES:
        assert c["wrt"] in c["vars"], c["id"]
        assert c["layout"] in cc.LAYOUTS, c["id"]
        assert c.get("order", 1) in (1, 2), c["id"]


SHARED_CHECKER = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "check_corpus.py"


@pytest.mark.skipif(not SHARED_CHECKER.exists(), reason="shared/corpus is not beside this checkout")
def test_inputs_agree_with_acceptance_tools():
    """Our inputs are the acceptance checker's inputs, so a pass here is a pass there."""
    spec = importlib.util.spec_from_file_location("check_corpus", SHARED_CHECKER)
    check_corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check_corpus)
    for case in CASES:
        ours, theirs = cc.draw_inputs(case), check_corpus.draw_inputs(case)
        assert ours.keys() == theirs.keys()
        for k in ours:
            np.testing.assert_array_equal(np.asarray(ours[k]), np.asarray(theirs[k]), err_msg=case["id"])
