"""The fuzzer (scripts/fuzz.py) in small, and one test for each failure it found.

``test_fixed_seed_run`` runs 150 fixed random cases (well under a minute):
every one must be ok, refused (NotSupportedError / LimitError) or skipped
(finite differences unreliable there) — no wrong answer, crash or hang.

The regressions below are the minimal reproducers the fuzzer wrote.  Those
whose fix belongs to a module owned elsewhere are strict xfails whose reason
says ``BUG ...`` with the reproducer: the day the engine is fixed they pass,
the strict xfail fails, and the marker is to be removed.
"""
from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np
import pytest

import matdiff as md
from support import fd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def _load_fuzz():
    spec = importlib.util.spec_from_file_location("matdiff_fuzz", os.path.join(ROOT, "scripts", "fuzz.py"))
    mod = importlib.util.module_from_spec(spec)
    sys.modules["matdiff_fuzz"] = mod
    spec.loader.exec_module(mod)
    return mod


fuzz = _load_fuzz()
xfail = pytest.mark.xfail


def _describe(failures) -> str:
    return "\n".join(f"{f['kind']} ({f['phase']}): md.derivative({f['expr']!r}, wrt={f['wrt']!r}, "
                     f"layout={f['layout']!r}, order={f['order']}): {f['detail'][:300]}" for f in failures)


# ---- the fuzzer in small ---------------------------------------------------------------------

def test_fixed_seed_run():
    res = fuzz.run(150, seed=0, timeout=None, do_shrink=False)
    c = res["counts"]
    assert sum(c.values()) == 150
    assert c["ok"] >= 100, c                        # the generator produces mostly valid cases
    assert (c["wrong"], c["crash"], c["hang"]) == (0, 0, 0), _describe(res["failures"])
    # every refusal is in one group by reason, and every derived case has a form
    assert sum(n for n, _, _ in res["refusals"]) == c["refused"]
    assert sum(res["forms"].get(k, 0) for k in ("closed", "index", "index3")) >= c["ok"]
    assert res["forms"]["closed"] > 0 and "closed matrix form" in fuzz.forms_line(res["forms"])


def test_refusals_group_by_reason_not_by_name():
    kron = ("NotSupportedError: matdiff cannot differentiate through kron(...) by {}: the result "
            "needs a reshape; by a scalar, or vec(U) by a vector, works [diff.py:{} in _refuse]")
    groups = fuzz.refusal_groups([
        ("derivative", kron.format("z", 336), "kron(z, y)"),
        ("derivative", kron.format("Y", 337), "kron(Y, X)"),
        ("evaluate", "EvaluationError: norm2 is not differentiable at 0 [evaluate.py:12 in f]", "norm2(x)"),
    ])
    assert [(n, example) for n, _, example in groups] == [(2, "kron(z, y)"), (1, "norm2(x)")]
    assert "by X:" in groups[0][1] and "by a scalar" in groups[0][1]
    assert groups[1][1].startswith("evaluate: EvaluationError")
    assert "in closed matrix form (75.00%)" in fuzz.forms_line({"closed": 3, "index": 1})


def test_fuzzer_is_deterministic():
    a = fuzz.make_case(3, 17)
    b = fuzz.make_case(3, 17)
    assert (a.text, a.wrt, a.layout, a.order, a.values_seed) == (b.text, b.wrt, b.layout, b.order, b.values_seed)
    assert fuzz.make_case(3, 18).text != a.text


def test_generator_covers_the_language():
    """Every operator, function and constant of LANGUAGE.md §1 appears in the first cases."""
    texts = " ".join(fuzz.make_case(0, i, depth=4).text for i in range(1500))
    for token in ["+", "-", "*", ".*", "⊙", "./", "/", "^", ".^", "'", ".T", "(+", "(-",
                  "tr(", "det(", "logdet(", "inv(", "diag(", "sum(", "norm2(", "norm1(", "vec(",
                  "exp(", "log(", "sin(", "cos(", "tan(", "tanh(", "sqrt(", "abs(", "sigmoid(",
                  "relu(", "sign(", "arcsin(", "arccos(", "arctan(", "expm(", "kron(",
                  " I)", "eye", "ones", "vector(", "matrix(", "0.5", "S", "K(", "(1 + exp(",
                  "(1 - sigmoid(", "norm2(((", "*(x)') .* "]:
        assert token in texts, token


def test_fuzzer_classifies_outcomes(monkeypatch):
    """A wrong answer, a crash and a hang are each caught and written as a reproducer."""
    case = fuzz.Case(fuzz.Ex("inner", (), (fuzz.Ex("var", ("n",), param="x"),
                                           fuzz.Ex("var", ("n",), param="x"))), "x", "mixed", 1, 7)
    assert fuzz._check(case, None).status == "ok"
    real = md.derivative

    def wrong(*a, **k):
        r = real(*a, **k)
        r.expr = md.expr.scale(3, r.expr)
        return r
    monkeypatch.setattr(md, "derivative", wrong)
    out = fuzz._check(case, None)
    assert (out.status, out.phase) == ("wrong", "evaluate")
    rep = fuzz.reproducer(case, case, out)
    assert {"expr", "vars", "wrt", "layout", "order", "kind", "values"} <= set(rep)

    def crash(*a, **k):
        raise KeyError("boom")
    monkeypatch.setattr(md, "derivative", crash)
    assert fuzz._check(case, None).status == "crash"

    def hang(*a, **k):
        while True:
            pass
    monkeypatch.setattr(md, "derivative", hang)
    out = fuzz._check(case, 0.3)
    assert out.status == "hang"

    def refuse(*a, **k):
        raise md.NotSupportedError("no")
    monkeypatch.setattr(md, "derivative", refuse)
    assert fuzz._check(case, None).status == "refused"


def test_fuzzer_command_line(tmp_path, capsys):
    out = tmp_path / "f.jsonl"
    rc = fuzz.main(["--n", "20", "--seed", "0", "--timeout", "0", "--out", str(out), "--quiet"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("wrong answers ") and ", crashes " in lines[-1] and ", hangs " in lines[-1]
    assert rc == (0 if lines[-1] == "wrong answers 0, crashes 0, hangs 0" else 1)
    assert out.exists()


def test_closed_report_lists_the_results_in_index_notation(tmp_path, capsys):
    """--closed-report lists the derived results with at most two indices printed in index
    notation: depth-6 case 590 (a trace of K times a kron whose vec indices are read in
    another factorisation) is one; case 520 (softmax on a vec index) is closed."""
    import json
    report = tmp_path / "index.jsonl"
    for start, listed in ((590, [590]), (520, [])):
        fuzz.main(["--n", "1", "--start", str(start), "--seed", "0", "--depth", "6", "--timeout", "0",
                   "--out", str(tmp_path / "f.jsonl"), "--quiet", "--closed-report", str(report)])
        rows = [json.loads(line) for line in report.read_text().splitlines()]
        assert [row["case"] for row in rows] == listed
        for row in rows:
            assert row["text"].startswith("T[") and "K(" in row["expr"]
            assert md.derivative(row["expr"], wrt=row["wrt"], vars=fuzz.VARS, layout=row["layout"],
                                 order=row["order"]).expr is None
    assert "results in index notation listed in" in capsys.readouterr().out


def test_shrinker_makes_a_failure_smaller(monkeypatch):
    """The shrinker replaces sub-expressions while the failure stays the same."""
    real = md.derivative

    def picky(expr, *a, **k):            # a fake bug: any derivative of an expression with sin
        if "sin(" in expr:
            raise KeyError("sin bug")
        return real(expr, *a, **k)
    monkeypatch.setattr(md, "derivative", picky)
    x = fuzz.Ex("var", ("n",), param="x")
    big = fuzz.Ex("inner", (), (fuzz.Ex("add", ("n",), (fuzz.Ex("func", ("n",), (x,), "sin"),
                                                          fuzz.Ex("func", ("n",), (x,), "exp"))), x))
    case = fuzz.Case(big, "x", "numerator", 1, 11)
    out = fuzz._check(case, None)
    assert out.status == "crash"
    small = fuzz.shrink(case, out, None)
    assert small.expr.size() < big.size() and "sin(" in small.text and "exp(" not in small.text
    assert small.layout == "mixed"


# ---- the code mode (fuzz_code.py) in small ----------------------------------------------------

BACKENDS = ("numpy", "jax", "torch")


def test_code_mode_fixed_seed_run():
    """Compiled code in every backend, the r.code() module's self-test, steps and md.check,
    on a few fixed cases: no wrong answer, crash or hang in any target."""
    res = fuzz.run_code(8, BACKENDS, seed=0, timeout=None, module_every=4)
    c = res["counts"]
    assert set(c) == set(BACKENDS) | {f"{b} module" for b in BACKENDS} | {"steps", "check"}
    for b in BACKENDS:
        assert c[b]["ok"] >= 5, c
        assert c[f"{b} module"]["ok"] >= 1, c
    assert not res["failures"], res["failures"]


def test_code_mode_classifies_outcomes(monkeypatch):
    """A wrong compiled derivative, a crash of generated code and a failing md.check are caught."""
    import fuzz_code
    case = fuzz.Case(fuzz.Ex("inner", (), (fuzz.Ex("var", ("n",), param="x"),
                                           fuzz.Ex("var", ("n",), param="x"))), "x", "mixed", 1, 7)
    res = fuzz_code.check_case(case, ["numpy"], None, module=True)
    assert {t: o.status for t, o in res.items()} == {
        "numpy": "ok", "numpy module": "ok", "steps": "ok", "check": "ok"}
    real = md.compile

    def wrong(*a, **k):
        f = real(*a, **k)
        return type("F", (), {"params": f.params,
                              "__call__": lambda self, **v: (f(**v)[0], 3 * f(**v)[1])})()
    monkeypatch.setattr(md, "compile", wrong)
    assert fuzz_code.check_case(case, ["numpy"], None, module=False)["numpy"].status == "wrong"

    def crash(*a, **k):
        raise IndexError("generated code broke")
    monkeypatch.setattr(md, "compile", crash)
    assert fuzz_code.check_case(case, ["numpy"], None, module=False)["numpy"].status == "crash"
    monkeypatch.setattr(fuzz_code, "claim_text", lambda c, answer: f"d/dx {c.text} = 3*x")
    assert fuzz_code.check_case(case, ["numpy"], None, module=False)["check"].status == "wrong"


def test_code_mode_nan_is_wrong_unless_the_formula_is_undefined_there(monkeypatch):
    """NaN from compiled code is a wrong answer, unless r.evaluate says the formula is
    undefined at that point (seed 1207 case 232: norm2(relu(alpha*(ones + Y.^2))) by alpha at
    alpha < 0 is 0/0), which the printed path counts as refused too."""
    import fuzz_code
    case = fuzz.Case(fuzz.Ex("inner", (), (fuzz.Ex("var", ("n",), param="x"),
                                           fuzz.Ex("var", ("n",), param="x"))), "x", "mixed", 1, 7)
    real = md.compile

    def nan(*a, **k):
        f = real(*a, **k)
        return type("F", (), {"params": f.params,
                              "__call__": lambda self, **v: (f(**v)[0], np.nan * f(**v)[1])})()
    monkeypatch.setattr(md, "compile", nan)
    assert fuzz_code.check_case(case, ["numpy"], None, module=False)["numpy"].status == "wrong"

    def undefined(self, **values):
        raise md.EvaluationError("division by zero in x/norm2(x - x)")
    monkeypatch.setattr(md.Result, "evaluate", undefined)
    out = fuzz_code.check_case(case, ["numpy"], None, module=False)["numpy"]
    assert out.status == "refused" and "undefined at the point drawn" in out.detail


# ---- regressions: the failures the fuzzer found ------------------------------------------------

SIZES = fuzz.SIZES
VALUES = fuzz.values(5)


def _roundtrip(expr, wrt, order=1, layout="mixed"):
    """The checks of one fuzz case, on a hand-written expression: r.evaluate must work and
    md.evaluate(r.text) must give the same numbers."""
    r = md.derivative(expr, wrt=wrt, vars=fuzz.VARS, order=order, layout=layout)
    got = np.asarray(r.evaluate(**VALUES), dtype=float)
    again = np.asarray(md.evaluate(r.text, vars=fuzz.VARS, shape=got.shape, **VALUES), dtype=float)
    assert again.size == got.size and np.allclose(again.reshape(got.shape), got, atol=1e-9), r.text
    return r, got


def _against_fd(expr_node, wrt, order=1, layout="mixed"):
    case = fuzz.Case(expr_node, wrt, layout, order, 5)
    out = fuzz._check(case, None)
    assert out.status in ("ok", "refused"), out


# Found by the fuzzer and fixed in the engine (simplify.py / render): plain regressions.

@pytest.mark.parametrize("expr, wrt", [
    # a scalar sub-product was merged into the matrix chain: "4*x'*x*x", ill-typed
    ("x'*(x*x')*x", "x"),
    ("det(((u*z')'*(u*z') + I)^-2)", "u"),
    ("u'*((beta*z*u')'*(beta*z*u') + I)*u", "u"),
])
def test_scalar_subproduct_kept_apart(expr, wrt):
    _roundtrip(expr, wrt)


@pytest.mark.parametrize("expr, wrt", [
    # a zero factor of a 3+-index derivative printed as '0[l]', unreadable by md.evaluate
    ("x*(x - x)'", "x"),
    ("z*((C' - C')*z)'", "z"),
    ("(Y - Y)^2", "Y"),
    ("A' .* (A - A)'", "A"),
])
def test_zero_factor_in_index_text(expr, wrt):
    _roundtrip(expr, wrt)


@pytest.mark.parametrize("expr, wrt, order", [
    # a zero vector/matrix inside an elementwise expression printed as the scalar 0:
    # "(ones + 0.^2)", a ShapeError when read back
    ("(ones + (C' - C').^2).^-1", "C", 1),
    ("arcsin(0.9*tanh(z - z))", "z", 2),
    ("arctan((C*C' + I)*(z - z))", "C", 1),
])
def test_zero_inside_elementwise_text(expr, wrt, order):
    _roundtrip(expr, wrt, order)


@pytest.mark.parametrize("expr, wrt", [
    # ones of a size nothing fixes in index text: "the size q of ones is unknown"
    ("exp(B - B)", "B"),
    ("z*exp(z - z)'", "z"),
])
def test_ones_sizes_survive_in_index_text(expr, wrt):
    _roundtrip(expr, wrt)


@pytest.mark.parametrize("expr, wrt", [
    ("tr(Z - Z + I)*alpha", "alpha"),
    ("det((C - C)'*(C - C) + I)*alpha", "alpha"),
    ("det(0*Z + I)*alpha", "alpha"),
    ("sum(cos(z - z))*beta", "beta"),
    ("tr(cos(S - S))*beta", "beta"),
    ("sqrt(exp(z - z))*u'", "u"),
])
def test_identity_size_survives_in_text(expr, wrt):
    _roundtrip(expr, wrt)


# Found while hardening the parser (fixed in parse.py / shapes.py, owned here):

@pytest.mark.parametrize("expr, wrt, want", [
    ("2./x", "x", None),                    # was: '2.' '/' x -> "can only divide by a scalar"
    ("transpose(A)*x", "x", "A'"),          # was: a variable named "'"
    ("alpha^(2^3)", "alpha", "8*alpha^7"),  # was: "the exponent must be a number"
])
def test_parser_regressions(expr, wrt, want):
    r = md.derivative(expr, wrt=wrt)
    if want is not None:
        assert r.text == want
    if expr == "2./x":
        x = np.array([1.0, 2.0])
        assert np.allclose(r.evaluate(x=x), np.diag(-2 / x ** 2))


def test_power_chain_is_a_limit_not_a_recursion_error():
    # was: RecursionError in diff.py for alpha^2^2^...^2 (3000 powers)
    with pytest.raises(md.LimitError):
        md.derivative("alpha" + "^2" * 3000, wrt="alpha")
    with pytest.raises(md.LimitError, match="exponent too large"):
        md.derivative("alpha" + "^2" * 30, wrt="alpha")      # alpha^(2^30)


def test_hand_written_cases_pass_the_fuzz_checks():
    x = fuzz.Ex("var", ("n",), param="x")
    X = fuzz.Ex("var", ("n", "n"), param="X")
    _against_fd(fuzz.Ex("func", (), (fuzz.Ex("kron", ("?", "?"), (X, X)),), "tr"), "X")
    _against_fd(fuzz.Ex("vecinner", (), (X, X)), "X", order=2)
    _against_fd(fuzz.Ex("inner", (), (x, fuzz.Ex("fill", ("n",), (x,), ("vector", "2")))), "x", order=2,
                layout="numerator")


def test_all_ones_matrix_prints_unambiguously():
    """Fuzz seed 11, case 1657: d sum(log(exp(S)))/dS printed `ones`, which reads back as a
    vector; an all-ones matrix standing alone prints ones*ones' (in a sum, plain ones)."""
    decl = {"S": "matrix(n,n) spd"}
    r = md.derivative("sum(log(exp(S)))", "S", vars=decl)
    assert r.text == "ones*ones'"
    s = np.eye(4) * 2.0
    np.testing.assert_allclose(md.evaluate(r.text, vars=decl, shape=(4, 4), S=s), np.ones((4, 4)))
    assert md.derivative("sum(tanh(X))", "X").text == "ones - tanh(X).^2"


def test_constant_entries_in_index_form_read_back():
    """Fuzz: exp(A - A)/sum(B') by B printed (ones/sum(B)^2)[k,l], which md.evaluate could
    not size; constant entries become a scalar factor."""
    decl = {"A": "matrix(m,n)", "B": "matrix(n,p)"}
    r = md.derivative("exp(A - A)/sum(B')", "B", vars=decl)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    got = md.evaluate(r.text, vars=decl, shape=(3, 4, 4, 2), A=a, B=b)
    np.testing.assert_allclose(got, r.evaluate(A=a, B=b))
    np.testing.assert_allclose(got, np.full((3, 4, 4, 2), -1 / b.sum() ** 2))


def test_kron_of_a_zero_or_a_scalar_folds():
    """Fuzz seed 11, case ~36000: kron(alpha, B - B) printed kron(alpha, 0), a scalar."""
    decl = {"B": "matrix(n,p)", "alpha": "scalar", "y": "vector(n)"}
    assert md.derivative("(kron(alpha, B - B))'*y", "y", vars=decl).text == "0"
    assert md.derivative("kron(alpha, A)*x", "x").text == "alpha*A"


@pytest.mark.parametrize("expr,wrt,decl,shape", [
    # products of all-ones arrays keep their inner size as tr(I(k))
    ("u'*((ones + (C - C).^2)'*(ones + (C - C).^2) + I)*u", "u",
     {"C": "matrix(p,m)", "u": "vector(m)"}, (3,)),
    # f(c*ones) folds to a number times ones
    ("inv(B'*B + I)*sqrt(sigmoid(z - z))", "B", {"B": "matrix(n,p)", "z": "vector(p)"}, (2, 4, 2)),
    # vec of a constant array is a constant vector
    ("vec(ones + (A - A).^2)'*kron(B, kron(beta, C'))*vec(Z)", "beta",
     {"A": "matrix(m,n)", "B": "matrix(n,p)", "C": "matrix(p,m)", "Z": "matrix(p,p)", "beta": "scalar"},
     ()),
    # the zero vec form of a Kronecker product
    ("vec(sign(kron(u, z')))'*vec(C')", "u", {"C": "matrix(p,m)", "u": "vector(m)", "z": "vector(p)"},
     (3,)),
])
def test_constant_folds_keep_text_readable(expr, wrt, decl, shape):
    """Fuzz seed 12: each printed form re-evaluates to r.evaluate's numbers."""
    rng = np.random.default_rng(5)
    sizes = {"m": 3, "n": 4, "p": 2}
    values = {}
    for name, spec in decl.items():
        dims = spec[spec.index("(") + 1:spec.index(")")].split(",") if "(" in spec else []
        values[name] = rng.standard_normal(tuple(sizes[d.strip()] for d in dims)) if dims else 0.5
    r = md.derivative(expr, wrt, vars=decl)
    got = r.evaluate(**values)
    assert np.shape(got) == shape
    again = md.evaluate(r.text, vars=decl, shape=shape or None, **values)
    np.testing.assert_allclose(np.asarray(again, float).reshape(shape), got, rtol=1e-9, atol=1e-12)


def test_expm_of_zero_and_zero_divisions():
    """Fuzz seed 13: d(expm(0*S)'*x)/dx printed expm(0), a scalar; 0^-1 raised a bare
    ZeroDivisionError while typing."""
    decl = {"S": "matrix(n,n) spd", "alpha": "scalar", "x": "vector(n)"}
    assert md.derivative("expm(0.5*tanh(alpha - alpha)*S)'*x", "x", vars=decl).text == "I"
    for text in ("0^-1", "x*0^-1", "x.^0 ./ 0", "x ./ 0", "1/0"):
        with pytest.raises(md.ShapeError, match="division by zero"):
            md.evaluate(text, x=np.ones(2))


@pytest.mark.parametrize("expr,decl,order", [
    ("expm(0.5*tanh(u'*Y*u)*((C' - C')'*(C' - C') + I))",
     {"C": "matrix(p,m)", "Y": "matrix(m,m)", "u": "vector(m)"}, 1),
    ("(sigmoid(A - A)'*sigmoid(A - A) + eye)*(ones + (A'*u).^2)",
     {"A": "matrix(m,n)", "u": "vector(m)"}, 2),
])
def test_index_form_identities_keep_their_size(expr, decl, order):
    """Fuzz seed 14 (100k run): an identity left alone by a constant fold printed as a bare I
    in index form, which md.evaluate could not size."""
    rng = np.random.default_rng(2)
    sizes = {"m": 3, "n": 4, "p": 2}
    values = {}
    for name, spec in decl.items():
        dims = spec[spec.index("(") + 1:spec.index(")")].split(",")
        values[name] = rng.standard_normal(tuple(sizes[d.strip()] for d in dims))
    r = md.derivative(expr, "u", vars=decl, order=order)
    got = np.asarray(r.evaluate(**values))
    again = md.evaluate(r.text, vars=decl, shape=got.shape, **values)
    np.testing.assert_allclose(again, got, rtol=1e-9, atol=1e-12)


def test_scientific_coefficients_in_index_text_and_log_exp():
    """Fuzz seed 21: 2.5e-07 in an index text was split at its exponent's sign; and
    log(exp(A)) left a norm of roundoff noise where A' - log(exp(A))' is exactly zero."""
    decl = {"S": "matrix(n,n) spd"}
    r = md.derivative("det((1e-1)^3*S)", "S", vars=decl, order=2)
    rng = np.random.default_rng(4)
    m = rng.standard_normal((3, 3))
    s = m @ m.T + 3 * np.eye(3)
    got = np.asarray(r.evaluate(S=s))
    np.testing.assert_allclose(md.evaluate(r.text, vars=decl, shape=got.shape, S=s), got,
                               rtol=1e-9, atol=1e-15)
    assert md.derivative("log(exp(A))'*x", "x").text == "A'"


# ---- regressions of the code mode: generated code against finite differences ---------------

_KRON_VARS = {"C": "matrix(p,m)", "Z": "matrix(p,p)", "x": "vector(n)", "alpha": "scalar"}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("expr, ref, wrt", [
    # found by the code mode (seed 0, case 206): the scalar literal of kron was emitted as
    # ``0.1.reshape(1, 1)`` (AttributeError on a Python float; ``.contiguous()`` in torch)
    ("C'*kron(Z, 0.1)", lambda a: a["C"].T @ (0.1 * a["Z"]), "C"),
    ("kron(alpha, x)", lambda a: a["alpha"] * a["x"], "alpha"),
    ("kron(x, 0.5)*alpha", lambda a: 0.5 * a["x"] * a["alpha"], "x"),
    ("kron(alpha, 2)", lambda a: 2.0 * a["alpha"], "alpha"),
])
def test_kron_by_a_scalar_constant_compiles(expr, ref, wrt, backend):
    if backend == "jax":    # float64, as the module's own ``__main__`` does for its check
        import jax
        old = jax.config.jax_enable_x64
        jax.config.update("jax_enable_x64", True)
        try:
            _kron_case(expr, ref, wrt, backend)
        finally:
            jax.config.update("jax_enable_x64", old)
    else:
        _kron_case(expr, ref, wrt, backend)


def _kron_case(expr, ref, wrt, backend):
    rng = np.random.default_rng(3)
    data = {"C": rng.normal(size=(2, 3)), "Z": rng.normal(size=(2, 2)), "x": rng.normal(size=4),
            "alpha": float(rng.normal())}
    f = md.compile(expr, wrt=wrt, vars=_KRON_VARS, backend=backend)
    args = {p: data[p] for p in f.params}
    value, grad = (np.asarray(v.detach() if hasattr(v, "detach") else v, dtype=float)
                   for v in f(**args))
    tol = 1e-6
    np.testing.assert_allclose(value, ref(data), rtol=tol, atol=tol)
    want = fd.reference(ref, data, wrt)
    np.testing.assert_allclose(grad.reshape(want.shape), want, rtol=tol, atol=tol)
    assert grad.shape == want.shape
    r = md.derivative(expr, wrt=wrt, vars=_KRON_VARS)
    ns: dict = {}
    exec(compile(r.code(backend), "<r.code()>", "exec"), ns)  # the module's own self-test
    ns["check"]()


# Found by the fuzzer at depth 6 (seed 0, case 1287): softmax of a zero vector printed as
# softmax(0), which reads back as the softmax of a scalar (1, not 1/n); and a sum of s*ones
# printed with a bare ones that nothing sizes.  Constant arguments now fold (softmax = ones/N,
# logsumexp = c + log(N), sum(s*ones) = s*N with N = tr(I(n))) and an array argument of a
# function prints with its shape.

def _softmax(v):
    e = np.exp(v - np.max(v))
    return e / np.sum(e)


@pytest.mark.parametrize("expr, ref, wrt", [
    ("softmax(y - y)'*x", lambda a: _softmax(a["y"] - a["y"]) @ a["x"], "x"),
    ("sum(softmax(y - y))*alpha", lambda a: np.sum(_softmax(a["y"] - a["y"])) * a["alpha"], "alpha"),
    ("alpha*logsumexp(A - A)", lambda a: a["alpha"] * np.log(np.sum(np.exp(a["A"] - a["A"]))), "alpha"),
    ("alpha*softmax(A - A + 2*ones*ones')",
     lambda a: a["alpha"] * _softmax((a["A"] - a["A"] + 2).ravel()).reshape(a["A"].shape), "alpha"),
    ("logsumexp(y - y + 2*ones)*alpha", lambda a: (2 + np.log(4)) * a["alpha"], "alpha"),
    ("sum(beta*(y - y + ones))*alpha", lambda a: np.sum(a["beta"] * (a["y"] - a["y"] + 1)) * a["alpha"],
     "alpha"),
    ("sum((A - A + ones*ones')/beta)*alpha", lambda a: np.sum((a["A"] - a["A"] + 1) / a["beta"]) * a["alpha"],
     "alpha"),
    ("inv((softmax(y - y)*(u.^2)')'*(softmax(y - y)*(u.^2)') + I)*u",
     lambda a: np.linalg.solve(np.outer(a["u"] ** 2, a["u"] ** 2) / 4 + np.eye(3), a["u"]), "u"),
])
def test_constant_arguments_of_softmax_and_sum_keep_their_size(expr, ref, wrt):
    r, got = _roundtrip(expr, wrt)
    want = fd.reference(ref, VALUES, wrt)
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-6, atol=1e-8)
    assert "softmax(0)" not in r.text


# Found by the fuzzer at depth 6 (seed 0, cases 1457, 1764, 3030, 5393, 9630): a function of
# a constant array printed with a bare ones (or I) that nothing sizes, so md.evaluate(r.text)
# could not read it back.  The reductions of constant arrays are now numbers and counts
# (norm2(2*ones) = 2*sqrt(N), sum(ones*y') = N*sum(y), N = tr(I(n))), vec of an all-ones
# chain is an all-ones vector, sum(vec(U)) = sum(U) and tr(kron(A, B)) = tr(A)*tr(B).

@pytest.mark.parametrize("expr, ref, wrt", [
    ("norm1(kron(Y, alpha - alpha)*u + vector(2))/det(X)",
     lambda a: 2 * 3 / np.linalg.det(a["X"]), "X"),
    ("x*(sum(vec(exp(y - y)*y')) ./ alpha)",
     lambda a: a["x"] * np.sum(np.outer(np.ones(4), a["y"])) / a["alpha"], "alpha"),
    ("alpha*tr(kron(Y, (A' - A')'*(A' - A') + eye))",
     lambda a: a["alpha"] * np.trace(np.kron(a["Y"], np.eye(3))), "alpha"),
    ("sum(vec(softplus(A*(X - X))*sum(u*y')))",
     lambda a: np.sum(np.log(2) * np.ones((3, 4)) * np.sum(np.outer(a["u"], a["y"]))), "y"),
    ("beta ./ norm2((z - z) + vector(2))", lambda a: a["beta"] / np.linalg.norm(2 * np.ones(2)), "beta"),
    ("alpha*norm2(A - A + 3*ones*ones')", lambda a: a["alpha"] * np.sqrt(9 * 12), "alpha"),
    ("alpha*sum(vec(A))", lambda a: a["alpha"] * np.sum(a["A"]), "alpha"),
    ("alpha*tr(kron(X, Y))", lambda a: a["alpha"] * np.trace(a["X"]) * np.trace(a["Y"]), "alpha"),
])
def test_constant_arrays_print_with_their_size(expr, ref, wrt):
    r, got = _roundtrip(expr, wrt)
    want = fd.reference(ref, VALUES, wrt)
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-6, atol=1e-8)


def test_code_mode_shrinks_a_failure(monkeypatch):
    """A failure of the code mode is shrunk as in the symbolic mode: to a smaller case on which
    the same target fails the same way, with the original kept in the record."""
    import fuzz_code
    Ex = fuzz.Ex
    alpha = Ex("var", (), param="alpha")
    x = Ex("var", ("n",), param="x")
    big = Ex("add", (), (Ex("func", (), (Ex("inner", (), (x, x)),), "exp"),
                         Ex("mul", (), (Ex("func", (), (alpha,), "sin"), Ex("func", (), (alpha,), "cos")))))
    case = fuzz.Case(big, "alpha", "numerator", 1, 5)
    real = md.compile

    def wrong_with_sin(expression, *a, **k):       # generated code wrong wherever sin occurs
        f = real(expression, *a, **k)
        if "sin(" not in expression:
            return f
        return type("F", (), {"params": f.params,
                              "__call__": lambda self, **v: (f(**v)[0], 3 * f(**v)[1])})()
    monkeypatch.setattr(md, "compile", wrong_with_sin)
    out = fuzz_code.check_case(case, ["numpy"], None, module=False)["numpy"]
    assert (out.status, out.phase) == ("wrong", "derivative")
    small, small_out = fuzz_code.shrunk(case, "numpy", out, None)
    assert small_out.same_failure(out) and small.expr.size() < big.size()
    assert "sin(" in small.text and "exp(" not in small.text and small.layout == "mixed"
    rep = fuzz_code.failure_record(small, "numpy", small_out, case)
    assert rep["expr"] == small.text and rep["original_expr"] == case.text


def test_check_of_its_own_answer_through_softmax_of_zero():
    """Found by the code mode (seed 1206, case 9713, target check): md.check of its own answer
    failed, the answer printing softmax(0) (the softmax of a scalar) for softmax(u - u)."""
    expr = "softmax(u - u)'*tanh(relu(u))"
    r, got = _roundtrip(expr, "u")
    assert md.check(f"d/du {expr} = {r.text}", vars=fuzz.VARS)
    ref = lambda a: _softmax(a["u"] - a["u"]) @ np.tanh(np.maximum(a["u"], 0))  # noqa: E731
    want = fd.reference(ref, VALUES, "u")
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("expr, ref, wrt", [
    # found by the fuzzer at depth 6 (seed 0, cases 1133, 2022, 4370) once u^v with a scalar v
    # came: a constant array to a varying power, and adj of an unsized I, printed unsized
    ("vec((A' - A' + matrix(0.5)).^tanh(y'*B*z))'*vec(A')",
     lambda a: np.sum(0.5 ** np.tanh(a["y"] @ a["B"] @ a["z"]) * a["A"].T), "z"),
    ("y.^tanh(det(adj((Z' - Z')'*(Z' - Z') + eye)))", lambda a: a["y"] ** np.tanh(1.0), "y"),
    ("sum((ones + (B' - B').^2).^tanh(beta))*alpha", lambda a: 8 * a["alpha"], "alpha"),
])
def test_constant_array_to_a_varying_power(expr, ref, wrt):
    vals = dict(VALUES, y=np.abs(VALUES["y"]) + 0.5)       # a positive base for y.^v
    r = md.derivative(expr, wrt=wrt, vars=fuzz.VARS)
    got = np.asarray(r.evaluate(**vals), dtype=float)
    again = np.asarray(md.evaluate(r.text, vars=fuzz.VARS, shape=got.shape, **vals), dtype=float)
    np.testing.assert_allclose(again.reshape(got.shape), got, atol=1e-9)
    want = fd.reference(ref, vals, wrt)
    np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-6, atol=1e-8)
