"""Code generation: NumPy, JAX and PyTorch functions from matdiff's closed forms.

    f = matdiff.compile("x'*A*x", wrt="x")          # value and gradient
    value, grad = f(x=..., A=...)
    print(matdiff.derivative("x'*A*x", wrt="x").code("jax"))   # a standalone module

The pipeline: ``program`` (what to compute: the value and the derivatives,
from ``matdiff.derivative``) -> ``lowering`` (one hash-consed ``graph`` of
array operations: shared sub-expressions, solves instead of inverses,
diagonal matrices kept as vectors; matrix chains ordered by ``chains``) -> ``emit`` with a
backend's printer (``numpy_backend``, ``jax_backend``, ``torch_backend``)
-> Python source, compiled by ``compiled`` or written out by ``export``.
"""
from __future__ import annotations

from .compiled import CompiledFunction, compile_function, program_for
from .export import module_text
from .program import BACKENDS

__all__ = ["compile_function", "module_text", "CompiledFunction", "program_for", "BACKENDS"]
