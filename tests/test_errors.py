"""Hostile and mistaken input: every error is a one-line ``MatdiffError`` that names the place.

LANGUAGE.md §4: bad input (a syntax error, a shape conflict, an unknown
function, a name to differentiate by that is neither declared nor used) is a
clear one-line error that points at the place in the input, exit status 2 on
the command line, a ``matdiff.MatdiffError`` subclass in Python — never a
traceback.  Each case below is run through the Python API and through
``matdiff.cli.main`` (exit status 2, exactly one line on stderr, no traceback).

Numbers (``md.evaluate`` / ``Result.evaluate``) that are out of the domain
or of the wrong shape are an ``EvaluationError`` naming the variable or the
sub-expression, never a NaN result, a NumPy warning or a NumPy traceback.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import matdiff as md
from matdiff import cli
from matdiff.errors import (DeclarationError, EvaluationError, LimitError, MatdiffError, ParseError,
                            ShapeError, UnknownNameError)

xfail = pytest.mark.xfail


def case(id, expr, wrt="x", vars=None, error=MatdiffError, *needles, marks=()):
    """An input that must fail with ``error`` whose message contains every needle."""
    return pytest.param(expr, wrt, vars, error, needles, id=id, marks=marks)


CASES = [
    # ---- empty and whitespace --------------------------------------------------------------
    case("empty", "", "x", None, ParseError, "empty expression"),
    case("spaces", "   ", "x", None, ParseError, "empty expression"),
    case("tabs-newlines", "\t\n  \r\n", "x", None, ParseError, "empty expression"),
    # ---- unbalanced brackets ---------------------------------------------------------------
    case("open-paren", "(x'*x", "x", None, ParseError, "unbalanced '('"),
    case("close-paren", "x'*x)", "x", None, ParseError, "unbalanced ')'"),
    case("nested-open", "((x'*x)", "x", None, ParseError, "unbalanced '('"),
    case("call-unclosed", "tr(X", "X", None, ParseError, "unbalanced '('"),
    case("call-unclosed-nested", "tr(inv(X)", "X", None, ParseError, "unbalanced '('"),
    case("close-first", ")x(", "x", None, ParseError, "')'"),
    case("square-brackets", "[x]'*x", "x", None, ParseError, "( )"),
    case("braces", "{x}'*x", "x", None, ParseError, "( )"),
    case("empty-parens", "()", "x", None, ParseError, "empty parentheses"),
    case("empty-call", "tr()", "X", None, ParseError, "tr() needs an argument"),
    # ---- stray and doubled operators -------------------------------------------------------
    case("leading-star", "*x", "x", None, ParseError, "operand"),
    case("trailing-plus", "x'*x +", "x", None, ParseError, "ends where an operand is expected"),
    case("trailing-star", "x'*x*", "x", None, ParseError, "ends where an operand is expected"),
    case("double-star", "x'**x", "x", None, ParseError, "'**'", "^"),
    case("double-slash", "x//alpha", "x", None, ParseError, "'//'"),
    case("star-slash", "x'*/x", "x", None, ParseError, "operand", "'/'"),
    case("double-caret", "alpha^^2", "alpha", None, ParseError, "operand"),
    case("lone-caret", "alpha^", "alpha", None, ParseError, "exponent"),
    case("double-dot", "x'..*x", "x", None, ParseError, "'.'"),
    case("lone-comma", ",", "x", None, ParseError, "','"),
    case("trailing-comma", "kron(A,)", "A", None, ParseError, "')'"),
    case("missing-operator", "x'x", "x", None, ParseError, "missing operator"),
    case("juxtaposed-number", "2x", "x", None, ParseError, "missing operator"),
    case("juxtaposed-names", "x y", "x", None, ParseError, "missing operator"),
    case("at-matmul", "A@x", "x", None, ParseError, "'@'", "*"),
    case("percent", "x % 2", "x", None, ParseError, "'%'"),
    case("assignment", "y = A*x", "x", None, ParseError, "assignment"),
    case("comparison", "x'*x < 1", "x", None, ParseError, "comparison"),
    case("function-without-call", "tr + 1", "x", None, ParseError, "'tr' is a function", "tr(...)"),
    case("function-space-arg", "sin x", "x", None, ParseError, "'sin' is a function"),
    # ---- unknown and misspelt functions ----------------------------------------------------
    case("misspelt-trace", "tarce(X)", "X", None, ParseError, "unknown function 'tarce'", "did you mean 'tr'"),
    case("misspelt-log", "lgo(x'*x)", "x", None, ParseError, "unknown function 'lgo'", "did you mean 'log'"),
    case("misspelt-logdet", "logdett(X)", "X", None, ParseError, "did you mean 'logdet'"),
    case("misspelt-sigmoid", "sigmod(x)", "x", None, ParseError, "did you mean 'sigmoid'"),
    case("misspelt-inv", "invv(X)", "X", None, ParseError, "did you mean 'inv'"),
    case("misspelt-expm", "exmp(X)", "X", None, ParseError, "did you mean 'exp"),
    case("unknown-function", "frobnicate(x)", "x", None, ParseError, "unknown function 'frobnicate'"),
    case("variable-called", "x(1)", "x", None, ParseError, "unknown function 'x'", "indexing"),
    case("ones-called", "ones()'*x", "x", None, ParseError, "ones takes sizes, ones(n) or ones(m, n)"),
    case("ones-of-expression", "ones(x'*x)", "x", None, ParseError,
         "')' after the size of ones(n) or ones(m, n)"),
    # ---- wrong argument counts -------------------------------------------------------------
    case("tr-two-args", "tr(X, Y)", "X", None, ParseError, "tr takes 1 argument, got 2"),
    case("exp-two-args", "sum(exp(x, x))", "x", None, ParseError, "exp takes 1 argument, got 2"),
    case("kron-one-arg", "kron(A)", "A", None, ParseError, "kron takes 2 arguments, got 1"),
    case("kron-three-args", "kron(A, B, C)", "A", None, ParseError, "kron takes 2 arguments, got 3"),
    case("det-empty", "det()", "X", None, ParseError, "det() needs an argument"),
    # ---- shape conflicts -------------------------------------------------------------------
    case("matvec-sizes", "A*x", "x", {"A": "matrix(4,4)", "x": "vector(3)"}, ShapeError,
         "A*x: A has 4 columns but x has 3 rows"),
    case("matvec-symbolic", "A*x", "x", {"A": "matrix(m,n)", "x": "vector(k)"}, ShapeError,
         "A has n columns but x has k rows"),
    case("matmul-sizes", "A*B", "A", {"A": "matrix(2,3)", "B": "matrix(4,2)"}, ShapeError,
         "A has 3 columns but B has 4 rows"),
    case("vector-times-vector", "x*y", "x", None, ShapeError, "x*y", "x'*y"),
    case("vector-times-matrix", "x*A", "x", None, ShapeError, "x*A", "x (a vector)", "A (a matrix)"),
    case("add-vector-matrix", "x + A", "x", None, ShapeError, "x is a vector but A is a matrix", "equal shapes"),
    case("add-vector-row", "x + x'", "x", None, ShapeError, "x is a vector but x' is a row vector"),
    case("add-sizes", "x + y", "x", {"x": "vector(3)", "y": "vector(4)"}, ShapeError,
         "x is a vector of 3 entries but y is a vector of 4 entries"),
    case("add-matrices", "A + B", "A", {"A": "matrix(m,n)", "B": "matrix(n,m)"}, ShapeError,
         "A is an m×n matrix but B is an n×m matrix"),
    case("sub-matrices", "A - B'", "A", {"A": "matrix(2,3)", "B": "matrix(2,3)"}, ShapeError,
         "a 2×3 matrix", "a 3×2 matrix"),
    # a scalar plus a vector or matrix broadcasts (tests/test_broadcast.py); two non-scalars must match
    case("add-vector-matrix", "x + A", "x", None, ShapeError, "x is a vector but A is a matrix", "a sum"),
    case("add-vector-row", "x + x'", "x", None, ShapeError, "a row vector", "transpose one of them"),
    case("hadamard-shapes", "x .* A", "x", None, ShapeError, "x is a vector but A is a matrix", "elementwise"),
    case("hdiv-shapes", "A ./ B", "A", {"A": "matrix(2,2)", "B": "matrix(3,3)"}, ShapeError,
         "a 2×2 matrix", "a 3×3 matrix"),
    case("divide-by-vector", "x/y", "x", None, ShapeError, "can only divide by a scalar", "./"),
    case("divide-by-matrix", "A/B", "A", None, ShapeError, "can only divide by a scalar", "inv"),
    case("conflicting-uses", "A*x + A", "x", None, ShapeError, "A*x is a vector but A is a matrix"),
    case("conflict-through-unification", "x'*A*y + y'*A*x + x'*B*y", "x",
         {"x": "vector(m)", "y": "vector(n)", "A": "matrix(m,n)"}, ShapeError, "y'*A*x", "A"),
    case("vector-squared", "x^2", "x", None, ShapeError, "matrix power needs a square matrix",
         "x is a vector", ".^"),
    case("matrix-power-nonsquare", "X^2", "X", {"X": "matrix(m,n)"}, ShapeError,
         "X^2: a matrix power needs a square matrix, but X is an m×n matrix"),
    case("matrix-power-fraction", "X^0.5", "X", None, ShapeError, "integer exponent", ".^"),
    case("fill-not-number", "vector(x)'*x", "x", None, ParseError, "fill value", "must be a number"),
    case("matrix-power-by-expression", "X^beta", "X", None, ShapeError, "constant integer exponent", ".^"),
    case("exponent-not-scalar", "x.^y", "x", {"y": "vector(n)"}, ShapeError, "exponent y must be a scalar"),
    # ---- non-square tr, det, logdet, inv, expm, diag ---------------------------------------
    case("tr-nonsquare", "tr(X)", "X", {"X": "matrix(m,n)"}, ShapeError,
         "tr(X) needs a square matrix, but X is an m×n matrix"),
    case("det-nonsquare", "det(X)", "X", {"X": "matrix(2,3)"}, ShapeError,
         "det(X) needs a square matrix, but X is a 2×3 matrix"),
    case("logdet-nonsquare", "logdet(X)", "X", {"X": "matrix(m,n)"}, ShapeError, "logdet(X) needs a square matrix"),
    case("inv-nonsquare", "inv(X)", "X", {"X": "matrix(m,n)"}, ShapeError, "inv(X) needs a square matrix"),
    case("expm-nonsquare", "expm(X)", "X", {"X": "matrix(m,n)"}, ShapeError, "expm(X) needs a square matrix"),
    case("tr-of-vector", "tr(A*x)", "x", None, ShapeError, "tr(A*x) needs a square matrix, but A*x is a vector"),
    case("inv-of-product", "inv(A*B)", "A", {"A": "matrix(2,3)", "B": "matrix(3,4)"}, ShapeError,
         "needs a square matrix"),
    case("diag-nonsquare", "diag(X)", "X", {"X": "matrix(m,n)"}, ShapeError,
         "diag(X) needs a vector or a square matrix, but X is an m×n matrix"),
    case("diag-scalar", "diag(alpha)*x", "x", None, ShapeError, "not a scalar"),
    # ---- control characters and odd Unicode ------------------------------------------------
    case("nul", "x'*x\x00", "x", None, ParseError, "U+0000"),
    case("escape-sequence", "x'*x\x1b[31m", "x", None, ParseError, "U+001B"),
    case("bell", "x\x07'*x", "x", None, ParseError, "U+0007"),
    case("zero-width-space", "x\u200b'*x", "x", None, ParseError, "U+200B", "ZERO WIDTH SPACE"),
    case("bom", "\ufeffx'*x", "x", None, ParseError, "U+FEFF"),
    case("rtl-override", "x'*\u202ex", "x", None, ParseError, "U+202E"),
    case("unicode-minus", "x − y", "x", None, ParseError, "U+2212", "'-'"),
    case("prime", "x′*x", "x", None, ParseError, "U+2032", "\"'\""),
    case("curly-quote", "x’*x", "x", None, ParseError, "\"'\""),
    case("times-sign", "A×x", "x", None, ParseError, "U+00D7", "'*'"),
    case("middle-dot", "x'·x", "x", None, ParseError, "'*'"),
    case("fullwidth", "ｘ'*ｘ", "x", None, ParseError, "FULLWIDTH", "'x'"),
    case("cjk", "数*x", "x", None, ParseError, "U+6570"),
    case("emoji", "x'*x + 😀", "x", None, ParseError, "U+1F600"),
    case("greek-question-mark", "x\u037e", "x", None, ParseError, "U+037E"),
    case("surrogate", "x'*x\ud800", "x", None, ParseError, "U+D800"),
    # ---- Python code (a syntax error; never executed) -------------------------------------
    case("python-import", "__import__('os').system('id')", "x", None, ParseError, ".system"),
    case("python-eval", "eval('x')", "x", None, ParseError, "unknown function 'eval'", "not Python"),
    case("python-exec", "exec(\"import os\")", "x", None, ParseError, "'\"'"),
    case("python-dunder", "x.__class__", "x", None, ParseError, "no attributes"),
    case("python-lambda", "lambda: 0", "x", None, ParseError, "':'"),
    case("python-statement", "x; import os", "x", None, ParseError, "';'"),
    case("python-open", "open('/etc/passwd').read()", "x", None, ParseError, ".read"),
    case("python-subscript", "x[0]", "x", None, ParseError, "no indexing"),
    case("python-power", "x**2", "x", None, ParseError, "'**'"),
    case("python-string", "'abc'", "x", None, MatdiffError, "'"),
    # ---- LaTeX pasted as input -------------------------------------------------------------
    case("latex-frac", "\\frac{1}{2} x^T A x", "x", None, ParseError, "looks like LaTeX", "x'*A*x"),
    case("latex-operatorname", "\\operatorname{tr}(X)", "X", None, ParseError, "looks like LaTeX"),
    case("latex-dollars", "$x^T x$", "x", None, ParseError, "looks like LaTeX"),
    case("latex-braces", "x^{T}x", "x", None, ParseError, "looks like LaTeX"),
    case("latex-transpose", "x^T*A*x", "x", None, ParseError, "for the transpose write x' or x.T"),
    case("latex-inverse-transpose", "X^-T", "X", None, ParseError, "inv(X)'"),
    case("latex-mathbf", "\\mathbf{x}^\\top \\mathbf{x}", "x", None, ParseError, "looks like LaTeX"),
    # ---- NaN / inf literals and huge numbers -----------------------------------------------
    case("nan", "nan*x", "x", None, ParseError, "'nan' is not a finite number"),
    case("NaN", "NaN", "x", None, ParseError, "not a finite number"),
    case("inf", "inf*x", "x", None, ParseError, "'inf' is not a finite number"),
    case("Inf-exponent", "x.^Inf", "x", None, ParseError, "not a finite number"),
    case("overflow-literal", "1e999*x", "x", None, ParseError, "number too large"),
    case("overflow-exponent", "alpha^1e400", "alpha", None, ParseError, "number too large"),
    case("zero-division-exponent", "alpha^(1/0)", "alpha", None, ParseError, "division by zero"),
    case("division-by-literal-zero", "x/0", "x", None, ShapeError, "division by zero"),
    # ---- bad declarations ------------------------------------------------------------------
    case("decl-misspelt-kind", "x'*x", "x", {"x": "vektor(n)"}, DeclarationError,
         "unknown kind 'vektor'", "did you mean 'vector'"),
    case("decl-unclosed", "A*x", "x", {"A": "matrix(n,,"}, DeclarationError, "unbalanced parentheses"),
    case("decl-empty-dim", "A*x", "x", {"A": "matrix(n,)"}, DeclarationError, "bad dimension ''"),
    case("decl-dim-count", "A*x", "x", {"A": "matrix(n)"}, DeclarationError, "a matrix takes 2 dimensions, got 1"),
    case("decl-vector-two-dims", "x'*x", "x", {"x": "vector(m,n)"}, DeclarationError, "takes 1 dimension"),
    case("decl-scalar-dims", "alpha*x", "x", {"alpha": "scalar(3)"}, DeclarationError, "takes 0 dimensions"),
    case("decl-zero-dim", "x'*x", "x", {"x": "vector(0)"}, DeclarationError, "must be positive"),
    case("decl-negative-dim", "x'*x", "x", {"x": "vector(-1)"}, DeclarationError, "bad dimension '-1'"),
    case("decl-unknown-property", "A*x", "x", {"A": "matrix(n,n) symetric"}, DeclarationError,
         "unknown property symetric", "known: symmetric"),
    case("decl-property-of-vector", "x'*x", "x", {"x": "vector(n) spd"}, DeclarationError, "spd needs a matrix"),
    case("decl-symmetric-nonsquare", "A*x", "x", {"A": "matrix(2,3) symmetric"}, DeclarationError,
         "needs a square matrix"),
    case("decl-symmetric-symbolic-nonsquare", "x'*A*x", "x", {"A": "matrix(m,n) spd"}, DeclarationError,
         "needs a square matrix", "matrix(m, n)"),
    case("decl-twice-list", "A*x", "x", ["A: matrix(n,n)", "A: matrix(n,n)"], DeclarationError,
         "A is declared twice"),
    case("decl-twice-string", "A*x", "x", "A: matrix(n,n); A: matrix(m,m)", DeclarationError,
         "A is declared twice"),
    case("decl-function-name", "x'*x", "x", {"tr": "vector(n)"}, DeclarationError, "'tr' is a function"),
    case("decl-constant-name", "x'*x", "x", ["I: matrix(n,n)"], DeclarationError, "'I' is a function or constant"),
    case("decl-missing-colon", "x'*x", "x", ["x vector(n)"], DeclarationError, "':' is missing", "x: vector(n)"),
    case("decl-no-name", "x'*x", "x", ["vector(n)"], DeclarationError, "names no variable"),
    case("decl-empty", "x'*x", "x", {"x": ""}, DeclarationError, "bad declaration"),
    case("decl-garbage", "x'*x", "x", {"x": "vector(n)(m)"}, DeclarationError, "bad declaration"),
    case("decl-name-mismatch", "x'*x", "x", {"x": "y: vector(n)"}, DeclarationError, "declares 'y'"),
    case("decl-bad-name", "x'*x", "x", {"x y": "vector(n)"}, DeclarationError, "not a name"),
    case("decl-python", "x'*x", "x", {"x": "__import__('os').system('id')"}, DeclarationError, "declaration"),
]


def _one_line(s: str) -> bool:
    return "\n" not in s and "\r" not in s


@pytest.mark.parametrize("expr, wrt, vars, error, needles", CASES)
def test_api_error(expr, wrt, vars, error, needles):
    with pytest.raises(error) as info:
        md.derivative(expr, wrt=wrt, vars=vars)
    e = info.value
    msg = str(e)
    assert isinstance(e, MatdiffError) and isinstance(e, ValueError)
    assert _one_line(msg), msg
    assert len(msg) < 400, msg
    for needle in needles:
        assert needle in msg, f"{needle!r} not in {msg!r}"
    assert e.pos is not None, f"no position: {msg!r}"
    assert e.source is not None and 0 <= e.pos <= len(e.source), msg
    assert f"column {e.pos + 1} of " in msg, msg
    assert "?×" not in msg and "×?" not in msg, f"an unknown dimension shown as '?': {msg!r}"
    assert "Traceback" not in msg


@pytest.mark.parametrize("expr, wrt, vars, error, needles", CASES)
def test_cli_error(expr, wrt, vars, error, needles, capsys):
    if "\x00" in expr:
        pytest.skip("a NUL cannot be passed in argv; the API test covers it")
    argv = ["--wrt", wrt]
    if isinstance(vars, dict):
        for name, spec in vars.items():
            argv += ["--var", f"{name}: {spec}"]
    elif isinstance(vars, list):
        for spec in vars:
            argv += ["--var", spec]
    elif isinstance(vars, str):
        argv += ["--var", vars]
    argv += ["--", expr]
    rc = cli.main(argv)
    out, err = capsys.readouterr()
    assert rc == 2, (rc, out, err)
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("matdiff: error: "), err


# The CLI joins "name: spec" itself, so a dict key that is not a name, or a declaration of
# another name, cannot be expressed there; those cases are still one line and status 2.


def test_position_points_at_the_culprit():
    with pytest.raises(ParseError) as info:
        md.derivative("x'*A*x + lgo(x'*x)", wrt="x")
    e = info.value
    assert (e.pos, e.end) == (9, 12)
    assert e.column == 10
    with pytest.raises(ShapeError) as info:
        md.derivative("x'*x + tr(A*x)", wrt="x")
    assert info.value.source[info.value.pos:info.value.end] == "tr(A*x)"
    with pytest.raises(ParseError) as info:
        md.derivative("x'*x \u2212 1", wrt="x")
    assert info.value.pos == 5


def test_long_input_error_shows_a_window():
    expr = "x'*x + " * 2000 + "lgo(x)"
    with pytest.raises(ParseError) as info:
        md.derivative(expr, wrt="x", max_length=10 ** 6)
    msg = str(info.value)
    assert _one_line(msg) and len(msg) < 250 and "lgo" in msg and "…" in msg


def test_error_str_is_one_line_whatever_the_message():
    e = ParseError("two\nlines\r\nhere", 1, source="a\nb\tc")
    assert _one_line(str(e)) and "two lines here" in str(e) and "column 2" in str(e)
    e = ParseError("past the end", 99, source="abc")
    assert "column 4" in str(e)            # clamped to the end of the text
    assert str(ParseError("no place")) == "no place"


def test_errors_are_value_errors_with_classes():
    for cls in (ParseError, ShapeError, DeclarationError, UnknownNameError, LimitError, EvaluationError,
                md.NotSupportedError):
        assert issubclass(cls, MatdiffError) and issubclass(cls, ValueError)


# ---- differentiating by a function name, or by nothing ------------------------------------------

WRT_CASES = [
    pytest.param("tr(X)", "tr", "'tr' is a function", id="function-used"),
    pytest.param("x'*x", "log", "'log' is a function", id="function-unused"),
    pytest.param("x'*x", "I", "'I' is a", id="constant"),
    pytest.param("x'*x", "ones", "'ones' is a", id="ones"),
    pytest.param("x'*x", "y", "neither declared nor used", id="unknown-name"),
    pytest.param("x'*x", "", "wrt must name a variable", id="empty"),
]


@pytest.mark.parametrize("expr, wrt, needle", WRT_CASES)
def test_wrt_error(expr, wrt, needle, capsys):
    with pytest.raises(UnknownNameError) as info:
        md.derivative(expr, wrt=wrt)
    assert needle in str(info.value) and _one_line(str(info.value))
    rc = cli.main([expr, "--wrt", wrt])
    out, err = capsys.readouterr()
    assert rc == 2 and out == "" and len(err.splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("expr, wrt, needle", WRT_CASES)
def test_wrt_error_has_a_position(expr, wrt, needle):
    with pytest.raises(UnknownNameError) as info:
        md.derivative(expr, wrt=wrt)
    assert info.value.pos is not None and "column" in str(info.value)


def test_check_wrt_points_at_the_use():
    from matdiff.shapes import check_wrt, typecheck
    with pytest.raises(UnknownNameError) as info:
        check_wrt(typecheck("x'*x + tr(X)"), "tr")
    assert (info.value.pos, info.value.end) == (7, 9)
    with pytest.raises(UnknownNameError) as info:
        check_wrt(typecheck("x'*x"), "xx")
    assert "did you mean 'x'" in str(info.value) and info.value.pos == 0
    assert check_wrt(typecheck("x'*x"), "x").name == "x"


def test_bad_arguments_are_matdiff_errors():
    with pytest.raises(MatdiffError):
        md.derivative("x'*x", wrt="x", layout="sideways")
    with pytest.raises(MatdiffError):
        md.derivative("x'*x", wrt="x", order=0)
    with pytest.raises(MatdiffError):
        md.derivative("x'*x", wrt="x", types="python")
    with pytest.raises(MatdiffError):
        md.derivative(b"x'*x", wrt="x")
    with pytest.raises(MatdiffError):
        md.derivative(None, wrt="x")
    with pytest.raises(DeclarationError):
        md.derivative("x'*x", wrt="x", vars=42)
    with pytest.raises(DeclarationError):
        md.derivative("x'*x", wrt="x", vars={1: "vector(n)"})
    with pytest.raises(DeclarationError):
        md.derivative("x'*x", wrt="x", vars={"x": 5})


@pytest.mark.parametrize("argv", [
    ["x'*x", "--wrt", "x", "--order", "0"],
    ["x'*x", "--wrt", "x", "--order", "two"],
    ["x'*x", "--wrt", "x", "--layout", "sideways"],
    ["x'*x", "--wrt", "x", "--format", "xml"],
    ["x'*x"],
    ["--wrt", "x"],
    ["x'*x", "--wrt", "x", "--bogus"],
], ids=["order-0", "order-word", "layout", "format", "no-wrt", "no-expression", "unknown-option"])
def test_cli_usage_errors(argv, capsys):
    rc = cli.main(argv)
    out, err = capsys.readouterr()
    assert rc == 2 and out == "" and "Traceback" not in err
    assert err.splitlines()[-1].startswith("matdiff: error: "), err


def test_cli_reads_hostile_stdin(monkeypatch, capsys):
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO("__import__('os').system('id')\n"))
    rc = cli.main(["-", "--wrt", "x"])
    out, err = capsys.readouterr()
    assert rc == 2 and out == "" and len(err.splitlines()) == 1


# ---- accepted spellings near the hostile ones (no false alarms) --------------------------------

@pytest.mark.parametrize("expr, wrt, want", [
    ("2./x", "x", None),                # 2 ./ x, not 2. / x
    ("1.^2*alpha", "alpha", "1"),
    ("x.^2.^1", "x", None),
    ("transpose(A)*x", "x", "A'"),
    ("x'*x\u00a0", "x", "2*x"),         # a no-break space is a space
    ("x'*x\n + alpha", "x", "2*x"),     # so is a newline
    ("alpha^(2^3)", "alpha", "8*alpha^7"),
    ("α*x'*x", "x", None),
    ("x ⊙ y", "y", None),
])
def test_near_misses_are_accepted(expr, wrt, want):
    r = md.derivative(expr, wrt=wrt)
    if want is not None:
        assert r.text == want


# ---- numbers: evaluate with values out of the domain or of the wrong shape -------------------------

S = np.array([[1.0, 2.0], [2.0, 4.0]])          # singular


EVAL_CASES = [
    pytest.param("inv(X)", {}, dict(X=S), ["inv(X)", "X is singular"], id="inv-singular"),
    pytest.param("X^-1", {}, dict(X=S), ["X is singular"], id="matpow-singular"),
    pytest.param("x'*inv(X)*x", {}, dict(X=S, x=np.ones(2)), ["X is singular"], id="solve-singular"),
    pytest.param("logdet(X)", {}, dict(X=S), ["logdet(X)", "not positive"], id="logdet-singular"),
    pytest.param("logdet(X)", {}, dict(X=np.diag([1.0, -1.0])), ["logdet(X)", "not positive"],
                 id="logdet-negative"),
    pytest.param("log(x)", {}, dict(x=np.array([1.0, -2.0])), ["log(x)", "non-positive", "-2"], id="log-negative"),
    pytest.param("log(alpha)", {}, dict(alpha=0.0), ["log(alpha)", "non-positive"], id="log-zero"),
    pytest.param("sqrt(x)", {}, dict(x=np.array([-1.0, 1.0])), ["sqrt(x)", "negative"], id="sqrt-negative"),
    pytest.param("x ./ y", {}, dict(x=np.ones(2), y=np.array([0.0, 1.0])), ["division by zero", "y"],
                 id="hdiv-zero"),
    pytest.param("alpha/beta", {}, dict(alpha=1.0, beta=0.0), ["division by zero", "beta"], id="div-zero"),
    pytest.param("alpha^0.5", {}, dict(alpha=-1.0), ["fractional power", "alpha"], id="fractional-negative"),
    pytest.param("exp(x)", {}, dict(x=np.array([1000.0, 1.0])), ["exp(x)", "not finite"], id="overflow"),
    pytest.param("A*x", {}, dict(A=np.eye(3), x=np.ones(2)), ["x should have 3 entries"],
                 id="matvec-wrong-size"),
    pytest.param("A*x", {}, dict(A=np.eye(3), x=np.ones((3, 3))), ["x should be a vector"], id="vector-given-matrix"),
    pytest.param("x'*x", {}, dict(x=np.ones((2, 2))), ["x should be a vector"], id="vector-given-2x2"),
    pytest.param("tr(X)", {}, dict(X=np.ones(3)), ["X should be a", "matrix"], id="matrix-given-vector"),
    pytest.param("det(X)", {}, dict(X=np.ones((2, 3))), ["X should be", "2×2"], id="det-nonsquare-value"),
    pytest.param("alpha*x", {}, dict(alpha=[1.0, 2.0], x=[1.0, 2.0]), ["alpha should be a scalar"],
                 id="scalar-given-vector"),
    pytest.param("x'*x", {"x": "vector(4)"}, dict(x=np.ones(3)), ["x should have 4 entries"], id="declared-size"),
    pytest.param("x'*x", {}, dict(x=np.array([1.0, np.nan])), ["x", "non-finite"], id="nan-value"),
    pytest.param("x'*x", {}, dict(x=np.array([1.0, np.inf])), ["x", "non-finite"], id="inf-value"),
    pytest.param("x'*x", {}, dict(x="abc"), ["x", "not an array of numbers"], id="string-value"),
    pytest.param("x'*x", {}, dict(x=[[1, 2], [3]]), ["x", "not an array of numbers"], id="ragged-value"),
    pytest.param("x'*x", {}, dict(x=[1 + 1j, 2]), ["x", "complex"], id="complex-value"),
    pytest.param("x'*x", {}, {}, ["no value given for x"], id="missing-value"),
    pytest.param("x'*A*x", {"A": "matrix(n,n) spd"}, dict(A=-np.eye(2), x=np.ones(2)),
                 ["A is declared spd"], id="spd-violated"),
    pytest.param("x'*A*x", {"A": "matrix(n,n) symmetric"}, dict(A=np.array([[1.0, 2], [0, 1]]), x=np.ones(2)),
                 ["A is declared symmetric"], id="symmetric-violated"),
    pytest.param("I", {}, {}, ["I", "unknown", "shape="], id="unsized-identity"),
]


@pytest.mark.parametrize("expr, vars, arrays, needles", EVAL_CASES)
def test_evaluate_error(expr, vars, arrays, needles):
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no RuntimeWarning from NumPy either
        with pytest.raises(EvaluationError) as info:
            md.evaluate(expr, vars=vars or None, **arrays)
    msg = str(info.value)
    assert _one_line(msg)
    for needle in needles:
        assert needle in msg, f"{needle!r} not in {msg!r}"


@pytest.mark.parametrize("expr, wrt, arrays, needle", [
    ("logdet(X)", "X", dict(X=S), "X is singular"),
    ("sum(log(x))", "x", dict(x=np.array([0.0, 1.0])), "division by zero"),
    ("x'*A*x", "x", dict(A=np.eye(3), x=np.ones(2)), "x should have 3 entries"),
    ("tr(inv(X))", "X", dict(X=S), "singular"),
    ("logdet(X)", "X", dict(X=np.ones(3)), "X should be a"),
    ("logdet(X)", "X", dict(Y=S), "no value given for X"),
])
def test_derivative_evaluate_error(expr, wrt, arrays, needle):
    r = md.derivative(expr, wrt=wrt)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(EvaluationError) as info:
            r.evaluate(**arrays)
    assert needle in str(info.value) and _one_line(str(info.value))


def test_evaluate_none_value_message():
    with pytest.raises(EvaluationError, match=r"None"):
        md.evaluate("x'*x", x=None)


def test_messages_never_show_unknown_dimensions():
    """Conflicts between variables whose sizes are not known yet are described in words."""
    for expr in ["x + A", "x*y", "A*x + A", "tr(A*x)", "x .* A'", "x^2", "diag(A*B*x*y)", "x'*x*x*x"]:
        with pytest.raises(ShapeError) as info:
            md.derivative(expr, wrt="x")
        msg = str(info.value)
        assert "?" not in re.sub(r"did you mean [^?]*\?", "", msg), msg


@pytest.mark.parametrize("expr, wrt, zero", [
    ("x/(alpha - alpha)", "x", "alpha - alpha"),
    ("logdet(X - X)", "X", "X - X"),
    ("log(alpha - alpha)*x'*x", "x", "alpha - alpha"),
    ("tr(inv(2*X - X - X))", "X", "2*X - X - X"),
    ("x'*x/(alpha - alpha)^2", "x", "(alpha - alpha)^2"),
    ("sum(x./(y - y))", "x", "y - y"),
])
def test_an_expression_undefined_everywhere_is_an_error(expr, wrt, zero):
    """Not a formula such as I/0 or 0: the zero is named, in one line."""
    with pytest.raises(md.EvaluationError) as info:
        md.derivative(expr, wrt=wrt)
    msg = str(info.value)
    assert "\n" not in msg and f"{zero} is identically zero" in msg and "no value anywhere" in msg


@pytest.mark.parametrize("expr, wrt", [("x/(alpha - beta)", "x"), ("logdet(X - A)", "X"),
                                       ("x'*x/alpha", "alpha"), ("sqrt(alpha - alpha)*x'*x", "x")])
def test_a_denominator_that_can_be_nonzero_is_fine(expr, wrt):
    assert md.derivative(expr, wrt=wrt).text
