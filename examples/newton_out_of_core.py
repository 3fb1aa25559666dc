"""Logistic regression by Newton's method on data that does not fit in the workers' memory.

matdiff derives the gradient and Hessian of the logistic loss once and compiles them for
Dask; each Newton step is then one pass over a chunked data set that is generated lazily,
chunk by chunk, and never held in memory whole (2e7 rows x 50 features = 8 GB of float64
by default, on a LocalCluster whose workers get --memory-limit each).  The Hessian
X'*diag(s)*X is computed as a chunked reduction over rows, (X * s[:, None]).T @ X.

At the end the first --check-rows rows are fitted again in memory with the NumPy backend;
with --check-rows equal to --rows the two fits must agree to 1e-8, otherwise the full fit
must lie within a few standard errors of the subsample's.

    python examples/newton_out_of_core.py                       # the full run: minutes
    python examples/newton_out_of_core.py --rows 20000 --features 5 --chunk-rows 4000 \\
        --check-rows 20000 --workers 1 --memory-limit 500MiB    # seconds (the tests run it)
"""
from __future__ import annotations

import argparse
import sys

import numpy as np

import matdiff as md

LOSS = "-sum(log(sigmoid(y .* (X*w))))"
VARS = {"X": "matrix(N,n)", "y": "vector(N)", "w": "vector(n)"}


def synthetic(rows: int, features: int, chunk_rows: int, seed: int):
    """(X, y, true coefficients): X and y are lazy Dask arrays, each chunk made on demand."""
    import dask.array as da
    truth = np.random.default_rng(seed).standard_normal(features) / np.sqrt(features)
    rs = da.random.RandomState(seed)
    X = rs.standard_normal((rows, features), chunks=(chunk_rows, features))
    u = rs.random_sample(rows, chunks=chunk_rows)
    y = da.where(u < 1 / (1 + da.exp(-(X @ truth))), 1.0, -1.0)
    return X, y, truth


def newton(f, X, y, features: int, tol: float, max_iter: int, progress: bool):
    """Newton's method from w = 0 with the compiled (value, gradient, Hessian) f."""
    w = np.zeros(features)
    bar = _bar(max_iter, progress)
    steps = 0
    while steps < max_iter:
        steps += 1
        value, grad, hess = f(X=X, y=y, w=w)
        step = np.linalg.solve(hess, grad)
        w = w - step
        bar.update(1)
        bar.set_postfix(loss=f"{float(value):.6g}", step=f"{np.abs(step).max():.2e}")
        if np.abs(step).max() < tol:
            break
    bar.close()
    return w, steps, hess


def _bar(total: int, enabled: bool):
    try:
        from tqdm import tqdm
    except ImportError:   # a bar that prints a line per step
        return _Lines(total, enabled)
    return tqdm(total=total, desc="Newton steps", disable=not enabled, file=sys.stderr)


class _Lines:
    def __init__(self, total, enabled):
        self.k, self.total, self.enabled = 0, total, enabled

    def update(self, n):
        self.k += n

    def set_postfix(self, **kw):
        if self.enabled:
            print(f"Newton step {self.k}/{self.total}: " + " ".join(f"{k}={v}" for k, v in kw.items()),
                  file=sys.stderr)

    def close(self):
        pass


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=float, default=2e7)
    ap.add_argument("--features", type=int, default=50)
    ap.add_argument("--chunk-rows", type=int, default=500_000)
    ap.add_argument("--check-rows", type=int, default=200_000,
                    help="rows of the in-memory NumPy fit that checks the result")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="threads per worker")
    ap.add_argument("--memory-limit", default="2GiB", help="per worker")
    ap.add_argument("--tol", type=float, default=1e-10)
    ap.add_argument("--max-iter", type=int, default=25)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-progress", action="store_true")
    a = ap.parse_args(argv)
    from distributed import Client, LocalCluster

    rows = int(a.rows)
    check_rows = min(a.check_rows, rows)
    X, y, truth = synthetic(rows, a.features, a.chunk_rows, a.seed)
    f = md.compile(LOSS, wrt="w", vars=VARS, order=2, backend="dask")
    with LocalCluster(n_workers=a.workers, threads_per_worker=a.threads, processes=False,
                      memory_limit=a.memory_limit, dashboard_address=None) as cluster, \
            Client(cluster):
        w, iters, _ = newton(f, X, y, a.features, a.tol, a.max_iter, not a.no_progress)
        Xs, ys = X[:check_rows].compute(), y[:check_rows].compute()
    # the check: the same data's first rows, in memory, fitted with the NumPy backend
    g = md.compile(LOSS, wrt="w", vars=VARS, order=2)
    ws, _, hs = newton(g, Xs, ys, a.features, a.tol, a.max_iter, False)
    diff = float(np.abs(w - ws).max())
    print(f"{rows} rows x {a.features} features, {X.numblocks[0]} chunks: "
          f"converged in {iters} Newton steps")
    print(f"max |w - w_in_memory({check_rows} rows)| = {diff:.3g}; "
          f"max |w - w_true| = {np.abs(w - truth).max():.3g}")
    if check_rows == rows:
        ok = diff < 1e-8
    else:   # the subsample's fit scatters by its standard errors around the full fit
        se = np.sqrt(np.diag(np.linalg.inv(hs)))
        ok = bool(np.all(np.abs(w - ws) < 6 * se))
    print("check:", "ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
