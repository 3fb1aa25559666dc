"""The JAX printer: ``jnp`` operations only, so the function is ``jax.jit``-able
(and differentiable by JAX itself)."""
from __future__ import annotations

from .emit import Code, Printer
from .numpy_backend import adj_source


class JaxPrinter(Printer):
    backend = "jax"
    F = "jnp"
    IMPORTS = ("import jax", "import jax.numpy as jnp")
    HELPERS = {
        "_adj": adj_source("jnp"),
        "_logdet": '''\
def _logdet(a):
    """log(det(a)) via slogdet; NaN where det(a) <= 0 (the log is undefined there)."""
    sign, logabs = jnp.linalg.slogdet(a)
    return jnp.where(sign > 0, logabs, jnp.nan)
''',
    }

    def prologue(self, params):
        return [f"{p} = jnp.asarray({p})" for p, _ in params]

    def scalar(self, c):
        return Code(f"jnp.asarray(float({c.text}))")

    def op_expm(self, op, a):
        self.need_import("import jax.scipy.linalg")
        return self.call("jax.scipy.linalg.expm", a)

    TO_NUMPY = "np.asarray"
    FROM_NUMPY = "jnp.asarray"
