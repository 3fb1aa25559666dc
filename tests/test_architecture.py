"""The package's import layers (docs/architecture.md): the pipeline reads in one direction.

A hand-written check over ``ast`` of every import statement in ``src/matdiff``, those
inside functions included (a lazy import is still a dependency):

* no import circles among matdiff's modules;
* only ``matdiff/__init__.py``, the CLI and the web service import the facade ``api``
  (or the package ``matdiff`` itself, which is the facade);
* every module imports only modules of its own layer or of a lower one (``LAYERS``);
* no source file is over 600 lines.
"""
from __future__ import annotations

import ast
from pathlib import Path


SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "matdiff"
MAX_LINES = 600

# Lowest first.  A module may import modules of its own layer or of the layers before it;
# a package name stands for all of its modules.  Every module of matdiff must be listed.
LAYERS = [
    {"matdiff.errors", "matdiff.clock", "matdiff.version", "matdiff.linalg",
     "matdiff.dims"},                                      # dims: Dim, DimVar, shapes in words
    {"matdiff.functions"},                               # the table of the language's functions
    {"matdiff.expr"},
    {"matdiff.render.text", "matdiff.render.latex", "matdiff.arrays"},  # printers (error messages)
    {"matdiff.parse"},
    {"matdiff.shapes", "matdiff.decls", "matdiff.typed_build", "matdiff.kinds"},
    {"matdiff.index", "matdiff.index.tensor", "matdiff.index.reshape", "matdiff.layouts",
     "matdiff.sympy_bridge"},
    {"matdiff.diff"},
    {"matdiff.to_matrix"},      # above diff: it reads the differentiator's index form back
    {"matdiff.simplify"},
    {"matdiff.evaluate", "matdiff.index.evaluate", "matdiff.index.form", "matdiff.index.scalars"},
    {"matdiff.index.render", "matdiff.index.parse", "matdiff.render"},
    {"matdiff.derivation"},
    {"matdiff.engine"},
    {"matdiff.steps", "matdiff.check", "matdiff.codegen"},
    {"matdiff.api"},
    {"matdiff", "matdiff.cli", "matdiff.__main__", "matdiff.web", "matdiff.claims_sheet"},
]
FACADE_USERS = {"matdiff", "matdiff.cli", "matdiff.web"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """matdiff modules that ``path`` imports (a ``from pkg import sub`` names pkg.sub)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names]
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {name: _imports(name, path, set(mods)) for name, path in mods.items()}


def _layer_of(name: str) -> int:
    """The layer of a module: its own entry, else its package's (matdiff.codegen.ir -> codegen)."""
    probe = name
    while probe and (probe != "matdiff" or name == "matdiff"):
        for k, layer in enumerate(LAYERS):
            if probe in layer:
                return k
        probe = probe.rpartition(".")[0]
    raise AssertionError(f"{name} is in no layer of tests/test_architecture.py: add it")


def _package_of(name: str) -> str:
    """The unit a module belongs to for the layer rule: its package below matdiff, if any."""
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else name


def test_every_module_has_a_layer():
    for name in _modules():
        _layer_of(name)


def test_no_import_circles():
    graph = _graph()
    # Tarjan's strongly connected components: a component of 2+ modules is a circle
    index, low, stack, on, circles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                circles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert circles == []


def test_only_the_top_imports_the_facade():
    for name, deps in _graph().items():
        if _package_of(name) in FACADE_USERS or name == "matdiff.api":
            continue
        assert not deps & {"matdiff", "matdiff.api"}, f"{name} imports the facade api"


def test_layers_import_only_downward():
    bad = []
    for name, deps in _graph().items():
        for dep in deps:
            if _layer_of(dep) > _layer_of(name):
                bad.append(f"{name} imports {dep}")
    assert bad == []


def test_the_check_sees_imports():
    """The walker itself: relative, absolute and lazy imports are all found."""
    graph = _graph()
    assert "matdiff.api" in graph["matdiff"]
    assert "matdiff.engine" in graph["matdiff.api"]
    assert "matdiff.expr" in graph["matdiff.render.text"]
    assert "matdiff.steps" in graph["matdiff.api"]          # imported inside a method only


def test_no_source_file_over_600_lines():
    long = {str(p.relative_to(SRC)): n for p in PKG.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
