"""Code generation (matdiff.compile, Result.code): every backend against matdiff's own
evaluator and against finite differences, on the benchmark cases at small sizes and on
a sample of the seed corpus; the shape of the generated code; the exported modules."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import matdiff as md
from matdiff.codegen.lowering import Lowering
from matdiff.expr import axes

from support import fd
from support.backends import as_backend

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = json.load(open(os.path.join(HERE, "data", "seeds.json"), encoding="utf-8"))
SIZES = (4, 3, 5, 2, 6)

LOGISTIC = "sum(log(ones + exp(-y .* (X*w))))"
LOGISTIC_VARS = {"X": "matrix(N,n)", "y": "vector(N)", "w": "vector(n)"}
GAUSS = "0.5*logdet(S) + 0.5*(x-m)'*inv(S)*(x-m)"
NN = "norm2(W2*tanh(W1*x) - y)^2"

# The cases of benchmarks/speed.py, small.
BENCH = [
    ("quad-grad", "x'*A*x", "x", None, 1),
    ("quad-hess", "x'*A*x", "x", None, 2),
    ("trace-grad", "tr(X*A*X'*B)", "X", {"X": "matrix(n,m)"}, 1),
    ("logistic-grad", LOGISTIC, "w", LOGISTIC_VARS, 1),
    ("logistic-hess", LOGISTIC, "w", LOGISTIC_VARS, 2),
    ("gauss-grad", GAUSS, "S", {"S": "matrix(n,n) spd"}, 1),
    ("nn-grad", NN, ["W1", "W2"], None, 1),
]


# ---- helpers ------------------------------------------------------------------------------

def random_data(variables, rng, sizes=None):
    """Arguments for every variable: random, with the declared properties, invertible squares."""
    sizes = dict(sizes or {})
    k = 0
    out = {}
    for name, v in variables.items():
        shape = []
        for d in axes(v.shape):
            if isinstance(d, int):
                shape.append(d)
                continue
            if d not in sizes:
                sizes[d] = SIZES[k % len(SIZES)]
                k += 1
            shape.append(sizes[d])
        a = rng.standard_normal(shape) / 2
        if len(shape) == 2 and shape[0] == shape[1]:
            n = shape[0]
            a = a @ a.T / n + np.eye(n) if "spd" in v.props else a + 1.5 * np.eye(n)
            if "symmetric" in v.props:
                a = (a + a.T) / 2
            if "diagonal" in v.props:
                a = np.diag(np.diag(a))
        if "positive" in v.props:
            a = np.abs(a) + 0.1
        out[name] = a
    return out


def to_np(x):
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=float)


def close(got, want, rtol=1e-7):
    got, want = to_np(got), np.asarray(want, dtype=float)
    assert got.shape == np.shape(want) or got.size == np.size(want), (got.shape, np.shape(want))
    scale = max(1.0, float(np.max(np.abs(want))) if np.size(want) else 1.0)
    np.testing.assert_allclose(got.reshape(np.shape(want)), want, rtol=rtol, atol=rtol * scale)


def fd_jacobian(fn, data, wrt, h=1e-6, symmetric=False):
    """Central differences of fn(data) (an array) by the entries of data[wrt].

    ``symmetric``: data[wrt] is a symmetric matrix; entries (i, j) and (j, i) move
    together and the result is the gradient within symmetric matrices, (G + G')/2.
    """
    x = np.asarray(data[wrt], dtype=float)
    base = np.asarray(fn(data), dtype=float)
    out = np.zeros(base.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        step = h * max(1.0, abs(float(x[idx])))
        hi, lo = dict(data), dict(data)
        hi[wrt], lo[wrt] = x.copy(), x.copy()
        hi[wrt][idx] += step
        lo[wrt][idx] -= step
        if symmetric and idx[0] != idx[1]:
            hi[wrt][idx[::-1]] += step
            lo[wrt][idx[::-1]] -= step
        d = (np.asarray(fn(hi)) - np.asarray(fn(lo))) / (2 * step)
        out[(Ellipsis,) + idx] = d / 2 if symmetric and idx[0] != idx[1] else d
    return out


def is_symmetric(var) -> bool:
    return len(axes(var.shape)) == 2 and bool(var.props & {"symmetric", "spd"})


# ---- the benchmark cases ------------------------------------------------------------------

@pytest.mark.parametrize("case", BENCH, ids=[c[0] for c in BENCH])
def test_benchmark_case(case, backend):
    _, expr, wrt, vars, order = case
    f = md.compile(expr, wrt=wrt, vars=vars, order=order, backend=backend)
    typed = f.program.typed
    data = random_data(typed.variables, np.random.default_rng(1))
    out = f(**as_backend(data, backend))
    wrts = [wrt] if isinstance(wrt, str) else list(wrt)
    value = out[0]
    grads = [out[1]] if isinstance(wrt, str) else list(out[1])
    close(value, md.evaluate(expr, vars=vars, **data))
    for w, g in zip(wrts, grads):
        r = md.derivative(expr, wrt=w, vars=vars)
        close(g, r.evaluate(**data))
        num = fd_jacobian(lambda d: md.evaluate(expr, vars=vars, **d), data, w,
                          symmetric=is_symmetric(typed.variables[w]))
        close(g, num, rtol=1e-5)
    if order == 2:
        (w,) = wrts
        hess = out[2]
        close(hess, md.derivative(expr, wrt=[w, w], vars=vars).evaluate(**data))

        def grad(d):
            return to_np(f(**as_backend(d, backend))[1])
        close(hess, fd_jacobian(grad, data, w), rtol=1e-5)


# ---- a sample of the seed corpus ------------------------------------------------------------

def _seed_sample(k=20):
    """About k order-1 seeds spread over the corpus, each with a closed matrix form."""
    usable = [s for s in SEEDS if s["order"] == 1]
    step = max(1, len(usable) // k)
    out = []
    for s in usable[::step] + usable:
        if len(out) == k:
            break
        if s in out:
            continue
        try:
            r = md.derivative(s["expr"], wrt=s["wrt"], vars=s.get("vars"), layout=s["layout"])
        except md.MatdiffError:
            continue
        if r.expr is not None:
            out.append(s)
    return out


@pytest.mark.parametrize("seed", _seed_sample(), ids=lambda s: s["id"])
def test_seed(seed, backend):
    r = md.derivative(seed["expr"], wrt=seed["wrt"], vars=seed.get("vars"), layout=seed["layout"])
    f = md.compile(seed["expr"], wrt=seed["wrt"], vars=seed.get("vars"), layout=seed["layout"],
                   backend=backend)
    data = random_data(r.typed.variables, np.random.default_rng(2), seed.get("dims"))
    value, grad = f(**as_backend(data, backend))
    close(value, md.evaluate(seed["expr"], vars=seed.get("vars"), **data))
    close(grad, r.evaluate(**data))


# ---- more of the language, NumPy and the other backends ----------------------------------------

VARS = {"A": "matrix(n,n)", "B": "matrix(n,n)", "X": "matrix(n,m)", "C": "matrix(m,m)",
        "S": "matrix(n,n) spd", "D": "matrix(n,n) diagonal", "P": "matrix(n,m) positive",
        "x": "vector(n)", "y": "vector(n)", "z": "vector(m)", "u": "vector(n) positive",
        "t": "scalar"}
MORE = [
    ("x'*inv(S)*x", "S", 1), ("x'*inv(S)*x", "x", 2), ("det(A)", "A", 1), ("logdet(S)", "S", 1),
    ("x'*diag(y)*x", "y", 1), ("x'*diag(y)*x", "x", 2), ("sum(exp(A*x))", "x", 2),
    ("sum(sigmoid(X'*x))", "x", 1), ("norm2(X*z - x)", "z", 1), ("norm2(X*z - x)^2", "z", 2),
    ("tr(inv(S)*A)", "S", 1), ("tr(A^3)", "A", 1), ("y'*A^-2*x", "A", 1), ("x'*(A.*B)*y", "A", 1),
    ("sum(tanh(X*z))", "z", 2), ("t^2*x'*A*x", "t", 2), ("x'*expm(t*A)*y", "t", 1),
    ("norm1(x)", "x", 1), ("sum(relu(A*x))", "x", 1), ("x'*D*x", "D", 1), ("sum(P.^(1/3))", "P", 1),
    ("x'*(A + t*I)*x", "t", 1), ("tr(diag(x)*A*diag(y))", "x", 1), ("diag(A*B)'*x", "A", 1),
    ("x'*inv(A + t*B)*y", "t", 2), ("sum(x./u)", "u", 1), ("x'*A*x/(x'*x)", "x", 2),
    ("tr(A*X*C*X')", "X", 1), ("t*sum(kron(A, B))", "t", 1), ("t*vec(X)'*vec(X)", "t", 1),
    ("t*kron(A, x)", "t", 1), ("t*sum(inv(A)^3*x)", "t", 1), ("sum(x.*(ones - y))", "x", 1),
    ("sum(softplus(X*z))", "z", 2), ("sum(log1p(u)) + t*u'*u", "u", 2), ("tr(B*adj(A))", "A", 1),
    ("logsumexp(X*z)", "z", 2), ("x'*softmax(A*y)", "y", 1),
]


@pytest.mark.parametrize("case", MORE, ids=[f"{e} by {w}, order {o}" for e, w, o in MORE])
def test_more_expressions(case, backend):
    expr, wrt, order = case
    f = md.compile(expr, wrt=wrt, vars=VARS, order=order, backend=backend)
    data = random_data(f.program.typed.variables, np.random.default_rng(3))
    out = f(**as_backend(data, backend))
    close(out[0], md.evaluate(expr, vars=VARS, **data))
    for k in range(1, order + 1):
        close(out[k], md.derivative(expr, wrt=[wrt] * k, vars=VARS).evaluate(**data))


def test_several_variables_and_second_order_blocks():
    expr = "x'*A*y + t*x'*x"
    f = md.compile(expr, wrt=["x", "y", "t"], order=2, vars={"t": "scalar"})
    data = random_data(f.program.typed.variables, np.random.default_rng(4))
    value, grads, blocks = f(**data)
    assert len(grads) == 3 and len(blocks) == 3 and all(len(row) == 3 for row in blocks)
    for a, g in zip("xyt", grads):
        close(g, md.derivative(expr, wrt=a, vars={"t": "scalar"}).evaluate(**data))
        for b, h in zip("xyt", blocks["xyt".index(a)]):
            close(h, md.derivative(expr, wrt=[a, b], vars={"t": "scalar"}).evaluate(**data))


def test_value_false_and_positional_arguments():
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = np.array([1.0, -1.0])
    g = md.compile("x'*A*x", wrt="x", value=False)
    close(g(x=x, A=A), (A + A.T) @ x)
    grad, hess = md.compile("x'*A*x", wrt="x", value=False, order=2)(x=x, A=A)
    close(hess, A + A.T)
    gx, gA = md.compile("x'*A*x", wrt=["x", "A"], value=False)(x, A)
    close(gA, np.outer(x, x))
    value, grad = md.compile("x'*A*x", wrt="x")(x=x.reshape(2, 1), A=A)  # a column is accepted
    assert value == pytest.approx(x @ A @ x)


def test_errors_are_matdiff_errors():
    with pytest.raises(md.NotSupportedError):
        md.compile("x'*x", wrt="x", backend="fortran")
    with pytest.raises(md.UnknownNameError):
        md.compile("x'*x", wrt="y")
    f = md.compile("x'*A*x", wrt="x")
    with pytest.raises(md.EvaluationError, match="A should have shape"):
        f(x=np.ones(3), A=np.ones((4, 4)))
    with pytest.raises(md.EvaluationError, match="no value given for A"):
        f(x=np.ones(3))
    with pytest.raises(md.EvaluationError, match="not a variable"):
        f(x=np.ones(3), A=np.eye(3), B=np.eye(3))


def test_identifiers_are_made_safe():
    # lambda is a Python keyword, np the module's alias, n also a dimension's name
    expr = "lambda*np'*n + n'*A*n"
    f = md.compile(expr, wrt=["lambda", "n"], vars={"np": "vector(n)", "n": "vector(n)"})
    data = random_data(f.program.typed.variables, np.random.default_rng(5))
    value, (g_l, g_n) = f(**data)
    close(value, md.evaluate(expr, vars={"np": "vector(n)", "n": "vector(n)"}, **data))
    close(g_l, data["np"] @ data["n"])
    src = f.source()
    compile(src, "<test>", "exec")
    assert "def f(lambda_," in src


# ---- what the generated code looks like ---------------------------------------------------------

def test_solve_instead_of_inverse_and_slogdet():
    src = md.compile(GAUSS, wrt="S", vars={"S": "matrix(n,n) spd"}).source()
    assert "linalg.inv" not in src and "linalg.solve" in src and "slogdet" in src
    src = md.compile("y'*inv(A)*B*z", wrt="z", vars={"B": "matrix(n,m)"}).source()
    assert "linalg.inv" not in src and "linalg.solve(A.T, y)" in src


def test_diagonal_matrices_are_never_formed():
    src = md.compile(LOGISTIC, wrt="w", vars=LOGISTIC_VARS, order=2).source()
    # X'*diag(v)*X -> X.T @ (v[:, None] * X), never the n×n diag(v)
    assert "np.diag(" not in src and "[:, None] * X)" in src
    src = md.compile("tr(diag(v)*M*A)", wrt="A").source()
    assert "np.diag(" not in src


def test_common_subexpressions_are_shared_and_outer_products_used():
    src = md.compile(NN, wrt=["W1", "W2"]).source()
    assert src.count("np.tanh(") == 1 and "np.outer(" in src


def test_chain_order_follows_the_sizes():
    f = md.compile("x'*A*B*C*x", wrt="x")
    low = Lowering(f.program.pynames, {"n": 1000})
    low.root(f.program.value_expr)
    for op in low.g.ops:
        if op.name == "matmul":  # never a matrix times a matrix
            assert min(low.g[a].ndim for a in op.args) <= 1
    # a wide first factor: (A*B)*C is cheaper than A*(B*C) when A is 10×1000
    f = md.compile("sum(A*B*C)", wrt="A", vars={"A": "matrix(p,n)", "B": "matrix(n,n)", "C": "matrix(n,q)"})
    low = Lowering(f.program.pynames, {"p": 1000, "n": 1000, "q": 1000})
    low.root(f.program.value_expr)  # sum(.) multiplies by ones: only matrix-vector products
    assert all(min(low.g[a].ndim for a in op.args) <= 1 for op in low.g.ops if op.name == "matmul")


# ---- JAX and torch specifics ---------------------------------------------------------------------

def test_jax_function_is_jittable_and_differentiable():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        f = md.compile("x'*A*x", wrt="x", backend="jax")
        x, A = jnp.arange(3.0), jnp.eye(3) + 1.0
        value, grad = jax.jit(lambda x, A: f(x=x, A=A))(x, A)
        auto = jax.grad(lambda x: f(x=x, A=A)[0])(x)
        close(grad, auto)
    finally:
        jax.config.update("jax_enable_x64", old)


def test_torch_on_cuda_when_available():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    f = md.compile(GAUSS, wrt="S", vars={"S": "matrix(n,n) spd"}, backend="torch")
    data = random_data(f.program.typed.variables, np.random.default_rng(6))
    cuda = {k: torch.as_tensor(v, device="cuda") for k, v in data.items()}
    value, grad = f(**cuda)
    assert grad.device.type == "cuda"
    close(grad, md.derivative(GAUSS, wrt="S", vars={"S": "matrix(n,n) spd"}).evaluate(**data))


# ---- exported modules ------------------------------------------------------------------------

EXPORTS = [
    ("x'*A*x", "x", None, 2, "mixed"),
    (GAUSS, "S", {"S": "matrix(n,n) spd"}, 1, "mixed"),
    (NN, "W1", None, 1, "mixed"),
    ("tr(A*X)", "X", {"A": "matrix(n,m)", "X": "matrix(m,n)"}, 1, "numerator"),
    ("vec(x*z')", "x", None, 1, "mixed"),  # kron(z, I(n)): the identity with a size
    ("z'*diag(X'*X)", "X", {"X": "matrix(n,m)"}, 1, "mixed"),  # column dots
]


def _run_module(src: str, tmp_path, name: str):
    path = tmp_path / f"{name}.py"
    path.write_text(src, encoding="utf-8")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(os.path.dirname(HERE), "src") + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env)


@pytest.mark.parametrize("case", EXPORTS, ids=[f"{c[0]} by {c[1]}" for c in EXPORTS])
def test_exported_numpy_module_passes_its_check(case, tmp_path):
    expr, wrt, vars, order, layout = case
    r = md.derivative(expr, wrt=wrt, vars=vars, order=order, layout=layout)
    src = r.code("numpy")
    assert expr in src and r.text in src and "assert tuple(" in src
    assert 'if __name__ == "__main__":' in src and "def check(" in src
    p = _run_module(src, tmp_path, "exported")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "OK"


@pytest.mark.parametrize("lib", ["jax", "torch"])
@pytest.mark.parametrize("case", EXPORTS[:3], ids=[f"{c[0]} by {c[1]}" for c in EXPORTS[:3]])
def test_exported_module_passes_its_check_on_other_backends(case, lib, tmp_path):
    pytest.importorskip(lib)
    expr, wrt, vars, order, layout = case
    src = md.derivative(expr, wrt=wrt, vars=vars, order=order, layout=layout).code(lib)
    p = _run_module(src, tmp_path, f"exported_{lib}")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "OK"


def test_exported_module_catches_a_wrong_derivative(tmp_path):
    src = md.derivative("x'*A*x", wrt="x").code("numpy")
    broken = src.replace("return value, df_dx", "return value, 1.01 * df_dx")
    assert broken != src
    p = _run_module(broken, tmp_path, "broken")
    assert p.returncode != 0 and "differs from finite differences" in p.stderr


# ---- results in index form: opt_einsum contractions ------------------------------------------
# Each against central differences of a plain NumPy function (tests/fd.py), in every backend.

INDEX_FORM = [
    ("inv(X)", "X", {"X": "matrix(n,n)"}, 1, lambda d: np.linalg.inv(d["X"])),
    ("X'*X", "X", {"X": "matrix(n,m)"}, 1, lambda d: d["X"].T @ d["X"]),
    ("tr(X*A*X'*B)", "X", {"X": "matrix(n,m)"}, 2,
     lambda d: np.trace(d["X"] @ d["A"] @ d["X"].T @ d["B"])),
    ("A*x", "x", {"A": "matrix(n,m)"}, 2, lambda d: d["A"] @ d["x"]),
    ("x*y'*A", "A", {"A": "matrix(m,n)", "y": "vector(m)"}, 1, lambda d: np.outer(d["x"], d["y"]) @ d["A"]),
]


@pytest.mark.parametrize("case", INDEX_FORM, ids=[f"{c[0]} by {c[1]}, order {c[3]}" for c in INDEX_FORM])
def test_index_form_results_compile(case, backend):
    expr, wrt, vars, order, ref = case
    f = md.compile(expr, wrt=wrt, vars=vars, order=order, backend=backend)
    data = random_data(f.program.typed.variables, np.random.default_rng(8), {"n": 3, "m": 4})
    out = f(**as_backend(data, backend))
    close(out[0], ref(data), rtol=1e-10)
    for k in range(1, order + 1):
        want = fd.reference(ref, data, [wrt] * k, "mixed")
        assert to_np(out[k]).shape == want.shape
        close(out[k], want, rtol=fd.TOLS[k])
    if order == 1:
        assert "_contract(" in f.source()


def test_mixed_block_without_a_matrix_form_compiles(backend):
    vars = {"A": "matrix(m,n)", "C": "matrix(m,p)", "B": "matrix(n,q)", "D": "matrix(p,q)",
            "E": "matrix(n,p)", "x": "vector(m)", "y": "vector(q)"}
    expr = "sum(E .* (A'*diag(x)*C) .* (B*diag(y)*D'))"
    assert md.derivative(expr, wrt=["x", "y"], vars=vars).expr is None
    f = md.compile(expr, wrt=["x", "y"], vars=vars, order=2, backend=backend)
    data = random_data(f.program.typed.variables, np.random.default_rng(9),
                       {"m": 3, "n": 4, "p": 2, "q": 5})

    def ref(d):
        return np.sum(d["E"] * (d["A"].T @ np.diag(d["x"]) @ d["C"]) * (d["B"] @ np.diag(d["y"]) @ d["D"].T))
    _, _, blocks = f(**as_backend(data, backend))
    close(blocks[0][1], fd.reference(ref, data, ["x", "y"], "mixed"), rtol=fd.TOLS[2])


@pytest.mark.parametrize("lib", ["numpy", "jax", "torch"])
def test_exported_index_form_module_passes_its_check(lib, tmp_path):
    pytest.importorskip(lib)
    src = md.derivative("tr(X*A*X'*B)", wrt="X", vars={"X": "matrix(n,m)"}, order=2).code(lib)
    assert "_contract(" in src
    p = _run_module(src, tmp_path, f"index_{lib}")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "OK"
    src = md.derivative("inv(X)", wrt="X").code(lib)
    p = _run_module(src, tmp_path, f"inv_{lib}")
    assert p.returncode == 0, p.stderr
# ---- regressions: identities with a size, diagonals of products with transposes ---------------
# Checked against plain NumPy for the value and against central differences of that NumPy
# function for the derivative (tests/support/fd.py), never against matdiff's own evaluator.

def _expm(M, terms=40):
    """exp(M) by its Taylor series after scaling and squaring (a test's own reference)."""
    k = max(0, int(np.ceil(np.log2(max(1.0, np.linalg.norm(M, 1))))) + 1)
    A, out, term = M / 2 ** k, np.eye(len(M)), np.eye(len(M))
    for j in range(1, terms):
        term = term @ A / j
        out = out + term
    for _ in range(k):
        out = out @ out
    return out


def _vec(M):
    return M.T.reshape(-1)  # column-major


REGRESSION_VARS = {"A": "matrix(n,n)", "B": "matrix(n,n)", "C": "matrix(n,n)", "X": "matrix(n,m)",
                   "Y": "matrix(n,m)", "W": "matrix(m,n)", "D": "matrix(n,n) diagonal",
                   "x": "vector(n)", "y": "vector(n)", "z": "vector(m)", "t": "scalar"}
REGRESSIONS = [
    # I(n) / eye(n) were lowered as zero matrices
    ("x'*(C + I(n))*x", "x", lambda d: d["x"] @ (d["C"] + np.eye(3)) @ d["x"]),
    ("x'*(C + eye(n))*x", "C", lambda d: d["x"] @ (d["C"] + np.eye(3)) @ d["x"]),
    ("vec(x*z')", "x", lambda d: _vec(np.outer(d["x"], d["z"]))),
    ("x'*kron(z, I(n))'*kron(z, I(n))*x", "x",
     lambda d: np.sum((np.kron(d["z"][:, None], np.eye(3)) @ d["x"]) ** 2)),
    ("t*det(I(n) + A)", "A", lambda d: d["t"] * np.linalg.det(np.eye(3) + d["A"])),
    ("logdet(I(n) + A'*A)", "A", lambda d: np.linalg.slogdet(np.eye(3) + d["A"].T @ d["A"])[1]),
    ("sum(vec(x*z'))", "x", lambda d: np.sum(np.outer(d["x"], d["z"]))),
    # diag(L*R) with a transposed factor took row dots where column dots are needed
    ("x'*diag(X*X')", "X", lambda d: d["x"] @ np.diag(d["X"] @ d["X"].T)),
    ("z'*diag(X'*X)", "X", lambda d: d["z"] @ np.diag(d["X"].T @ d["X"])),
    ("x'*diag(A'*A)", "x", lambda d: d["x"] @ np.diag(d["A"].T @ d["A"])),
    ("x'*diag(A'*B)", "A", lambda d: d["x"] @ np.diag(d["A"].T @ d["B"])),
    ("x'*diag(A'*B')", "A", lambda d: d["x"] @ np.diag(d["A"].T @ d["B"].T)),
    ("z'*diag(X'*Y)", "X", lambda d: d["z"] @ np.diag(d["X"].T @ d["Y"])),
    ("x'*diag(W'*X')", "W", lambda d: d["x"] @ np.diag(d["W"].T @ d["X"].T)),
    ("z'*diag(X'*A*Y)", "A", lambda d: d["z"] @ np.diag(d["X"].T @ d["A"] @ d["Y"])),
    ("z'*diag(X'*D*Y)", "X", lambda d: d["z"] @ np.diag(d["X"].T @ d["D"] @ d["Y"])),
    ("x'*diag(diag(A'*B))*y", "A", lambda d: d["x"] @ np.diag(np.diag(d["A"].T @ d["B"])) @ d["y"]),
    ("tr(W'*X')", "X", lambda d: np.trace(d["W"].T @ d["X"].T)),
    ("tr(A'*B')", "A", lambda d: np.trace(d["A"].T @ d["B"].T)),
    # functions on a diagonal matrix and on a scalar (the lowering reads functions.py)
    ("logdet(D .* D + I(n))", "D", lambda d: np.linalg.slogdet(d["D"] * d["D"] + np.eye(3))[1]),
    ("x'*expm(t*D)*y", "t", lambda d: d["x"] @ _expm(d["t"] * d["D"]) @ d["y"]),
    ("norm1(t - 2) + norm2(t*t + 1) + sum(sigmoid(t*X))", "t",
     lambda d: abs(d["t"] - 2) + d["t"] ** 2 + 1 + np.sum(1 / (1 + np.exp(-d["t"] * d["X"])))),
    ("sum(relu(X - ones/2) + arcsin(X/4) + (tanh(X) - 2*ones).^(1/3))", "X",
     lambda d: np.sum(np.maximum(d["X"] - 0.5, 0) + np.arcsin(d["X"] / 4) + np.cbrt(np.tanh(d["X"]) - 2))),
    # torch.kron raised on a transposed (non-contiguous) operand
    ("t*kron(W', A)", "t", lambda d: d["t"] * np.kron(d["W"].T, d["A"])),
    ("t*sum(kron(X', W)*vec(A))", "t", lambda d: d["t"] * np.sum(np.kron(d["X"].T, d["W"]) @ _vec(d["A"]))),
]


@pytest.mark.parametrize("case", REGRESSIONS, ids=[f"{c[0]} by {c[1]}" for c in REGRESSIONS])
def test_regression_against_numpy_and_finite_differences(case, backend):
    expr, wrt, ref = case
    f = md.compile(expr, wrt=wrt, vars=REGRESSION_VARS, backend=backend)
    data = random_data(f.program.typed.variables, np.random.default_rng(7), {"n": 3, "m": 4})
    value, grad = f(**as_backend(data, backend))
    close(value, ref(data), rtol=1e-10)
    structure = {"D": "diagonal"} if wrt == "D" else None
    close(grad, fd.reference(ref, data, wrt, "mixed", structure=structure), rtol=1e-6)


# ---- small edges: a missing backend library, Python keywords as names -------------------------

@pytest.mark.parametrize("lib", ["jax", "torch"])
def test_a_missing_backend_library_is_a_one_line_error(lib, monkeypatch):
    monkeypatch.setitem(sys.modules, lib, None)  # as if not installed: import raises ImportError
    with pytest.raises(md.NotSupportedError, match=rf"pip install 'matdiff\[{lib}\]'") as info:
        md.compile("x'*x", wrt="x", backend=lib)
    assert "\n" not in str(info.value)


def test_python_keywords_as_variable_names_are_given_with_an_underscore(tmp_path):
    expr, vars = "lambda*x'*x", {"lambda": "scalar"}
    x = np.array([1.0, 2.0, -1.0])
    value, (g_lambda, g_x) = md.compile(expr, wrt=["lambda", "x"], vars=vars)(lambda_=0.5, x=x)
    close(value, 0.5 * (x @ x))
    close(g_lambda, x @ x)
    close(g_x, 2 * 0.5 * x)
    r = md.derivative(expr, wrt="x", vars=vars)
    close(r.evaluate(lambda_=0.5, x=x), 2 * 0.5 * x)
    close(md.evaluate(expr, vars=vars, lambda_=0.5, x=x), 0.5 * (x @ x))
    with pytest.raises(md.EvaluationError, match="given twice"):
        r.evaluate(**{"lambda": 1.0, "lambda_": 1.0, "x": x})
    src = r.code("numpy")
    assert "lambda_" in src
    p = _run_module(src, tmp_path, "keyword_names")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "OK"


def test_jax_module_checks_itself_in_float64():
    """The exported JAX module's check() runs in 64-bit floats whatever JAX's setting (in
    float32 its step of 1e-6 is below the rounding and the check failed on right code), and
    leaves the caller's setting as it was."""
    jax = pytest.importorskip("jax")
    r = md.derivative("x'*A*x + sum(exp(A*x))", wrt="x")
    ns: dict = {"__name__": "matdiff_generated"}
    exec(compile(r.code("jax"), "<r.code()>", "exec"), ns)  # noqa: S102 - the module under test
    old = jax.config.jax_enable_x64
    try:
        for setting in (False, True):
            jax.config.update("jax_enable_x64", setting)
            assert ns["check"]() is True
            assert jax.config.jax_enable_x64 is setting
        jax.config.update("jax_enable_x64", False)
        assert ns["f"](**ns["example_data"]())[1].dtype == np.float32   # the caller's floats
        right = ns["f"]
        ns["f_jit"] = lambda **kw: (right(**kw)[0], 1.001 * right(**kw)[1])   # 0.1% off
        with pytest.raises(AssertionError, match="differs from finite differences"):
            ns["check"]()
    finally:
        jax.config.update("jax_enable_x64", old)
