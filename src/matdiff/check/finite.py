"""Central finite differences: matdiff's answer checked against them (``verify``), and a
derivative's canonical array built from them entry by entry (``difference_tensor``)."""
from __future__ import annotations

import numpy as np

from ..errors import NotSupportedError
from ..expr import Var
from ..layouts import canonical_value
from .reference import derivative
from .inputs import Sample, declarations

# matdiff's own answer against finite differences (4th-order central stencil).
FD_STEP = 1e-3
FD_RTOL = 1e-6


def _direction(var: Var, value, rng) -> np.ndarray:
    """A random direction in the space of the variable (symmetric/diagonal where declared)."""
    a = np.asarray(value, dtype=float)
    v = rng.standard_normal(a.shape) if a.ndim else np.asarray(rng.choice([-1.0, 1.0]))
    if var.props & {"symmetric", "spd"}:
        v = (v + v.T) / 2
    if "diagonal" in var.props:
        v = np.diag(np.diag(v))
    return v / max(1.0, float(np.max(np.abs(v))))


def lower_order(expression: str, typed, wrts: list, options=None):
    """The function whose finite differences give the derivative by ``wrts``: the expression
    itself for one variable, else matdiff's derivative by ``wrts[:-1]`` (canonical array)."""
    from ..evaluate import evaluate_expr
    if len(wrts) > 1:
        decls = declarations(typed.variables)
        prev = derivative(expression, wrts[:-1], vars=decls or None, layout="mixed",
                          options=options)

        def base(arrays):
            return canonical_value(prev, prev.evaluate(**arrays))
    else:
        def base(arrays):
            return np.asarray(evaluate_expr(typed.expr, arrays, typed.variables), dtype=float)
    return base


def central_difference(base, arrays: dict, name: str, V) -> np.ndarray:
    """The derivative of ``base`` along ``V`` (a direction of variable ``name``) at
    ``arrays``: the 4th-order central stencil."""
    x0 = np.asarray(arrays[name], dtype=float)
    acc = 0.0
    for step, weight in ((2, -1.0), (1, 8.0), (-1, -8.0), (-2, 1.0)):
        moved_arrays = dict(arrays)
        moved = x0 + step * FD_STEP * V
        moved_arrays[name] = float(moved) if moved.ndim == 0 else moved
        acc = acc + weight * base(moved_arrays)
    return np.asarray(acc, dtype=float) / (12 * FD_STEP)


def difference_tensor(base, arrays: dict, var: Var) -> np.ndarray:
    """The canonical array T of the derivative of ``base`` by ``var``, entry by entry from
    central differences.  Within symmetric (diagonal) matrices T is the symmetric (diagonal)
    array with <T, V> = the derivative along V, as matdiff's structured gradients are."""
    x0 = np.asarray(arrays[var.name], dtype=float)
    if x0.ndim == 0:
        return central_difference(base, arrays, var.name, np.asarray(1.0))
    T = None
    symmetric = bool(var.props & {"symmetric", "spd"})
    for idx in np.ndindex(*x0.shape):
        if ("diagonal" in var.props and idx[0] != idx[1]) or (symmetric and idx[0] > idx[1]):
            continue
        V = np.zeros(x0.shape)
        V[idx] = 1.0
        if symmetric:
            V[idx[::-1]] = 1.0
        d = central_difference(base, arrays, var.name, V)
        if T is None:
            T = np.zeros(d.shape + x0.shape)
        if symmetric and idx[0] != idx[1]:      # V = E_ij + E_ji: d = T_ij + T_ji = 2 T_ij
            T[(...,) + idx] = T[(...,) + idx[::-1]] = d / 2
        else:
            T[(...,) + idx] = d
    return T


def unvec(v: np.ndarray, shape: tuple, f_axes: int) -> np.ndarray:
    """A vec-form matrix d vec(F)/d vec(X)' back to the canonical tensor of this ``shape``
    whose first ``f_axes`` axes are F's (column-major vec on both sides)."""
    k = f_axes
    f_shape, x_shape = shape[:k], shape[k:]
    if v.shape != (int(np.prod(f_shape)), int(np.prod(x_shape))):
        return v
    t = v.reshape(tuple(reversed(f_shape)) + tuple(reversed(x_shape)))
    perm = tuple(reversed(range(k))) + tuple(k + i for i in reversed(range(len(x_shape))))
    return t.transpose(perm)


def _variable_axes(T: np.ndarray, V: np.ndarray) -> int:
    """How many trailing axes of T are the variable's: V's, or with a unit axis kept (a
    Jacobian by a matrix(n,1) variable given as a vector)."""
    for k in range(V.ndim, min(T.ndim, V.ndim + 2) + 1):
        tail = T.shape[T.ndim - k:]
        if tuple(d for d in tail if d != 1) == tuple(d for d in V.shape if d != 1):
            return k
    return V.ndim


def verify(result, samples: list[Sample], options=None, directions: int = 2) -> float:
    """Check ``result`` against central finite differences; returns the largest relative error.

    Order k is checked along random directions V of the variable: the finite difference of
    the order k-1 derivative (of the expression itself for k = 1) along V must equal T
    contracted with V over the variable's axes.  Raises ``NotSupportedError`` (an internal
    inconsistency) when they disagree."""
    wrts = list(result.wrt) * result.order if len(result.wrt) == 1 else list(result.wrt)
    name = wrts[-1]
    var = result.typed.variables[name]
    base = lower_order(result.expression, result.typed, wrts, options)
    rng = np.random.default_rng(12345)
    worst = 0.0
    for s in samples:
        T = canonical_value(result, result.evaluate(**s.arrays))
        x0 = np.asarray(s.arrays[name], dtype=float)
        for _ in range(directions):
            V = _direction(var, x0, rng)
            fd = central_difference(base, s.arrays, name, V)
            k = _variable_axes(T, V)
            exact = np.tensordot(T, V.reshape(T.shape[T.ndim - k:]), axes=k) if V.ndim else T * float(V)
            fd = fd.reshape(exact.shape) if np.size(fd) == exact.size else fd
            scale = max(1.0, float(np.max(np.abs(exact), initial=0.0)))
            worst = max(worst, float(np.max(np.abs(fd - exact), initial=0.0)) / scale)
    if worst > FD_RTOL:
        raise NotSupportedError(f"internal check failed: matdiff's derivative {result.text} of "
                                f"{result.expression} disagrees with finite differences "
                                f"(relative error {worst:.2g}); please report it")
    return worst
