"""Random inputs at which a claim and matdiff's answer are compared.

Symbolic dimensions get distinct sizes (so that a transpose never hides behind a square
shape); variables under log/sqrt are drawn positive, those under inv/det/logdet invertible,
and a draw is kept only when every inverse is well-conditioned and every value finite.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .. import expr as E
from ..errors import EvaluationError
from ..expr import Expr, Var
from .claim import _IDENT

# A matrix under inv/det/logdet is accepted when its condition number is below this.
MAX_COND = 1e6
MAX_DRAWS = 40          # attempts to draw one valid input
KINKED = ("abs", "sign", "relu", "norm1")   # not differentiable at 0
NEAR_KINK = 0.05        # arguments of log, sqrt and KINKED functions keep this far from 0


@dataclass
class Sample:
    """One random input: values of every variable and the sizes of the symbolic dimensions."""
    arrays: dict
    dims: dict


def declarations(variables: dict) -> dict:
    """Declarations (``shapes.Decl``) that re-create these typed variables exactly."""
    from ..shapes import Decl
    out = {}
    for name, v in variables.items():
        shape = v.shape
        if shape == E.SCALAR:
            kind, dims = "scalar", ()
        elif E.is_vector_shape(shape):
            kind, dims = "vector", tuple(d for d in shape if d != 1)
        else:
            kind, dims = "matrix", tuple(shape)
        if not all(isinstance(d, int) or (isinstance(d, str) and _IDENT.fullmatch(d))
                   for d in dims):
            continue  # a size like m*n: let inference find it again
        out[name] = Decl(name, kind, dims, frozenset(v.props))
    return out


def _roles(exprs) -> tuple[set, set]:
    """Variables that must be positive (under log, sqrt, a fractional or negative power, a
    division) and those under inv/det/logdet or a negative matrix power (made invertible)."""
    positive: set = set()
    invertible: set = set()

    def visit(e: Expr, pos: bool, inv: bool):
        if isinstance(e, Var):
            if pos:
                positive.add(e.name)
            if inv:
                invertible.add(e.name)
            return
        if isinstance(e, E.Func) and e.name in ("log", "sqrt", "arcsin", "arccos"):
            pos = True
        if isinstance(e, E.Func) and e.name in ("inv", "det", "logdet"):
            inv = True
        if isinstance(e, E.MatPow) and e.exp < 0:
            inv = True
        if isinstance(e, E.Power) and (e.exp < 0 or Fraction(e.exp).denominator != 1):
            pos = True
        if isinstance(e, E.Product):
            for s, p in e.scalars:
                visit(s, pos or p < 0, inv)
            for f in e.chain:
                visit(f, pos, inv)
            return
        for c in e.children:
            visit(c, pos, inv)

    for e in exprs:
        if e is not None:
            visit(e, False, False)
    return positive, invertible


def _sizes(variables: dict, rng, fixed: dict | None = None) -> dict:
    """Distinct sizes 2, 3, ... for the symbolic dimensions, in random order."""
    names = []
    for v in variables.values():
        for d in v.shape:
            if isinstance(d, str) and _IDENT.fullmatch(d) and d not in names:
                names.append(d)
    names = [n for n in names if not fixed or n not in fixed]
    pool = list(range(2, 2 + max(5, len(names))))
    sizes = dict(zip(names, rng.permutation(pool)[:len(names)].tolist()))
    if fixed:
        sizes.update(fixed)
    return sizes


def _draw_value(v: Var, sizes: dict, rng, positive: bool, invertible: bool):
    def size(d):
        return d if isinstance(d, int) else sizes[d]

    props = v.props
    if v.shape == E.SCALAR:
        x = rng.uniform(0.5, 1.5)
        if not (positive or invertible or "positive" in props):
            x *= rng.choice([-1, 1])
        return float(x)
    if E.is_vector_shape(v.shape):
        n = size([d for d in v.shape if d != 1][0])
        if positive or "positive" in props:
            return rng.uniform(0.5, 2.0, n)
        return rng.standard_normal(n)
    r, c = size(v.shape[0]), size(v.shape[1])
    if "spd" in props:
        m = rng.standard_normal((r, r))
        return m @ m.T / r + np.eye(r)
    if "diagonal" in props:
        d = rng.uniform(0.5, 2.0, r)
        if not (positive or invertible or "positive" in props):
            d = d * rng.choice([-1, 1], r)
        return np.diag(d)
    if positive or "positive" in props:
        m = rng.uniform(0.5, 2.0, (r, c))
    else:
        m = rng.standard_normal((r, c))
    if "symmetric" in props:
        m = (m + m.T) / 2
    if (invertible or "invertible" in props) and r == c:
        m = m + r * np.eye(r)
    return m


def _valid(sample: Sample, exprs, variables: dict) -> bool:
    """Every inverse well-conditioned, every log/sqrt argument positive, every expression finite."""
    from ..evaluate import evaluate_expr
    try:
        for e in exprs:
            if e is None:
                continue
            for node in E.walk(e):
                arg = None
                if isinstance(node, E.Func) and node.name in ("inv", "det", "logdet"):
                    arg = node.args[0]
                elif isinstance(node, E.MatPow) and node.exp < 0:
                    arg = node.base
                if arg is not None:
                    a = np.atleast_2d(evaluate_expr(arg, sample.arrays, variables))
                    if not np.all(np.isfinite(a)) or np.linalg.cond(a) > MAX_COND:
                        return False
                    if isinstance(node, E.Func) and node.name == "logdet" and np.linalg.det(a) <= 0:
                        return False
                if isinstance(node, E.Func) and node.name in ("log", "sqrt"):
                    a = np.asarray(evaluate_expr(node.args[0], sample.arrays, variables))
                    if np.any(a <= NEAR_KINK):
                        return False
                if isinstance(node, E.Func) and node.name in KINKED:
                    # away from the kink at 0, where finite differences would be meaningless
                    a = np.asarray(evaluate_expr(node.args[0], sample.arrays, variables))
                    if np.any(np.abs(a) <= NEAR_KINK):
                        return False
            if _unbound(e, variables):
                continue      # a lone I or ones: its size comes from the comparison
            value = np.asarray(evaluate_expr(e, sample.arrays, variables, shape=None))
            if not np.all(np.isfinite(value)) or np.max(np.abs(value), initial=0) > 1e8:
                return False
    except EvaluationError:
        return False
    return True


def _unbound(e: Expr, variables: dict) -> bool:
    """Whether ``e`` has a constant (I, ones, 0) whose size no variable fixes."""
    known = {d for v in variables.values() for d in v.shape}
    return any(isinstance(d, str) and d not in known
               for n in E.walk(e) if isinstance(n, E.Const) for d in n.shape)


def draw_samples(variables: dict, exprs, n: int, seed: int = 0,
                 fixed_dims: dict | None = None) -> list[Sample]:
    """``n`` random valid inputs for these variables, each with its own distinct sizes."""
    rng = np.random.default_rng(seed)
    positive, invertible = _roles(exprs)
    out = []
    for _ in range(n):
        for _attempt in range(MAX_DRAWS):
            sizes = _sizes(variables, rng, fixed_dims)
            arrays = {name: _draw_value(v, sizes, rng, name in positive, name in invertible)
                      for name, v in variables.items()}
            s = Sample(arrays, sizes)
            if _valid(s, exprs, variables):
                out.append(s)
                break
        else:
            raise EvaluationError("could not draw valid random inputs (every draw made an "
                                  "inverse singular, a logarithm's argument non-positive or a "
                                  "value infinite)")
    return out


def symmetrized(sample: Sample, names) -> Sample:
    arrays = dict(sample.arrays)
    for n in names:
        a = np.asarray(arrays[n], float)
        arrays[n] = (a + a.T) / 2
    return Sample(arrays, sample.dims)
