"""Limits: input length, nesting depth, exponents, derivative size and time, order.

Every cap is a ``LimitError`` (or, for the order, ``NotSupportedError``)
with a one-line message naming the option to raise, reached quickly — never
a ``RecursionError``, a ``MemoryError`` or a run that does not end — and
every cap is configurable from the API (keyword arguments of
``md.derivative`` or fields of ``md.Options``).  The defaults are documented
in ``matdiff/parse.py``'s docstring.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import matdiff as md
from matdiff import cli
from matdiff.errors import LimitError, MatdiffError, NotSupportedError
from matdiff.parse import DEFAULT_MAX_DEPTH, DEFAULT_MAX_LENGTH

xfail = pytest.mark.xfail


def refused(expr, wrt="x", error=LimitError, **kw) -> str:
    """The one-line message of the error that refuses ``expr``.  (A hang would stop the run;
    no test here decides by a wall clock.)"""
    with pytest.raises(error) as info:
        md.derivative(expr, wrt=wrt, **kw)
    msg = str(info.value)
    assert "\n" not in msg and len(msg) < 400, msg
    return msg


# ---- input length ------------------------------------------------------------------------

def test_200_kB_expression_is_too_large():
    expr = "x'*x + " * 30_000 + "x'*x"            # about 210 kB
    msg = refused(expr)
    assert "too large" in msg and f"limit is {DEFAULT_MAX_LENGTH}" in msg and "max_length" in msg


def test_10000_nested_parentheses():
    expr = "(" * 10_000 + "x" + ")" * 10_000
    msg = refused(expr)
    assert "too large" in msg or "too deep" in msg
    # with the length limit raised the depth limit answers, still without a RecursionError
    msg = refused(expr, max_length=10 ** 6)
    assert "nested too deeply" in msg and "max_depth" in msg


def test_10000_unclosed_parentheses():
    msg = refused("(" * 10_000 + "x", max_length=10 ** 6)
    assert "nested too deeply" in msg


@pytest.mark.parametrize("expr, wrt", [
    ("sum(" + "exp(" * 5000 + "x" + ")" * 5000 + ")", "x"),
    ("-" * 10_000 + "x", "x"),
    ("alpha" + "^1" * 5000, "alpha"),
    ("tr(" + "inv(" * 5000 + "X" + ")" * 5000 + ")", "X"),
    ("x'*" + "(A*" * 5000 + "x" + ")" * 5000, "x"),
    ("kron(" * 3000 + "A" + ", B)" * 3000, "A"),
], ids=["functions", "unary-minus", "power-chain", "inv-chain", "products", "kron"])
def test_deep_nesting_of_every_kind_is_refused(expr, wrt):
    msg = refused(expr, wrt, max_length=10 ** 6)
    assert "nested too deeply" in msg


def test_nesting_just_inside_the_limit_works():
    k = DEFAULT_MAX_DEPTH - 1
    r = md.derivative("(" * k + "x" + ")" * k + "'*x", wrt="x")
    assert r.text == "2*x"
    r = md.derivative("-" * (DEFAULT_MAX_DEPTH - 2) + "alpha", wrt="alpha")
    assert r.text in ("1", "-1")
    r = md.derivative("x'*" + "(A*" * (k - 1) + "x" + ")" * (k - 1), wrt="x")
    assert r.evaluate is not None


def test_long_flat_expression_within_the_limit_is_fine():
    expr = " + ".join(f"x'*A{i}*x" for i in range(300))
    r = md.derivative(expr, wrt="x")
    assert r.text.count("A") >= 300


def test_limits_are_configurable():
    refused("x'*x + x'*x", max_length=5)
    refused("((x))'*x", max_depth=2)
    assert md.derivative("((x))'*x", wrt="x", max_depth=3).text == "2*x"
    # a nesting above the default, allowed by a raised limit
    k = DEFAULT_MAX_DEPTH + 20
    refused("(" * k + "x" + ")" * k + "'*x")
    assert md.derivative("(" * k + "x" + ")" * k + "'*x", wrt="x", max_depth=k + 5).text == "2*x"
    # the same through an Options object
    opts = md.Options(max_length=5)
    with pytest.raises(LimitError):
        md.derivative("x'*x + x'*x", wrt="x", options=opts)


@pytest.mark.parametrize("expr", [
    "(" * 3000 + "x" + ")" * 3000 + "'*x",
    "sum(" + "exp(" * 3000 + "x" + ")" * 3000 + ")",
    "-" * 3000 + "x",
], ids=["parentheses", "functions", "unary-minus"])
def test_raised_depth_never_gives_a_recursion_error(expr):
    """A max_depth far above what Python's stack allows is still answered by a LimitError,
    never a RecursionError."""
    msg = refused(expr, max_depth=10 ** 6, max_length=10 ** 6)
    assert "nested too deeply" in msg


def test_raised_depth_power_chain_gives_a_limit_error():
    refused("alpha" + "^2^0.5" * 1000, "alpha", max_depth=10 ** 6, max_length=10 ** 6)


def test_power_chain_at_the_default_depth_works():
    r = md.derivative("alpha" + "^2^0.5" * 45, wrt="alpha")
    assert r.evaluate(alpha=2.0) == pytest.approx(1.0)


# ---- exponents ---------------------------------------------------------------------------------

def test_matrix_power_of_a_million_is_refused_quickly():
    msg = refused("X^1000000", "X")
    assert "matrix power 1000000 exceeds the limit of 64" in msg
    refused("X^-1000000", "X")
    refused("X^1e6", "X")
    msg = refused("(X^8)^16", "X")  # 128 in all
    assert "128" in msg


def test_matrix_power_within_the_limit():
    r = md.derivative("tr(X^64)", wrt="X")
    assert r.text == "64*X'^63"


def test_scalar_power_of_a_million_is_handled_quickly():
    r = md.derivative("alpha^1000000", wrt="alpha")
    assert r.text == "1000000*alpha^999999"
    r = md.derivative("sum(x.^1000000)", wrt="x")
    assert "999999" in r.text


def test_huge_scalar_exponents_are_refused():
    assert "exponent too large" in refused("alpha^1e7", "alpha")
    assert "exponent too large" in refused("alpha" + "^2" * 30, "alpha")  # 2^30 in all
    assert "exponent too large" in refused("alpha^(10^10^10)", "alpha")
    assert "number too large" in refused("alpha^(10^1000)", "alpha", error=MatdiffError)


# ---- size and time of the derivation ---------------------------------------------------------

def test_exploding_derivative_is_refused_by_max_terms():
    msg = refused("tr(X*X*X*X*X*X*X*X*X*X*X*X)", "X", order=2, max_terms=50)
    assert "50 terms" in msg and "max_terms" in msg
    msg = refused("sum(exp(exp(exp(exp(x)))))", order=6)
    assert "terms" in msg


def test_exploding_derivative_is_refused_by_max_seconds(counting_clock):
    msg = refused("tr(X*X*X*X*X*X*X*X)", "X", order=4, max_seconds=50)
    assert "too long" in msg and "max_seconds" in msg


def test_order_above_the_limit_is_refused():
    with pytest.raises(NotSupportedError, match="order 7 exceeds the limit of 6"):
        md.derivative("x'*x", wrt="x", order=7)
    assert md.derivative("alpha^8", wrt="alpha", order=7, max_order=7).text == "40320*alpha"


def test_huge_order_is_refused_at_once():
    """Run with 2 GB of address space: a list of 10^9 names cannot be built there."""
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
            "import matdiff as md\n"
            "try:\n"
            "    md.derivative(\"x'*x\", wrt='x', order=10 ** 9)\n"
            "except md.NotSupportedError as e:\n"
            "    print('refused:', e)\n"
            "except MemoryError:\n"
            "    print('MemoryError')\n")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert p.stdout.startswith("refused: order 1000000000 exceeds the limit of 6"), p.stdout + p.stderr


def _cold_simplifier():
    from matdiff.simplify import prettify, transpose
    prettify.cache_clear()      # they memoise: every run starts cold, reading the clock alike
    transpose.cache_clear()


def _smallest_cap_that_suffices(expr, wrt, prints=(), **kw) -> int:
    """Under the counting clock: the least ``max_seconds`` (clock readings) that lets the
    derivation finish, and each printing named in ``prints`` (each has that cap afresh).  The
    stage a derivation stops in only moves later as the cap grows, so a bisection finds it."""
    def enough(cap) -> bool:
        _cold_simplifier()
        try:
            r = md.derivative(expr, wrt=wrt, max_seconds=cap, **kw)
            for show in prints:
                getattr(r, show)
            return True
        except LimitError:
            return False
    lo, hi = 0, 1
    while not enough(hi):
        lo, hi = hi, 2 * hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if enough(mid) else (mid, hi)
    _cold_simplifier()          # the caller's run starts cold too
    return hi


def test_time_cap_covers_the_whole_derivation(counting_clock):
    msg = refused("alpha" + "*alpha" * 2000, "alpha", max_seconds=100)
    assert "too long" in msg and "max_seconds" in msg


def test_time_cap_covers_simplify(counting_clock):
    """One reading short of enough, the derivation stops in its last stage: simplification."""
    expr = "sum(" + "log(" * 30 + "x" + ")" * 30 + ")"
    cap = _smallest_cap_that_suffices(expr, "x", order=2)
    msg = refused(expr, order=2, max_seconds=cap - 1)
    assert msg.startswith("simplifying the derivative takes too long") and "max_seconds" in msg


def test_typecheck_honours_a_deadline(counting_clock):
    from matdiff import clock
    from matdiff.shapes import typecheck
    with pytest.raises(LimitError, match="too long"):
        typecheck("alpha" + "*alpha" * 3000, deadline=clock.deadline_after(100))
    assert counting_clock.readings < 200


# ---- the command line -----------------------------------------------------------------------

@pytest.mark.parametrize("expr", [
    "(" * 5000 + "x" + ")" * 5000,
    "x'*x + " * 30_000 + "x'*x",
    "X^1000000",
], ids=["deep", "large", "matrix-power"])
def test_cli_limits_are_one_line(expr, capsys):
    rc = cli.main(["--wrt", "X" if "X" in expr else "x", "--", expr])
    out, err = capsys.readouterr()
    assert rc == 2 and out == "" and "Traceback" not in err
    assert len(err.splitlines()) == 1 and err.startswith("matdiff: error: ")
    assert len(err) < 400


# ---- printing -------------------------------------------------------------------------------

NESTED = "sigmoid(sigmoid(sigmoid(sigmoid(t))))"


@pytest.mark.parametrize("show", ["text", "latex", "statement", "steps", "code"])
def test_printing_is_capped_like_deriving(show):
    """A derivative over ``max_print`` symbols is refused when it is printed (text, LaTeX,
    steps, generated code), in one line that names its size, as deriving is capped."""
    from matdiff.derivation import printed_size
    r = md.derivative(NESTED, wrt="t", vars={"t": "scalar"}, order=2, max_print=100)
    size = printed_size([r.expr])
    assert size > 100
    with pytest.raises(LimitError) as info:
        r.code() if show == "code" else getattr(r, show)
    msg = str(info.value)
    assert "\n" not in msg and "over the limit of 100" in msg and "max_print" in msg
    if show != "steps":
        assert f"{size:,} symbols" in msg


def test_printing_within_the_cap():
    from matdiff.derivation import printed_size
    r = md.derivative(NESTED, wrt="t", vars={"t": "scalar"}, order=2)
    size = printed_size([r.expr])
    again = md.derivative(NESTED, wrt="t", vars={"t": "scalar"}, order=2, max_print=size)
    assert again.text == r.text and again.latex == r.latex
    assert r.steps[-1].text == r.text   # the steps print the stages too: more than the result


# ---- printing under the time cap ----------------------------------------------------------------
# The derivation runs under the frozen clock (it never expires); the printing then runs under a
# counting one, so a cap of max_seconds=k allows k readings of the clock, on any machine.

PRINTED = "sigmoid(" * 6 + "t" + ")" * 6


def _cold_text_cache():
    from matdiff.render import text
    text._fmt_cached.cache_clear()     # the text printer memoises: cold, it does all its work


def _show(r, show):
    if show == "code":
        return r.code()
    if show == "steps":
        return r.steps.text
    return getattr(r, show)


@pytest.mark.parametrize("show", ["text", "latex", "statement", "steps", "code"])
def test_printing_runs_under_the_derivations_time_cap(show, monkeypatch):
    """Printing a result gets the derivation's own max_seconds, afresh: past it, a one-line
    LimitError naming what was being printed and its size, stopped at the cap."""
    from matdiff import clock
    from support.clocks import CountingClock
    r = md.derivative(PRINTED, wrt="t", vars={"t": "scalar"}, order=2, max_seconds=5)
    counting = CountingClock()
    monkeypatch.setattr(clock, "now", counting)
    _cold_text_cache()
    with pytest.raises(LimitError) as info:
        _show(r, show)
    msg = str(info.value)
    assert "\n" not in msg and "takes too long" in msg and "time limit of 5 s" in msg
    assert "max_seconds" in msg and " symbols)" in msg
    what = {"text": "printing the result (", "latex": "printing the LaTeX of the result (",
            "statement": "printing the statement in LaTeX (", "steps": "printing the steps (",
            "code": "printing the generated code ("}[show]
    assert msg.startswith(what), msg
    assert counting.readings <= 5 + 2          # stopped at the cap, not at the end of the work


@pytest.mark.parametrize("show", ["text", "latex", "statement", "steps", "code"])
def test_printing_within_the_time_cap(show, monkeypatch):
    """With room enough, the printing under the counting clock reads it (it is capped) and
    prints what it prints without a cap."""
    from matdiff import clock
    from support.clocks import CountingClock
    want = _show(md.derivative(PRINTED, wrt="t", vars={"t": "scalar"}, order=2), show)
    r = md.derivative(PRINTED, wrt="t", vars={"t": "scalar"}, order=2, max_seconds=10 ** 9)
    counting = CountingClock()
    monkeypatch.setattr(clock, "now", counting)
    _cold_text_cache()
    assert _show(r, show) == want
    assert counting.readings > 5


def test_compiled_code_is_generated_under_the_time_cap(monkeypatch):
    """md.compile writes its code at the first call, under the derivation's max_seconds."""
    from matdiff import clock
    from support.clocks import CountingClock
    f = md.compile(PRINTED, wrt="t", vars={"t": "scalar"}, order=2, options=md.Options(max_seconds=5))
    counting = CountingClock()
    monkeypatch.setattr(clock, "now", counting)
    with pytest.raises(LimitError, match=r"^printing the generated code \(.* symbols\) takes too "
                                         r"long \(over the time limit of 5 s\)"):
        f(t=0.3)
    assert counting.readings <= 5 + 2
    g = md.compile(PRINTED, wrt="t", vars={"t": "scalar"}, order=2,
                   options=md.Options(max_seconds=10 ** 9))
    value, d1, d2 = g(t=0.3)
    h = 1e-4
    assert d1 == pytest.approx((g(t=0.3 + h)[0] - g(t=0.3 - h)[0]) / (2 * h), rel=1e-6)


def test_cli_steps_past_the_time_cap_is_one_line(counting_clock, capsys):
    """The command line's --max-seconds caps the derivation and then the printing: a cap just
    enough for the derivation is too little for its long steps, and says so in one line."""
    cap = _smallest_cap_that_suffices(PRINTED, "t", vars={"t": "scalar"}, order=2)
    args = ["--wrt", "t", "--var", "t: scalar", "--order", "2", "--max-seconds", str(cap), PRINTED]
    assert cli.main(args) == 0
    capsys.readouterr()
    rc = cli.main(args + ["--steps"])
    out, err = capsys.readouterr()
    assert rc == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith("matdiff: error: printing the steps (") and "max_seconds" in err
    assert f"time limit of {cap:g} s" in err


def test_page_reports_steps_past_the_time_cap(counting_clock):
    """The page's service keeps the result and says in the steps' place why they are missing."""
    from matdiff.web import service
    cap = _smallest_cap_that_suffices(PRINTED, "t", prints=("text", "latex", "statement"),
                                      vars={"t": "scalar"}, order=2)
    out = service.derivative({"expression": PRINTED, "wrt": "t", "vars": {"t": "scalar"},
                              "order": 2}, max_seconds=cap)
    assert out["text"] and out["steps"] is None
    assert out["notes"]["steps"].startswith("printing the steps (")
    assert "takes too long" in out["notes"]["steps"]


def test_evaluate_reads_a_text_longer_than_the_default_when_asked():
    """md.evaluate's LimitError says to raise max_length, and md.evaluate takes it (a printed
    result may be longer than 20,000 characters: max_print counts 200,000 symbols)."""
    x = np.array([1.0, 2.0])
    text = " + ".join(["x'*x"] * 5000)    # 34,997 characters
    with pytest.raises(md.LimitError, match="raise max_length"):
        md.evaluate(text, x=x)
    assert float(md.evaluate(text, x=x, max_length=40_000)) == 5000 * 5.0
    index = "T[i] = " + " + ".join(["x[i]"] * 5000)   # an index form's atoms read alike
    assert np.allclose(md.evaluate(index, x=x, max_length=40_000), 5000 * x)
