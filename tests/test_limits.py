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


def _smallest_cap_that_suffices(expr, wrt, **kw) -> int:
    """Under the counting clock: the least ``max_seconds`` (clock readings) that lets the
    derivation finish.  The stage a derivation stops in only moves later as the cap grows,
    so a bisection finds it."""
    lo, hi = 0, 1
    while True:
        try:
            md.derivative(expr, wrt=wrt, max_seconds=hi, **kw)
            break
        except LimitError:
            lo, hi = hi, 2 * hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            md.derivative(expr, wrt=wrt, max_seconds=mid, **kw)
            hi = mid
        except LimitError:
            lo = mid
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
