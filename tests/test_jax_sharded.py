"""The JAX backend's compiled gradient and Hessian run unchanged on inputs sharded over a
4-device mesh (rows of X sharded, parameters replicated) under jax.jit, and give the
unsharded numbers.  JAX sees 4 CPU devices only if XLA_FLAGS is set before it is
imported, so the check runs in a subprocess."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("jax")

ROOT = pathlib.Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent('''
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    import matdiff as md

    assert len(jax.devices()) == 4, jax.devices()
    mesh = Mesh(np.array(jax.devices()), ("rows",))
    rows, replicated = NamedSharding(mesh, P("rows")), NamedSharding(mesh, P())
    rng = np.random.default_rng(0)
    N, p = 64, 5
    X = rng.standard_normal((N, p))
    data = {"X": X, "y": np.where(rng.random(N) < 0.5, -1.0, 1.0),
            "w": 0.3 * rng.standard_normal(p)}
    cases = [("-sum(log(sigmoid(y .* (X*w))))", {"X": "matrix(N,n)", "y": "vector(N)", "w": "vector(n)"}),
             ("norm2(X*w - y)^2", {"X": "matrix(N,n)", "y": "vector(N)", "w": "vector(n)"})]
    for expr, vars_ in cases:
        f = md.compile(expr, wrt="w", vars=vars_, order=2, backend="jax")
        plain = f(**{k: jnp.asarray(v) for k, v in data.items()})
        sharded_in = {"X": jax.device_put(data["X"], rows), "y": jax.device_put(data["y"], rows),
                      "w": jax.device_put(data["w"], replicated)}
        assert len(sharded_in["X"].sharding.device_set) == 4
        step = jax.jit(lambda X, y, w: f(X=X, y=y, w=w))
        sharded = step(**sharded_in)
        direct = f(**sharded_in)      # the compiled function (jitted itself) on sharded inputs
        for a, b, c in zip(plain, sharded, direct):
            np.testing.assert_allclose(np.asarray(c), np.asarray(a), rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-12, atol=1e-12)
        grad, hess = np.asarray(sharded[1]), np.asarray(sharded[2])
        assert grad.shape == (p,) and hess.shape == (p, p) and np.all(np.isfinite(hess))
        print("ok", expr, float(np.abs(grad).max()))
''')


def test_sharded_jax_equals_unsharded():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4",
               JAX_PLATFORMS="cpu")
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.count("ok ") == 2, out.stdout
