"""The `matdiff` command line (matdiff.cli), in-process and as a real process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from matdiff import cli

ROOT = Path(__file__).resolve().parents[1]
JSON_KEYS = {"expression", "wrt", "layout", "derivative", "latex", "statement", "shape", "where"}

# (argv, what the error is about) -- every one must give exit 2 and one line on stderr.
BAD_INPUT = [
    pytest.param(["x'*A*", "--wrt", "x"], "column", id="syntax-error"),
    pytest.param(["(x'*A*x", "--wrt", "x"], "column", id="unbalanced-paren"),
    pytest.param(["A*x + B", "--wrt", "x", "--var", "B: matrix(n,n)"], "column", id="shape-conflict"),
    pytest.param(["x'*y", "--wrt", "x", "--var", "x: vector(n)", "--var", "y: vector(m)"], "",
                 id="declared-shape-conflict"),
    pytest.param(["foo(x)", "--wrt", "x"], "foo", id="unknown-function"),
    pytest.param(["x'*x", "--wrt", "y"], "y", id="unknown-wrt"),
    pytest.param(["x'*x", "--wrt", "x", "--var", "x: vectr(n)"], "vectr", id="bad-declaration"),
]


def run(argv, capsys):
    status = cli.main(list(argv))
    out = capsys.readouterr()
    return status, out.out, out.err


def derivative(expr, **kw):
    import matdiff as md
    return md.derivative(expr, **kw)


def assert_one_line_error(status, out, err):
    assert status == 2, (status, out, err)
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("matdiff: error: ")
    assert len(lines[0]) > len("matdiff: error: ")


# ---- results, formats, layouts ----------------------------------------------------

def test_text(capsys):
    status, out, err = run(["x'*A*x", "--wrt", "x"], capsys)
    assert (status, out, err) == (0, "(A + A')*x\n", "")


def test_text_is_the_api_text(capsys):
    status, out, _ = run(["tr(X*A*X')", "--wrt", "X", "--var", "X: matrix(m,n)"], capsys)
    assert status == 0
    assert out == derivative("tr(X*A*X')", wrt="X", vars=["X: matrix(m,n)"]).text + "\n"


def test_latex(capsys):
    status, out, err = run(["x'*A*x", "--wrt", "x", "--format", "latex"], capsys)
    assert status == 0 and err == ""
    assert out == derivative("x'*A*x", wrt="x").latex + "\n"
    assert out.strip()


def test_json(capsys):
    status, out, err = run(["tr(X*A*X')", "--wrt", "X", "--var", "X: matrix(m,n)",
                            "--var", "A: matrix(n,n)", "--layout", "numerator", "--format", "json"], capsys)
    assert status == 0 and err == ""
    data = json.loads(out)
    assert set(data) == JSON_KEYS
    assert data["expression"] == "tr(X*A*X')"
    assert data["wrt"] == "X"
    assert data["layout"] == "numerator"
    assert data["derivative"] == "(A + A')*X'"
    assert data["shape"] == ["n", "m"]
    r = derivative("tr(X*A*X')", wrt="X", vars={"X": "matrix(m,n)", "A": "matrix(n,n)"}, layout="numerator")
    assert data["latex"] == r.latex


def test_json_default_layout_and_vector_shape(capsys):
    status, out, _ = run(["x'*A*x", "--wrt", "x", "--var", "x: vector(n)", "--format", "json"], capsys)
    assert status == 0
    data = json.loads(out)
    assert data["layout"] == "mixed" and data["derivative"] == "(A + A')*x" and data["shape"] == ["n"]


@pytest.mark.parametrize("expr, layout, want", [
    ("tr(A*X*B)", "mixed", "A'*B'"),
    ("tr(A*X*B)", "numerator", "B*A"),
    ("tr(A*X*B)", "denominator", "A'*B'"),
    ("A*x", "mixed", "A"),
    ("A*x", "numerator", "A"),
    ("A*x", "denominator", "A'"),
])
def test_layouts(expr, layout, want, capsys):
    status, out, err = run([expr, "--wrt", "X" if expr.startswith("tr") else "x", "--layout", layout], capsys)
    assert (status, out, err) == (0, want + "\n", "")


def test_default_layout_is_mixed(capsys):
    assert run(["tr(A*X*B)", "--wrt", "X"], capsys)[1] == run(
        ["tr(A*X*B)", "--wrt", "X", "--layout", "mixed"], capsys)[1]


@pytest.mark.higher_order
def test_order_two(capsys):
    status, out, _ = run(["x'*A*x", "--wrt", "x", "--order", "2"], capsys)
    assert (status, out) == (0, "A + A'\n")


def test_declared_but_unused_variable_is_zero(capsys):
    status, out, _ = run(["x'*x", "--wrt", "y", "--var", "y: vector(n)"], capsys)
    assert (status, out) == (0, "0\n")


def test_several_declarations_in_one_var(capsys):
    status, out, _ = run(["tr(X*A*X')", "--wrt", "X", "--var", "X: matrix(m,n); A: matrix(n,n)",
                          "--layout", "numerator"], capsys)
    assert (status, out) == (0, "(A + A')*X'\n")


def test_types_option_is_passed(capsys):
    status, out, _ = run(["a*x", "--wrt", "a", "--types", "matrixcalculus"], capsys)
    assert status == 0
    assert out == derivative("a*x", wrt="a", types="matrixcalculus").text + "\n"


@pytest.mark.parametrize("argv", [
    ["-x'*x", "--wrt", "x"],
    ["--wrt", "x", "-x'*x"],
    ["--wrt", "x", "--", "-x'*x"],
    ["--expr", "-x'*x", "--wrt", "x"],
])
def test_expression_starting_with_minus(argv, capsys):
    status, out, err = run(argv, capsys)
    assert status == 0, err
    assert out == derivative("-x'*x", wrt="x").text + "\n"


# ---- bad input -------------------------------------------------------------------------

@pytest.mark.parametrize("argv, mentions", BAD_INPUT)
def test_bad_input_is_one_line(argv, mentions, capsys):
    status, out, err = run(argv, capsys)
    assert_one_line_error(status, out, err)
    assert mentions in err


@pytest.mark.parametrize("argv", [
    [],                                         # no expression
    ["x'*x"],                                   # no --wrt
    ["x'*x", "--wrt"],                          # --wrt without a name
    ["x'*x", "--wrt", "--layout", "mixed"],     # --wrt without a name, before another option
    ["x'*x", "--wrt", "x", "--layout", "row"],  # unknown layout
    ["x'*x", "--wrt", "x", "--format", "xml"],
    ["x'*x", "--wrt", "x", "--order", "0"],
    ["x'*x", "--wrt", "x", "--order", "two"],
    ["x'*x", "--wrt", "x", "--types", "numpy"],
    ["x'*x", "--wrt", "x", "--bogus"],
    ["x'*x", "--expr", "x", "--wrt", "x"],      # the expression twice
])
def test_usage_errors_exit_2(argv, capsys):
    status, out, err = run(argv, capsys)
    assert status == 2
    assert out == ""
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith("matdiff: error: ")


def test_help_describes_everything(capsys):
    status, out, _ = run(["--help"], capsys)
    assert status == 0
    for word in ("--wrt", "--var", "--layout", "--order", "--format", "--types", "--expr",
                 "mixed", "numerator", "denominator", "text", "latex", "json",
                 "symmetric", "spd", "exit status", "check", "serve", "sheet"):
        assert word in out, word


def test_version(capsys):
    status, out, _ = run(["--version"], capsys)
    assert status == 0 and out.startswith("matdiff ")


def test_engine_errors_never_show_a_traceback(monkeypatch, capsys):
    import matdiff as md
    from matdiff.errors import ParseError

    def raise_(exc):
        def f(*a, **k):
            raise exc
        return f

    monkeypatch.setattr(md, "derivative", raise_(ParseError("bad thing", 2, source="x'*y")), raising=False)
    status, out, err = run(["x'*y", "--wrt", "x"], capsys)
    assert_one_line_error(status, out, err)
    assert err == "matdiff: error: bad thing (column 3 of \"x'*y\")\n"

    monkeypatch.setattr(md, "derivative", raise_(ParseError("two\nlines")), raising=False)
    assert_one_line_error(*run(["x", "--wrt", "x"], capsys))

    for exc in (RecursionError("maximum recursion depth exceeded"), MemoryError()):
        monkeypatch.setattr(md, "derivative", raise_(exc), raising=False)
        assert_one_line_error(*run(["x", "--wrt", "x"], capsys))

    monkeypatch.setattr(md, "derivative", raise_(ZeroDivisionError("oops")), raising=False)
    status, out, err = run(["x", "--wrt", "x"], capsys)
    assert status == 1 and out == "" and len(err.splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("matdiff: error: internal error")


# ---- sub-commands ----------------------------------------------------------------------

def test_subcommands_dispatch(monkeypatch, capsys):
    seen = []
    monkeypatch.setitem(cli.SUBCOMMANDS, "check", lambda argv: seen.append(argv) or 0)
    assert cli.main(["check", "x'*A*x", "--wrt", "x"]) == 0
    assert seen == [["x'*A*x", "--wrt", "x"]]


@pytest.mark.parametrize("name", ["check", "serve", "sheet"])
def test_subcommands_exist_and_never_trace(name, capsys):
    assert name in cli.SUBCOMMANDS
    status, out, err = run([name, "--help"], capsys)
    assert status == 0 and "Traceback" not in out + err


def test_expression_named_like_a_subcommand(capsys):
    status, out, err = run(["--", "check", "--wrt", "check"], capsys)
    assert status == 0, err
    assert out == derivative("check", wrt="check").text + "\n"


# ---- as a real process -----------------------------------------------------------------

def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("MATDIFF_TRACEBACK", None)
    return env


def proc(*argv):
    return subprocess.run([sys.executable, "-m", "matdiff", *argv], capture_output=True, text=True,
                          env=_env(), cwd=ROOT)


def test_process_text():
    p = proc("x'*A*x", "--wrt", "x")
    assert (p.returncode, p.stdout, p.stderr) == (0, "(A + A')*x\n", "")


def test_process_layout_and_latex():
    p = proc("tr(A*X*B)", "--wrt", "X", "--layout", "numerator")
    assert (p.returncode, p.stdout) == (0, "B*A\n")
    p = proc("tr(A*X*B)", "--wrt", "X", "--layout", "numerator", "--format", "latex")
    assert p.returncode == 0 and p.stdout.strip() and p.stderr == ""
    assert p.stdout == derivative("tr(A*X*B)", wrt="X", layout="numerator").latex + "\n"


def test_process_json():
    p = proc("x'*A*x", "--wrt", "x", "--var", "x: vector(n)", "--format", "json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert set(data) == JSON_KEYS
    assert data["derivative"] == "(A + A')*x" and data["shape"] == ["n"]


@pytest.mark.parametrize("argv, mentions", BAD_INPUT)
def test_process_bad_input(argv, mentions):
    p = proc(*argv)
    assert_one_line_error(p.returncode, p.stdout, p.stderr)
    assert mentions in p.stderr


def test_process_usage_error():
    p = proc("x'*x")
    assert p.returncode == 2 and p.stdout == "" and "Traceback" not in p.stderr


def test_console_script():
    script = Path(sys.executable).parent / ("matdiff.exe" if os.name == "nt" else "matdiff")
    if not script.exists():
        pytest.skip("the matdiff console script is not installed next to this python")
    p = subprocess.run([str(script), "x'*A*x", "--wrt", "x"], capture_output=True, text=True)
    assert (p.returncode, p.stdout) == (0, "(A + A')*x\n"), p.stderr


# ---- small things: --json, help on every option, A\b, --wrt x,A ----------------------

def test_json_is_short_for_format_json(capsys):
    s1, long_form, _ = run(["x'*A*x", "--wrt", "x", "--format", "json"], capsys)
    s2, short_form, _ = run(["x'*A*x", "--wrt", "x", "--json"], capsys)
    assert s1 == s2 == 0
    assert json.loads(short_form) == json.loads(long_form)
    assert json.loads(short_form)["derivative"] == "(A + A')*x"


def test_check_json_is_short_for_format_json(capsys):
    status, out, _ = run(["check", "d/dx x'*x = 2*x", "--json"], capsys)
    assert status == 0
    assert json.loads(out)["holds"] is True


@pytest.mark.parametrize("argv", [[], ["check"], ["sheet"], ["serve"]], ids=["derivative", "check",
                                                                             "sheet", "serve"])
def test_every_option_has_help(argv, capsys, monkeypatch):
    import argparse
    parsers = []
    original = argparse.ArgumentParser.parse_args

    def record(self, *a, **kw):
        parsers.append(self)
        return original(self, *a, **kw)
    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", record)
    status, _, _ = run(argv + ["--help"], capsys)
    assert status == 0 and parsers, argv
    actions = [a for p in parsers for a in p._actions]
    assert len(actions) >= 4
    missing = [a.option_strings or [a.dest] for a in actions
               if not a.help or a.help == argparse.SUPPRESS]
    assert missing == [], f"options without help text: {missing}"


@pytest.mark.parametrize("expr, fix", [("A\\b", "inv(A)*b"), ("A \\ b", "inv(A)*b"),
                                       ("(A + B)\\x", "inv(A + B)*x")])
def test_left_division_suggests_inv(expr, fix, capsys):
    status, out, err = run([expr, "--wrt", "x" if "x" in expr else "b"], capsys)
    assert_one_line_error(status, out, err)
    assert f"write {fix}" in err
    assert "left division" in err


def test_latex_backslash_is_still_latex(capsys):
    status, out, err = run(["x^T \\Sigma x", "--wrt", "x"], capsys)
    assert_one_line_error(status, out, err)
    assert "looks like LaTeX" in err and "inv(" not in err


def test_comma_separated_wrt_suggests_repeating_it(capsys):
    status, out, err = run(["x'*A*x", "--wrt", "x,A"], capsys)
    assert_one_line_error(status, out, err)
    assert err.strip() == ("matdiff: error: --wrt takes one name; for a mixed partial "
                                    "derivative repeat it: --wrt x --wrt A")


@pytest.mark.parametrize("fmt", ["numpy", "jax", "torch", "dask"])
def test_vec_with_a_code_format_says_it_cannot(fmt, capsys):
    status, out, err = run(["A*X*B", "--wrt", "X", "--vec", "--format", fmt], capsys)
    assert status != 0 and out == ""
    assert f"--vec cannot be combined with --format {fmt}" in err and err.count("\n") == 1


def test_code_formats_are_codegen_backends_and_the_help_names_them(capsys):
    from matdiff.codegen import BACKENDS
    assert set(cli.CODE_FORMATS) == set(BACKENDS) and set(cli.CODE_FORMATS) <= set(cli.FORMATS)
    status, out, _ = run(["--help"], capsys)
    text = " ".join(out.split())
    assert status == 0
    assert ", ".join(cli.CODE_FORMATS) + ": a standalone Python module" in text


def test_format_dask_writes_a_module_that_checks_itself_on_chunked_arrays(tmp_path, capsys):
    pytest.importorskip("dask.array")
    status, out, err = run(["-sum(log(sigmoid(y .* (X*w))))", "--wrt", "w", "--order", "2",
                            "--format", "dask"], capsys)
    assert status == 0 and err == ""
    body = out.split("def f(")[1].split("\n\n\n")[0]
    assert "import dask.array as da" in out and "dask.compute(" in body and "diag" not in body
    path = tmp_path / "logistic_dask.py"
    path.write_text(out, encoding="utf-8")
    p = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=_env())
    assert (p.returncode, p.stdout.strip()) == (0, "OK"), p.stderr
    # the module's f on chunked data equals the NumPy backend's compiled function
    import numpy as np
    import dask.array as da
    import matdiff as md
    ns: dict = {}
    exec(compile(out, str(path), "exec"), ns)
    rng = np.random.default_rng(1)
    X, y, w = rng.standard_normal((600, 4)), np.sign(rng.standard_normal(600)), rng.standard_normal(4)
    got = ns["f"](y=da.from_array(y, chunks=200), X=da.from_array(X, chunks=(200, 4)), w=w)
    want = md.compile("-sum(log(sigmoid(y .* (X*w))))", wrt="w", order=2)(X=X, y=y, w=w)
    assert all(np.allclose(a, b, rtol=1e-12) for a, b in zip(got, want))
