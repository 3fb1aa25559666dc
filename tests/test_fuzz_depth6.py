"""Failures of the depth-6 fuzz runs (scripts/fuzz.py --depth 6; issue 12): a hang in
evaluating an index form, a NaN from a correct formula, printed where-forms that md.evaluate
refused to read back, and a slow reading back of long index forms.

A fuzz case goes through the fuzzer's own check (``fuzz._check``): r.evaluate against central
finite differences of the ORIGINAL expression (its NumPy reference, tests/support/fd.py),
then md.evaluate(r.text) against r.evaluate; the smaller cases beside them do the same by
hand.  No wall clock: a hang is asserted through a count of the work done.
"""
from __future__ import annotations

import numpy as np

import matdiff as md
import matdiff.index.form as index_form
from support import fd
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


# ---- case 2396: NaN from a correct formula ----------------------------------------------
# u/exp(q(y)) differentiated twice by y leaves terms exp(q)*exp(q)*(u/exp(q)^3)[k]: where q
# is large, exp(q)^2 overflows and u/exp(q)^3 underflows, and r.evaluate gave inf*0 = NaN
# (the value is about 1e-232).  index/scalars.py writes the powers of exp(q) as one factor.

def test_case_2396_is_finite_and_right():
    _ok(2396)


def _relative(got, want) -> float:
    return float(np.max(np.abs(got - want)) / np.max(np.abs(want)))


def test_powers_of_a_scalar_in_an_index_form_combine_where_they_would_overflow():
    plain = {"x": "vector(n)", "y": "vector(n)"}
    rng = np.random.default_rng(3)
    # y'*y is about 306: exp(y'*y)^3 overflows, the derivative is about 1e-131
    a = {"x": rng.standard_normal(3), "y": 10.1 + 0.01 * rng.standard_normal(3)}
    r = md.derivative("x/exp(y'*y)", wrt="y", vars=plain, order=2)
    assert r.expr is None                                # an index form (3 indices)
    got = np.asarray(r.evaluate(**a), dtype=float)
    want = fd.reference(lambda v: v["x"] / np.exp(v["y"] @ v["y"]), a, ["y", "y"], h=2e-3)
    assert 0 < np.max(np.abs(want)) < 1e-100
    assert np.all(np.isfinite(got)) and _relative(got, want) < 1e-5, r.text
    again = np.asarray(md.evaluate(r.text, vars=plain, shape=got.shape, **a), dtype=float)
    assert _relative(again.reshape(got.shape), got) < 1e-12, r.text


# ---- a printed where-form reads back ------------------------------------------------------
# Case 3569 (seed 0, depth 6) printed an 8,449-character where-form whose definitions expand
# to 40,948 nodes, and md.evaluate(r.text) refused it at 20,000 (max_length).  The uses of
# definitions may now add 10 * max_length nodes (parse.EXPANSION).

def _adj(m):
    return np.linalg.det(m) * np.linalg.inv(m)


def _nested(x):
    i = np.eye(len(x))
    u = i + _adj(i + np.outer(x, x)).T @ _adj(i + np.outer(x, x))
    u2 = i + _adj(u).T @ _adj(u)
    u3 = i + _adj(u2).T @ _adj(u2)
    return u3


def test_a_where_form_whose_definitions_expand_past_max_length_reads_back():
    from matdiff.parse import DEFAULT_MAX_LENGTH, Parser
    u = "(I + adj(I + x*x')'*adj(I + x*x'))"
    u2 = f"(I + adj({u})'*adj({u}))"
    u3 = f"(I + adj({u2})'*adj({u2}))"
    expr = f"logdet(I + adj({u3})'*adj({u3})) + sum(adj({u3}))"
    plain = {"x": "vector(n)"}
    r = md.derivative(expr, wrt="x", vars=plain, max_seconds=120)
    parser = Parser(r.text, max_nodes=10 ** 9)
    parser.parse()
    assert " where " in r.text and len(r.text) < DEFAULT_MAX_LENGTH < parser.expanded
    a = {"x": np.array([0.3, -0.2])}
    got = np.asarray(r.evaluate(**a), dtype=float)

    def ref(v):
        m = _adj(_nested(v["x"]))
        return np.linalg.slogdet(np.eye(2) + m.T @ m)[1] + np.sum(m)
    want = fd.reference(ref, a, ["x"], h=1e-3)
    assert _relative(got, want) < 1e-6, r.text
    again = np.asarray(md.evaluate(r.text, vars=plain, **a), dtype=float)
    assert _relative(again, got) < 1e-10


# ---- reading an index form back: splitting at signs stays linear ---------------------------
# md.evaluate(r.text) of a 442-term index form (fuzz seed 1, case 1496, order 2 by Z) spent
# half its time deciding, at every top-level sign, whether it was an exponent's (2.5e-07):
# each decision copied and searched the whole text before it.  It now looks back from the
# sign only.

def test_signs_in_an_index_form_split_terms_but_not_exponents_or_names():
    from matdiff.index.parse import _split
    text = "2.5e-07*x[i] - 3*x2e[i] + x[i]*1e+3 - 1.5E-2*(a - b)[i] + -2*x[i] - tle[i]"
    pieces = [(sep, p.strip()) for sep, p, _ in _split(text, "+-", 0)]
    assert pieces == [("+", "2.5e-07*x[i]"), ("-", "3*x2e[i]"), ("+", "x[i]*1e+3"),
                      ("-", "1.5E-2*(a - b)[i]"), ("+", "-2*x[i]"), ("-", "tle[i]")]


def test_a_long_index_form_reads_back():
    plain = {"x": "vector(n)", "y": "vector(n)"}
    rng = np.random.default_rng(4)
    a = {"x": 0.5 * rng.standard_normal(3), "y": 0.5 * rng.standard_normal(3)}
    terms = " + ".join(f"{k + 1}.5e-1*x[i]*y[j]*x[k]" if k % 2 else f"{k + 1}*(x - y)[i]*y[j]*y[k]"
                       for k in range(400))
    got = np.asarray(md.evaluate("T[i,j,k] = " + terms, vars=plain, **a), dtype=float)
    x, y = a["x"], a["y"]
    want = sum((k + 1.5) / 10 * np.einsum("i,j,k->ijk", x, y, x) if k % 2 else
               (k + 1) * np.einsum("i,j,k->ijk", x - y, y, y) for k in range(400))
    assert np.allclose(got, want, rtol=1e-12, atol=0)


class _CountingText(str):
    """A text that counts the characters its slices and lookups hand out."""
    handed = 0

    def __getitem__(self, k):
        out = str.__getitem__(self, k)
        _CountingText.handed += len(out)
        return out


def test_splitting_an_index_form_reads_each_character_a_bounded_number_of_times():
    from matdiff.index.parse import _split
    text = " + ".join(f"{k}.5e-1*x[i]*(x - y)[j]" for k in range(2000))
    _CountingText.handed = 0
    assert len(_split(_CountingText(text), "+-", 0)) == 2000
    # before: the whole text before each of the 2,000 signs was copied, about 2000 * len / 2
    assert _CountingText.handed < 3 * len(text), (_CountingText.handed, len(text))
