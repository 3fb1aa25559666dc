"""The web API (matdiff.web): every endpoint with good and bad input, the OpenAPI schema and
the page's static files (the size and time caps: test_web_limits.py).  FastAPI's TestClient."""
from __future__ import annotations

import json
import re

import pytest

from support import web
from support.web import TestClient, assert_error

from matdiff.web import service
from matdiff.web.app import create_app

try:
    from matdiff.web.service import check_function
    check_function()
    HAVE_CHECK = True
except Exception:  # noqa: BLE001 - matdiff.check is not in this version
    HAVE_CHECK = False

SEEDS = [("tr(X*A*X')", "X"), ("x'*A*x", "x"), ("logdet(X)", "X"), ("A*tanh(B*x)", "x"),
         ("inv(X)", "X")]


client = pytest.fixture(scope="module")(web.client)


# ---- the page and the schema -------------------------------------------------------------

def test_page_and_static_files(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert 'src="/static/app.js"' in html and 'href="/static/style.css"' in html
    for example in ("tr(X*A*X')", "x'*A*x", "logdet(X)", "A*tanh(B*x)", "inv(X)"):
        assert example in html
    js = client.get("/static/app.js")
    css = client.get("/static/style.css")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    # no CDN, no third-party code: everything comes from this server
    for text in (html, js.text, css.text):
        urls = re.findall(r"https?://[^\s'\"<>)]*", text)
        assert all(u.startswith("http://www.w3.org/") for u in urls), urls  # XML namespaces only
        assert "//cdn" not in text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_openapi_schema(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["openapi"].startswith("3.")
    for path in ("/api/parse", "/api/derivative", "/api/check", "/api/evaluate", "/api/gradcheck"):
        assert "post" in schema["paths"][path], path
    names = schema["components"]["schemas"]
    for model in ("ParseRequest", "DerivativeRequest", "CheckRequest", "EvaluateRequest",
                  "ErrorBody", "DerivativeResponse"):
        assert model in names, model
    assert set(names["DerivativeRequest"]["properties"]) >= {"expression", "wrt", "vars",
                                                              "layout", "order"}
    # the interactive doc pages would load scripts from a CDN: they are off
    assert client.get("/docs").status_code == 404


def test_unknown_path_and_method_are_json(client):
    assert_error(client.get("/api/nothing"), 404)
    assert_error(client.get("/api/derivative"), 405)


# ---- /api/parse ------------------------------------------------------------------------------

def test_parse_variables_table(client):
    r = client.post("/api/parse", json={"expression": "tr(X*A*X') + alpha*x'*inv(B)*x"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["kind"] == "scalar" and body["shape"] == []
    rows = {v["name"]: v for v in body["variables"]}
    assert set(rows) == {"X", "A", "alpha", "x", "B"}
    assert rows["X"]["kind"] == "matrix" and len(rows["X"]["dims"]) == 2
    assert rows["A"]["dims"][0] == rows["A"]["dims"][1] == rows["X"]["dims"][1]
    assert rows["alpha"]["kind"] == "scalar" and rows["alpha"]["dims"] == []
    assert rows["x"]["kind"] == "vector" and rows["x"]["dims"] == [rows["B"]["dims"][0]]
    assert rows["B"]["implied"] == ["invertible"]
    assert not any(v["declared"] for v in body["variables"])


def test_parse_with_declarations(client):
    r = client.post("/api/parse", json={"expression": "tr(X*A*X')",
                                        "vars": {"X": "matrix symmetric", "A": "matrix(k,k) spd"}})
    assert r.status_code == 200, r.text
    rows = {v["name"]: v for v in r.json()["variables"]}
    assert rows["X"]["props"] == ["symmetric"] and rows["X"]["dims"] == ["k", "k"]
    assert rows["A"]["props"] == ["spd"] and rows["X"]["declared"] and rows["A"]["declared"]
    # a list and a string of declarations work too, as in the Python API
    for vars_ in (["x: vector(n)", "s: scalar"], "x: vector(n); s: scalar"):
        r = client.post("/api/parse", json={"expression": "s*x", "vars": vars_})
        assert r.status_code == 200, r.text
        assert r.json()["shape"] == ["n"]


@pytest.mark.parametrize("expression, position, kind", [
    ("x'*A*", 5, "ParseError"),          # ends where an operand is expected
    ("foo(X) + 1", 0, "ParseError"),     # unknown function
    ("tr(x)", 0, "ShapeError"),          # trace of a vector
    ("(x + y", None, "ParseError"),      # unbalanced parenthesis (somewhere in the text)
])
def test_parse_errors_point_at_the_place(client, expression, position, kind):
    r = client.post("/api/parse", json={"expression": expression})
    body = assert_error(r, 422, field="expression")
    assert body["type"] == kind
    assert isinstance(body["position"], int) and 0 <= body["position"] <= len(expression)
    assert body["end"] > body["position"]
    if position is not None:
        assert body["position"] == position


def test_parse_shape_conflict_names_both_uses(client):
    body = assert_error(client.post("/api/parse", json={"expression": "A*x + y'"}), 422,
                        field="expression")
    assert "A*x" in body["error"] and "y'" in body["error"]


def test_parse_declaration_error_points_into_the_declaration(client):
    body = assert_error(client.post("/api/parse", json={"expression": "x'*x",
                                                        "vars": {"x": "vectr(n)"}}),
                        422, field="vars.x", contains="vector")
    assert body["position"] == 0


@pytest.mark.parametrize("payload, contains", [
    ({}, "expression is required"),
    ({"expression": 5}, "expression"),
    ({"expression": "   "}, "empty"),
    ({"expression": "x", "bogus": 1}, "unknown field"),
    ({"expression": "x", "types": "other"}, "types"),
    ({"expression": "x", "vars": {"x": 3}}, "vars"),
])
def test_parse_bad_requests(client, payload, contains):
    assert_error(client.post("/api/parse", json=payload), 422, contains=contains)


def test_not_json_and_not_an_object(client):
    assert_error(client.post("/api/parse", content=b"{not json",
                             headers={"content-type": "application/json"}), 422,
                 contains="not valid JSON")
    assert_error(client.post("/api/parse", json=["x"]), 422)


def test_user_text_is_never_python(client):
    for text in ("__import__('os').system('true')", "eval('1')", "x.__class__"):
        r = client.post("/api/parse", json={"expression": text})
        assert r.status_code == 422, r.text


# ---- /api/derivative -----------------------------------------------------------------------

def test_derivative_everything(client):
    r = client.post("/api/derivative", json={"expression": "tr(X*A*X')", "wrt": "X"})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["text"] == "X*(A + A')"
    assert d["layout"] == "mixed" and d["order"] == 1 and d["form"] == "matrix"
    assert d["shape"] == [v["dims"] for v in d["variables"] if v["name"] == "X"][0]
    assert d["latex"] and d["mathml"].startswith("<math") and "</math>" in d["mathml"]
    assert d["statement_mathml"].startswith("<math") and "\\partial" in d["statement_latex"]
    assert d["index"] is None
    if d["steps"] is not None:
        assert d["steps"]["items"] and all("rule" in s and "text" in s for s in d["steps"]["items"])
        assert d["steps"]["items"][0]["mathml"].startswith("<math")
    else:
        assert "steps" in d["notes"]
    from matdiff.codegen import BACKENDS
    assert set(d["code"]) == set(BACKENDS)  # every backend, dask included
    for backend in BACKENDS:
        code = d["code"][backend]
        if code is None:
            assert f"code_{backend}" in d["notes"]
        else:
            assert "def " in code and ("import " + {"numpy": "numpy", "jax": "jax", "torch": "torch",
                                                    "dask": "dask.array"}[backend]) in code
            compile(code, f"<{backend}>", "exec")  # valid Python (compiled, never run here)


def test_derivative_dask_code_runs_on_chunked_arrays(client):
    da = pytest.importorskip("dask.array")
    import numpy as np
    r = client.post("/api/derivative", json={"expression": "norm2(A*x - b)^2", "wrt": "x"})
    assert r.status_code == 200, r.text
    code = r.json()["code"]["dask"]
    assert code is not None and "dask.compute(" in code
    ns: dict = {}
    exec(compile(code, "<dask>", "exec"), ns)  # the module served; its own check first
    ns["check"]()
    rng = np.random.default_rng(0)
    A, b, x = rng.standard_normal((400, 3)), rng.standard_normal(400), rng.standard_normal(3)
    value, grad = ns["f"](A=da.from_array(A, chunks=(100, 3)), x=x, b=da.from_array(b, chunks=100))
    assert np.isclose(value, np.sum((A @ x - b) ** 2)) and np.allclose(grad, 2 * A.T @ (A @ x - b))


def test_derivative_layouts_and_structure(client):
    def text(**kw):
        r = client.post("/api/derivative", json={"expression": "tr(X*A*X')", "wrt": "X", **kw})
        assert r.status_code == 200, r.text
        return r.json()

    mixed, num = text(), text(layout="numerator")
    assert num["text"] == "(A + A')*X'"
    assert num["shape"] == mixed["shape"][::-1]
    sym = text(vars={"X": "matrix symmetric"})
    assert sym["text"] != mixed["text"]
    ref = __import__("matdiff").derivative("tr(X*A*X')", wrt="X", vars={"X": "matrix symmetric"})
    assert sym["text"] == ref.text


@pytest.mark.parametrize("expression, wrt", SEEDS)
def test_derivative_seed_examples(client, expression, wrt):
    import matdiff as md
    r = client.post("/api/derivative", json={"expression": expression, "wrt": wrt})
    assert r.status_code == 200, r.text
    assert r.json()["text"] == md.derivative(expression, wrt=wrt).text  # the same API, no copy


def test_derivative_tensor_has_index_and_vec_forms(client):
    r = client.post("/api/derivative", json={"expression": "inv(X)", "wrt": "X"})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["form"] == "index" and d["text"].startswith("T[")
    assert d["index"]["text"] == d["text"] and d["index"]["mathml"].startswith("<math")
    assert d["vec"]["text"] == "-kron(inv(X)', inv(X))"
    assert d["vec"]["mathml"].startswith("<math")
    assert len(d["shape"]) == 4


def test_derivative_order_and_mixed_partials(client):
    r = client.post("/api/derivative", json={"expression": "x'*A*x", "wrt": "x", "order": 2})
    assert r.status_code == 200 and r.json()["text"] == "A + A'"
    r = client.post("/api/derivative", json={"expression": "x'*A*y", "wrt": ["x", "y"]})
    assert r.status_code == 200, r.text
    assert r.json()["text"] == "A" and r.json()["wrt"] == ["x", "y"]
    r = client.post("/api/derivative", json={"expression": "x'*A*x", "wrt": ["x"]})
    assert r.status_code == 200 and r.json()["wrt"] == "x"


@pytest.mark.parametrize("payload, field, contains", [
    ({"expression": "x'*x", "wrt": "y"}, None, "y"),
    ({"expression": "x'*x", "wrt": "tr"}, None, "function"),
    ({"expression": "x'*x", "wrt": ""}, None, "wrt"),
    ({"expression": "x'*x", "wrt": []}, None, "wrt"),
    ({"expression": "x'*x", "wrt": "x", "layout": "sideways"}, "layout", "layout"),
    ({"expression": "x'*x", "wrt": "x", "order": 0}, "order", "order"),
    ({"expression": "x'*x", "wrt": "x", "order": 7}, "order", "order"),
    ({"expression": "x'*x"}, "wrt", "wrt is required"),
    ({"expression": "x'*x +", "wrt": "x"}, "expression", "operand"),
])
def test_derivative_bad_input(client, payload, field, contains):
    body = assert_error(client.post("/api/derivative", json=payload), 422, contains=contains)
    if field is not None:
        assert body["field"] == field


# ---- /api/evaluate ----------------------------------------------------------------------------

def test_evaluate(client):
    r = client.post("/api/evaluate", json={"expression": "B*A", "values": {
        "A": [[1, 0], [0, 1]], "B": [[1, 2], [3, 4]]}})
    assert r.status_code == 200, r.text
    assert r.json()["value"] == [[1.0, 2.0], [3.0, 4.0]] and r.json()["shape"] == [2, 2]
    r = client.post("/api/evaluate", json={"expression": "x'*A*x", "wrt": "x", "values": {
        "A": [[1, 2], [3, 4]], "x": [1, -1]}})
    assert r.status_code == 200, r.text
    assert r.json()["value"] == [-3.0, -3.0] and r.json()["evaluated"] == "(A + A')*x"
    r = client.post("/api/evaluate", json={"expression": "I", "shape": [2, 2]})
    assert r.status_code == 200 and r.json()["value"] == [[1.0, 0.0], [0.0, 1.0]]
    r = client.post("/api/evaluate", json={"expression": "alpha^2", "values": {"alpha": 3}})
    assert r.status_code == 200 and r.json()["value"] == 9.0 and r.json()["shape"] == []


@pytest.mark.parametrize("payload", [
    {"expression": "A*x", "values": {"A": [[1, 2], [3, 4]], "x": [1, 2, 3]}},   # sizes disagree
    {"expression": "A*x", "values": {"A": [[1, 2], [3, 4]]}},                  # x missing
    {"expression": "A*x", "values": {"A": "eye"}},                              # not numbers
    {"expression": "A*x", "values": {"A": [[[1.0]]]}},                          # 3-D
    {"expression": "I", "shape": [2, -1]},
    {"expression": "x'*", "values": {}},
])
def test_evaluate_bad_input(client, payload):
    assert_error(client.post("/api/evaluate", json=payload), 422)


# ---- /api/check ---------------------------------------------------------------------------------

needs_check = pytest.mark.skipif(not HAVE_CHECK, reason="matdiff.check is not in this version")


@needs_check
def test_check_flags_a_wrong_claim(client):
    r = client.post("/api/check", json={"claim": "d/dX tr(X*A*X') = X*A"})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["holds"] is False
    assert d["diagnosis"] and d["correct"] == "X*(A + A')"
    assert d["counterexample_text"] and "largest difference" in d["counterexample_text"]
    assert "verdict:" in d["report"]
    json.dumps(d, allow_nan=False)  # strict JSON


@needs_check
def test_check_accepts_a_right_claim(client):
    r = client.post("/api/check", json={"claim": "d/dX tr(A*X*B) = B*A", "layout": "numerator"})
    assert r.status_code == 200, r.text
    assert r.json()["holds"] is True and r.json()["counterexample_text"] is None
    r = client.post("/api/check", json={"claim": "d/dx x'*A*x = 2*A*x",
                                        "vars": {"A": "matrix(n,n) symmetric"}})
    assert r.status_code == 200 and r.json()["holds"] is True


@needs_check
@pytest.mark.parametrize("payload", [
    {"claim": "tr(X) = I"},
    {"claim": "d/dX tr(X*) = I"},
    {"claim": ""},
    {"claim": "d/dX tr(X) = I", "trials": 0},
    {"claim": "d/dX tr(X) = I", "layout": "upside"},
])
def test_check_bad_input(client, payload):
    assert_error(client.post("/api/check", json=payload), 422)


@needs_check
def test_check_syntax_error_points_into_the_claim(client):
    claim = "d/dX tr(X*) = I"
    body = assert_error(client.post("/api/check", json={"claim": claim}), 422, field="claim")
    assert claim[body["position"]:body["end"]] == ")"


def test_check_missing_module_is_a_clear_501(monkeypatch):
    import importlib
    real_import = importlib.import_module

    def no_check(name, *args, **kw):
        if name == "matdiff.check":
            raise ImportError("no check")
        return real_import(name, *args, **kw)
    monkeypatch.setattr(importlib, "import_module", no_check)
    status, body = service.run("check", {"claim": "d/dx x'*x = 2*x"}, 5.0)
    assert status == 501 and "not available" in body["error"]


# ---- /api/gradcheck: the page's evaluate panel ----------------------------------------------

@pytest.mark.parametrize("expression, wrt, vars_, layout, order", [
    ("x'*A*x", "x", None, "numerator", 1),
    ("A*x", "x", None, "denominator", 1),
    ("x'*A", "x", None, "mixed", 1),
    ("tr(X*A*X')", "X", {"X": "matrix symmetric"}, "mixed", 1),
    ("tr(X)^2", "X", {"X": "matrix diagonal"}, "numerator", 1),
    ("inv(X)", "X", None, "mixed", 1),
    ("-sum(log(sigmoid(y .* (X*w))))", "w", None, "mixed", 2),
    ("alpha*x", "alpha", None, "denominator", 1),
])
def test_gradcheck_agrees_with_an_independent_finite_difference(client, expression, wrt, vars_,
                                                                 layout, order):
    """The server's finite differences agree with matdiff, and with the test's own (tests/fd.py
    style, from md.evaluate) at the values the server reports."""
    import numpy as np
    import matdiff as md
    r = client.post("/api/gradcheck", json={"expression": expression, "wrt": wrt, "vars": vars_,
                                            "layout": layout, "order": order, "seed": 7})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["agrees"] is True and body["max_rel_error"] < 1e-6
    derivative = np.array(body["derivative"], dtype=float)
    assert derivative.shape == tuple(body["shape"])
    np.testing.assert_allclose(np.array(body["finite_difference"]), derivative, rtol=1e-5,
                               atol=1e-7)
    values = {k: np.array(v, dtype=float) for k, v in body["values"].items()}
    res = md.derivative(expression, wrt=wrt, vars=vars_, layout=layout, order=order)
    np.testing.assert_allclose(np.asarray(res.evaluate(**values)), derivative, rtol=1e-12)
    if order == 1 and not vars_:   # the value and one direction, independently of the server
        f = lambda **kw: np.asarray(md.evaluate(expression, **{**values, **kw}), dtype=float)  # noqa: E731
        np.testing.assert_allclose(np.array(body["value"]), f(), rtol=1e-12)


def test_gradcheck_at_given_values(client):
    r = client.post("/api/gradcheck", json={"expression": "norm2(X*w - y)^2", "wrt": "w",
                                            "values": {"X": [[1, 2], [3, 4]], "w": [1, 1],
                                                       "y": [0, 1]}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["derivative"] == [42.0, 60.0] and body["value"] == pytest.approx(45.0)
    assert set(body["sizes"].values()) == {2}
    assert abs(body["finite_difference"][0] - 42) < 1e-6 and body["agrees"] is True
    # a wrong derivative would be caught: the check compares against the expression itself
    r = client.post("/api/gradcheck", json={"expression": "x'*A*x", "wrt": "x",
                                            "values": {"x": [1, 2], "A": [[1, 2], [3, 4]]}})
    assert r.json()["finite_difference"] == pytest.approx([12.0, 21.0], rel=1e-8)


@pytest.mark.parametrize("payload, contains", [
    ({"expression": "x'*A*x", "wrt": "x", "values": {"x": [1, 2], "A": [[1, 2, 3], [4, 5, 6]]}},
     "already"),
    ({"expression": "x'*A*x", "wrt": "x", "values": {"z": [1, 2]}}, "does not use"),
    ({"expression": "tr(X)", "wrt": "X", "vars": {"X": "matrix symmetric"},
      "values": {"X": [[1, 2], [3, 4]]}}, "symmetric"),
    ({"expression": "x'*x", "wrt": "x", "sizes": {"n": 5000}}, "sizes"),
    ({"expression": "x'*x", "wrt": "x", "values": {"x": [1] * 2600}}, "at most"),
    ({"expression": "x'*x", "wrt": "q"}, "q"),
])
def test_gradcheck_bad_input(client, payload, contains):
    body = assert_error(client.post("/api/gradcheck", json=payload), 422)
    assert contains in body["error"]


def test_gradcheck_stops_itself_at_the_cap(counting_clock):
    """The finite differences read the same clock as the derivation: a 40x40 variable (3200
    evaluations) stops at a cap of 300 readings, with a clear 422."""
    app = create_app(max_seconds=300, mode="thread", workers=1)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.post("/api/gradcheck", json={"expression": "tr(X'*X)", "wrt": "X",
                                           "sizes": {"m": 40, "n": 40}})
        body = assert_error(r, 422, contains="too long")
        assert body["type"] == "LimitError"


def test_gradcheck_has_the_size_cap(client):
    big = {"expression": "x'*x", "wrt": "x", "values": {"x": [1.25] * 3000}}
    assert_error(client.post("/api/gradcheck", json=big), 413)


# ---- /api/parse when typing fails: the table stays the expression's --------------------------

def test_parse_error_lists_the_expressions_variables(client):
    r = client.post("/api/parse", json={"expression": "x - mu + I(n)*x", "vars": {"mu": "matrix(m,m)"}})
    body = assert_error(r, 422)
    assert [(v["name"], v["kind"], v["declared"]) for v in body["variables"]] == [
        ("x", "vector", False), ("mu", "matrix", True)]
    # a syntax error: the names still come from the text
    body = assert_error(client.post("/api/parse", json={"expression": "A*x + (B*"}), 422)
    assert [v["name"] for v in body["variables"]] == ["A", "x", "B"]
    assert all(v["kind"] == ("matrix" if v["name"].isupper() else "vector")
               for v in body["variables"])


@pytest.mark.parametrize("message, fix", [
    ("mu is used as a vector; declare it: --var 'mu: vector(n)'", ("mu", "vector(n)")),
    ('N is a scalar here: vars={"N": "scalar"} fixes it', ("N", "scalar")),
    ("cannot add the scalar mu to the non-scalar x; write s*ones or s*I", None),
])
def test_suggested_fix_is_read_from_the_message(message, fix):
    got = service.suggested_fix(message)
    assert (got and (got["name"], got["declaration"])) == (fix or None)


@pytest.mark.parametrize("expression, vars_, first", [
    ("x + A*mu", {"mu": "scalar"}, ("mu", "vector")),   # (x - mu with a scalar mu broadcasts)
    ("-0.5*logdet(Sigma) - 0.5*(x - mu)'*inv(Sigma)*(x - mu)", None, ("mu", "vector")),
    ("x'*A*x + B", None, ("B", "scalar")),
])
def test_parse_shape_error_offers_declarations_that_type(client, expression, vars_, first):
    import matdiff as md
    r = client.post("/api/parse", json={"expression": expression, "vars": vars_})
    if r.status_code == 200:
        assert vars_ is None   # kinds inferred from use: the expression types as it is
        pytest.skip("this version types the expression without a declaration")
    body = assert_error(r, 422)
    assert body["type"] == "ShapeError"
    fixes = body["fixes"]
    assert (fixes[0]["name"], fixes[0]["declaration"]) == first
    for fix in fixes:   # each one really types the expression
        md.derivative(expression, wrt=fix["name"],
                      vars={**(vars_ or {}), fix["name"]: fix["declaration"]})


# ---- kinds from use (issue 15, item 1): no declarations, and the fix a kind error names ------

KINDS_FROM_USE = [
    # (expression, wrt, values: NumPy arrays, NumPy of the original expression, inferred kinds)
    ("-N/2*logdet(S)", "S", {"N": 3.0, "S": [[2.0, 0.5], [0.5, 1.5]]},
     lambda a: -a["N"] / 2 * __import__("numpy").linalg.slogdet(a["S"])[1], {"N": "scalar"}),
    ("n/2*log(sigma^2)", "sigma", {"n": 5.0, "sigma": 1.3},
     lambda a: a["n"] / 2 * __import__("numpy").log(a["sigma"] ** 2), {"n": "scalar"}),
    ("-0.5*logdet(Sigma) - 0.5*(x - mu)'*inv(Sigma)*(x - mu)", "mu",
     {"Sigma": [[2.0, 0.5], [0.5, 1.5]], "x": [0.3, -1.2], "mu": [1.1, 0.4]},
     lambda a: (-0.5 * __import__("numpy").linalg.slogdet(a["Sigma"])[1]
                - 0.5 * (a["x"] - a["mu"]) @ __import__("numpy").linalg.inv(a["Sigma"])
                @ (a["x"] - a["mu"])), {"mu": "vector"}),
]


@pytest.mark.parametrize("expression, wrt, values, ref, kinds", KINDS_FROM_USE,
                         ids=[c[0] for c in KINDS_FROM_USE])
def test_kinds_from_use_with_no_declarations(client, expression, wrt, values, ref, kinds):
    import numpy as np
    from support import fd
    r = client.post("/api/parse", json={"expression": expression})
    assert r.status_code == 200, r.text
    table = {v["name"]: v for v in r.json()["variables"]}
    for name, kind in kinds.items():
        assert table[name]["kind"] == kind and not table[name]["declared"]
    r = client.post("/api/gradcheck", json={"expression": expression, "wrt": wrt, "values": values})
    assert r.status_code == 200, r.text
    a = {k: np.array(v, dtype=float) if isinstance(v, list) else v for k, v in values.items()}
    want = fd.reference(ref, a, wrt)
    fd.assert_close(np.array(r.json()["derivative"], dtype=float), want, fd.TOLS[1],
                    strict_shape=False, what=f"/api/gradcheck {expression} by {wrt}")


@pytest.mark.parametrize("expression, vars_, name, kind", [
    ("N*x'*x", None, "N", "scalar"),
    ("tr(x) + y'*x", None, "x", "matrix"),
    ("x + A*mu", {"mu": "scalar"}, "mu", "vector"),
])
def test_a_kind_error_names_the_table_fix(client, expression, vars_, name, kind):
    body = assert_error(client.post("/api/parse", json={"expression": expression, "vars": vars_}),
                        422)
    assert body["type"] == "ShapeError"
    assert f"in the Variables table, choose {kind} for {name}" in body["error"]
    assert "vars=" not in body["error"] and "--var" not in body["error"]
    assert body["fix"] == {"name": name, "declaration": kind}
    assert body["fixes"][0] == body["fix"]
    # the one change the page makes: that kind in the table, and the expression types
    r = client.post("/api/parse", json={"expression": expression, "vars": {**(vars_ or {}), name: kind}})
    assert r.status_code == 200, r.text
    # the derivative endpoint says it the same way
    body = assert_error(client.post("/api/derivative", json={"expression": expression, "wrt": name,
                                                              "vars": vars_}), 422)
    assert f"choose {kind} for {name}" in body["error"]


def test_a_claim_with_a_kind_error_names_the_table_fix(client):
    if not HAVE_CHECK:
        pytest.skip("matdiff.check is not in this version")
    body = assert_error(client.post("/api/check", json={"claim": "d/dx N*x'*x = 2*N*x"}), 422)
    assert "add 'N: scalar' to the declarations" in body["error"]   # the Check tab's field
    assert body["fix"] == {"name": "N", "declaration": "scalar"}
    r = client.post("/api/check", json={"claim": "d/dx N*x'*x = 2*N*x", "vars": {"N": "scalar"}})
    assert r.status_code == 200 and r.json()["holds"] is True, r.text
