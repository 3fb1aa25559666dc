"""Random inputs at which a claim and matdiff's answer are compared.

Symbolic dimensions get distinct sizes (so that a transpose never hides behind a square
shape) that satisfy the sizes typing equated (``sizes.py``).  What a function needs of its
argument is its domain in the function table (``functions.py``): variables under a function
of a positive domain (log, sqrt) are drawn positive, under one of the unit interval (arcsin)
inside (-1, 1), under one that needs an invertible matrix (inv, det, logdet) invertible; a
draw is kept only when every such argument is inside its domain and away from its edge (and
from a kink at 0, abs), every inverse well-conditioned and every value finite.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .. import expr as E
from ..dims import Dim
from ..errors import EvaluationError
from ..expr import Expr, Var
from ..functions import FUNCTIONS, NONNEGATIVE, POSITIVE, POSITIVE_DET, REAL, UNIT_INTERVAL
from .claim import _IDENT
from .sizes import draw_sizes

# A matrix under inv/det/logdet is accepted when its condition number is below this.
MAX_COND = 1e6
MAX_DRAWS = 40          # attempts to draw one valid input
NEAR_KINK = 0.05        # arguments keep this far from a domain's edge or a kink
UNIT_DRAW = (0.1, 0.9)  # magnitudes of variables under a function of the unit interval


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
        if not all(isinstance(d, (int, Dim)) or (isinstance(d, str) and _IDENT.fullmatch(d))
                   for d in dims):
            continue  # a size that is no name: let inference find it again
        out[name] = Decl(name, kind, dims, frozenset(v.props))
    return out


def _domain(e: Expr):
    """The domain (``functions.Domain``) of what ``e`` applies to its argument: a function's
    from the table, REAL for anything else."""
    f = FUNCTIONS.get(e.name) if isinstance(e, E.Func) else None
    return f.domain if f is not None else REAL


def _roles(exprs) -> tuple[set, set, set]:
    """Variables that must be positive (under a function of a positive domain, a fractional or
    negative power, a division), those under a function of the unit interval, and those under
    a function that needs an invertible matrix or a negative matrix power (made invertible)."""
    positive: set = set()
    invertible: set = set()
    unit: set = set()

    def visit(e: Expr, pos: bool, inv: bool, in_unit: bool):
        if isinstance(e, Var):
            for role, on in ((positive, pos), (invertible, inv), (unit, in_unit)):
                if on:
                    role.add(e.name)
            return
        children = e.children
        if isinstance(e, E.Func) and _domain(e) is not REAL and len(e.args) > 1:
            for c in e.args[1:]:        # u^v: the domain is the first argument's (u > 0)
                visit(c, pos, inv, in_unit)
            children = e.args[:1]
        domain = _domain(e)
        if domain is UNIT_INTERVAL:
            in_unit = True
        elif domain.sample == "positive":
            pos = True
        if domain.sample == "invertible":
            inv = True
        if isinstance(e, E.MatPow) and e.exp < 0:
            inv = True
        if isinstance(e, E.Power) and (e.exp < 0 or Fraction(e.exp).denominator != 1):
            pos = True
        if isinstance(e, E.Product):
            for s, p in e.scalars:
                visit(s, pos or p < 0, inv, in_unit)
            for f in e.chain:
                visit(f, pos, inv, in_unit)
            return
        for c in children:
            visit(c, pos, inv, in_unit)

    for e in exprs:
        if e is not None:
            visit(e, False, False, False)
    return positive, invertible, unit


def _draw_value(v: Var, sizes: dict, rng, positive: bool, invertible: bool, unit: bool = False):
    def size(d):
        if isinstance(d, Dim):  # a size like m*n (a'*vec(X)): from its factors
            return d.size(sizes.__getitem__)
        return d if isinstance(d, int) else sizes[d]

    props = v.props
    if unit and not props & {"spd", "diagonal", "invertible"}:
        return _draw_unit(v, size, rng, positive or "positive" in props)
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


def _draw_unit(v: Var, size, rng, positive: bool):
    """A value whose entries lie inside (-1, 1), away from its edges (and positive if asked)."""
    if v.shape == E.SCALAR:
        shape = ()
    elif E.is_vector_shape(v.shape):
        shape = tuple(size(d) for d in v.shape if d != 1)
    else:
        shape = (size(v.shape[0]), size(v.shape[1]))
    m = rng.uniform(*UNIT_DRAW, shape)
    if not positive:
        m = m * rng.choice([-1, 1], shape)
    if "symmetric" in v.props:
        m = (m + m.T) / 2
    return float(m) if m.ndim == 0 else m


def _valid(sample: Sample, exprs, variables: dict) -> bool:
    """Every function's argument inside its domain and away from its edge (and from a kink),
    every inverse well-conditioned, every expression finite."""
    from ..evaluate import evaluate_expr
    try:
        for e in exprs:
            if e is None:
                continue
            for node in E.walk(e):
                domain = _domain(node)
                arg = None
                if domain.sample == "invertible":
                    arg = node.args[0]
                elif isinstance(node, E.MatPow) and node.exp < 0:
                    arg = node.base
                if arg is not None:
                    a = np.atleast_2d(evaluate_expr(arg, sample.arrays, variables))
                    if not np.all(np.isfinite(a)) or np.linalg.cond(a) > MAX_COND:
                        return False
                    if domain is POSITIVE_DET and np.linalg.det(a) <= 0:
                        return False
                if domain in (POSITIVE, NONNEGATIVE, UNIT_INTERVAL) or domain.sample.startswith("away"):
                    # inside the domain, and away from its edge or the kink at 0, where finite
                    # differences would be meaningless
                    a = np.asarray(evaluate_expr(node.args[0], sample.arrays, variables))
                    if domain is UNIT_INTERVAL:
                        outside = np.abs(a) >= 1 - NEAR_KINK
                    elif domain.sample == "away from 0":
                        outside = np.abs(a) <= NEAR_KINK
                    elif domain.sample == "away from a pole":   # |tan| at most about 5
                        outside = np.abs(np.cos(a)) <= 0.2
                    else:
                        outside = a <= NEAR_KINK
                    if np.any(outside):
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
    return any(isinstance(d, (str, Dim)) and d not in known
               for n in E.walk(e) if isinstance(n, E.Const) for d in n.shape)


def draw_samples(variables: dict, exprs, n: int, seed: int = 0,
                 fixed_dims: dict | None = None, ties=()) -> list[Sample]:
    """``n`` random valid inputs for these variables, each with its own distinct sizes that
    satisfy the typing's ``ties`` (``shapes.Typed.ties``: m*n = p)."""
    rng = np.random.default_rng(seed)
    positive, invertible, unit = _roles(exprs)
    out = []
    for _ in range(n):
        for _attempt in range(MAX_DRAWS):
            sizes = draw_sizes(variables, rng, fixed_dims, ties)
            arrays = {name: _draw_value(v, sizes, rng, name in positive, name in invertible,
                                        name in unit)
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
