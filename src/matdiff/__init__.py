"""matdiff: matrix calculus — derivatives of vector and matrix expressions in closed form.

    >>> import matdiff as md
    >>> md.derivative("x'*A*x", wrt="x").text
    "(A + A')*x"
"""
# the submodule `evaluate` must load before the function of that name is bound
from . import evaluate as _evaluate_module  # noqa: F401
from .check import check
from .api import Options, Result, compile, derivative, evaluate, hessian
from .sympy_bridge import to_sympy
from .errors import (DeclarationError, EvaluationError, LimitError, MatdiffError, NotSupportedError,
                     ParseError, ShapeError, UnknownNameError)
from .version import __version__  # noqa: F401  (matdiff.__version__)

__all__ = ["check", "derivative", "hessian", "evaluate", "compile", "to_sympy", "Result", "Options",
           "MatdiffError", "ParseError",
           "ShapeError", "DeclarationError", "UnknownNameError", "LimitError", "NotSupportedError",
           "EvaluationError"]
