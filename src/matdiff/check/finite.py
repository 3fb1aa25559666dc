"""Values in canonical form, and matdiff's answer against central finite differences."""
from __future__ import annotations

import numpy as np

from ..errors import NotSupportedError
from ..expr import Var
from .reference import derivative
from .inputs import Sample, declarations

# matdiff's own answer against finite differences (4th-order central stencil).
FD_STEP = 1e-3
FD_RTOL = 1e-6


def layout_transposed(result) -> bool:
    """Whether the result's layout shows the canonical 2-index array transposed."""
    return len(result.free) == 2 and tuple(result.free) != tuple(result.tensor.free)


def canonical_value(result, value) -> np.ndarray:
    """A value of ``result.evaluate`` as the canonical array T (docs/language.md §3)."""
    a = np.asarray(value, dtype=float)
    return a.T if layout_transposed(result) else a


def _direction(var: Var, value, rng) -> np.ndarray:
    """A random direction in the space of the variable (symmetric/diagonal where declared)."""
    a = np.asarray(value, dtype=float)
    v = rng.standard_normal(a.shape) if a.ndim else np.asarray(rng.choice([-1.0, 1.0]))
    if var.props & {"symmetric", "spd"}:
        v = (v + v.T) / 2
    if "diagonal" in var.props:
        v = np.diag(np.diag(v))
    return v / max(1.0, float(np.max(np.abs(v))))


def verify(result, samples: list[Sample], options=None, directions: int = 2) -> float:
    """Check ``result`` against central finite differences; returns the largest relative error.

    Order k is checked along random directions V of the variable: the finite difference of
    the order k-1 derivative (of the expression itself for k = 1) along V must equal T
    contracted with V over the variable's axes.  Raises ``NotSupportedError`` (an internal
    inconsistency) when they disagree."""
    from ..evaluate import evaluate_expr
    wrts = list(result.wrt) * result.order if len(result.wrt) == 1 else list(result.wrt)
    name = wrts[-1]
    var = result.typed.variables[name]
    decls = declarations(result.typed.variables)
    if len(wrts) > 1:
        prev = derivative(result.expression, wrts[:-1], vars=decls or None, layout="mixed",
                          options=options)

        def base(arrays):
            return canonical_value(prev, prev.evaluate(**arrays))
    else:
        def base(arrays):
            return np.asarray(evaluate_expr(result.typed.expr, arrays, result.typed.variables),
                              dtype=float)
    rng = np.random.default_rng(12345)
    worst = 0.0
    for s in samples:
        T = canonical_value(result, result.evaluate(**s.arrays))
        x0 = np.asarray(s.arrays[name], dtype=float)
        for _ in range(directions):
            V = _direction(var, x0, rng)
            acc = 0.0
            for step, weight in ((2, -1.0), (1, 8.0), (-1, -8.0), (-2, 1.0)):
                arrays = dict(s.arrays)
                moved = x0 + step * FD_STEP * V
                arrays[name] = float(moved) if moved.ndim == 0 else moved
                acc = acc + weight * base(arrays)
            fd = np.asarray(acc, dtype=float) / (12 * FD_STEP)
            exact = np.tensordot(T, V, axes=V.ndim) if V.ndim else T * float(V)
            scale = max(1.0, float(np.max(np.abs(exact), initial=0.0)))
            worst = max(worst, float(np.max(np.abs(fd - exact), initial=0.0)) / scale)
    if worst > FD_RTOL:
        raise NotSupportedError(f"internal check failed: matdiff's derivative {result.text} of "
                                f"{result.expression} disagrees with finite differences "
                                f"(relative error {worst:.2g}); please report it")
    return worst
