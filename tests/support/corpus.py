"""matdiff's own corpus harness: inputs, reference lambdas and comparisons.

A corpus case (tests/data/seeds.json) names an expression, the variable to
differentiate by, declarations ``vars`` with sizes ``dims``, a ``layout`` and
an ``order``, and numpy reference lambdas:

* ``np_f``             the expression itself,
* ``np_expected``      its derivative in the case's layout (LANGUAGE.md §3),
* ``np_expected_vec``  (optional) the vec form  d vec(F) / d vec(X)'.

The lambdas are evaluated with ``np``, ``inv``, ``mpow`` and ``expm`` in
scope.  Inputs are drawn with the same rules (and the same random streams)
as the acceptance tools in ``shared/corpus/``:

* scalars uniform in [0.3, 1.2]; vectors and matrices standard normal;
* ``positive``: |x| + 0.5;  ``spd``: x x' + n I;  ``symmetric``: (x + x')/2;
  ``diagonal``: diag(diag(x));  ``invertible`` (not spd): + n I.
"""
from __future__ import annotations

import inspect
import json
import re
import zlib
from pathlib import Path

import numpy as np

from support.fd import present
from support.reference import expm

DATA = Path(__file__).resolve().parents[1] / "data"
SEEDS = DATA / "seeds.json"
TOL = 1e-6            # matdiff vs np_expected, relative to max(1, max|expected|)
TOL_FD = 1e-4         # finite differences vs np_expected (checks the data itself)
LAYOUTS = ("mixed", "numerator", "denominator")
PROPERTIES = {"symmetric", "invertible", "spd", "diagonal", "positive"}


def load_cases(path: Path | str = SEEDS) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


# ---- the names the np_* lambdas see -------------------------------------------

NAMESPACE = {"np": np, "inv": np.linalg.inv, "mpow": np.linalg.matrix_power, "expm": expm}


def compile_lambda(src: str):
    """The callable that a corpus lambda's source text denotes."""
    return eval(src, dict(NAMESPACE))  # corpus data is trusted test input


def call(fn, arrays: dict):
    """Call ``fn`` with the arrays it names (all of them if it takes ``**kwargs``)."""
    params = inspect.signature(fn).parameters.values()
    if any(p.kind == p.VAR_KEYWORD for p in params):
        return fn(**arrays)
    return fn(**{p.name: arrays[p.name] for p in params if p.name in arrays})


# ---- declarations and random inputs ---------------------------------------------

_DECL = re.compile(r"^\s*(scalar|vector|matrix)\s*(?:\(([^)]*)\))?\s*(.*?)\s*$")


def parse_var(spec: str, dims: dict) -> tuple[str, tuple[int, ...], set[str]]:
    """``'matrix(m,n) spd'`` with dims {m: 3, n: 4} -> ('matrix', (3, 4), {'spd'})."""
    m = _DECL.match(spec)
    if not m:
        raise ValueError(f"bad declaration {spec!r}")
    kind, args, rest = m.groups()
    names = [a.strip() for a in args.split(",")] if args else []
    shape = tuple(int(dims[a]) if a in dims else int(a) for a in names)
    props = set(rest.replace(",", " ").split())
    if props - PROPERTIES:
        raise ValueError(f"unknown properties {sorted(props - PROPERTIES)} in {spec!r}")
    if len(shape) != {"scalar": 0, "vector": 1, "matrix": 2}[kind]:
        raise ValueError(f"{spec!r}: wrong number of dimensions for a {kind}")
    return kind, shape, props


def draw(kind: str, shape: tuple[int, ...], props: set[str], rng: np.random.Generator):
    """One random input (the rules in the module docstring)."""
    if kind == "scalar":
        return float(rng.uniform(0.3, 1.2))
    x = rng.standard_normal(shape)
    if "positive" in props:
        return np.abs(x) + 0.5
    if kind == "matrix" and props:
        n = shape[0]
        if "spd" in props:
            x = x @ x.T + n * np.eye(n)
        elif "symmetric" in props:
            x = (x + x.T) / 2
        elif "diagonal" in props:
            x = np.diag(np.diag(x))
        if "invertible" in props and "spd" not in props:
            x = x + n * np.eye(n)
    return x


def draw_inputs(case: dict, seed: int = 0) -> dict:
    """Inputs for every declared variable; the stream depends only on (seed, case id)."""
    rng = np.random.default_rng([seed, zlib.crc32(case["id"].encode())])
    return {name: draw(*parse_var(spec, case["dims"]), rng) for name, spec in case["vars"].items()}


def expected(case: dict, inputs: dict) -> np.ndarray:
    return np.asarray(call(compile_lambda(case["np_expected"]), inputs), dtype=float)


def expected_vec(case: dict, inputs: dict) -> np.ndarray | None:
    src = case.get("np_expected_vec")
    return None if not src else np.asarray(call(compile_lambda(src), inputs), dtype=float)


def resolve_shape(shape, dims: dict) -> tuple[int, ...]:
    """A symbolic shape such as ("n", "m") or ("n*m", 1) with the case's sizes."""
    out = []
    for d in shape:
        if not isinstance(d, int):  # a name, or a product read by its spelling (dims.Dim)
            if not re.fullmatch(r"[\w\s*+()-]+", str(d)):
                raise ValueError(f"unexpected dimension {d!r}")
            d = eval(str(d), {"__builtins__": {}}, dict(dims))  # names and * + - only
        out.append(int(d))
    return tuple(out)


# ---- comparisons ----------------------------------------------------------------

def rel_error(got, want) -> float:
    """max |got - want| / max(1, max |want|)."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return float(np.max(np.abs(got - want), initial=0.0)) / max(1.0, float(np.max(np.abs(want), initial=0.0)))


def check_close(got, want, tol: float = TOL, strict_shape: bool = True) -> tuple[bool, str]:
    """(ok, reason).  With ``strict_shape=False`` the rules of the acceptance runner
    apply: a scalar 0 stands for a zero array, and shapes may differ by axes of length 1."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if got.shape != want.shape:
        if not strict_shape and got.ndim == 0 and got == 0:
            got = np.zeros_like(want)
        elif not strict_shape and got.size == want.size and np.squeeze(got).shape == np.squeeze(want).shape:
            got, want = np.squeeze(got), np.squeeze(want)
        else:
            return False, f"shape {got.shape} != expected {want.shape}"
    if not np.all(np.isfinite(got)):
        return False, "non-finite values"
    err = rel_error(got, want)
    return err <= tol, f"relative error {err:.3g} (tolerance {tol:g})"


def assert_close(got, want, tol: float = TOL, strict_shape: bool = True, what: str = "value"):
    ok, why = check_close(got, want, tol, strict_shape)
    if not ok:
        raise AssertionError(f"{what}: {why}\n got:\n{np.asarray(got)}\n expected:\n{np.asarray(want)}")


# ---- finite differences (to check the corpus data itself) -----------------------

def canonical_fd(f, inputs: dict, wrt: str, order: int) -> np.ndarray:
    """T[f..., x...(, x...)] = d^order F / dX^order by central differences."""
    x0 = np.asarray(inputs[wrt], dtype=float)

    def at(x):
        args = dict(inputs)
        args[wrt] = float(x) if np.ndim(x) == 0 else x
        return np.asarray(call(f, args), dtype=float)

    def unit(i, h):
        e = np.zeros_like(x0)
        e[i] = h
        return e

    f0 = at(x0)
    idx = list(np.ndindex(x0.shape))
    if order == 1:
        h = 1e-6
        t = np.empty(f0.shape + x0.shape)
        for i in idx:
            e = unit(i, h)
            t[(Ellipsis,) + i] = (at(x0 + e) - at(x0 - e)) / (2 * h)
        return t
    if order == 2:
        h = 1e-4
        t = np.empty(f0.shape + x0.shape + x0.shape)
        for i in idx:
            for j in idx:
                ei, ej = unit(i, h), unit(j, h)
                t[(Ellipsis,) + i + j] = (at(x0 + ei + ej) - at(x0 + ei - ej)
                                          - at(x0 - ei + ej) + at(x0 - ei - ej)) / (4 * h * h)
        return t
    raise ValueError(f"order {order} not supported")


def vec_form(t: np.ndarray, f_ndim: int, x_ndim: int) -> np.ndarray:
    """d vec(F) / d vec(X)' (column-major vec) from a canonical derivative."""
    axes = list(range(f_ndim))[::-1] + [f_ndim + i for i in range(x_ndim)][::-1]
    return t.transpose(axes).reshape(int(np.prod(t.shape[:f_ndim])), -1)


def fd_reference(case: dict, inputs: dict) -> tuple[np.ndarray, np.ndarray | None]:
    """The derivative that finite differences of ``np_f`` give, in the case's layout
    (and in vec form).  For a variable declared symmetric/spd the first derivative is
    the gradient within symmetric matrices, (G + G')/2 (LANGUAGE.md §2)."""
    f = compile_lambda(case["np_f"])
    wrt, order = case["wrt"], case.get("order", 1)
    x_ndim = np.ndim(inputs[wrt])
    f_ndim = np.ndim(call(f, inputs)) + (order - 1) * x_ndim
    t = canonical_fd(f, inputs, wrt, order)
    if order == 1 and parse_var(case["vars"][wrt], case["dims"])[2] & {"symmetric", "spd"}:
        t = (t + np.swapaxes(t, -1, -2)) / 2
    return present(t, f_ndim, x_ndim, case["layout"]), vec_form(t, f_ndim, x_ndim)
