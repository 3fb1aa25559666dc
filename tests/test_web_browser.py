"""The web page in a real browser: Playwright's sync API driving Debian's chromium
(``apt-get install -y chromium``; no browser is downloaded).  A uvicorn server runs on a
free loopback port in a thread.  Saves a screenshot to tests/artifacts/web.png."""
from __future__ import annotations

import json
import os
import re
import socket
import threading
import time

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) "
                f"to run the browser tests", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="playwright is not installed: "
                                                  "pip install -e '.[test]'")
pytest.importorskip("fastapi", reason="the web extra is not installed: pip install -e '.[web]'")
pytest.importorskip("uvicorn", reason="the web extra is not installed: pip install -e '.[web]'")

import uvicorn  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

from matdiff.web.app import create_app  # noqa: E402

try:
    from matdiff.web.service import check_function
    check_function()
    HAVE_CHECK = True
except Exception:  # noqa: BLE001 - matdiff.check is not in this version
    HAVE_CHECK = False

ARTIFACTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "artifacts")
# How long the page may take to show what a test expects.  Only a broken page waits this long
# (a right answer ends the wait at once), so it is generous, not a measure of speed.
TIMEOUT_MS = 120_000
expect.set_options(timeout=TIMEOUT_MS)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    config = uvicorn.Config(create_app(max_seconds=None, workers=2), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, name="uvicorn-test", daemon=True)
    thread.start()
    while not srv.started:                 # polls until up; a server that dies fails at once
        if not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        # scrollbars drawn as a user sees them (headless hides them by default)
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                              ignore_default_args=["--hide-scrollbars"])
        yield b
        b.close()


@pytest.fixture()
def width():
    return 1200


@pytest.fixture()
def page(browser, server, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))

    def on_console(m):
        # the API answers bad input with 422 by design; the browser logs any 4xx as an error
        if m.type == "error" and "status of 422" not in m.text:
            errors.append(m.text)
    pg.on("console", on_console)
    pg.goto(server + "/")
    yield pg
    context.close()
    assert not errors, errors  # no script errors, no failed requests logged by the page


def _result_text(pg) -> str:
    return pg.locator("#result-text").inner_text()


def test_derivative_symmetric_layout_and_sharing(page, server):
    pg = page
    expect(pg.locator("h1")).to_contain_text("matdiff")
    pg.locator("#expression").press_sequentially("tr(X*A*X')", delay=20)  # live parsing, debounced
    expect(pg.locator("#result-text")).to_have_text("X*(A + A')")
    expect(pg.locator("#parse-status")).to_contain_text("scalar")

    # the variables table: kinds and dims, X and A
    rows = pg.locator("#variables tbody tr")
    expect(rows).to_have_count(2)
    expect(pg.locator('#variables tr[data-name="X"] select.kind')).to_have_value("matrix")
    expect(pg.locator('#variables tr[data-name="A"] select.kind')).to_have_value("matrix")
    expect(pg.locator("#wrt")).to_have_value("X")

    # the statement is MathML, laid out natively by the browser
    math = pg.locator("#statement math")
    expect(math).to_have_count(1)
    assert pg.locator("#statement mfrac").count() >= 1
    box = math.bounding_box()
    assert box and box["height"] > 20 and box["width"] > 100

    # X symmetric: the gradient within symmetric matrices
    before = _result_text(pg)
    pg.get_by_label("symmetric X").check()
    expect(pg.locator("#result-text")).not_to_have_text(before)
    symmetric = _result_text(pg)
    import matdiff as md
    assert symmetric == md.derivative("tr(X*A*X')", wrt="X", vars={"X": "matrix symmetric"}).text
    expect(pg.locator('#variables tr[data-name="X"]')).to_have_class(re.compile("declared"))

    # numerator layout
    pg.locator('label[for="layout-numerator"]').click()
    expect(pg.locator("#result-shape")).to_contain_text("numerator layout")
    expect(pg.locator("#result-text")).to_have_text(
        md.derivative("tr(X*A*X')", wrt="X", vars={"X": "matrix symmetric"},
                      layout="numerator").text)
    pg.get_by_label("symmetric X").uncheck()
    expect(pg.locator("#result-text")).to_have_text("(A + A')*X'")
    expect(pg.locator('#variables tr[data-name="X"]')).not_to_have_class(re.compile("declared"))

    # the steps and the code
    steps = pg.locator("#steps-box")
    expect(steps).to_be_visible()
    steps.locator("summary").click()
    assert pg.locator("#steps li").count() >= 2
    expect(pg.locator("#code")).to_contain_text("import numpy")
    pg.locator('.code-tabs [data-backend="jax"]').click()
    expect(pg.locator("#code")).to_contain_text("jax")
    with pg.expect_download() as dl:
        pg.locator("#download-code").click()
    assert dl.value.suggested_filename.endswith("_jax.py")

    # the state is in the URL: a new tab with that address shows the same result
    url = pg.url
    assert "#" in url and "layout=numerator" in url and "code=jax" in url
    other = pg.context.new_page()
    other.goto(url)
    expect(other.locator("#result-text")).to_have_text("(A + A')*X'")
    expect(other.locator("#expression")).to_have_value("tr(X*A*X')")
    expect(other.locator("#layout-numerator")).to_be_checked()
    other.close()
    pg.locator('.code-tabs [data-backend="dask"]').click()  # the Dask backend's module
    expect(pg.locator("#code")).to_contain_text("import dask.array as da")
    assert "code=dask" in pg.url

    # the copy-LaTeX button
    pg.context.grant_permissions(["clipboard-read", "clipboard-write"])
    pg.locator("#copy-latex").click()
    expect(pg.locator("#copied")).to_be_visible()

    pg.locator('label[for="layout-mixed"]').click()
    pg.locator('.code-tabs [data-backend="numpy"]').click()
    expect(pg.locator("#result-text")).to_have_text("X*(A + A')")
    screenshot(pg, "web.png")


def screenshot(pg, name: str, full_page: bool = True) -> None:
    """Keep a picture of the page in tests/artifacts/ (ignored by git)."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    ignore = os.path.join(ARTIFACTS, ".gitignore")
    if not os.path.exists(ignore):
        with open(ignore, "w") as f:
            f.write("# screenshots of the browser tests\n*\n")
    pg.screenshot(path=os.path.join(ARTIFACTS, name), full_page=full_page)


def test_syntax_error_is_shown_inline(page):
    pg = page
    pg.locator("#expression").fill("x'*A*")
    err = pg.locator("#parse-status .error-box")
    expect(err).to_be_visible()
    expect(err).to_contain_text("operand")
    expect(pg.locator("#parse-status pre.err-src mark")).to_have_count(1)
    expect(pg.locator("#expression")).to_have_class(re.compile("invalid"))
    # a shape error marks the offending part
    pg.locator("#expression").fill("A*x + y'")
    expect(pg.locator("#parse-status mark")).to_have_text("A*x + y'")
    expect(err).to_contain_text("needs equal shapes")
    # fixed: the error goes away
    pg.locator("#expression").fill("A*x + y")
    expect(pg.locator("#parse-status")).to_contain_text("vector")
    expect(pg.locator("#parse-status .error-box")).to_have_count(0)


def test_examples_and_tensor_forms(page):
    pg = page
    pg.get_by_role("button", name="inv(X) wrt X").click()
    expect(pg.locator("#expression")).to_have_value("inv(X)")
    expect(pg.locator("#tensor-forms")).to_be_visible()
    expect(pg.locator("#result-text")).to_contain_text("T[")
    expect(pg.locator("#vec-text")).to_have_text("-kron(inv(X)', inv(X))")
    expect(pg.locator("#vec-form math")).to_have_count(1)
    pg.get_by_role("button", name="x'*A*x").click()
    expect(pg.locator("#result-text")).to_have_text("(A + A')*x")
    expect(pg.locator("#tensor-forms")).to_be_hidden()
    pg.get_by_role("button", name="A*tanh(B*x)").click()
    expect(pg.locator("#wrt")).to_have_value("x")
    expect(pg.locator("#result-text")).to_contain_text("tanh")


def test_editing_kind_and_dims(page):
    pg = page
    pg.locator("#expression").fill("x'*A*x")
    expect(pg.locator("#result-text")).to_have_text("(A + A')*x")
    pg.get_by_label("dimension 1 of x").fill("3")
    pg.get_by_label("dimension 1 of x").press("Enter")
    expect(pg.get_by_label("dimension 1 of A")).to_have_value("3")   # inferred from x
    expect(pg.locator("#result-shape")).to_contain_text("length 3")
    assert "vars=x%3A+vector%283%29" in pg.url
    pg.get_by_label("kind of A").select_option("scalar")                # x'*A*x with A scalar
    expect(pg.locator("#result-text")).to_have_text("2*A*x")
    pg.get_by_label("reset A").click()
    expect(pg.locator("#result-text")).to_have_text("(A + A')*x")


@pytest.mark.skipif(not HAVE_CHECK, reason="matdiff.check is not in this version")
def test_check_tab_flags_a_wrong_claim(page):
    pg = page
    pg.get_by_role("tab", name="Check a formula").click()
    pg.locator("#claim").fill("d/dX tr(X*A*X') = X*A")
    pg.locator("#check-button").click()
    expect(pg.locator("#verdict")).to_have_text(re.compile("does not hold"))
    expect(pg.locator("#diagnosis")).not_to_be_empty()
    expect(pg.locator("#counterexample")).to_contain_text("largest difference")
    expect(pg.locator("#check-correct-text")).to_have_text("X*(A + A')")
    assert "tab=check" in pg.url and "claim=" in pg.url
    pg.locator("#claim").fill("d/dX tr(X*) = I")
    pg.locator("#check-button").click()
    expect(pg.locator("#check-error mark")).to_have_text(")")
    pg.locator("#claim").fill("d/dX tr(A*X*B) = A'*B'")
    pg.locator("#check-button").click()
    expect(pg.locator("#verdict")).to_have_text(re.compile("holds"))


# ---- no dead ends (issue 15, item 6) --------------------------------------------------------

def _names(pg) -> list[str]:
    return pg.locator("#variables tbody tr[data-name]").evaluate_all(
        "rows => rows.map(r => r.dataset.name)")


def test_declarations_field_and_a_kind_error_fixed_in_one_click(page):
    import matdiff as md
    pg = page
    pg.get_by_role("button", name="tr(X*A*X')").click()
    expect(pg.locator("#result-text")).to_have_text("X*(A + A')")
    # a declaration that cannot type: the table is the new expression's, and stays editable
    pg.locator("#expression").fill("x - mu")
    pg.locator("#decls").fill("mu: matrix")   # (a scalar mu would broadcast: x - mu types)
    expect(pg.locator("#parse-status .error-box")).to_contain_text("mu")
    expect(pg.locator("#variables tbody tr[data-name]")).to_have_count(2)
    assert _names(pg) == ["x", "mu"]                        # never the previous rows
    expect(pg.locator("#variables")).not_to_have_class(re.compile("stale"))
    expect(pg.locator("#result")).to_be_hidden()
    kind = pg.get_by_label("kind of mu")
    expect(kind).to_have_value("matrix")
    expect(kind).to_be_enabled()
    expect(pg.get_by_role("button", name="Declare mu: scalar")).to_be_visible()  # typings found
    expect(pg.locator('#variables tr.error[data-name="mu"]')).to_have_count(1)
    screenshot(pg, "kind-error.png")
    kind.select_option("vector")                            # the one action that fixes it
    expect(pg.locator("#parse-status")).to_contain_text("vector")
    expect(pg.locator("#parse-status .error-box")).to_have_count(0)
    expect(pg.locator("#result-text")).to_have_text(
        md.derivative("x - mu", wrt="x", vars={"mu": "vector"}).text)
    expect(pg.locator("#decls")).to_have_value("mu: vector")   # the table writes the field

    # a bad declaration: its row says why
    pg.locator("#decls").fill("mu: vectr(n)")
    expect(pg.locator('#variables tr.error[data-name="mu"]')).to_have_count(1)
    expect(pg.locator("#variables tr.row-error")).to_contain_text("vectr")
    # a declaration from a chip shows in the field and is used
    pg.get_by_role("button", name="Gaussian log-likelihood, by the mean").click()
    expect(pg.locator("#decls")).to_have_value("mu: vector(n)")
    gauss = "-0.5*logdet(Sigma) - 0.5*(x - mu)'*inv(Sigma)*(x - mu)"
    expect(pg.locator("#result-text")).to_have_text(
        md.derivative(gauss, wrt="mu", vars={"mu": "vector(n)"}).text)


def test_a_suggested_declaration_is_one_click(page):
    """When the error suggests a declaration (the server's ``fix``), a button applies it."""
    pg = page
    answered = []

    def suggest(route):
        if answered:
            return route.continue_()
        answered.append(1)
        route.fulfill(status=422, content_type="application/json", body=json.dumps({
            "error": "mu is a scalar by its name, but x - mu uses it as a vector; declare it: "
                     "vars={\"mu\": \"vector(n)\"}", "position": 0, "end": 6,
            "type": "ShapeError", "field": "expression",
            "variables": [{"name": "x", "kind": "vector", "dims": [], "props": [], "implied": [],
                           "declared": False},
                          {"name": "mu", "kind": "scalar", "dims": [], "props": [], "implied": [],
                           "declared": False}],
            "fix": {"name": "mu", "declaration": "vector(n)"}}))
    pg.route("**/api/parse", suggest)
    pg.locator("#expression").fill("x - mu")
    fix = pg.get_by_role("button", name="Declare mu: vector(n)")
    expect(fix).to_be_visible()
    expect(pg.locator('#variables tr.error[data-name="mu"]')).to_have_count(1)
    fix.click()
    expect(pg.locator("#decls")).to_have_value("mu: vector(n)")
    expect(pg.locator("#result-text")).to_have_text("I")
    # the server's own search for a typing: one click on its button
    pg.locator("#expression").fill("x + A*mu")   # (x - mu with a scalar mu broadcasts)
    pg.locator("#decls").fill("mu: scalar")
    pg.get_by_role("button", name="Declare mu: vector").click()
    expect(pg.locator("#decls")).to_have_value("mu: vector")
    expect(pg.locator("#parse-status .error-box")).to_have_count(0)
    expect(pg.locator("#result-text")).to_have_text("I")


def _fully_visible(pg, selector: str) -> list[str]:
    """For each formula box: 'ok' when its formula is seen whole, or can be scrolled to its
    end with a visible hint; else what is wrong."""
    return pg.locator(selector).evaluate_all("""boxes => boxes.map((el, i) => {
        const m = el.querySelector('math');
        if (!m) return 'ok';
        const b = el.getBoundingClientRect();
        let r = m.getBoundingClientRect();
        if (r.left >= b.left - 1 && r.right <= b.right + 1) return 'ok';
        const hint = el.nextElementSibling;
        if (!el.classList.contains('overflowing') || !hint || hint.hidden
            || getComputedStyle(el).overflowX !== 'auto') return i + ': clipped, no scroll';
        el.scrollLeft = el.scrollWidth;
        r = m.getBoundingClientRect();
        const end = r.right <= b.right + 1;
        el.scrollLeft = 0;
        return end ? 'ok' : i + ': cannot scroll to its end';
    })""")


def test_wide_formulas_and_steps_are_never_clipped(page):
    pg = page
    pg.get_by_role("button", name="Gaussian log-likelihood, by the covariance").click()
    expect(pg.locator("#statement math")).to_have_count(1)
    assert _fully_visible(pg, "#statement") == ["ok"]
    # the logistic loss's Hessian: 20 steps, each seen whole or scrollable to its end
    pg.get_by_role("button", name="logistic loss").click()
    expect(pg.locator("#result-text")).to_contain_text("sigmoid")
    pg.locator("#order").fill("2")
    pg.locator("#order").press("Enter")
    expect(pg.locator("#result-shape")).to_contain_text("order 2")
    pg.locator("#steps-box summary").click()
    steps = pg.locator("#steps li")
    assert steps.count() >= 20
    checks = _fully_visible(pg, "#steps .math-block")
    assert checks == ["ok"] * steps.count(), checks
    # the text form of each step wraps inside the page
    widths = pg.locator("#steps code.step-text").evaluate_all(
        "els => els.map(e => e.scrollWidth - e.clientWidth)")
    assert max(widths) <= 1, widths
    assert pg.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    screenshot(pg, "hessian-steps.png")


def _numbers(text: str):
    import numpy as np
    return np.array([[float(x) for x in line.split()] for line in text.strip().splitlines()])


def test_evaluate_panel_with_finite_differences(page):
    import numpy as np
    pg = page
    pg.get_by_role("button", name="least squares").click()
    expect(pg.locator("#result-text")).to_have_text("2*X'*(X*w - y)")
    verdict = pg.locator("#eval-verdict")
    expect(verdict).to_have_text(re.compile("agrees with finite differences"))
    # the numbers shown are the derivative's at the values shown
    values = {n: _numbers(pg.get_by_label(f"value of {n}").input_value()) for n in "Xwy"}
    X, w, y = values["X"], values["w"].ravel(), values["y"].ravel()
    shown = _numbers(pg.locator("#eval-derivative").inner_text()).ravel()
    fd = _numbers(pg.locator("#eval-fd").inner_text()).ravel()
    np.testing.assert_allclose(shown, 2 * X.T @ (X @ w - y), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fd, shown, rtol=1e-5, atol=1e-6)
    screenshot(pg, "evaluate.png")

    # values typed in
    pg.get_by_label("value of X").fill("1 2\n3 4")
    pg.get_by_label("value of w").fill("1 1")
    pg.get_by_label("value of y").fill("0 1")
    pg.locator("#eval-run").click()
    expect(pg.locator("#eval-derivative")).to_have_text("42  60")
    expect(pg.locator("#eval-value")).to_have_text("45")        # |(3, 6)|^2
    np.testing.assert_allclose(_numbers(pg.locator("#eval-fd").inner_text()).ravel(), [42, 60],
                               rtol=1e-6)
    expect(pg.locator("#eval-sizes")).to_have_text(re.compile("= 2"))
    # a value that cannot be read, then one of the wrong size: said in one line
    pg.get_by_label("value of X").fill("1 2\n3")
    pg.locator("#eval-run").click()
    expect(pg.locator("#eval-error")).to_contain_text("rows of X have different lengths")
    pg.get_by_label("value of X").fill("1 2 3\n3 4 5")
    pg.locator("#eval-run").click()
    expect(pg.locator("#eval-error")).to_contain_text("already")
    # fresh random values
    pg.get_by_label("value of X").fill("1 2\n3 4")
    pg.locator("#eval-run").click()
    expect(pg.locator("#eval-derivative")).to_have_text("42  60")
    pg.locator("#eval-random").click()
    expect(pg.locator("#eval-derivative")).not_to_have_text("42  60")
    expect(verdict).to_have_text(re.compile("agrees"))


def test_every_loss_chip_derives(page):
    import matdiff as md
    pg = page
    chips = pg.locator('[aria-label="Machine-learning losses"] button')
    assert chips.count() >= 6
    for i in range(chips.count()):
        chip = chips.nth(i)
        expr, wrt, decls = (chip.get_attribute(a) for a in ("data-expression", "data-wrt",
                                                              "data-vars"))
        chip.click()
        want = md.derivative(expr, wrt=wrt, vars=decls).text
        expect(pg.locator("#result-text")).to_have_text(want)
        expect(pg.locator("#eval-verdict")).to_have_text(re.compile("agrees"))


def test_index_form_once_and_its_code_tab(page):
    import matdiff as md
    pg = page
    pg.get_by_role("button", name="inv(X) wrt X").click()
    expect(pg.locator("#result-text")).to_contain_text("T[")
    expect(pg.locator("#tensor-forms")).to_be_visible()
    texts = pg.locator("code:visible, pre:visible").all_inner_texts()
    index = md.derivative("inv(X)", wrt="X").text
    assert sum(index in t for t in texts) == 1, texts     # the index form is shown once
    try:
        code = md.derivative("inv(X)", wrt="X").code("numpy")
    except md.MatdiffError:
        code = None
    if code:                                               # index-form code generation landed
        expect(pg.locator("#code")).to_contain_text("import numpy")
    else:
        expect(pg.locator("#code-note")).to_be_visible()
        expect(pg.locator("#code-note")).to_contain_text("three or more indices")
        expect(pg.locator("#code")).to_be_hidden()
    expect(pg.locator("#notes")).not_to_contain_text("closed matrix form")
    expect(pg.locator("#eval-verdict")).to_have_text(re.compile("agrees"))
    screenshot(pg, "index-form.png")


@pytest.mark.parametrize("width", [390])
def test_narrow_screen_keeps_the_property_columns_usable(page, width):
    pg = page
    pg.get_by_role("button", name="tr(X*A*X')").click()
    expect(pg.locator("#result-text")).to_have_text("X*(A + A')")
    assert pg.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    for prop in ("symmetric", "spd", "diagonal", "positive", "invertible"):
        box = pg.get_by_label(f"{prop} X")
        expect(box).to_be_visible()
        b = box.bounding_box()
        assert b and b["x"] >= 0 and b["x"] + b["width"] <= width, (prop, b)
        expect(pg.locator('#variables tr[data-name="X"] .prop-name', has_text=prop)).to_be_visible()
    pg.get_by_label("symmetric X").check()
    expect(pg.locator('#variables tr[data-name="X"]')).to_have_class(re.compile("declared"))
    expect(pg.locator("#result-text")).not_to_have_text("X*(A + A')")
    pg.locator("#variables").scroll_into_view_if_needed()
    screenshot(pg, "narrow-390-table.png", full_page=False)  # as the phone shows it
    # a formula wider than the screen scrolls, with a hint, and nothing is cut off for good
    pg.get_by_role("button", name="Gaussian log-likelihood, by the covariance").click()
    expect(pg.locator("#statement math")).to_have_count(1)
    assert _fully_visible(pg, "#statement") == ["ok"]
    assert pg.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    expect(pg.locator("#eval-verdict")).to_have_text(re.compile("agrees"))
    pg.locator("#statement").scroll_into_view_if_needed()
    screenshot(pg, "narrow-390-formula.png", full_page=False)
    screenshot(pg, "narrow-390.png")


def test_definitions_in_the_input_and_a_named_result(page):
    import matdiff as md
    pg = page
    pg.locator("#expression").fill("z = W*x; sum(tanh(z))")
    expect(pg.locator("#result-text")).to_have_text(md.derivative("z = W*x; sum(tanh(z))",
                                                                  wrt="x").text)
    # the variables are those underneath the definition
    expect(pg.locator("#variables tbody tr")).to_have_count(2)
    expect(pg.locator('#variables tr[data-name="z"]')).to_have_count(0)
    # a defined twice name is an error at its place
    pg.locator("#expression").fill("z = W*x; z = x; sum(z)")
    expect(pg.locator("#parse-status .error-box")).to_contain_text("defined twice")
    # a Hessian whose result names a repeated part: the text and the statement show it
    expr = "sum(log(ones + exp(-y .* (X*w))))"
    pg.locator("#expression").fill(expr)
    expect(pg.locator('#wrt option[value="w"]')).to_have_count(1)
    pg.locator("#wrt").select_option("w")
    pg.locator("#order").fill("2")
    pg.locator("#order").press("Enter")
    want = md.hessian(expr, "w").text
    assert "  where " in want
    expect(pg.locator("#result-text")).to_have_text(want)
    expect(pg.locator("#statement mtext", has_text="where")).to_have_count(1)


# ---- kinds from use (issue 15, item 1) --------------------------------------------------------

def test_kinds_from_use_and_a_kind_error_fixed_in_one_click(page):
    """N, n and mu with no declarations; then a kind error whose message names the table's
    kind, fixed by that one choice; and a claim's kind error fixed by its button."""
    import matdiff as md
    pg = page
    gauss = "-0.5*logdet(Sigma) - 0.5*(x - mu)'*inv(Sigma)*(x - mu)"
    for expr, wrt, name, kind in [("-N/2*logdet(S)", "S", "N", "scalar"),
                                  ("n/2*log(sigma^2)", "sigma", "n", "scalar"),
                                  (gauss, "mu", "mu", "vector")]:
        pg.locator("#expression").fill(expr)
        expect(pg.get_by_label(f"kind of {name}")).to_have_value(kind)
        pg.locator("#wrt").select_option(wrt)
        expect(pg.locator("#result-text")).to_have_text(md.derivative(expr, wrt=wrt).text)
        expect(pg.locator("#parse-status .error-box")).to_have_count(0)
    expect(pg.locator("#decls")).to_have_value("")            # nothing had to be declared

    pg.locator("#expression").fill("N*x'*x")
    box = pg.locator("#parse-status .error-box")
    expect(box).to_contain_text("N is a matrix by the naming convention")
    expect(box).to_contain_text("in the Variables table, choose scalar for N")
    expect(pg.locator('#variables tr.error[data-name="N"]')).to_have_count(1)
    screenshot(pg, "kind-error-N.png")
    pg.get_by_label("kind of N").select_option("scalar")     # the one action that fixes it
    expect(box).to_have_count(0)
    pg.locator("#wrt").select_option("x")
    expect(pg.locator("#result-text")).to_have_text(
        md.derivative("N*x'*x", wrt="x", vars={"N": "scalar"}).text)
    expect(pg.locator("#decls")).to_have_value("N: scalar")

    if HAVE_CHECK:
        pg.locator("#tab-check").click()
        pg.locator("#claim").fill("d/dx N*x'*x = 2*N*x")
        pg.locator("#check-button").click()
        expect(pg.locator("#check-error")).to_contain_text("add 'N: scalar' to the declarations")
        pg.get_by_role("button", name="Declare N: scalar").click()
        expect(pg.locator("#claim-vars")).to_have_value("N: scalar")
        expect(pg.locator("#verdict")).to_have_text(re.compile("holds"))
