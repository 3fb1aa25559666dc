"""The page's "evaluate" panel (POST /api/gradcheck): a derivative's numbers beside central
finite differences of the original expression, at values typed in or drawn at random.

The finite differences run here, in Python, on matdiff's own evaluator
(``evaluate.evaluate_expr``), one entry of the variable at a time; random values come from
``check.draw_samples`` (positive under log and sqrt, well-conditioned under inv), so the
numbers are the ones ``matdiff check`` would compare.
"""
from __future__ import annotations

import numpy as np

from .. import clock
from ..errors import LimitError, MatdiffError

MAX_FD_ENTRIES = 2_500      # entries of the variable perturbed (two evaluations each)
MAX_SIZE = 50               # a dimension drawn or given in ``sizes``
STEP = 6e-6                 # relative step of the central differences (~ eps^(1/3))
TOLERANCE = 1e-5            # relative disagreement above which the check fails


def _fixed_dims(variables: dict, values: dict, sizes: dict) -> dict:
    """Sizes of the symbolic dimensions, from ``sizes`` and from the typed-in values."""
    fixed = {}
    for d, n in (sizes or {}).items():
        if not isinstance(d, str) or isinstance(n, bool) or not isinstance(n, int) \
                or not 1 <= n <= MAX_SIZE:
            raise MatdiffError(f"sizes maps dimension names to integers from 1 to {MAX_SIZE}")
        fixed[d] = n
    for name, a in values.items():
        v = variables.get(name)
        if v is None:
            raise MatdiffError(f"a value is given for {name}, which the expression does not use")
        dims = [d for d in v.shape if d != 1] if a.ndim == 1 else list(v.shape)
        for d, n in zip(dims, a.shape if a.ndim else ()):
            if isinstance(d, str) and d.isidentifier():
                if fixed.setdefault(d, n) != n:
                    raise MatdiffError(f"the value of {name} makes {d} = {n}, but {d} = "
                                       f"{fixed[d]} already (from another value or sizes)")
    return fixed


def _base(result, text: str, types: str, max_seconds):
    """The function whose finite differences give the result: the expression itself for a
    first derivative, else matdiff's derivative one order lower (canonical layout)."""
    from ..check import canonical_value, declarations
    from ..evaluate import evaluate_expr
    typed = result.typed
    if result.order == 1:
        return lambda arrays: np.asarray(evaluate_expr(typed.expr, arrays, typed.variables,
                                                       check_properties=False), dtype=float)
    import matdiff as md
    kw = {"max_seconds": max_seconds} if max_seconds else {}
    prev = md.derivative(text, wrt=result.wrt[0], vars=declarations(typed.variables) or None,
                         layout="mixed", order=result.order - 1, types=types, **kw)
    return lambda arrays: canonical_value(prev, prev.evaluate(**arrays))


def finite_differences(base, arrays: dict, var, deadline: float | None = None) -> np.ndarray:
    """Central differences of ``base`` by every entry of ``var``: shape base + variable,
    restricted to symmetric (or diagonal) matrices where ``var`` is declared so."""
    x = np.asarray(arrays[var.name], dtype=float)
    if x.size > MAX_FD_ENTRIES:
        raise LimitError(f"{var.name} has {x.size} entries; the finite-difference check "
                         f"perturbs at most {MAX_FD_ENTRIES}")
    out = None
    for idx in np.ndindex(x.shape):
        if clock.expired(deadline):
            raise LimitError("the finite-difference check takes too long (over the time limit)")
        h = STEP * max(1.0, abs(float(x[idx])))
        plus, minus = x.copy(), x.copy()
        plus[idx] += h
        minus[idx] -= h
        d = (base({**arrays, var.name: plus}) - base({**arrays, var.name: minus})) / (2 * h)
        if out is None:
            out = np.zeros(d.shape + x.shape)
        out[(Ellipsis,) + idx] = d
    if x.ndim == 2 and var.props & {"symmetric", "spd"}:
        out = (out + np.swapaxes(out, -1, -2)) / 2
    if x.ndim == 2 and "diagonal" in var.props:
        out = out * np.eye(x.shape[0])
    return out


def check_at(r, given: dict, sizes: dict | None, seed: int, types: str,
             max_seconds: float | None) -> dict:
    """The derivative ``r`` at the ``given`` arrays (the others drawn at random from
    ``seed``) beside its finite differences; numbers as NumPy arrays."""
    from ..check import canonical_value, draw_samples, layout_transposed
    from ..evaluate import evaluate_expr
    deadline = clock.deadline_after(max_seconds)
    variables = r.typed.variables
    wrt = r.wrt[0]
    if len(set(r.wrt)) != 1:
        raise MatdiffError("the finite-difference check takes one variable")
    fixed = _fixed_dims(variables, given, sizes)
    drawn = draw_samples(variables, [r.typed.expr, r.expr], 1, seed=seed, fixed_dims=fixed,
                         ties=r.typed.ties)[0]
    arrays = {**drawn.arrays, **given}
    value = evaluate_expr(r.typed.expr, arrays, variables)  # checks the typed-in values
    derivative = np.asarray(r.evaluate(**arrays), dtype=float)
    fd = finite_differences(_base(r, r.expression, types, max_seconds), arrays, variables[wrt],
                            deadline)
    exact = canonical_value(r, derivative)
    if exact.size != fd.size:
        raise MatdiffError(f"internal: the derivative has {exact.size} numbers, the finite "
                           f"differences {fd.size}")
    fd = fd.reshape(exact.shape)
    if layout_transposed(r):
        fd = fd.T
    fd = fd.reshape(derivative.shape)
    scale = max(1.0, float(np.max(np.abs(derivative), initial=0.0)))
    err = float(np.max(np.abs(derivative - fd), initial=0.0))
    return {"sizes": {d: int(n) for d, n in {**drawn.dims, **fixed}.items()},
            "values": arrays, "value": value, "derivative": derivative,
            "finite_difference": fd, "max_abs_error": err, "max_rel_error": err / scale,
            "agrees": bool(np.isfinite(err) and err / scale <= TOLERANCE)}
