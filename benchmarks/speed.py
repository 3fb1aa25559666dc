"""How fast is matdiff's generated code, and how does it scale?  Tables of ratios.

    PYTHONPATH=src python benchmarks/speed.py --threads 1                 # every section
    PYTHONPATH=src python benchmarks/speed.py --threads 1 --only small    # one section again
    PYTHONPATH=src python benchmarks/speed.py --threads 1 --update-readme # and into README.md
    PYTHONPATH=src python benchmarks/speed.py --quick                     # small sizes, a minute
    PYTHONPATH=src python benchmarks/speed.py --sizes 200,500 --cases quad,nn

Sections (--only takes a comma-separated list):

    n1000    every case at n = 1000 in every column, and the goals at that size
    n3000    the gradient cases at n = 3000 (the trace case with --full)
    small    n = 10 and 30: a compiled NumPy function against the hand-written closed
             form (the per-call overhead of argument binding and checks)
    dask     rows per second of the logistic gradient and Hessian on Dask against NumPy
             in memory, at a size that fits and at one that does not fit in the memory
             given to the workers (a LocalCluster with a memory limit per worker)
    sharded  the logistic gradient and Hessian of the JAX backend under jax.jit, rows of
             X sharded over 4 host devices against 1 (XLA_FLAGS in a subprocess)
    derive   derivation time: tr(A1*X*A2*X*...*Ak*X) by X for k up to 64, and the
             Hessian of a two-layer network

Columns of the size tables (float64 everywhere; the ratio is to the hand-written
NumPy closed form):

    numpy hand     the closed form written by hand in NumPy
    matdiff numpy  md.compile(..., backend="numpy")
    matdiff jax    md.compile(..., backend="jax")  (jax.jit)
    matdiff torch  md.compile(..., backend="torch")
    jax AD         jax.jit(jax.value_and_grad(f)) / jax.jit(jax.hessian(f))
    torch AD       torch.func.grad_and_value(f) / torch.func.hessian(f)

Every figure is measured in this run: the columns of a row are timed in interleaved
rounds and each keeps its fastest round (the machine may be shared: the minimum is the
least disturbed).  A column whose library is not installed is left out; a cell matdiff
cannot compile reads n/a.  Every result is checked against the hand-written one (a cell
that disagrees is marked !).  --update-readme puts each section's table between the
markers <!-- speed:NAME --> and <!-- /speed:NAME --> of README.md.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import re
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
                               f" --xla_cpu_multi_thread_eigen={'false' if THREADS == '1' else 'true'}").strip()

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "src"))

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


def best_times(fns: list, budget: float, max_rounds: int, min_rounds: int = 3) -> list[float]:
    """Seconds per call of each function: the fastest of interleaved rounds.

    Each function runs twice first (jit compilation, the first call's code generation,
    caches); a round runs each function ``number`` times, ``number`` chosen so that a
    round of a fast function takes about a millisecond."""
    numbers = []
    for f in fns:
        f()
        f()
        t0 = time.perf_counter()
        f()
        numbers.append(max(1, int(1e-3 / max(time.perf_counter() - t0, 1e-9))))
    best = [math.inf] * len(fns)
    spent, rounds = 0.0, 0
    while rounds < min_rounds or (spent < budget and rounds < max_rounds):
        for i, f in enumerate(fns):
            t0 = time.perf_counter()
            for _ in range(numbers[i]):
                f()
            dt = time.perf_counter() - t0
            spent += dt
            best[i] = min(best[i], dt / numbers[i])
        rounds += 1
    return best


def measure_row(case: Case, n: int, cols, budget: float, max_rounds: int, rng) -> dict:
    """{column name: (seconds, agrees) or a string saying why there is no time}."""
    d = case.data(n, rng)
    want = [np.asarray(x) for x in _flat(case.hand(d))]
    cells: dict = {}
    timed = []
    for name, kind in cols:
        try:
            fn = runner(case, kind, d)
            if fn is None:
                cells[name] = "n/a"
                continue
            ok = agrees(normalise(case, kind, fn()), want)
        except Exception as ex:  # a column that fails says why, the table goes on
            cells[name] = f"error: {type(ex).__name__}"
            continue
        timed.append((name, fn, ok))
    times = best_times([fn for _, fn, _ in timed], budget * len(timed), max_rounds)
    for (name, _, ok), t in zip(timed, times):
        cells[name] = (t, ok)
    return cells


SHORT = {"quad": "x'Ax gradient", "quad-hess": "x'Ax Hessian", "trace": "tr(XAX'B) gradient",
         "logistic": f"logistic gradient (X {N_LOGISTIC}×n)", "logistic-hess": "logistic Hessian",
         "gauss": "Gaussian NLL gradient by S", "nn": "one-hidden-layer net gradient by W1, W2"}


def _ms(t: float) -> str:
    return f"{t * 1e3:.3g}"


def size_table(cases, n: int, args, rng) -> tuple[list[str], dict]:
    """One row per case at size n, one column per library."""
    cols = columns()
    head = ["case"] + [c for c, _ in cols]
    lines = [f"n = {n}: milliseconds per call, in parentheses the ratio to hand-written NumPy",
             "", "| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    results = {}
    for case in cases:
        cells = measure_row(case, n, cols, args.min_time, args.max_reps, rng)
        results[case.key] = cells
        base = cells.get("numpy hand")
        row = [SHORT.get(case.key, case.title)]
        for name, _ in cols:
            c = cells.get(name, "n/a")
            if isinstance(c, str):
                row.append(c)
            elif name == "numpy hand" or not isinstance(base, tuple):
                row.append(_ms(c[0]) + ("" if c[1] else " !"))
            else:
                row.append(f"{_ms(c[0])} ({c[0] / base[0]:.2g}×)" + ("" if c[1] else " !"))
        lines.append("| " + " | ".join(row) + " |")
        print(lines[-1], file=sys.stderr, flush=True)
    return lines, results


def _t(cells: dict, name: str) -> float:
    c = cells.get(name)
    return c[0] if isinstance(c, tuple) and c[1] else math.inf


def goals(results: dict) -> list[str]:
    """The goals at n = 1000 (issue 16), each with the ratio that decides it."""
    mine = ("matdiff numpy", "matdiff jax", "matdiff torch")

    def best(key):
        cells = results.get(key, {})
        return min((_t(cells, c), c) for c in mine)

    out = ["", "Goals at n = 1000, from the ratios above (best matdiff column):", ""]
    grads = [k for k in ("quad", "trace", "logistic", "gauss", "nn") if k in results]
    parts = []
    for key in grads:
        cells = results[key]
        t, col = best(key)
        ref = min(_t(cells, "numpy hand"), _t(cells, "jax AD"))
        r = t / ref
        parts.append(f"{key} {r:.2f}× ({col.split()[1]}){'' if r <= 1.1 else ' NOT MET'}")
    if parts:
        out.append("* gradients within 1.1× of the faster of hand NumPy and jax.grad: " + ", ".join(parts))
    if "logistic-hess" in results:
        cells = results["logistic-hess"]
        t, col = best("logistic-hess")
        r_hand, r_ad = t / _t(cells, "numpy hand"), t / _t(cells, "jax AD")
        ok = r_hand <= 1.2 and r_ad < 1
        out.append(f"* Newton step (logistic value, gradient and Hessian) within 1.2× of hand NumPy and "
                   f"faster than jax.hessian: {r_hand:.2f}× hand, {r_ad:.2f}× jax.hessian "
                   f"({col.split()[1]}){'' if ok else ' NOT MET'}")
    if "quad-hess" in results:
        t, col = best("quad-hess")
        speedup = _t(results["quad-hess"], "jax AD") / t
        out.append(f"* x'*A*x Hessian at least 10× faster than jax.hessian: {speedup:.0f}× "
                   f"({col.split()[1]}){'' if speedup >= 10 else ' NOT MET'}")
    return out


def small_table(cases, sizes, args, rng) -> list[str]:
    """Small sizes: the compiled NumPy function against the hand-written closed form."""
    cols = [("numpy hand", None), ("matdiff numpy", "numpy")]
    lines = ["Small sizes: microseconds per call of `md.compile(...)` (NumPy backend, arguments by "
             "name, checked on the first call of each shape) against the hand-written closed form",
             "", "| case | n | hand NumPy | matdiff numpy | ratio |", "|---|---|---|---|---|"]
    worst = {}
    for case in cases:
        for n in sizes:
            cells = measure_row(case, n, cols, args.min_time, 300, rng)
            hand, mine = _t(cells, "numpy hand"), _t(cells, "matdiff numpy")
            worst[n] = max(worst.get(n, 0.0), mine / hand)
            lines.append(f"| {SHORT.get(case.key, case.title)} | {n} | {hand * 1e6:.1f} | "
                         f"{mine * 1e6:.1f} | {mine / hand:.2f}× |")
            print(lines[-1], file=sys.stderr, flush=True)
    if 10 in worst:
        lines += ["", f"Goal at n = 10: at most 2× hand-written NumPy; the largest ratio is "
                      f"{worst[10]:.2f}×{'' if worst[10] <= 2 else ' (NOT MET)'}."]
    return lines


# ---- the report ---------------------------------------------------------------------------

def machine() -> str:
    blas = ""
    try:
        from threadpoolctl import threadpool_info
        blas = ", ".join(f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads)"
                         for p in threadpool_info() if p.get("user_api") == "blas")
    except ImportError:
        pass
    libs = [f"numpy {np.__version__}"]
    if jax is not None:
        libs.append(f"jax {jax.__version__} ({jax.devices()[0].platform})")
    if torch is not None:
        libs.append(f"torch {torch.__version__} ({torch.get_num_threads()} threads)")
    return (f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            + ", ".join(libs) + (f", BLAS {blas}" if blas else "") + f"; {time.strftime('%Y-%m-%d')}")


def update_readme(sections: dict, path: str) -> list[str]:
    """Put each section's lines between its markers in README.md; the names not found."""
    text = open(path, encoding="utf-8").read()
    missing = []
    for name, lines in sections.items():
        pat = re.compile(rf"(<!-- speed:{name} -->\n).*?(<!-- /speed:{name} -->)", re.S)
        if not pat.search(text):
            missing.append(name)
            continue
        body = "\n".join(lines).rstrip("\n") + "\n"
        text = pat.sub(lambda m, body=body: m.group(1) + body + m.group(2), text)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return missing


SECTIONS = ("n1000", "n3000", "small", "dask", "sharded", "derive")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help=f"comma-separated sections: {','.join(SECTIONS)} (default: all)")
    ap.add_argument("--quick", action="store_true",
                    help="small sizes everywhere (size tables at n = 50 and 200), to try the script")
    ap.add_argument("--sizes", help="comma-separated sizes n: size tables at these sizes instead")
    ap.add_argument("--full", action="store_true", help="also the slowest cell (tr(...) gradient at 3000)")
    ap.add_argument("--cases", help=f"comma-separated subset of {','.join(c.key for c in CASES)}")
    ap.add_argument("--min-time", type=float, default=0.3, help="seconds of timing per cell (default 0.3)")
    ap.add_argument("--max-reps", type=int, default=30, help="most rounds per row (default 30)")
    ap.add_argument("--threads", help="threads for BLAS, XLA and torch (default: their own)")
    ap.add_argument("--update-readme", action="store_true",
                    help="write each section's table into README.md between its markers")
    args = ap.parse_args(argv)
    only = args.only.split(",") if args.only else list(SECTIONS)
    unknown = sorted(set(only) - set(SECTIONS))
    if unknown:
        ap.error(f"unknown section {', '.join(unknown)}: use {', '.join(SECTIONS)}")
    chosen = set(args.cases.split(",")) if args.cases else None
    cases = [c for c in CASES if not chosen or c.key in chosen]
    rng = np.random.default_rng(0)
    stamp = f"Measured on {machine()}" + (f", --threads {THREADS}" if THREADS else "") + "."
    print(stamp + "\n")
    sections: dict = {}

    def emit(name, lines):
        lines = lines + ["", stamp]
        sections[name] = lines
        print("\n".join(lines) + "\n", flush=True)

    if args.sizes or args.quick:  # size tables only, at the sizes asked for
        for n in ([int(s) for s in args.sizes.split(",")] if args.sizes else [50, 200]):
            emit(f"n{n}", size_table(cases, n, args, rng)[0])
        if not args.quick:
            return sections
    if "n1000" in only and not args.quick:
        lines, results = size_table(cases, 1000, args, rng)
        emit("n1000", lines + goals(results))
    if "n3000" in only and not args.quick:
        big = [c for c in cases if c.order == 1 and (3000 in c.sizes or (args.full and 3000 in c.big))]
        lines = size_table(big, 3000, args, rng)[0]
        left = [c.title for c in cases if c.order == 1 and c not in big]
        emit("n3000", lines + (["", f"Left out (with --full): {', '.join(left)}."] if left else []))
    if "small" in only:
        emit("small", small_table(cases, (10, 30), args, rng))
    import scale
    if "dask" in only:
        emit("dask", scale.dask_section(args.quick, args.min_time))
    if "sharded" in only:
        emit("sharded", scale.sharded_section(args.quick))
    if "derive" in only:
        emit("derive", scale.derive_section(args.quick))
    if args.update_readme:
        missing = update_readme(sections, os.path.join(ROOT, "README.md"))
        if missing:
            print(f"README.md has no markers for {', '.join(missing)}: not written", file=sys.stderr)
    return sections


if __name__ == "__main__":
    main()
