"""The web page in a real browser: Playwright's sync API driving Debian's chromium
(``apt-get install -y chromium``; no browser is downloaded).  A uvicorn server runs on a
free loopback port in a thread.  Saves a screenshot to tests/artifacts/web.png."""
from __future__ import annotations

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
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser, server):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
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

    # the copy-LaTeX button
    pg.context.grant_permissions(["clipboard-read", "clipboard-write"])
    pg.locator("#copy-latex").click()
    expect(pg.locator("#copied")).to_be_visible()

    os.makedirs(ARTIFACTS, exist_ok=True)
    ignore = os.path.join(ARTIFACTS, ".gitignore")
    if not os.path.exists(ignore):
        with open(ignore, "w") as f:
            f.write("# screenshots of the browser tests\n*\n")
    pg.locator('label[for="layout-mixed"]').click()
    pg.locator('.code-tabs [data-backend="numpy"]').click()
    expect(pg.locator("#result-text")).to_have_text("X*(A + A')")
    pg.screenshot(path=os.path.join(ARTIFACTS, "web.png"), full_page=True)


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
    expect(pg.locator("#index-text")).to_contain_text("T[")
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
