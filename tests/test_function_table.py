"""The function table (matdiff/functions.py) is complete: every entry has what every stage needs.

Adding a function to the table without its derivative rule, value, LaTeX, a spelling in
every code backend, a case in the rule tests, a place in the property-test generator and
in the fuzzer fails here, with the name and what is missing.  The values themselves are
checked elsewhere against the tests' own references (test_rules.py, test_properties.py),
which stay independent of the table.
"""
from __future__ import annotations

import ast
import pathlib
import re
import string

import numpy as np
import pytest

import matdiff.expr as E
from matdiff import diff
from matdiff.functions import (ALIASES, BACKENDS, ELEMENTWISE, FUNCTIONS, IDENTITY, KRON,
                               SQUARE_TO_SCALAR, SQUARE_TO_SQUARE, ANY_TO_SCALAR, Domain)
from matdiff.render.latex import STRUCTURAL_LATEX

ROOT = pathlib.Path(__file__).resolve().parents[1]
NAMES = sorted(FUNCTIONS)


def _named_in(path: pathlib.Path) -> set[str]:
    """Function names a file's string constants use: a dict key "exp" or a call "exp(...)"."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            names.add(ALIASES.get(text, text))
            names.update(ALIASES.get(m, m) for m in re.findall(r"([A-Za-z_]\w*)\s*\(", text))
    return names


RULE_TESTS = _named_in(ROOT / "tests" / "test_rules.py")
PROPERTY_GENERATOR = _named_in(ROOT / "tests" / "test_properties.py")
FUZZER = _named_in(ROOT / "scripts" / "fuzz_gen.py")


def _sample(f, rng):
    """Arguments inside the entry's domain: (typed Expr args, arrays)."""
    n = 3
    if f.domain.sample == "invertible":
        a = np.eye(n) + 0.1 * rng.standard_normal((n, n))
    elif f.domain.sample == "positive":
        a = rng.uniform(0.2, 0.8, (n, n))
    else:
        a = rng.uniform(0.2, 0.8, (n, n)) * np.where(rng.random((n, n)) < 0.5, -1, 1)
    return [a] * f.arity


@pytest.mark.parametrize("name", NAMES)
def test_entry_has_a_derivative_rule(name):
    f = FUNCTIONS[name]
    assert name in diff.FUNC_RULES, f"{name}: no derivative rule (an entry's derivative, or a rule in diff.py)"
    if f.kind == ELEMENTWISE:
        assert f.derivative is not None, f"{name}: an elementwise function needs derivative=f'(u)"
        for shape in ((1, 1), (3, 1), (2, 3)):
            u = E.Var("u" if shape == (1, 1) else "U", shape)
            g = f.derivative(u, E)
            assert isinstance(g, E.Expr) and g.shape == shape, f"{name}: f'(u) must have u's shape"


@pytest.mark.parametrize("name", NAMES)
def test_entry_has_a_value_in_its_domain(name):
    f = FUNCTIONS[name]
    assert isinstance(f.domain, Domain)
    args = _sample(f, np.random.default_rng(0))
    v = f.value(*args)
    assert isinstance(v, np.ndarray) and v.ndim == 2 and np.all(np.isfinite(v)), name
    want = {ELEMENTWISE: (3, 3), SQUARE_TO_SQUARE: (3, 3), SQUARE_TO_SCALAR: (1, 1),
            ANY_TO_SCALAR: (1, 1), KRON: (9, 9)}.get(f.kind)
    if want is not None:
        assert v.shape == want, f"{name}: value shape {v.shape}, its kind {f.kind} says {want}"
    if f.domain.bad is not None:
        assert f.domain.outside and not np.any(f.domain.bad(args[0])), name


@pytest.mark.parametrize("name", NAMES)
def test_entry_has_latex_and_backend_spellings(name):
    f = FUNCTIONS[name]
    assert f.latex is not None or name in STRUCTURAL_LATEX, f"{name}: no LaTeX"
    assert set(f.spell) == set(BACKENDS), f"{name}: spell it in every backend {BACKENDS}"
    for backend, text in f.spell.items():
        slots = [p[1] for p in string.Formatter().parse(text) if p[1] is not None]
        assert slots == [""] * f.arity, f"{name}: the {backend} spelling needs {f.arity} '{{}}'"


@pytest.mark.parametrize("name", NAMES)
def test_entry_is_tested_by_rules_properties_and_fuzzer(name):
    assert name in RULE_TESTS, f"{name}: add a case to tests/test_rules.py"
    assert name in PROPERTY_GENERATOR, f"{name}: add it to the generator in tests/test_properties.py"
    assert name in FUZZER, f"{name}: add it to the generator in scripts/fuzz_gen.py"


@pytest.mark.parametrize("name", [n for n in NAMES if FUNCTIONS[n].kind == ELEMENTWISE])
def test_elementwise_facts_are_complete(name):
    f = FUNCTIONS[name]
    assert f.fold is not None, f"{name}: fold (its value on a number) is missing"
    assert f.transpose is not None, name
    assert f.sympy is not None, f"{name}: its SymPy form (sympy_bridge.py) is missing"
    if f.at_zero is not None and f.at_zero is not IDENTITY:
        assert f.fold(0) == pytest.approx(float(f.at_zero)), f"{name}: at_zero disagrees with fold(0)"


def test_aliases_are_not_names():
    assert not set(ALIASES) & set(FUNCTIONS)
    assert all(target in FUNCTIONS for target in ALIASES.values())


# Parts of the package still being moved onto the table by their owners (issue 11); each
# drops out of this tuple when it reads the entries instead of naming functions.
PENDING = ()


def test_elementwise_names_live_in_the_table():
    """An elementwise function's name, as a string, is in at most 3 source files: the table and
    where a rule is genuinely structural (d norm1 = sign(u) in diff.py)."""
    src = ROOT / "src" / "matdiff"
    names = {n for n in NAMES if FUNCTIONS[n].kind == ELEMENTWISE}
    files: dict[str, set[str]] = {n: set() for n in names}
    for path in src.rglob("*.py"):
        rel = path.relative_to(src)
        if rel.parts[0] in PENDING or rel.stem in PENDING:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        slots = {id(c) for node in ast.walk(tree) if isinstance(node, ast.Assign)
                 and any(isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets)
                 for c in ast.walk(node.value)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in names and id(node) not in slots:
                files[node.value].add(str(rel))
    crowded = {n: sorted(f) for n, f in files.items() if len(f) > 3}
    assert not crowded, f"elementwise names outside the table (functions.py): {crowded}"


def _backend_namespace(backend: str) -> dict:
    """The names a backend's generated code sees: its library and its prelude helpers."""
    if backend == "numpy":
        from matdiff.codegen.numpy_backend import NumpyPrinter as P
        ns = {"np": np}
    elif backend == "jax":
        jax = pytest.importorskip("jax")
        import jax.numpy as jnp
        import jax.scipy.linalg  # noqa: F401, F811  (expm)
        from matdiff.codegen.jax_backend import JaxPrinter as P
        ns = {"jax": jax, "jnp": jnp}
    elif backend == "dask":
        dask = pytest.importorskip("dask")
        import dask.array as da
        from matdiff.codegen.dask_backend import DaskPrinter as P
        ns = {"np": np, "dask": dask, "da": da}
    else:
        torch = pytest.importorskip("torch")
        from matdiff.codegen.torch_backend import TorchPrinter as P
        ns = {"torch": torch}
    for helper in P.HELPERS.values():
        exec(helper, ns)
    return ns


@pytest.mark.parametrize("backend", BACKENDS)
def test_backend_spellings_compute_the_value(backend):
    """Each spelling, run by its library, agrees with the entry's NumPy value (the evaluator's):
    codegen can print the table's spellings as they are."""
    ns = _backend_namespace(backend)
    if backend != "jax":
        return _check_spellings(backend, ns)
    old = ns["jax"].config.jax_enable_x64
    ns["jax"].config.update("jax_enable_x64", True)     # float64, as the other backends
    try:
        _check_spellings(backend, ns)
    finally:
        ns["jax"].config.update("jax_enable_x64", old)


def _check_spellings(backend: str, ns: dict):
    to_lib = {"numpy": lambda a: a, "jax": lambda a: ns["jnp"].asarray(a),
              "torch": lambda a: ns["torch"].as_tensor(a, dtype=ns["torch"].float64),
              "dask": lambda a: ns["da"].from_array(a, chunks=2)}[backend]   # chunked 2+1
    rng = np.random.default_rng(1)
    for name in NAMES:
        f = FUNCTIONS[name]
        args = _sample(f, rng)
        if f.kind == ELEMENTWISE and f.domain.sample == "positive":
            args = [0.9 * a for a in args]      # inside [-1, 1] too (arcsin, arccos)
        slots = {f"a{i}": to_lib(a) for i, a in enumerate(args)}
        code = f.spell[backend].format(*slots)
        got = eval(code, {**ns, **slots})
        got = np.asarray(got.detach().cpu().numpy() if hasattr(got, "detach") else got, dtype=float)
        want = f.value(*args)
        assert np.allclose(got.reshape(-1), want.reshape(-1), rtol=1e-10, atol=1e-12), \
            f"{name}: {backend} spelling {f.spell[backend]!r} disagrees with the value"
