"""The public Python API: ``derivative``, ``hessian``, ``compile``, ``evaluate``.

A thin facade over the pipeline (docs/architecture.md): ``engine`` reads,
types and differentiates; ``Result`` is the engine's ``Derivation`` with the
views that sit above it (``steps``, ``code``).  Nothing in the package
imports this module except ``matdiff/__init__.py``, the CLI and the web service.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

from . import engine
from .derivation import Derivation, VecForm  # noqa: F401  (VecForm: the type of Result.vec())
from .engine import Options
from .errors import NotSupportedError

__all__ = ["Options", "Result", "derivative", "hessian", "compile", "evaluate"]


@dataclass(repr=False)
class Result(Derivation):
    """A derivative: closed form (``text``, ``expr``), ``latex``, ``shape``, ``evaluate``,
    ``vec()``, and how it was reached (``steps``) and code for it (``code()``)."""

    @classmethod
    def of(cls, d: Derivation) -> "Result":
        return cls(**{f.name: getattr(d, f.name) for f in fields(d)})

    @property
    def steps(self):
        """How this result was reached (``matdiff.steps``): ``.text``, ``.latex``, each step."""
        from .steps import derivation_steps
        return derivation_steps(self)

    def code(self, backend: str = "numpy", sizes: dict | None = None) -> str:
        """A standalone Python module computing this derivative (and the value and the
        lower orders), with shape asserts and a finite-difference self-check.

        ``backend`` is numpy, jax or torch; ``sizes`` (dimension -> size) choose the
        order of matrix products and size the example data.
        """
        from .codegen import BACKENDS, module_text
        self.check_printable([self.expr], "the generated code")
        if backend not in BACKENDS:
            raise NotSupportedError(f"unknown backend {backend!r} (use {', '.join(BACKENDS)})")
        return module_text(self, backend, sizes)

    def to_sympy(self, symbols=None):
        """The derivative as a SymPy expression (docs/sympy.md); ``symbols`` reuses SymPy
        symbols by name (by default those of a SymPy input)."""
        from .sympy_bridge import result_to_sympy
        return result_to_sympy(self, symbols)


def derivative(expression: str, wrt, vars=None, layout: str = "mixed", order: int = 1,
               types: str = "default", options: Options | None = None, **limits) -> Result:
    """The derivative of ``expression`` with respect to ``wrt`` (docs/language.md §3).

    ``wrt`` is a variable name, or a list of names for a mixed derivative
    (∂²F/∂x∂y: canonical shape F + x + y).  ``order`` repeats the
    derivative; ``layout`` is mixed, numerator or denominator.
    """
    if not isinstance(expression, str):  # a SymPy expression (docs/sympy.md)
        from .sympy_bridge import read_call
        expression, wrt, vars, symbols = read_call(expression, wrt, vars)
        r = derivative(expression, wrt, vars, layout, order, types, options, **limits)
        r.sympy_symbols = symbols
        return r
    return Result.of(engine.derivative(expression, wrt, vars, layout, order, types, options,
                                       **limits))


def hessian(expression: str, wrt, vars=None, layout: str = "mixed", **kw) -> Result:
    """Second derivative: ``derivative(..., order=2)``."""
    return derivative(expression, wrt, vars=vars, layout=layout, order=2, **kw)


def compile(expression: str, wrt, vars=None, backend: str = "numpy", order: int = 1,
            layout: str = "mixed", value: bool = True, jit: bool | None = None,
            types: str = "default", options: Options | None = None):
    """A fast callable for the value and the derivatives of ``expression``.

    ``f = compile("x'*A*x", wrt="x")`` gives ``value, grad = f(x=..., A=...)``;
    ``order=2`` adds the Hessian; several ``wrt`` give one derivative each,
    ``(value, (g_x, g_y))`` (and the blocks ``((H_xx, H_xy), (H_yx, H_yy))``);
    ``value=False`` leaves the value out.  ``backend`` is numpy, jax (wrapped
    in ``jax.jit`` unless ``jit=False``) or torch (``torch.compile`` with
    ``jit=True``).  The code is generated at the first call for each set of
    sizes (they choose the multiplication orders); ``f.source()`` shows it.
    """
    from .codegen import compile_function
    return compile_function(expression, wrt, vars=vars, backend=backend, order=order,
                            layout=layout, value=value, jit=jit, types=types, options=options)


def evaluate(expression: str, vars=None, shape=None, types: str = "default", **arrays):
    """Evaluate any expression of the language numerically (NumPy, float64)."""
    return engine.evaluate_text(expression, vars, shape, types, **arrays)
