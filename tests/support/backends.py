"""The code backends the compiled-code tests run on: a fixture over numpy, jax (64-bit),
torch and dask, and the test data as each backend's arrays."""
import numpy as np
import pytest


@pytest.fixture(params=["numpy", "jax", "torch", "dask"])
def backend(request):
    name = request.param
    if name == "jax":
        jax = pytest.importorskip("jax")
        old = jax.config.jax_enable_x64
        jax.config.update("jax_enable_x64", True)
        yield name
        jax.config.update("jax_enable_x64", old)
        return
    if name in ("torch", "dask"):
        pytest.importorskip(name)
    yield name


@pytest.fixture(params=["numpy", "jax", "torch"])
def dense_backend(request):
    """numpy, jax (64-bit) and torch: the backends every compiled path is checked in."""
    name = request.param
    if name == "jax":
        jax = pytest.importorskip("jax")
        old = jax.config.jax_enable_x64
        jax.config.update("jax_enable_x64", True)
        yield name
        jax.config.update("jax_enable_x64", old)
        return
    pytest.importorskip(name)
    yield name


def as_backend(data, backend):
    if backend == "jax":
        import jax.numpy as jnp
        return {k: jnp.asarray(v) for k, v in data.items()}
    if backend == "torch":
        import torch
        return {k: torch.as_tensor(v) for k, v in data.items()}
    if backend == "dask":   # chunks of 2 along every axis: every operation meets several blocks
        import dask.array as da
        return {k: da.from_array(np.asarray(v), chunks=2) for k, v in data.items()}
    return data
