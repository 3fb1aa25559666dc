"""Named sub-expressions, in results (``F  where s = ...``) and in inputs (``z = W*x; F``).

Every where-form is read back by ``md.evaluate`` and compared with the inlined form and
with central finite differences of the original expression; the where-form is shorter
than the inlined one; its names are fresh and defined before use.  Definitions in the
input are macros: the derivative is by the variables underneath.  Bad definitions are a
one-line error that points at the place, in the API and on the command line.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

import matdiff as md
from matdiff import cli
from matdiff.errors import DeclarationError, MatdiffError, ParseError, UnknownNameError
from support import fd
from support.corpus import draw_inputs, expected, load_cases

TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|\d+\.?\d*(?:[eE]-?\d+)?|\.\*|\./|\.\^|[-+*/^'⊙]")


def tokens(text: str) -> int:
    return len(TOKEN.findall(text))


def inv(a):
    return np.linalg.inv(a)


rng = np.random.default_rng(13)
n, m = 4, 3
LOGISTIC = dict(X=fd.gauss(rng, n, m), y=np.sign(fd.gauss(rng, n)) + 0.0, w=fd.gauss(rng, m))
SQUARE = dict(A=fd.well_conditioned(rng, n), B=fd.gauss(rng, n, n), C=fd.gauss(rng, n, n),
              D=fd.gauss(rng, n, n), E=fd.gauss(rng, n, n), F=fd.gauss(rng, n, n), tau=0.3)
CHAIN = dict(u=fd.gauss(rng, n), v=fd.gauss(rng, m), X=fd.small(rng, n, m) / 2)

# (expression, wrt, order, values, NumPy reference of the expression itself)
CASES = [
    ("sum(log(ones + exp(-y .* (X*w))))", "w", 2, LOGISTIC,
     lambda a: np.sum(np.log1p(np.exp(-a["y"] * (a["X"] @ a["w"]))))),
    ("sum(log(ones + exp(-y .* (X*w))))", "w", 1, LOGISTIC,
     lambda a: np.sum(np.log1p(np.exp(-a["y"] * (a["X"] @ a["w"]))))),
    ("inv(A + tau*B + tau^2*C)", "tau", 2, SQUARE,
     lambda a: inv(a["A"] + a["tau"] * a["B"] + a["tau"] ** 2 * a["C"])),
    ("(A + tau*B)*(C + tau*D)*(E + tau*F)", "tau", 1, SQUARE,
     lambda a: (a["A"] + a["tau"] * a["B"]) @ (a["C"] + a["tau"] * a["D"])
     @ (a["E"] + a["tau"] * a["F"])),
    # the variables are named u and v: the result's names must be others
    ("sin((u'*X*v)^2)", "X", 1, CHAIN, lambda a: np.sin((a["u"] @ a["X"] @ a["v"]) ** 2)),
]


@pytest.mark.parametrize("expr,wrt,order,values,f", CASES, ids=[c[0] + f" d{c[2]}" for c in CASES])
def test_where_form_reevaluates_to_the_inlined_form_and_finite_differences(expr, wrt, order,
                                                                          values, f):
    r = md.derivative(expr, wrt=wrt, order=order)
    flat = md.derivative(expr, wrt=wrt, order=order, where=False)
    want = fd.reference(f, values, [wrt] * order)
    got_where = md.evaluate(r.text, shape=want.shape, **values)
    got_flat = md.evaluate(flat.text, shape=want.shape, **values)
    fd.assert_close(np.reshape(got_where, want.shape), want, tol=fd.TOLS[order], what="where-form")
    fd.assert_close(np.reshape(got_flat, want.shape), want, tol=fd.TOLS[order], what="inlined")
    fd.assert_close(np.reshape(r.evaluate(**values), want.shape), want, tol=fd.TOLS[order])
    assert "where" not in flat.text and flat.definitions == []
    if r.definitions:
        assert (tokens(r.text), len(r.text)) < (tokens(flat.text), len(flat.text))
        assert not {d["name"] for d in r.definitions} & set(r.typed.variables)


def test_the_logistic_hessian_names_its_repeat_and_is_shorter():
    expr = "sum(log(ones + exp(-y .* (X*w))))"
    r = md.hessian(expr, "w")
    flat = md.hessian(expr, "w", where=False)
    main, _, defs = r.text.partition("  where ")
    assert defs, r.text
    name, _, body = defs.partition(" = ")
    # the named part occurs more than once in the inlined form and not at all in the main form
    assert flat.text.count(body) >= 2 and body not in main
    assert main.count(name) >= 2
    assert tokens(r.text) < tokens(flat.text)
    assert r.to_dict()["where"] == [{"name": name, "text": body, "latex": r.definitions[0]["latex"]}]


def test_latex_is_an_aligned_where_block_and_the_statement_names_too():
    r = md.hessian("sum(log(ones + exp(-y .* (X*w))))", "w")
    assert r.latex.startswith(r"\begin{aligned}") and r.latex.endswith(r"\end{aligned}")
    assert r"\text{where}" in r.latex and r.latex.count(r" \\ ") == len(r.definitions)
    for d in r.definitions:
        assert f"{d['name_latex']} &= {d['latex']}" in r.latex
        assert d["latex"] in r.statement
    flat = md.hessian("sum(log(ones + exp(-y .* (X*w))))", "w", where=False)
    assert "aligned" not in flat.latex and "where" not in flat.statement


def test_no_names_where_nothing_repeats():
    for expr, wrt in [("x'*A*x", "x"), ("tr(A*X*B)", "X"), ("norm2(W2*tanh(W1*X) - Y)^2", "W1")]:
        r = md.derivative(expr, wrt=wrt)
        assert r.definitions == [] and "where" not in r.text and r.text == md.derivative(
            expr, wrt=wrt, where=False).text


def test_names_are_fresh_and_each_is_defined_before_it_is_used():
    """Over the seeds corpus: every where-form re-reads to the case's expected values, its
    names clash with nothing of the input, and each definition uses only earlier names."""
    named = 0
    for case in load_cases():
        r = md.derivative(case["expr"], wrt=case["wrt"], vars=case["vars"], layout=case["layout"],
                          order=case.get("order", 1))
        if not r.definitions:
            continue
        named += 1
        inputs = draw_inputs(case)
        want = expected(case, inputs)
        got = md.evaluate(r.text, vars=case["vars"], shape=np.shape(want), **inputs)
        assert np.allclose(np.reshape(got, np.shape(want)), want, rtol=1e-6, atol=1e-8), case["id"]
        words = set(re.findall(r"[A-Za-z_]\w*", case["expr"])) | set(r.typed.variables)
        names = [d["name"] for d in r.definitions]
        assert len(set(names)) == len(names) and not set(names) & words, (case["id"], names)
        for k, d in enumerate(r.definitions):
            used = set(re.findall(r"[A-Za-z_]\w*", d["text"])) & set(names)
            assert used <= set(names[:k]), (case["id"], r.text)
        assert tokens(r.text) < tokens(md.derivative(
            case["expr"], wrt=case["wrt"], vars=case["vars"], layout=case["layout"],
            order=case.get("order", 1), where=False).text)
    assert named >= 3  # the corpus has repeats (inverses of sums, chains), so this is not vacuous


# ---- definitions in the input -----------------------------------------------------------

NET = dict(W=fd.gauss(rng, n, m), x=fd.gauss(rng, m))


@pytest.mark.parametrize("text", ["z = W*x; sum(tanh(z))", "z = W*x\nsum(tanh(z))",
                                  "z = W*x;\n  t = tanh(z)\n  sum(t);",
                                  "sum(t) where z = W*x, t = tanh(z)"])
def test_definitions_are_macros_derived_by_the_variables_underneath(text):
    r = md.derivative(text, wrt="W")
    want = fd.reference(lambda a: np.sum(np.tanh(a["W"] @ a["x"])), NET, "W")
    fd.assert_close(r.evaluate(**NET), want)
    assert r.text == md.derivative("sum(tanh(W*x))", wrt="W").text
    assert np.isclose(md.evaluate(text, **NET), np.sum(np.tanh(NET["W"] @ NET["x"])))
    value, grad = md.compile(text, wrt="W")(**NET)
    fd.assert_close(grad, want)
    assert set(r.typed.variables) == {"W", "x"}


def test_check_reads_definitions_in_the_claim_and_in_the_result():
    assert md.check("d/dw z = X*w; sum(log(ones + exp(z))) = X'*sigmoid(X*w)")
    assert md.check("d(z = X*w; sum(log(ones + exp(z))))/dw = X'*s where s = sigmoid(X*w)")
    assert not md.check("d/dw z = X*w; sum(log(ones + exp(z))) = X'*s where s = sigmoid(-X*w)")
    assert md.check("d/dx x = I")   # NAME = RESULT with nothing after is the claim's '='


def test_a_definition_may_name_sizes_that_differ_at_each_use():
    # each use is typed on its own: o is sized by A (n) in one place and by x's length in another
    v = dict(A=fd.gauss(rng, 3, 3), x=fd.gauss(rng, 5))
    got = md.evaluate("o = ones; o'*A*o + x'*o", **v)
    assert np.isclose(got, v["A"].sum() + v["x"].sum())


BAD = [
    ("z = W*x; z = 2*x; sum(z)", "W", ParseError, "defined twice", 9),
    ("t = tanh(z); z = W*x; sum(t)", "W", ParseError, "before its definition", 9),
    ("sum(s) where s = tanh(z), z = W*x", "W", ParseError, "before its definition", 22),
    ("x = 2*x; sum(x)", "x", ParseError, "in terms of itself", 6),
    ("z = W*x; sum(tanh(z))", "z", UnknownNameError, "defined in the expression", 0),
    ("tr = W*x; sum(tr)", "W", ParseError, "name of its own", 0),
    ("z = W*x sum(z)", "W", ParseError, "missing ';'", 8),
    ("z = W*x", "W", ParseError, "write the expression after it", 0),
    ("z = W*x; sum(z); 3", "W", ParseError, "unexpected ';'", 15),
]


@pytest.mark.parametrize("text,wrt,error,needle,pos", BAD, ids=[b[3] for b in BAD])
def test_bad_definitions_are_one_line_errors_at_the_place(text, wrt, error, needle, pos, capsys):
    with pytest.raises(error) as info:
        md.derivative(text, wrt=wrt)
    assert needle in str(info.value) and "\n" not in str(info.value)
    assert info.value.pos == pos, (info.value.pos, str(info.value))
    status = cli.main([text, "--wrt", wrt])
    err = capsys.readouterr().err
    assert status == 2 and len(err.splitlines()) == 1 and needle in err


def test_a_definition_may_not_shadow_a_declared_variable():
    with pytest.raises(DeclarationError, match="declared as a variable and defined"):
        md.derivative("z = W*x; sum(tanh(z))", wrt="W", vars={"z": "vector(n)"})


def test_definitions_expanding_past_the_limit_are_refused():
    text = "a0 = x'*x; " + "; ".join(f"a{k} = a{k-1} + a{k-1}" for k in range(1, 30)) + "; a29"
    with pytest.raises(MatdiffError, match="expand to over"):
        md.derivative(text, wrt="x")


# ---- the command line and JSON ----------------------------------------------------------

HESSIAN = ["sum(log(ones + exp(-y .* (X*w))))", "--wrt", "w", "--order", "2"]


def test_cli_text_latex_json_and_no_where(capsys):
    r = md.hessian(HESSIAN[0], "w")
    assert cli.main(HESSIAN) == 0
    assert capsys.readouterr().out.strip() == r.text
    assert cli.main([*HESSIAN, "--format", "latex"]) == 0
    assert capsys.readouterr().out.strip() == r.latex
    assert cli.main([*HESSIAN, "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["derivative"] == r.text and body["where"] == r.to_dict()["where"] != []
    assert cli.main([*HESSIAN, "--no-where"]) == 0
    flat = capsys.readouterr().out.strip()
    assert flat == md.hessian(HESSIAN[0], "w", where=False).text and "where" not in flat


def test_web_api_returns_the_where_list():
    pytest.importorskip("fastapi")
    from matdiff.web import service
    out = service.derivative({"expression": HESSIAN[0], "wrt": "w", "order": 2}, extras=False)
    assert out["where"] and out["text"] == md.hessian(HESSIAN[0], "w").text
    for d in out["where"]:
        assert set(d) == {"name", "text", "latex", "mathml"} and "<math" in d["mathml"]
    assert "<mtable>" in out["mathml"]   # the aligned block, as MathML
    flat = service.derivative({"expression": HESSIAN[0], "wrt": "w", "order": 2, "where": False},
                              extras=False)
    assert flat["where"] == [] and "where" not in flat["text"]
    with pytest.raises(MatdiffError, match="where must be"):
        service.derivative({"expression": HESSIAN[0], "wrt": "w", "where": "no"}, extras=False)


# ---- generated code ---------------------------------------------------------------------

def test_generated_code_names_what_the_printed_form_names():
    expr = "sum(log(ones + exp(-y .* (X*w))))"
    r = md.hessian(expr, "w")
    names = [d["name"] for d in r.definitions]
    assert names
    for backend in ("numpy", "jax", "torch"):
        pytest.importorskip(backend if backend != "numpy" else "numpy")
        src = r.code(backend)
        for name in names:   # assigned once, under the printed name, in the function body
            assert re.search(rf"^    {name} = ", src, re.M), (backend, src)
    f = md.compile(expr, wrt="w", order=2)
    value, grad, hess = f(**LOGISTIC)
    ref = lambda a: np.sum(np.log1p(np.exp(-a["y"] * (a["X"] @ a["w"]))))  # noqa: E731
    fd.assert_close(hess, fd.reference(ref, LOGISTIC, ["w", "w"]), tol=fd.TOLS[2])
    assert re.search(rf"^    {names[0]} = ", f.source(), re.M)


def test_nested_names_in_code_and_text_agree():
    expr = "sum(exp(A*exp(B*exp(C*x))))"
    r = md.hessian(expr, "x")
    assert len(r.definitions) >= 3
    src = r.code()
    for d in r.definitions:
        assert re.search(rf"^    {d['name']} = ", src, re.M), src
    v = dict(A=fd.small(rng, 3, 4), B=fd.small(rng, 4, 3), C=fd.small(rng, 3, 2), x=fd.gauss(rng, 2))
    ref = lambda a: np.sum(np.exp(a["A"] @ np.exp(a["B"] @ np.exp(a["C"] @ a["x"]))))  # noqa: E731
    want = fd.reference(ref, v, ["x", "x"])
    fd.assert_close(md.evaluate(r.text, **v), want, tol=fd.TOLS[2])
    fd.assert_close(md.compile(expr, wrt="x", order=2)(**v)[2], want, tol=fd.TOLS[2])
