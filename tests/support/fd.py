"""Finite-difference reference derivatives for matdiff's tests.

``canonical(f, arrays, wrt)`` is the canonical derivative of LANGUAGE.md §3,

    T[f..., x...] = ∂F[f...] / ∂X[x...],

of a NumPy reference function ``f(arrays) -> array`` (or a float), taken
once per name in ``wrt`` (``["x", "x"]`` is a Hessian, ``["x", "y"]`` a
mixed derivative of shape F + x + y), by nested fourth-order central
differences.  ``present`` applies the layout table of §3 exactly as the
acceptance checker (``shared/corpus/check_corpus.present``) does.

Structured variables (LANGUAGE.md §2): for a variable declared
``symmetric``/``spd`` the derivative is ``(G + G')/2`` and for one declared
``diagonal`` it is G's diagonal part, where G is the derivative taken as if
the entries were independent.  ``structure={"S": "symmetric"}`` applies
that to the axes of S after each differentiation by S.

Everything here is plain NumPy; it knows nothing of matdiff.
"""
from __future__ import annotations

import re

import numpy as np

LAYOUTS = ("mixed", "numerator", "denominator")

# Step per order of the derivative: nested 4-point stencils lose about
# eps / h**k to rounding and gain h**4 of truncation error.
STEPS = {1: 1e-3, 2: 2e-3, 3: 4e-3, 4: 6e-3}
# Tolerances (relative to max(1, max|expected|)) per order.
TOLS = {1: 1e-6, 2: 2e-5, 3: 2e-4, 4: 1e-3}

_STENCIL = ((2, -1.0), (1, 8.0), (-1, -8.0), (-2, 1.0))   # (-f(x+2h) + 8f(x+h) - 8f(x-h) + f(x-2h)) / 12h


def _as_array(v):
    return np.asarray(v, dtype=float)


def _project(t: np.ndarray, kind: str | None) -> np.ndarray:
    """The derivative within symmetric / diagonal matrices, on the last two axes."""
    if kind is None:
        return t
    if kind in ("symmetric", "spd"):
        return (t + np.swapaxes(t, -1, -2)) / 2
    if kind == "diagonal":
        n = t.shape[-1]
        return t * np.eye(n)
    raise ValueError(f"unknown structure {kind!r}")


def derivative_once(g, arrays: dict, name: str, h: float, kind: str | None = None) -> np.ndarray:
    """∂g/∂arrays[name] by central differences; shape g.shape + arrays[name].shape."""
    x = _as_array(arrays[name])
    base = _as_array(g(arrays))
    out = np.zeros(base.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        acc = np.zeros(base.shape)
        for k, w in _STENCIL:
            xx = x.copy()
            xx[idx] += k * h
            a = dict(arrays)
            a[name] = float(xx) if x.ndim == 0 else xx
            acc = acc + w * _as_array(g(a))
        out[(Ellipsis,) + idx] = acc / (12 * h)
    return _project(out, kind)


def canonical(f, arrays: dict, wrt, h: float | None = None, structure: dict | None = None) -> np.ndarray:
    """The canonical derivative of ``f`` by the names in ``wrt`` (a name or a list), in order."""
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    h = h if h is not None else STEPS[len(names)]
    structure = structure or {}
    g = f
    for name in names:
        g = (lambda gg, nm: (lambda a: derivative_once(gg, a, nm, h, structure.get(nm))))(g, name)
    return g(arrays)


def present(t, f_ndim: int, x_ndim: int, layout: str):
    """The layout table of LANGUAGE.md §3 (the same as check_corpus.present)."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    t = np.asarray(t)
    if f_ndim + x_ndim >= 3:
        return t                                   # 3+ indices: always T
    if layout == "numerator" and f_ndim == 0 and x_ndim == 2:
        return t.T                                 # scalar by matrix: n x m
    if layout == "denominator" and f_ndim == 1 and x_ndim == 1:
        return t.T                                 # vector by vector: n x m
    return t


def reference(f, arrays: dict, wrt, layout: str = "mixed", structure: dict | None = None, h=None):
    """Finite-difference derivative presented in ``layout``.

    For a derivative of order k (or by several names) the "F" of the table
    is everything but the last variable's axes, as for matdiff's results.
    """
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    t = canonical(f, arrays, names, h=h, structure=structure)
    x_ndim = np.ndim(arrays[names[-1]])
    return present(t, t.ndim - x_ndim, x_ndim, layout)


def structure_of(vars: dict | None) -> dict:
    """{name: 'symmetric'|'diagonal'} from declarations like ``"matrix(n,n) spd"``."""
    out = {}
    for name, spec in (vars or {}).items():
        words = set(re.split(r"[\s,()]+", spec))
        if words & {"symmetric", "spd"}:
            out[name] = "symmetric"
        elif "diagonal" in words:
            out[name] = "diagonal"
    return out


def sizes_of(vars: dict | None, arrays: dict) -> dict:
    """Dimension names of declarations like ``"matrix(m,n)"`` -> their sizes in ``arrays``."""
    out = {}
    for name, spec in (vars or {}).items():
        m = re.search(r"\(([^)]*)\)", spec)
        if not m or name not in arrays:
            continue
        dims = [d.strip() for d in m.group(1).split(",")]
        for d, size in zip(dims, np.shape(arrays[name])):
            if not d.isdigit():
                out[d] = size
    return out


def resolve_shape(shape, sizes: dict) -> tuple:
    """A symbolic shape like ``("m", "n*p")`` with ``sizes`` -> a tuple of ints."""
    out = []
    for d in shape:
        if isinstance(d, int):
            out.append(d)
        elif re.fullmatch(r"[A-Za-z_0-9*+\- ()]+", str(d)):  # a name, or a product (dims.Dim)
            out.append(int(eval(str(d), {"__builtins__": {}}, dict(sizes))))  # names and * + - only
        else:
            raise AssertionError(f"dimension {d!r} of the symbolic shape {shape!r} is not a "
                                 f"name or a product of names")
    return tuple(out)


def rel_err(got, want) -> float:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return float(np.max(np.abs(got - want), initial=0.0)) / max(1.0, float(np.max(np.abs(want), initial=0.0)))


def assert_close(got, want, tol: float = 1e-6, what: str = "", strict_shape: bool = True):
    """max|got - want| / max(1, max|want|) <= tol, and equal shapes.

    With ``strict_shape=False`` a vector may come back as a row or column
    (same entries, a shape with extra 1s), nothing else.
    """
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    if got.shape != want.shape:
        squeeze_ok = (not strict_shape and got.size == want.size
                      and tuple(d for d in got.shape if d != 1) == tuple(d for d in want.shape if d != 1))
        assert squeeze_ok, f"{what}: shape {got.shape} != expected {want.shape}"
        got = got.reshape(want.shape)
    assert np.all(np.isfinite(got)), f"{what}: non-finite values {got}"
    err = rel_err(got, want)
    assert err <= tol, f"{what}: relative error {err:.3g} > {tol:g}\n got {got}\nwant {want}"


# ---- inputs ------------------------------------------------------------------------

def gauss(rng, *shape):
    return rng.standard_normal(shape) if shape else float(rng.standard_normal())


def positive(rng, *shape):
    v = np.abs(rng.standard_normal(shape)) + 0.5
    return v if shape else float(v)


def small(rng, *shape, r=0.4):
    v = rng.uniform(-r, r, size=shape)
    return v if shape else float(v)


def away_from_zero(rng, *shape, lo=0.2):
    v = rng.standard_normal(shape)
    v = np.sign(v) * (np.abs(v) + lo)
    return v if shape else float(v)


def spd(rng, n):
    g = rng.standard_normal((n, n))
    return g @ g.T + n * np.eye(n)


def well_conditioned(rng, n):
    """Invertible, not symmetric, with a positive determinant."""
    return n * np.eye(n) + 0.5 * rng.standard_normal((n, n))


def symmetric(rng, n):
    g = rng.standard_normal((n, n))
    return (g + g.T) / 2
