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
        size = self.check_printable([self.expr], "the generated code")
        if backend not in BACKENDS:
            raise NotSupportedError(f"unknown backend {backend!r} (use {', '.join(BACKENDS)})")
        with self.printing("the generated code", size):
            return module_text(self, backend, sizes)

    def to_sympy(self, symbols=None):
        """The derivative as a SymPy expression (docs/sympy.md); ``symbols`` reuses SymPy
        symbols by name (by default those of a SymPy input)."""
        from .sympy_bridge import result_to_sympy
        return result_to_sympy(self, symbols)


def derivative(expression: str, wrt, vars=None, layout: str = "mixed", order: int = 1,
               types: str = "default", options: Options | None = None, **limits) -> Result:
    """The derivative of ``expression`` with respect to ``wrt`` (docs/language.md §3).

    Arguments:
        expression: an expression of the language (docs/language.md), or a SymPy matrix
            expression (docs/sympy.md).
        wrt: the variable's name (or SymPy symbol); a list of names gives a mixed
            derivative, ``["x", "y"]`` is ∂²F/∂x∂y (canonical shape F + x + y).
        vars: declarations: a dict ``{"A": "matrix(n,n) symmetric"}``, a list of
            ``"A: matrix(n,n)"`` strings, or one string with ``;`` between them.
        layout: ``"mixed"`` (default), ``"numerator"`` or ``"denominator"``.
        order: how many times to differentiate (2 for a Hessian).
        types: the convention for undeclared names, ``"default"`` or ``"matrixcalculus"``.
        options: an ``Options``; its fields may also be given as keywords (``**limits``:
            ``max_terms=...``, ``structured=False``, ...).

    Returns:
        A ``Result``: ``.text`` (closed form, or index notation for 3+ indices), ``.latex``,
        ``.statement``, ``.shape``, ``.evaluate(**arrays)``, ``.vec()``, ``.steps``,
        ``.code(backend)``, ``.to_sympy()``.  Bad input raises a ``MatdiffError``.

    Examples:
        >>> import matdiff as md
        >>> print(md.derivative("x'*A*x", wrt="x").text)
        (A + A')*x
        >>> print(md.derivative("tr(A*X*B)", wrt="X", layout="numerator").text)
        B*A
        >>> print(md.derivative("x'*A*x", wrt="x", vars={"A": "matrix(n,n) symmetric"}).text)
        2*A*x
        >>> md.derivative("inv(X)", wrt="X").shape
        ('n', 'n', 'n', 'n')
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
    """Second derivative: ``derivative(..., order=2)``.

    Arguments:
        expression: an expression of the language.
        wrt: the variable's name.
        vars: declarations, as for ``derivative``.
        layout: as for ``derivative`` (a Hessian by a vector is the same in every layout).
        **kw: the other keywords of ``derivative``.

    Returns:
        A ``Result``.

    Examples:
        >>> import matdiff as md
        >>> print(md.hessian("x'*A*x", "x").text)
        A + A'
        >>> print(md.hessian("sum(exp(x))", "x").text)
        diag(exp(x))
    """
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

    Arguments:
        expression: an expression of the language.
        wrt: the variable's name, or a list of names.
        vars: declarations, as for ``derivative``.
        backend: ``"numpy"``, ``"jax"`` or ``"torch"``.
        order: 1 (the gradient) or 2 (and the Hessian).
        layout: the derivatives' layout.
        value: whether the value is returned too.
        jit: ``jax.jit`` (default on) or ``torch.compile`` (default off).
        types: the convention for undeclared names.
        options: an ``Options``.

    Returns:
        A callable taking the arrays by name (or by position, in the order of
        ``f.params``); ``f.returns`` names what it returns.

    Examples:
        >>> import numpy as np
        >>> import matdiff as md
        >>> f = md.compile("x'*A*x", wrt="x")
        >>> value, grad = f(x=np.array([1., -1.]), A=np.array([[1., 2.], [3., 4.]]))
        >>> float(value), grad.tolist()
        (0.0, [-3.0, -3.0])
    """
    from .codegen import compile_function
    return compile_function(expression, wrt, vars=vars, backend=backend, order=order,
                            layout=layout, value=value, jit=jit, types=types, options=options)


def evaluate(expression: str, vars=None, shape=None, types: str = "default", *,
             max_length: int | None = None, **arrays):
    """Evaluate any expression of the language numerically (NumPy, float64).

    Arguments:
        expression: an expression of the language, or index notation (``T[i,j] = ...``).
        vars: declarations, as for ``derivative``.
        shape: the shape of ``I``, ``ones`` or ``0`` where nothing else sizes it.
        types: the convention for undeclared names.
        max_length: the longest text read, in characters (default 20,000); a printed
            result of many terms can be longer.
        **arrays: the values: vectors 1-D, matrices 2-D, scalars as numbers.

    Returns:
        A NumPy array (a float for a scalar).

    Examples:
        >>> import numpy as np
        >>> import matdiff as md
        >>> float(md.evaluate("x'*A*x", A=np.eye(2), x=np.array([3., 4.])))
        25.0
        >>> md.evaluate("I", shape=(2, 2)).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    return engine.evaluate_text(expression, vars, shape, types, max_length=max_length, **arrays)
