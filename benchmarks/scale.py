"""The sections of benchmarks/speed.py past one machine and past one formula: Dask rows
per second (in memory, and out of core on a LocalCluster whose workers have less memory
than the data), sharded JAX (4 host devices against 1), and derivation times.

Run them through speed.py: ``python benchmarks/speed.py --only dask,sharded,derive``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

import matdiff as md

LOSS = "-sum(log(sigmoid(y .* (X*w))))"
VARS = {"X": "matrix(N,n)", "y": "vector(N)", "w": "vector(n)"}
ORDERS = ((1, "gradient"), (2, "gradient and Hessian"))


def _fastest(fns: list, rounds: int) -> list[float]:
    """Seconds of each function's fastest call, in interleaved rounds after one warm-up call."""
    for f in fns:
        f()
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, f in enumerate(fns):
            t = time.perf_counter()
            f()
            best[i] = min(best[i], time.perf_counter() - t)
    return best


def _env(**extra) -> dict:
    """The environment of a child interpreter: it imports this matdiff."""
    src = os.path.dirname(os.path.dirname(os.path.abspath(md.__file__)))
    path = os.pathsep.join([src] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
    return dict(os.environ, PYTHONPATH=path, **extra)


def _data(rows: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, p))
    y = np.where(rng.random(rows) < 0.5, -1.0, 1.0)
    return X, y, 0.1 * rng.standard_normal(p)


def _rate(rows: int, t: float) -> str:
    return f"{rows / t:,.0f}"


def dask_section(quick: bool, min_time: float) -> list[str]:
    try:
        import dask.array as da
        import distributed  # noqa: F401
    except ImportError:
        return ["Dask: not installed (pip install 'matdiff[dask]')."]
    rows, p, chunk = (50_000, 10, 12_500) if quick else (1_000_000, 50, 125_000)
    big, big_chunk = (6_000_000, 250_000) if quick else (4_000_000, 100_000)
    workers, limit_mib = 2, (200 if quick else 400)
    lines = ["Dask: rows per second of the logistic loss's value and derivatives "
             "(`md.compile(..., backend=\"dask\")`) against the NumPy backend on the same rows in "
             "memory; ratio = Dask rate ÷ NumPy rate (above 1: Dask is faster)", "",
             "| derivatives | data | matdiff dask | NumPy in memory | ratio |", "|---|---|---|---|---|"]
    X, y, w = _data(rows, p)
    Xd, yd = da.from_array(X, chunks=(chunk, p)), da.from_array(y, chunks=chunk)
    np_rate = {}
    for order, what in ORDERS:
        fn = md.compile(LOSS, wrt="w", vars=VARS, order=order)
        fd = md.compile(LOSS, wrt="w", vars=VARS, order=order, backend="dask")
        got, want = fd(X=Xd, y=yd, w=w), fn(X=X, y=y, w=w)
        assert all(np.allclose(a, b, rtol=1e-10) for a, b in zip(got, want))
        t_np, t_da = _fastest([lambda fn=fn: fn(X=X, y=y, w=w), lambda fd=fd: fd(X=Xd, y=yd, w=w)],
                              max(3, int(min_time * 10)))
        np_rate[order] = rows / t_np
        lines.append(f"| {what} | {rows:,} × {p} in memory ({X.nbytes / 1e6:,.0f} MB), chunks of "
                     f"{chunk:,} rows, threaded scheduler | {_rate(rows, t_da)} | {_rate(rows, t_np)} "
                     f"| {t_np / t_da:.2f} |")
        print(lines[-1], file=sys.stderr, flush=True)
    # out of core: generated chunk by chunk on worker processes that cannot hold it, in a
    # fresh interpreter (the workers are spawned: they would import this script's modules)
    nbytes = big * p * 8
    assert nbytes > workers * limit_mib * 2**20, "the out-of-core data must not fit"
    out = subprocess.run([sys.executable, "-c", OUT_OF_CORE, json.dumps([big, p, big_chunk, workers, limit_mib])],
                         capture_output=True, text=True, check=True, env=_env())
    res = json.loads(out.stdout.strip().splitlines()[-1])
    t_gen = res["gen"]
    for order, what in ORDERS:
        t_da = res[str(order)]
        lines.append(f"| {what} | {big:,} × {p} ({nbytes / 1e9:.1f} GB), generated chunk by "
                     f"chunk on {workers} worker processes of {limit_mib} MiB each: more than "
                     f"their memory | {_rate(big, t_da)} | {np_rate[order]:,.0f} (the "
                     f"{rows:,} rows above) | {big / t_da / np_rate[order]:.2f} |")
        print(lines[-1], file=sys.stderr, flush=True)
    lines += ["", f"The out-of-core rows include generating the data: generating and summing X "
                  f"alone runs at {_rate(big, t_gen)} rows/s on the same cluster."]
    return lines


OUT_OF_CORE = r'''
import json, logging, sys, time
import numpy as np
import dask.array as da
from distributed import Client, LocalCluster
import matdiff as md
big, p, chunk, workers, limit_mib = json.loads(sys.argv[1])
rs = da.random.RandomState(1)
X = rs.standard_normal((big, p), chunks=(chunk, p))
y = da.where(rs.random_sample(big, chunks=chunk) < 0.5, -1.0, 1.0)
w = 0.1 * np.random.default_rng(1).standard_normal(p)


def fastest(f, rounds=2):
    f()
    best = float("inf")
    for _ in range(rounds):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


if __name__ == "__main__":
    out = {}
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      memory_limit=f"{limit_mib}MiB", dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster):
        out["gen"] = fastest(lambda: X.sum().compute())
        for order in (1, 2):
            f = md.compile("-sum(log(sigmoid(y .* (X*w))))", wrt="w", order=order, backend="dask",
                           vars={"X": "matrix(N,n)", "y": "vector(N)", "w": "vector(n)"})
            out[str(order)] = fastest(lambda: f(X=X, y=y, w=w))
    print(json.dumps(out))
'''


CHILD = r'''
import sys, time, json
import numpy as np, jax
jax.config.update("jax_enable_x64", True)
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
import matdiff as md
rows, p, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
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
for _ in range(rounds):
    t = time.perf_counter(); jax.block_until_ready(step(*args)); ts.append(time.perf_counter() - t)
g, h = step(*args)
print(json.dumps({"t": min(ts), "devices": len(jax.devices()),
                  "g": np.asarray(g).tolist(), "h": np.asarray(h).tolist()}))
'''


def sharded_section(quick: bool) -> list[str]:
    try:
        import jax  # noqa: F401
    except ImportError:
        return ["Sharded JAX: jax is not installed."]
    rows, p, rounds = (20_000, 10, 5) if quick else (1_000_000, 50, 7)
    res = {}
    for k in (1, 4):
        flags = f"--xla_force_host_platform_device_count={k} " + os.environ.get("XLA_FLAGS", "")
        env = _env(XLA_FLAGS=flags.strip(), JAX_PLATFORMS="cpu")
        out = subprocess.run([sys.executable, "-c", CHILD, str(rows), str(p), str(rounds)], env=env,
                             capture_output=True, text=True, check=True)
        res[k] = json.loads(out.stdout.strip().splitlines()[-1])
    assert res[4]["devices"] == 4 and np.allclose(res[4]["h"], res[1]["h"], rtol=1e-10)
    assert np.allclose(res[4]["g"], res[1]["g"], rtol=1e-10)
    t4, t1 = res[4]["t"], res[1]["t"]
    return ["Sharded JAX: the logistic gradient and Hessian (`backend=\"jax\"`) under `jax.jit`, rows "
            "of X sharded with `NamedSharding` over a CPU mesh, against one device (same numbers, "
            "checked); ratio = time on 4 ÷ time on 1", "",
            "| data | 4 host devices | 1 device | ratio |", "|---|---|---|---|",
            f"| {rows:,} × {p} | {t4 * 1e3:.1f} ms | {t1 * 1e3:.1f} ms | {t4 / t1:.2f} |", "",
            f"The host devices share this machine's {os.cpu_count()} cores, so the ratio shows what "
            "sharding costs or saves here, not what several accelerators give."]


DERIVE = r'''
import json, sys, time
import matdiff as md
# warm-up on other names (no cache can hold the expression timed): loads the code paths
md.derivative("tr(B1*Y*B2*Y*B3*Y*B4*Y*B5*Y)", wrt="Y")
md.derivative("norm2(V2*sin(V1*z) - u)^2", wrt="z", order=2)
expr, wrt, order = sys.argv[1], sys.argv[2], int(sys.argv[3])
t = time.perf_counter()
r = md.derivative(expr, wrt=wrt, order=order)
print(json.dumps([time.perf_counter() - t, len(r.text), r.expr is not None]))
'''


def _chain(k: int) -> str:
    return "tr(" + "*".join(f"A{i}*X" for i in range(1, k + 1)) + ")"


def derive_section(quick: bool) -> list[str]:
    """Each derivation in a fresh process (matdiff's caches hold nothing of it) after a
    warm-up on other names; the fastest of three processes."""
    ks = (1, 2, 4, 8) if quick else (1, 2, 4, 8, 16, 32, 64)
    net = "norm2(W2*tanh(W1*x) - y)^2"
    items = [(f"k{k}", _chain(k), "X", 1) for k in ks] + [("net-x", net, "x", 2), ("net-W1", net, "W1", 2)]
    best, info = {}, {}
    for key, expr, wrt, order in items:
        for _ in range(3):
            p = subprocess.run([sys.executable, "-c", DERIVE, expr, wrt, str(order)], capture_output=True,
                               text=True, check=True, env=_env())
            t, chars, matrix = json.loads(p.stdout.strip().splitlines()[-1])
            best[key] = min(best.get(key, t), t)
            info[key] = (chars, matrix)
    t1 = best["k1"]
    lines = ["Derivation time (`md.derivative`, in a fresh process after two derivations of the same "
             "kinds on other names, "
             "fastest of 3 processes); ratio to k = 1", "",
             "| expression | by | ms | ratio to k = 1 | answer (characters) |", "|---|---|---|---|---|"]
    for k in ks:
        expr = _chain(k) if k <= 2 else f"tr(A1*X*A2*X*…*A{k}*X), k = {k}"
        lines.append(f"| {expr} | X | {best[f'k{k}'] * 1e3:.1f} | {best[f'k{k}'] / t1:.1f} "
                     f"| {info[f'k{k}'][0]:,} |")
    for key, by in (("net-x", "x, Hessian"), ("net-W1", "W1, Hessian")):
        form = "matrix form" if info[key][1] else "index form, 4 indices"
        lines.append(f"| {net} | {by} ({form}) | {best[key] * 1e3:.1f} | {best[key] / t1:.1f} "
                     f"| {info[key][0]:,} |")
    return lines
