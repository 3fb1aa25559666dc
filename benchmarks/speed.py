"""How fast is matdiff's generated code?  A table of median times.

    PYTHONPATH=src python benchmarks/speed.py            # n = 100, 1000 (and 3000 for gradients)
    PYTHONPATH=src python benchmarks/speed.py --quick    # small sizes, a few seconds
    PYTHONPATH=src python benchmarks/speed.py --sizes 200,500 --cases quad,nn

Columns (float64 everywhere, each timed after warm-up; the ratio is to the
hand-written NumPy closed form):

    numpy hand     the closed form written by hand in NumPy
    matdiff numpy  md.compile(..., backend="numpy")
    matdiff jax    md.compile(..., backend="jax")  (jax.jit)
    matdiff torch  md.compile(..., backend="torch")
    jax AD         jax.jit(jax.value_and_grad(f)) / jax.jit(jax.hessian(f))
    torch AD       torch.func.grad_and_value(f) / torch.func.hessian(f)

A column whose library is not installed is left out; a cell matdiff cannot
compile reads n/a.  Every result is checked against the hand-written one
(a cell that disagrees is marked !).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time


def _threads_from_argv(argv) -> str | None:
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return None


# --threads must act before NumPy, JAX and torch start their thread pools
THREADS = _threads_from_argv(sys.argv[1:])
if THREADS:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = THREADS
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               f" --xla_cpu_multi_thread_eigen={'false' if THREADS == '1' else 'true'}"
                               f" intra_op_parallelism_threads={THREADS}")

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))

import matdiff as md  # noqa: E402

try:
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
except ImportError:
    jax = jnp = None
try:
    import torch
    import torch.func
    if THREADS:
        torch.set_num_threads(int(THREADS))
except ImportError:
    torch = None

N_LOGISTIC = 5000  # rows of X in the logistic loss
N_OUT = 10         # outputs of the network


# ---- the cases ------------------------------------------------------------------------

def _sigmoid(a):
    return np.exp(-np.logaddexp(0.0, -a))


class Case:
    """An expression, its derivative(s), data, a hand-written closed form and AD objectives."""
    key = ""
    title = ""
    expr = ""
    wrt: object = ""
    vars: dict | None = None
    order = 1
    sizes = (100, 1000, 3000)
    big = ()  # sizes timed only with --full

    def data(self, n, rng) -> dict:
        raise NotImplementedError

    def hand(self, d):
        raise NotImplementedError

    def ad_args(self):
        """(names of the arguments of the AD objective in order, argnums differentiated)."""
        raise NotImplementedError

    def objective(self, lib):
        raise NotImplementedError


class Quad(Case):
    key, title, expr, wrt = "quad", "x'*A*x, gradient", "x'*A*x", "x"

    def data(self, n, rng):
        return {"x": rng.standard_normal(n), "A": rng.standard_normal((n, n))}

    def hand(self, d):
        x, A = d["x"], d["A"]
        Ax = A @ x
        return x @ Ax, Ax + x @ A

    def ad_args(self):
        return ["x", "A"], 0

    def objective(self, L):
        return lambda x, A: x @ (A @ x)


class QuadHessian(Quad):
    key, title, order, sizes = "quad-hess", "x'*A*x, Hessian", 2, (100, 1000)

    def hand(self, d):
        x, A = d["x"], d["A"]
        H = A + A.T
        return x @ (A @ x), H @ x, H


class Trace(Case):
    key, title, expr, wrt = "trace", "tr(X*A*X'*B), gradient", "tr(X*A*X'*B)", "X"
    vars = {"X": "matrix(n,n)"}
    sizes, big = (100, 1000), (3000,)

    def data(self, n, rng):
        return {k: rng.standard_normal((n, n)) / np.sqrt(n) for k in ("X", "A", "B")}

    def hand(self, d):
        X, A, B = d["X"], d["A"], d["B"]
        XA = X @ A
        return np.trace(XA @ X.T @ B), B.T @ X @ A.T + B @ XA

    def ad_args(self):
        return ["X", "A", "B"], 0

    def objective(self, L):
        return lambda X, A, B: L.trace(X @ A @ X.T @ B)


class Logistic(Case):
    key, title = "logistic", f"logistic loss, X {N_LOGISTIC}×n, gradient"
    expr, wrt = "sum(log(ones + exp(-y .* (X*w))))", "w"
    vars = {"X": "matrix(N,n)", "y": "vector(N)", "w": "vector(n)"}

    def data(self, n, rng):
        return {"X": rng.standard_normal((N_LOGISTIC, n)) / np.sqrt(n),
                "y": np.sign(rng.standard_normal(N_LOGISTIC)), "w": rng.standard_normal(n)}

    def hand(self, d):
        X, y, w = d["X"], d["y"], d["w"]
        z = y * (X @ w)
        s = _sigmoid(-z)
        return np.sum(np.logaddexp(0.0, -z)), -(X.T @ (y * s))

    def ad_args(self):
        return ["w", "X", "y"], 0

    def objective(self, L):
        return lambda w, X, y: L.sum(L.log(1 + L.exp(-y * (X @ w))))


class LogisticHessian(Logistic):
    key, title, order, sizes = "logistic-hess", f"logistic loss, X {N_LOGISTIC}×n, Hessian", 2, (100, 1000)

    def hand(self, d):
        X, y, w = d["X"], d["y"], d["w"]
        z = y * (X @ w)
        s = _sigmoid(-z)
        return np.sum(np.logaddexp(0.0, -z)), -(X.T @ (y * s)), (X.T * (s * (1 - s))) @ X


class Gaussian(Case):
    key, title = "gauss", "Gaussian NLL, gradient by S (spd)"
    expr, wrt = "0.5*logdet(S) + 0.5*(x-m)'*inv(S)*(x-m)", "S"
    vars = {"S": "matrix(n,n) spd", "x": "vector(n)", "m": "vector(n)"}

    def data(self, n, rng):
        G = rng.standard_normal((n, n))
        return {"S": G @ G.T / n + np.eye(n), "x": rng.standard_normal(n), "m": rng.standard_normal(n)}

    def hand(self, d):
        S, x, m = d["S"], d["x"], d["m"]
        r = x - m
        z = np.linalg.solve(S, r)
        return 0.5 * np.linalg.slogdet(S)[1] + 0.5 * r @ z, 0.5 * np.linalg.inv(S) - 0.5 * np.outer(z, z)

    def ad_args(self):
        return ["S", "x", "m"], 0

    def objective(self, L):
        def f(S, x, m):
            r = x - m
            return 0.5 * L.linalg.slogdet(S)[1] + 0.5 * r @ L.linalg.solve(S, r)
        return f


class Network(Case):
    key, title = "nn", f"norm2(W2*tanh(W1*x) - y)^2, W1 n×n, W2 {N_OUT}×n, gradient by W1, W2"
    expr, wrt = "norm2(W2*tanh(W1*x) - y)^2", ["W1", "W2"]
    vars = {"W1": "matrix(h,n)", "W2": "matrix(k,h)", "x": "vector(n)", "y": "vector(k)"}

    def data(self, n, rng):
        return {"W1": rng.standard_normal((n, n)) / np.sqrt(n), "W2": rng.standard_normal((N_OUT, n)) / np.sqrt(n),
                "x": rng.standard_normal(n), "y": rng.standard_normal(N_OUT)}

    def hand(self, d):
        W1, W2, x, y = d["W1"], d["W2"], d["x"], d["y"]
        a = np.tanh(W1 @ x)
        r = W2 @ a - y
        return r @ r, (np.outer(2 * (1 - a * a) * (W2.T @ r), x), np.outer(2 * r, a))

    def ad_args(self):
        return ["W1", "W2", "x", "y"], (0, 1)

    def objective(self, L):
        def f(W1, W2, x, y):
            r = W2 @ L.tanh(W1 @ x) - y
            return L.sum(r * r)
        return f


CASES = [Quad(), QuadHessian(), Trace(), Logistic(), LogisticHessian(), Gaussian(), Network()]


# ---- the columns ----------------------------------------------------------------------

def _flat(x) -> list:
    if isinstance(x, (tuple, list)):
        return [y for z in x for y in _flat(z)]
    return [x]


def _np(x):
    if torch is not None and isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def columns():
    cols = [("numpy hand", None), ("matdiff numpy", "numpy")]
    if jax is not None:
        cols.append(("matdiff jax", "jax"))
    if torch is not None:
        cols.append(("matdiff torch", "torch"))
    if jax is not None:
        cols.append(("jax AD", "jax-ad"))
    if torch is not None:
        cols.append(("torch AD", "torch-ad"))
    return cols


def runner(case: Case, kind, d: dict):
    """A no-argument function computing the derivative(s) with ``kind``; None where n/a."""
    if kind is None:
        return lambda: case.hand(d)
    if kind in ("numpy", "jax", "torch"):
        try:
            f = md.compile(case.expr, wrt=case.wrt, vars=case.vars, order=case.order, backend=kind)
        except md.MatdiffError:
            return None
        if kind == "jax":
            args = {k: jnp.asarray(v) for k, v in d.items()}
            return lambda: jax.block_until_ready(f(**args))
        if kind == "torch":
            args = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in d.items()}
            return lambda: f(**args)
        return lambda: f(**d)
    names, argnums = case.ad_args()
    if kind == "jax-ad":
        obj = case.objective(jnp)
        if case.order == 2:
            vg = jax.jit(jax.value_and_grad(obj, argnums=argnums))
            hess = jax.jit(jax.hessian(obj, argnums=argnums))
            args = [jnp.asarray(d[k]) for k in names]
            return lambda: jax.block_until_ready((vg(*args), hess(*args)))
        vg = jax.jit(jax.value_and_grad(obj, argnums=argnums))
        args = [jnp.asarray(d[k]) for k in names]
        return lambda: jax.block_until_ready(vg(*args))
    if kind == "torch-ad":
        obj = case.objective(torch)
        args = [torch.from_numpy(np.ascontiguousarray(d[k])) for k in names]
        gv = torch.func.grad_and_value(obj, argnums=argnums)
        if case.order == 2:
            hess = torch.func.hessian(obj, argnums=argnums)
            return lambda: (gv(*args), hess(*args))
        return lambda: gv(*args)
    raise ValueError(kind)


def normalise(case: Case, kind, out) -> list:
    """Results as [value, derivatives...] in NumPy, whatever the column returns."""
    if kind == "jax-ad":
        (v, g), h = out if case.order == 2 else (out, None)
    elif kind == "torch-ad":
        (g, v), h = out if case.order == 2 else (out, None)
    else:
        return [_np(x) for x in _flat(out)]
    return [_np(v)] + [_np(x) for x in _flat(g)] + ([] if h is None else [_np(h)])


def agrees(got: list, want: list) -> bool:
    if len(got) != len(want):
        return False
    for a, b in zip(got, want):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        if a.shape != b.shape:
            return False
        scale = max(1.0, float(np.max(np.abs(b))) if b.size else 1.0)
        if not np.allclose(a, b, rtol=1e-6, atol=1e-8 * scale):
            return False
    return True


def median_time(fn, min_time: float, max_reps: int) -> float:
    fn()
    fn()  # warm-up: jit compilation, the first call's code generation, caches
    times: list[float] = []
    while len(times) < 3 or (sum(times) < min_time and len(times) < max_reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# ---- the report ---------------------------------------------------------------------------

def machine() -> list[str]:
    lines = [f"machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs (nproc), "
             f"Python {platform.python_version()}"]
    lines.append(f"numpy {np.__version__}"
                 + (f", jax {jax.__version__} ({jax.devices()[0].platform})" if jax is not None
                    else ", jax: not installed")
                 + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch is not None
                    else ", torch: not installed"))
    try:
        from threadpoolctl import threadpool_info
        for p in threadpool_info():
            lines.append(f"BLAS: {p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads, "
                         f"{p.get('filepath')})")
    except ImportError:
        try:
            cfg = np.show_config(mode="dicts")
            blas = cfg.get("Build Dependencies", {}).get("blas", {})
            lines.append(f"BLAS: {blas.get('name')} {blas.get('version')} "
                         f"({blas.get('openblas configuration', '')})".strip())
        except Exception:  # older NumPy: print its own report
            np.show_config()
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (50, 200)")
    ap.add_argument("--sizes", help="comma-separated sizes n, for every case")
    ap.add_argument("--full", action="store_true", help="also the slowest sizes (tr(...) gradient at 3000)")
    ap.add_argument("--cases", help=f"comma-separated subset of {','.join(c.key for c in CASES)}")
    ap.add_argument("--min-time", type=float, default=0.3, help="seconds of timing per cell (default 0.3)")
    ap.add_argument("--max-reps", type=int, default=30)
    ap.add_argument("--threads", help="threads for BLAS, XLA and torch (default: their own)")
    args = ap.parse_args(argv)

    print("\n".join(machine()))
    print("times: median after warm-up; in parentheses the ratio to the hand-written NumPy closed form\n")
    cols = columns()
    chosen = set(args.cases.split(",")) if args.cases else None
    rng = np.random.default_rng(0)
    for case in CASES:
        if chosen and case.key not in chosen:
            continue
        if args.sizes:
            sizes = [int(s) for s in args.sizes.split(",")]
        elif args.quick:
            sizes = [50, 200]
        else:
            sizes = list(case.sizes) + (list(case.big) if args.full else [])
        print(f"## {case.title}: {case.expr} by {case.wrt}" + (" (order 2)" if case.order == 2 else ""))
        header = ["n"] + [c for c, _ in cols]
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join("---" for _ in header) + "|")
        for n in sizes:
            d = case.data(n, rng)
            want = [np.asarray(x) for x in _flat(case.hand(d))]
            row = [str(n)]
            base = None
            for _name, kind in cols:
                try:
                    fn = runner(case, kind, d)
                    if fn is None:
                        row.append("n/a")
                        continue
                    ok = agrees(normalise(case, kind, fn()), want)
                    t = median_time(fn, args.min_time, args.max_reps)
                except Exception as ex:  # a column that fails says why, the table goes on
                    row.append(f"error: {type(ex).__name__}")
                    continue
                if base is None:
                    base = t
                cell = f"{t * 1e3:.3g} ms ({t / base:.2g}×)" + ("" if ok else " !")
                row.append(cell)
            print("| " + " | ".join(row) + " |", flush=True)
        if not args.sizes and not args.quick and case.big and not args.full:
            print(f"(n = {', '.join(map(str, case.big))} with --full)")
        print()


if __name__ == "__main__":
    main()
