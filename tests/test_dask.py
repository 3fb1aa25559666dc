"""The Dask backend: compiled value, gradient and Hessian on chunked arrays equal the NumPy
backend's and central finite differences of the original expression (the tests' own NumPy
references), with the default scheduler and on a dask.distributed LocalCluster."""
from __future__ import annotations

import numpy as np
import pytest

import matdiff as md
from support.fd import assert_close, canonical

da = pytest.importorskip("dask.array")

CHUNK = 37          # rows per chunk: several uneven chunks


def _logistic(a):
    z = a["y"] * (a["X"] @ a["w"])
    return np.sum(np.logaddexp(0.0, -z))        # -log(sigmoid(z)) = log(1 + exp(-z))


def _lsq(a):
    r = a["X"] @ a["w"] - a["y"]
    return r @ r


def _gauss(a):
    d = a["X"] - a["m"][None, :]
    return 0.5 * np.sum(d * np.linalg.solve(a["S"], d.T).T) + 0.5 * np.linalg.slogdet(a["S"])[1]


def _data(rng, n_rows=150, p=4):
    X = rng.standard_normal((n_rows, p))
    A = rng.standard_normal((3, 3))
    return {"X": X, "y": np.where(rng.random(n_rows) < 0.5, -1.0, 1.0),
            "w": 0.3 * rng.standard_normal(p), "m": rng.standard_normal(3),
            "S": A @ A.T + 3 * np.eye(3), "Xg": rng.standard_normal((n_rows, 3))}


LOGISTIC = ("-sum(log(sigmoid(y .* (X*w))))", "w",
            {"X": "matrix(N,n)", "y": "vector(N)", "w": "vector(n)"}, _logistic, ("X", "y", "w"))
LSQ = ("norm2(X*w - y)^2", "w", {"X": "matrix(N,n)", "y": "vector(N)", "w": "vector(n)"}, _lsq,
       ("X", "y", "w"))
GAUSS = ("0.5*sum((X - ones*m') .* ((X - ones*m')*inv(S))) + 0.5*logdet(S)", "m",
         {"X": "matrix(N,d)", "m": "vector(d)", "S": "matrix(d,d) spd"}, _gauss, ("X", "m", "S"))
CASES = {"logistic": LOGISTIC, "least_squares": LSQ, "gaussian_mean": GAUSS}


def _check(case, seed=0):
    expr, wrt, vars_, ref, names = case
    data = _data(np.random.default_rng(seed))
    arrays = {k: data["Xg" if (k == "X" and "S" in names) else k] for k in names}
    chunked = {k: (da.from_array(v, chunks=(CHUNK,) + v.shape[1:]) if v.shape[0] == 150 else v)
               for k, v in arrays.items()}
    assert isinstance(chunked["X"], da.Array) and chunked["X"].numblocks[0] > 1
    f = md.compile(expr, wrt=wrt, vars=vars_, order=2, backend="dask")
    value, grad, hess = f(**chunked)
    for out in (value, grad, hess):    # the results come back computed, as NumPy
        assert not isinstance(out, da.Array)
    nv, ng, nh = md.compile(expr, wrt=wrt, vars=vars_, order=2)(**arrays)
    assert_close(np.asarray(value), np.asarray(nv), 1e-10, "value vs numpy")
    assert_close(grad, ng, 1e-10, "gradient vs numpy")
    assert_close(hess, nh, 1e-10, "Hessian vs numpy")
    assert_close(np.asarray(value), np.asarray(ref(arrays)), 1e-10, "value vs reference")
    assert_close(grad, canonical(ref, arrays, wrt), 1e-6, "gradient vs finite differences")
    assert_close(hess, canonical(ref, arrays, [wrt, wrt]), 1e-5, "Hessian vs finite differences")
    return f


@pytest.mark.parametrize("name", sorted(CASES))
def test_dask_default_scheduler(name):
    _check(CASES[name])


def test_dask_on_a_local_cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        for name in sorted(CASES):
            _check(CASES[name], seed=1)


def test_logistic_hessian_is_a_chunked_row_reduction():
    """X'*diag(s)*X is printed as X.T @ (s[:, None] * X): no n×n diagonal, no gathered X."""
    expr, wrt, vars_, _, _ = LOGISTIC
    src = md.compile(expr, wrt=wrt, vars=vars_, order=2, backend="dask").source()
    assert "da.diag(" not in src and "[:, None] * X)" in src and "np.asarray(X" not in src
    r = md.derivative(expr, wrt=wrt, vars=vars_)
    assert "dask.compute(" in r.code("dask") and "import dask.array as da" in r.code("dask")


def test_out_of_core_newton_example_small():
    """examples/newton_out_of_core.py's small configuration: the Dask Newton fit on a
    LocalCluster equals the in-memory NumPy fit of the same rows."""
    pytest.importorskip("distributed")
    import os
    import pathlib
    import re
    import subprocess
    import sys
    root = pathlib.Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, str(root / "examples" / "newton_out_of_core.py"),
                          "--rows", "20000", "--features", "5", "--chunk-rows", "4000",
                          "--check-rows", "20000", "--workers", "1", "--memory-limit", "500MiB",
                          "--no-progress"], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    diff = float(re.search(r"w_in_memory\(20000 rows\)\| = (\S+);", out.stdout).group(1))
    assert diff < 1e-8 and "5 chunks" in out.stdout and "check: ok" in out.stdout
