"""Past one machine, and the small end: rows per second on Dask, per-call overhead at
small sizes, and sharded JAX (4 host devices against 1).  Every figure is a ratio
measured in one run of this script, on this machine.

    PYTHONPATH=src python benchmarks/scale.py            # the default sizes
    PYTHONPATH=src python benchmarks/scale.py --quick    # small sizes, seconds

Rows:
    dask         logistic value + gradient + Hessian (md.compile order=2): rows/s of the
                 Dask backend on a chunked array against the NumPy backend in memory
    overhead     x'*A*x gradient at n = 10, 30: a compiled NumPy call (argument checks
                 included) against the hand-written NumPy closed form (A + A')*x
    sharded jax  logistic gradient + Hessian under jax.jit with X's rows sharded over 4
                 host devices, against 1 device (subprocesses: XLA_FLAGS is read at import)
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import numpy as np

import matdiff as md

LOSS = "-sum(log(sigmoid(y .* (X*w))))"
VARS = {"X": "matrix(N,n)", "y": "vector(N)", "w": "vector(n)"}


def median_time(fn, reps: int) -> float:
    fn()                                  # warm-up (compiles, caches)
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def data(rows: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, p))
    y = np.where(rng.random(rows) < 0.5, -1.0, 1.0)
    return X, y, 0.1 * rng.standard_normal(p)


def dask_rows(rows: int, p: int, chunk: int, reps: int) -> list[str]:
    import dask.array as da
    X, y, w = data(rows, p)
    fd = md.compile(LOSS, wrt="w", vars=VARS, order=2, backend="dask")
    fn = md.compile(LOSS, wrt="w", vars=VARS, order=2)
    Xd, yd = da.from_array(X, chunks=(chunk, p)), da.from_array(y, chunks=chunk)
    got, want = fd(X=Xd, y=yd, w=w), fn(X=X, y=y, w=w)
    assert all(np.allclose(a, b, rtol=1e-10) for a, b in zip(got, want))
    t_np = median_time(lambda: fn(X=X, y=y, w=w), reps)
    t_da = median_time(lambda: fd(X=Xd, y=yd, w=w), reps)
    return [f"| dask, logistic value+grad+Hessian | {rows} x {p}, chunks of {chunk} rows | "
            f"{rows / t_da:,.0f} rows/s | {rows / t_np:,.0f} rows/s | {t_da / t_np:.2f} |"]


def overhead_rows(sizes, reps: int) -> list[str]:
    out = []
    f = md.compile("x'*A*x", wrt="x", value=False)
    for n in sizes:
        rng = np.random.default_rng(n)
        A, x = rng.standard_normal((n, n)), rng.standard_normal(n)
        assert np.allclose(f(x=x, A=A), (A + A.T) @ x)
        t_md = median_time(lambda x=x, A=A: f(x=x, A=A), reps)
        t_hand = median_time(lambda x=x, A=A: (A + A.T) @ x, reps)
        out.append(f"| overhead, x'*A*x gradient | n = {n} | {t_md * 1e6:.1f} µs | "
                   f"{t_hand * 1e6:.1f} µs | {t_md / t_hand:.2f} |")
    return out


CHILD = r'''
import sys, time, json
import numpy as np, jax
jax.config.update("jax_enable_x64", True)
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
import matdiff as md
rows, p, reps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
X = rng.standard_normal((rows, p)); y = np.where(rng.random(rows) < 0.5, -1.0, 1.0)
w = 0.1 * rng.standard_normal(p)
f = md.compile("-sum(log(sigmoid(y .* (X*w))))", wrt="w", value=False, order=2, backend="jax",
               vars={"X": "matrix(N,n)", "y": "vector(N)", "w": "vector(n)"})
mesh = Mesh(np.array(jax.devices()), ("rows",))
r, rep = NamedSharding(mesh, P("rows")), NamedSharding(mesh, P())
args = (jax.device_put(X, r), jax.device_put(y, r), jax.device_put(w, rep))
step = jax.jit(lambda X, y, w: f(X=X, y=y, w=w))
jax.block_until_ready(step(*args))
ts = []
for _ in range(reps):
    t = time.perf_counter(); jax.block_until_ready(step(*args)); ts.append(time.perf_counter() - t)
g, h = step(*args)
print(json.dumps({"t": float(np.median(ts)), "devices": len(jax.devices()),
                  "g": np.asarray(g).tolist(), "h": np.asarray(h).tolist()}))
'''


def sharded_rows(rows: int, p: int, reps: int) -> list[str]:
    import json
    res = {}
    for k in (1, 4):
        env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={k}",
                   JAX_PLATFORMS="cpu")
        out = subprocess.run([sys.executable, "-c", CHILD, str(rows), str(p), str(reps)], env=env,
                             capture_output=True, text=True, check=True)
        res[k] = json.loads(out.stdout.strip().splitlines()[-1])
    assert res[4]["devices"] == 4 and np.allclose(res[4]["h"], res[1]["h"], rtol=1e-10)
    return [f"| sharded jax, logistic grad+Hessian | {rows} x {p}, 4 host devices vs 1 | "
            f"{res[4]['t'] * 1e3:.2f} ms | {res[1]['t'] * 1e3:.2f} ms | {res[4]['t'] / res[1]['t']:.2f} |"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int, default=None)
    a = ap.parse_args(argv)
    rows, p, chunk = (20_000, 10, 5_000) if a.quick else (1_000_000, 50, 125_000)
    reps = a.reps or (3 if a.quick else 7)
    print("| row | size | matdiff | reference | ratio |")
    print("|---|---|---|---|---|")
    lines = []
    try:
        lines += dask_rows(rows, p, chunk, reps)
    except ImportError:
        lines.append("| dask | n/a: dask is not installed | | | |")
    lines += overhead_rows((10, 30), max(reps, 200))
    try:
        import jax  # noqa: F401
        lines += sharded_rows(rows, p, reps)
    except ImportError:
        lines.append("| sharded jax | n/a: jax is not installed | | | |")
    for ln in lines:
        print(ln, flush=True)
    print("\nreference: NumPy backend in memory (dask), hand-written NumPy (overhead), "
          "1 device (sharded jax); ratio = matdiff / reference. No GPU was used.")


if __name__ == "__main__":
    main()
