"""No code path in matdiff passes user text to eval, exec or sympify.

Two guards:

* a lint over the source (``ast``): no call of the built-ins ``eval``,
  ``exec``, ``compile`` or ``__import__``, of ``sympify``/``parse_expr``, of
  ``os.system``/``subprocess``/``pickle.loads``/``marshal.loads`` anywhere in
  ``src/matdiff``, with ONE whitelisted call site: the code generator compiles
  the Python source it generated itself (``codegen/compiled.py: _exec``) — the
  test checks that this site is exactly that and is reached only with
  generated module source;
* at run time, hostile inputs (``__import__('os').system(...)`` and friends)
  go through the API, the command line, the web service functions and the
  code generator with ``eval``/``exec``/``compile`` patched to fail on any
  text that contains the input's canary, and a marker file that the payload
  would create is checked not to exist.
"""
from __future__ import annotations

import ast
import builtins
import pathlib

import numpy as np
import pytest

import matdiff as md
from matdiff import cli
from matdiff.errors import MatdiffError

SRC = pathlib.Path(md.__file__).resolve().parent
FORBIDDEN_BUILTINS = {"eval", "exec", "compile", "__import__", "execfile", "breakpoint", "input"}
FORBIDDEN_NAMES = {"sympify", "parse_expr", "S"}          # sympy's string parsers
FORBIDDEN_ATTRS = {("os", "system"), ("os", "popen"), ("os", "execv"), ("os", "execvp"),
                   ("os", "spawnv"), ("pickle", "loads"), ("pickle", "load"), ("marshal", "loads"),
                   ("subprocess", "run"), ("subprocess", "Popen"), ("subprocess", "call"),
                   ("subprocess", "check_output"), ("subprocess", "check_call"),
                   ("sympy", "sympify"), ("sympy", "parse_expr"), ("importlib", "import_module")}
FORBIDDEN_IMPORTS = {"pickle", "marshal", "subprocess", "sympy.parsing", "shelve"}

# The one call site allowed to run Python source: the code generator running the module it
# generated (every identifier in it checked to be a Python identifier; no user text).
WHITELIST = {("codegen/compiled.py", "_exec", "exec"), ("codegen/compiled.py", "_exec", "compile")}


def _sources():
    files = sorted(SRC.rglob("*.py"))
    assert len(files) > 10, files
    return files


def _calls(tree):
    """(call node, name of the enclosing function) for every call in a module."""
    out = []

    def visit(node, func):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, child.name)
            else:
                if isinstance(child, ast.Call):
                    out.append((child, func))
                visit(child, func)

    visit(tree, "<module>")
    return out


def _static_module(call) -> bool:
    """``__import__("matdiff.steps")`` / ``import_module(f"matdiff.{name}")``: an import of a
    module named in the source (or inside the package), not by user text."""
    if not call.args:
        return False
    a = call.args[0]
    if isinstance(a, ast.Constant) and isinstance(a.value, str):
        return True
    return isinstance(a, ast.JoinedStr) and bool(a.values) and isinstance(a.values[0], ast.Constant) \
        and str(a.values[0].value).startswith("matdiff.")


def _violations():
    found = []
    for path in _sources():
        rel = path.relative_to(SRC).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name in FORBIDDEN_IMPORTS or a.name.split(".")[0] in {"pickle", "marshal", "subprocess"}:
                        found.append((rel, node.lineno, f"import {a.name}"))
            elif isinstance(node, ast.ImportFrom):
                mod = node.module or ""
                if mod in FORBIDDEN_IMPORTS or mod.split(".")[0] in {"pickle", "marshal", "subprocess"}:
                    found.append((rel, node.lineno, f"from {mod} import ..."))
                for a in node.names:
                    if a.name in FORBIDDEN_NAMES - {"S"} or (mod.startswith("sympy") and a.name == "S"):
                        found.append((rel, node.lineno, f"from {mod} import {a.name}"))
        for call, func in _calls(tree):
            f = call.func
            if isinstance(f, ast.Name):
                name = f.id
                if name in FORBIDDEN_BUILTINS or name in FORBIDDEN_NAMES - {"S"}:
                    if name == "__import__" and _static_module(call):
                        continue
                    if (rel, func, name) not in WHITELIST:
                        found.append((rel, call.lineno, f"{name}(...) in {func}"))
            elif isinstance(f, ast.Attribute):
                base = f.value.id if isinstance(f.value, ast.Name) else None
                if (base, f.attr) == ("importlib", "import_module") and _static_module(call):
                    pass
                elif (base, f.attr) in FORBIDDEN_ATTRS:
                    found.append((rel, call.lineno, f"{base}.{f.attr}(...) in {func}"))
                if f.attr in ("sympify", "parse_expr"):
                    found.append((rel, call.lineno, f"....{f.attr}(...) in {func}"))
                if base == "builtins" and f.attr in FORBIDDEN_BUILTINS:
                    found.append((rel, call.lineno, f"builtins.{f.attr}(...) in {func}"))
            # getattr(builtins, "eval") and the like
            if isinstance(f, ast.Name) and f.id == "getattr" and len(call.args) >= 2 and \
                    isinstance(call.args[1], ast.Constant) and call.args[1].value in FORBIDDEN_BUILTINS:
                found.append((rel, call.lineno, f"getattr(..., {call.args[1].value!r}) in {func}"))
    return found


def test_no_eval_exec_or_sympify_on_user_text():
    assert _violations() == []


def test_the_whitelisted_exec_runs_generated_source_only():
    path = SRC / "codegen" / "compiled.py"
    if not path.exists():
        pytest.skip("no code generator in this version")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    funcs = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    ex = funcs["_exec"]
    doc = ast.get_docstring(ex) or ""
    assert "generated source" in doc.lower(), doc
    # exec(compile(source, filename, "exec"), namespace): a fresh namespace, "exec" mode
    calls = [c for c, _ in _calls(ex) if isinstance(c.func, ast.Name) and c.func.id == "exec"]
    assert len(calls) == 1
    inner = calls[0].args[0]
    assert isinstance(inner, ast.Call) and inner.func.id == "compile"
    assert isinstance(inner.args[2], ast.Constant) and inner.args[2].value == "exec"
    # every caller of _exec passes the text of Program.module_source (generated code)
    callers = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_exec":
            callers.append(n)
    assert callers, "nobody calls _exec?"
    text = path.read_text(encoding="utf-8")
    for c in callers:
        arg = c.args[0]
        assert isinstance(arg, ast.Name) and arg.id == "source", ast.dump(arg)
    assert "source = self.program.module_source(" in text
    # and no other module calls it
    for p in _sources():
        if p != path:
            assert "_exec(" not in p.read_text(encoding="utf-8"), p


def test_the_lint_catches_what_it_looks_for(tmp_path, monkeypatch):
    """The lint itself works: a planted eval is found."""
    planted = tmp_path / "matdiff"
    planted.mkdir()
    for i in range(12):
        (planted / f"m{i}.py").write_text("x = 1\n")
    (planted / "bad.py").write_text("def f(text):\n    return eval(text)\n"
                                    "def g(t):\n    import sympy\n    return sympy.sympify(t)\n")
    monkeypatch.setattr(__import__(__name__), "SRC", planted)
    found = _violations()
    assert any("eval(" in v[2] for v in found) and any("sympify" in v[2] for v in found), found


# ---- run time -----------------------------------------------------------------------------------

CANARY = "".join(["matdiff", "_canary_", "7f3a"])  # not literally in this file

HOSTILE = [
    "__import__('os').system('touch {marker}')",
    "__import__(\"os\").system(\"touch {marker}\")",
    "eval('__import__(\\'os\\').system(\\'touch {marker}\\')')",
    "exec(\"open('{marker}', 'w')\")",
    "open('{marker}', 'w').write('x')",
    "x; import os; os.system('touch {marker}')",
    "lambda: __import__('os').system('touch {marker}')",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__.__mro__",
    "getattr(x, 'system')('touch {marker}')",
    "[c for c in ().__class__.__base__.__subclasses__()]",
    "{{}}.__class__",
    "x'*x # '); import os; os.system('touch {marker}')",
    "sympify('touch {marker}')",
    "Symbol('{marker}')",
]


@pytest.fixture
def tripwires(monkeypatch, tmp_path):
    """eval/exec/compile fail on any text with the canary; returns the marker path."""
    marker = tmp_path / CANARY
    real = {name: getattr(builtins, name) for name in ("eval", "exec", "compile")}

    def guard(name):
        def wrapped(source, *args, **kw):
            text = source if isinstance(source, str) else \
                source.decode("utf-8", "replace") if isinstance(source, bytes) else ""
            if CANARY in text:
                raise AssertionError(f"{name} called on user text: {text[:200]!r}")
            return real[name](source, *args, **kw)
        return wrapped

    for name in real:
        monkeypatch.setattr(builtins, name, guard(name))
    try:
        import sympy
        monkeypatch.setattr(sympy, "sympify", lambda *a, **k: (_ for _ in ()).throw(
            AssertionError(f"sympify called: {a!r}")))
    except ImportError:
        pass
    yield marker
    assert not marker.exists(), "the payload ran!"


def _inputs(marker):
    return [h.format(marker=marker) for h in HOSTILE]


def test_hostile_input_through_the_api(tripwires):
    for text in _inputs(tripwires):
        with pytest.raises(MatdiffError):
            md.derivative(text, wrt="x")
        with pytest.raises(MatdiffError):
            md.evaluate(text, x=np.ones(2))
        with pytest.raises(MatdiffError):
            md.derivative("x'*x", wrt="x", vars={"x": text})
        with pytest.raises(MatdiffError):
            md.derivative("x'*x", wrt=text)
        with pytest.raises(MatdiffError):
            md.derivative("x'*x", wrt="x", vars=[text])
    # the payload as an index-notation derivative text (md.evaluate reads those back)
    for text in _inputs(tripwires):
        with pytest.raises(MatdiffError):
            md.evaluate(f"T[i,j] = {text}[i,j]", x=np.ones(2))


def test_hostile_input_through_the_cli(tripwires, capsys):
    for text in _inputs(tripwires):
        for argv in (["--wrt", "x", "--", text], ["x'*x", "--wrt", "x", "--var", f"x: {text}"],
                     ["x'*x", "--wrt", text], ["--expr", text, "--wrt", "x"]):
            rc = cli.main(argv)
            out, err = capsys.readouterr()
            assert rc == 2, (argv, out, err)
            assert out == "" and "Traceback" not in err and len(err.splitlines()) == 1, err


def test_hostile_input_through_the_web_service(tripwires):
    try:
        from matdiff.web import service
    except ImportError:
        pytest.skip("no web service in this version")
    for text in _inputs(tripwires):
        for call in (lambda t: service.parse({"expression": t}),
                     lambda t: service.derivative({"expression": t, "wrt": "x"}),
                     lambda t: service.derivative({"expression": "x'*x", "wrt": "x", "vars": {"x": t}}),
                     lambda t: service.evaluate({"expression": t, "values": {"x": [1, 2]}})):
            with pytest.raises(Exception) as info:
                call(text)
            assert not isinstance(info.value, AssertionError), info.value


def test_python_names_are_just_names(tripwires):
    """Identifiers that mean something to Python are plain variables of the language, and the
    generated code keeps them apart from Python's own names."""
    r = md.derivative("__import__'*__import__", wrt="__import__")
    assert r.text == "2*__import__"
    v = np.array([1.0, 2.0])
    assert np.allclose(r.evaluate(__import__=v), 2 * v)
    r = md.derivative("lambda*os'*sys", wrt="os")     # lambda is Greek: a scalar
    assert np.allclose(r.evaluate(**{"lambda": 3.0, "os": v, "sys": v}), 3 * v)
    if not hasattr(md, "compile"):
        return
    for expr, wrt, arrays, want in [
        ("__import__'*__import__", "__import__", {"__import__": v}, 2 * v),
        ("lambda*np'*f", "f", {"lambda": 3.0, "np": v, "f": v}, 3 * v),
        ("__builtins__'*__builtins__", "__builtins__", {"__builtins__": v}, 2 * v),
        ("sum(exec .* eval)", "eval", {"exec": v, "eval": v}, v),
        ("print'*os + sum(builtins)", "os", {"print": v, "os": v, "builtins": v}, v),
    ]:
        f = md.compile(expr, wrt=wrt)
        out = f(**arrays)
        grad = out[-1] if isinstance(out, tuple) else out
        assert np.allclose(grad, want), (expr, out)


def test_compiled_variable_named_self():
    v = np.array([1.0, 2.0])
    out = md.compile("self'*self", wrt="self")(self=v)
    grad = out[-1] if isinstance(out, tuple) else out
    assert np.allclose(grad, 2 * v)
