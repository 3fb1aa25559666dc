#!/usr/bin/env python3
"""Fuzz matdiff with random well-typed expressions, against finite differences.

    PYTHONPATH=src python scripts/fuzz.py --n 100000 --seed 1 --timeout 10 --out fuzz-failures.jsonl

Each case is a random expression (as TEXT, the way a user types it) over
every operator and function of LANGUAGE.md §1 — ``+ - * .* ⊙ ./ / ^ .^ '
.T``, unary ``-``/``+``, ``tr det logdet inv diag sum norm2 norm1 vec exp
log sin cos tan tanh sqrt abs sigmoid relu sign arcsin arccos arctan expm
kron``, the constants ``I``/``eye``/``ones``/``vector(c)``/``matrix(c)`` and
literal numbers — mixing scalars, vectors, square and non-square matrices
with symbolic dimensions (m=3, n=4, p=2), and a declared ``spd`` matrix.
Inputs are kept in their domains: ``log``/``sqrt``/``./``/negative and
fractional powers only of positive expressions, ``inv``/``det``/``logdet``
only of well-conditioned symmetric positive definite ones.  Each expression
carries a NumPy reference.

For each case, in a random layout, of order 1 or 2:

* ``md.derivative`` evaluated at random values must equal the central
  finite-difference derivative (float64, relative tolerance), presented in
  that layout, with the symbolic ``r.shape``;
* ``md.evaluate(r.text, ...)`` must equal ``r.evaluate(...)`` (the printed
  closed form is re-parsed and re-evaluated).

Outcomes: ``ok``; ``refused`` (NotSupportedError / LimitError, or an EvaluationError from
``r.evaluate`` where the closed form is undefined at the point drawn, e.g. norm2 at 0:
acceptable, a clear refusal);
``skipped`` (the finite differences themselves are unreliable there: two
step sizes disagree, or the values overflow); ``wrong`` (a wrong answer);
``crash`` (any other exception); ``hang`` (over ``--timeout`` seconds,
caught with ``signal.setitimer``).  Every failure is shrunk to a minimal
reproducer (sub-expressions replaced by leaves or by their operands while
it still fails the same way) and written to ``--out`` as one JSON line::

    {"expr", "vars", "wrt", "layout", "order", "kind", "phase", "detail",
     "values", "case", "seed", "original_expr"}

The last line printed is the summary ``wrong answers N, crashes N, hangs N``;
the exit status is 1 when any of them is not zero.

The run is deterministic: case ``i`` of seed ``s`` is always the same
expression with the same values, whatever ``--jobs``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import sys
import time
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
for _path in (os.path.join(ROOT, "tests"), os.path.join(ROOT, "src")):   # the tests' support package; matdiff
    if os.path.isdir(_path) and _path not in sys.path:
        sys.path.insert(0, _path)

import matdiff as md  # noqa: E402
from matdiff.errors import EvaluationError, LimitError, NotSupportedError  # noqa: E402
from support import fd  # noqa: E402
from support.reference import expm as np_expm  # noqa: E402
from support.reference import sigmoid  # noqa: E402
from support.variables import (DIMS, LAYOUTS, MATRICES, SCALARS, SIZES, STRUCTURE,  # noqa: E402
                               VARS, VECTORS, values)

# finite differences: step and tolerance (relative to max(1, max|reference|)) per order
STEPS = {1: 1e-3, 2: 2e-3}
TOLS = {1: 1e-5, 2: 2e-4}
TEXT_TOL = 1e-8        # r.evaluate vs md.evaluate(r.text): the same numbers up to rounding
BIG = 1e6              # values or derivatives beyond this: the case says nothing (skipped)


# ---- expressions -------------------------------------------------------------------

def _vec(v):
    return np.reshape(v, -1, order="F")


def _kron(p, q):
    return np.kron(np.atleast_2d(p) if np.ndim(p) else p, np.atleast_2d(q) if np.ndim(q) else q)


class OutOfDomain(ArithmeticError):
    """The reference is evaluated where the expression is not well-conditioned."""


def _det_checked(v):
    if np.linalg.cond(v) > 1e6:
        raise OutOfDomain("singular")
    return float(np.linalg.det(v))


ELEMENTWISE = {"exp": np.exp, "sin": np.sin, "cos": np.cos, "tanh": np.tanh, "sigmoid": sigmoid,
               "arctan": np.arctan}
POSITIVE_ONLY = {"log": np.log, "sqrt": np.sqrt}
KINKED = {"abs": np.abs, "relu": lambda v: np.maximum(v, 0.0), "sign": np.sign}
BOUNDED = {"tan": (np.tan, 1), "arcsin": (np.arcsin, 0.9), "arccos": (np.arccos, 0.9)}


@dataclass(eq=False)
class Ex:
    """A random expression: a tree that renders to text and evaluates with NumPy."""
    op: str
    shape: tuple                      # () | (d,) | (d1, d2) of dimension names
    args: tuple = ()
    param: object = None

    # -- text --
    def text(self) -> str:
        a = [c.text() for c in self.args]
        return RENDER[self.op](a, self.param)

    # -- numbers --
    def fn(self, env: dict):
        a = [c.fn(env) for c in self.args]
        return EVAL[self.op](a, self.param, env)

    def names(self) -> set:
        out = {self.param} if self.op == "var" else set()
        for c in self.args:
            out |= c.names()
        return out

    def nodes(self):
        yield self
        for c in self.args:
            yield from c.nodes()

    def replace(self, old: "Ex", new: "Ex") -> "Ex":
        if self is old:
            return new
        if not self.args:
            return self
        args = tuple(c.replace(old, new) for c in self.args)
        if all(x is y for x, y in zip(args, self.args)):
            return self
        return Ex(self.op, self.shape, args, self.param)

    def size(self) -> int:
        return 1 + sum(c.size() for c in self.args)


def _p(s: str) -> str:
    return f"({s})"


# op -> text from the operands' texts (always parenthesized: no precedence surprises)
RENDER = {
    "var": lambda a, p: p,
    "lit": lambda a, p: p,
    "transpose": lambda a, p: f"({a[0]}){p}",             # p: "'" or ".T"
    "add": lambda a, p: _p(f"{a[0]} + {a[1]}"),
    "sub": lambda a, p: _p(f"{a[0]} - {a[1]}"),
    "neg": lambda a, p: _p(f"-{a[0]}"),
    "pos": lambda a, p: _p(f"+{a[0]}"),
    "scale": lambda a, p: _p(f"{a[0]}*{a[1]}"),
    "mul": lambda a, p: _p(f"{a[0]}*{a[1]}"),
    "inner": lambda a, p: _p(f"({a[0]})'*{a[1]}"),
    "bilinear": lambda a, p: _p(f"({a[0]})'*{a[1]}*{a[2]}"),
    "matTvec": lambda a, p: _p(f"({a[0]})'*{a[1]}"),
    "outer": lambda a, p: _p(f"{a[0]}*({a[1]})'"),
    "hadamard": lambda a, p: _p(f"{a[0]} {p} {a[1]}"),    # p: ".*" or "⊙"
    "hdiv": lambda a, p: _p(f"{a[0]} ./ {a[1]}"),
    "div": lambda a, p: _p(f"{a[0]}/{a[1]}"),
    "pow": lambda a, p: _p(f"({a[0]})^{p}"),
    "epow": lambda a, p: _p(f"({a[0]}).^{p}"),
    "matpow": lambda a, p: _p(f"({a[0]})^{p}"),
    "func": lambda a, p: f"{p}({a[0]})",
    "bounded": lambda a, p: f"{p[0]}({p[1]}*tanh({a[0]}))",
    "spd": lambda a, p: _p(f"({a[0]})'*({a[0]}) + {p}"),   # p: "I" or "eye"
    "expm": lambda a, p: f"expm({p}*tanh({a[0]})*{a[1]})",
    "kron": lambda a, p: f"kron({a[0]}, {a[1]})",
    "vecinner": lambda a, p: _p(f"vec({a[0]})'*vec({a[1]})"),
    "vecfun": lambda a, p: f"{p}(vec({a[0]}))",
    "kronbilinear": lambda a, p: _p(f"vec({a[0]})'*kron({a[1]}, {a[2]})*vec({a[3]})"),
    "kronouter": lambda a, p: f"kron({a[0]}, ({a[1]})')",
    "kronscale": lambda a, p: f"kron({a[0]}, {a[1]})",
    "fill": lambda a, p: _p(f"{a[0]} + {p[0]}({p[1]})"),  # vector(c) / matrix(c)
    "posone": lambda a, p: _p(f"{p} + ({a[0]}).^2"),      # ones + e.^2 (or 1 + e^2)
}


def _pow(v, k):
    return np.asarray(v, dtype=float) ** k if np.ndim(v) else float(v) ** k


def _matpow(v, k):
    if k < 0:
        return np.linalg.matrix_power(np.linalg.inv(v), -k)
    return np.linalg.matrix_power(v, k)


def _func(name, v):
    f = {**ELEMENTWISE, **POSITIVE_ONLY, **KINKED}.get(name)
    if f is not None:
        return f(v)
    if name == "tr":
        return float(np.trace(v))
    if name == "det":
        return _det_checked(v)
    if name == "logdet":
        sign, la = np.linalg.slogdet(v)
        if sign <= 0:
            raise OutOfDomain("logdet")
        return float(la)
    if name == "inv":
        if np.linalg.cond(v) > 1e6:
            raise OutOfDomain("singular")
        return np.linalg.inv(v)
    if name == "diag":
        return np.diag(v)
    if name == "sum":
        return float(np.sum(v))
    if name == "norm2":
        return float(np.linalg.norm(v))
    if name == "norm1":
        return float(np.sum(np.abs(v)))
    raise AssertionError(name)


def _scalar_mul(p, q):
    if np.ndim(p) == 0 or np.ndim(q) == 0:
        return p * q
    return p @ q


EVAL = {
    "var": lambda a, p, env: env[p],
    "lit": lambda a, p, env: float(p),
    "transpose": lambda a, p, env: np.transpose(a[0]),
    "add": lambda a, p, env: a[0] + a[1],
    "sub": lambda a, p, env: a[0] - a[1],
    "neg": lambda a, p, env: -a[0],
    "pos": lambda a, p, env: a[0],
    "scale": lambda a, p, env: a[0] * a[1],
    "mul": lambda a, p, env: _scalar_mul(a[0], a[1]),
    "inner": lambda a, p, env: float(a[0] @ a[1]),
    "bilinear": lambda a, p, env: float(a[0] @ a[1] @ a[2]),
    "matTvec": lambda a, p, env: a[0].T @ a[1],
    "outer": lambda a, p, env: np.outer(a[0], a[1]),
    "hadamard": lambda a, p, env: a[0] * a[1],
    "hdiv": lambda a, p, env: a[0] / a[1],
    "div": lambda a, p, env: a[0] / a[1],
    "pow": lambda a, p, env: _pow(a[0], float(p)),
    "epow": lambda a, p, env: _pow(a[0], float(p)),
    "matpow": lambda a, p, env: _matpow(a[0], int(p)),
    "func": lambda a, p, env: _func(p, a[0]),
    "bounded": lambda a, p, env: BOUNDED[p[0]][0](float(p[1]) * np.tanh(a[0])),
    "spd": lambda a, p, env: a[0].T @ a[0] + np.eye(np.shape(a[0])[1]),
    "expm": lambda a, p, env: np_expm(float(p) * np.tanh(a[0]) * a[1]),
    "kron": lambda a, p, env: np.kron(a[0], a[1]),
    "vecinner": lambda a, p, env: float(_vec(a[0]) @ _vec(a[1])),
    "vecfun": lambda a, p, env: _func(p, _vec(a[0])),
    "kronbilinear": lambda a, p, env: float(_vec(a[0]) @ np.kron(a[1], a[2]) @ _vec(a[3])),
    "kronouter": lambda a, p, env: np.outer(a[0], a[1]),
    "kronscale": lambda a, p, env: a[0] * a[1],
    "fill": lambda a, p, env: a[0] + float(p[1]),
    "posone": lambda a, p, env: 1 + _pow(a[0], 2),
}


class Gen:
    """Random expressions of a given shape (a mirror of tests/test_properties.py's strategy,
    over random.Random, with kron, vec, the fillers and the alternative spellings added)."""

    def __init__(self, rng: random.Random):
        self.r = rng

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def leaf(self, shape) -> Ex:
        if shape == ():
            if self.r.randrange(5) == 0:
                return Ex("lit", (), param=self.pick(["2", "0.5", "3", "1e-1"]))
            return Ex("var", (), param=self.pick(SCALARS))
        if len(shape) == 1:
            return Ex("var", shape, param=self.pick(VECTORS[shape[0]]))
        if shape in MATRICES and (shape[::-1] not in MATRICES or self.r.random() < 0.5):
            return Ex("var", shape, param=self.pick(MATRICES[shape]))
        t = Ex("var", shape[::-1], param=self.pick(MATRICES[shape[::-1]]))
        return Ex("transpose", shape, (t,), self.pick(["'", ".T"]))

    def positive(self, e: Ex) -> Ex:
        """A positive expression made of e (elementwise)."""
        k = self.r.randrange(3)
        if k == 0:
            return Ex("func", e.shape, (e,), "exp")
        if k == 1:
            return Ex("func", e.shape, (e,), "sigmoid")
        return Ex("posone", e.shape, (e,), "1" if e.shape == () else "ones")

    def spdish(self, d, depth) -> Ex:
        """A well-conditioned symmetric positive definite d×d expression."""
        if d == "n" and self.r.random() < 0.5:
            return Ex("var", ("n", "n"), param="S")
        k = self.pick(DIMS)
        e = self.gen((k, d), depth - 1)
        return Ex("spd", (d, d), (e,), self.pick(["I", "I", "eye"]))

    def gen(self, shape, depth) -> Ex:
        r = self.r
        if depth <= 0 or r.randrange(10) < 3:
            return self.leaf(shape)
        sub = lambda s: self.gen(s, depth - 1)  # noqa: E731
        kind = len(shape)
        ops = ["add", "sub", "scale", "neg", "pos", "elementwise", "positive-fn", "div-scalar",
               "kinked", "bounded"]
        if kind == 0:
            ops += ["mul", "pow", "pow-frac", "inner", "bilinear", "tr", "sum", "norm2", "norm1",
                    "det", "det-general", "logdet", "invquad", "hdiv", "vecinner", "vecfun",
                    "kronbilinear", "trkron"]
        elif kind == 1:
            ops += ["matvec", "matTvec", "hadamard", "hdiv", "epow", "epow-frac", "diag-of",
                    "invvec", "fill"]
        else:
            ops += ["matmul", "transpose", "hadamard", "hdiv", "epow", "epow-frac", "outer",
                    "kronouter", "kronscale", "fill"]
            if shape[0] == shape[1]:
                ops += ["diag-from", "inv", "matpow", "matpow-neg", "expm"]
        op = self.pick(ops)
        if op == "add":
            return Ex("add", shape, (sub(shape), sub(shape)))
        if op == "sub":
            return Ex("sub", shape, (sub(shape), sub(shape)))
        if op == "scale":
            s, e = sub(()), sub(shape)
            return Ex("scale", shape, (s, e) if r.random() < 0.5 else (e, s))
        if op == "neg":
            return Ex("neg", shape, (sub(shape),))
        if op == "pos":
            return Ex("pos", shape, (sub(shape),))
        if op == "elementwise":
            return Ex("func", shape, (sub(shape),), self.pick(sorted(ELEMENTWISE)))
        if op == "positive-fn":
            return Ex("func", shape, (self.positive(sub(shape)),), self.pick(sorted(POSITIVE_ONLY)))
        if op == "kinked":
            return Ex("func", shape, (sub(shape),), self.pick(sorted(KINKED)))
        if op == "bounded":
            f = self.pick(sorted(BOUNDED))
            return Ex("bounded", shape, (sub(shape),), (f, str(BOUNDED[f][1])))
        if op == "div-scalar":
            return Ex("div", shape, (sub(shape), self.positive(sub(()))))
        if op == "hdiv":
            return Ex("hdiv", shape, (sub(shape), self.positive(sub(shape))))
        if op == "hadamard":
            return Ex("hadamard", shape, (sub(shape), sub(shape)), self.pick([".*", ".*", "⊙"]))
        if op == "epow":
            return Ex("epow", shape, (sub(shape),), self.pick(["2", "3"]))
        if op == "epow-frac":
            return Ex("epow", shape, (self.positive(sub(shape)),), self.pick(["0.5", "-1", "1.5", "-0.5"]))
        if op == "fill":
            return Ex("fill", shape, (sub(shape),),
                      ("vector" if kind == 1 else "matrix", self.pick(["2", "0.5", "-1"])))
        # scalars
        if op == "mul":
            return Ex("mul", (), (sub(()), sub(())))
        if op == "pow":
            return Ex("pow", (), (sub(()),), self.pick(["2", "3"]))
        if op == "pow-frac":
            return Ex("pow", (), (self.positive(sub(())),), self.pick(["-1", "0.5", "-2", "1.5"]))
        if op == "inner":
            d = self.pick(DIMS)
            return Ex("inner", (), (sub((d,)), sub((d,))))
        if op == "bilinear":
            d1, d2 = self.pick(DIMS), self.pick(DIMS)
            return Ex("bilinear", (), (sub((d1,)), sub((d1, d2)), sub((d2,))))
        if op == "tr":
            d = self.pick(DIMS)
            return Ex("func", (), (sub((d, d)),), "tr")
        if op in ("sum", "norm2", "norm1"):
            s = self.pick([(self.pick(DIMS),), (self.pick(DIMS), self.pick(DIMS))])
            return Ex("func", (), (sub(s),), op)
        if op == "det-general":
            d = self.pick(DIMS)
            return Ex("func", (), (sub((d, d)),), "det")
        if op in ("det", "logdet"):
            return Ex("func", (), (self.spdish(self.pick(DIMS), depth),), op)
        if op == "invquad":
            d = self.pick(DIMS)
            v = sub((d,))
            return Ex("bilinear", (), (v, Ex("func", (d, d), (self.spdish(d, depth),), "inv"), v))
        if op == "vecinner":
            s = (self.pick(DIMS), self.pick(DIMS))
            return Ex("vecinner", (), (sub(s), sub(s)))
        if op == "vecfun":
            return Ex("vecfun", (), (sub((self.pick(DIMS), self.pick(DIMS))),),
                      self.pick(["sum", "norm2", "norm1"]))
        if op == "kronbilinear":
            a, b, c, d = (self.pick(DIMS) for _ in range(4))
            return Ex("kronbilinear", (), (sub((c, a)), sub((a, b)), sub((c, d)), sub((d, b))))
        if op == "trkron":
            a, c = self.pick(DIMS), self.pick(DIMS)
            return Ex("func", (), (Ex("kron", ("?", "?"), (sub((a, a)), sub((c, c)))),), "tr")
        # vectors
        d = shape[0] if kind else None
        if op == "matvec":
            k = self.pick(DIMS)
            return Ex("mul", shape, (sub((d, k)), sub((k,))))
        if op == "matTvec":
            k = self.pick(DIMS)
            return Ex("matTvec", shape, (sub((k, d)), sub((k,))))
        if op == "diag-of":
            return Ex("func", shape, (sub((d, d)),), "diag")
        if op == "invvec":
            return Ex("mul", shape, (Ex("func", (d, d), (self.spdish(d, depth),), "inv"), sub(shape)))
        # matrices
        d1, d2 = shape if kind == 2 else (None, None)
        if op == "matmul":
            k = self.pick(DIMS)
            return Ex("mul", shape, (sub((d1, k)), sub((k, d2))))
        if op == "transpose":
            return Ex("transpose", shape, (sub((d2, d1)),), self.pick(["'", ".T"]))
        if op == "outer":
            return Ex("outer", shape, (sub((d1,)), sub((d2,))))
        if op == "kronouter":
            return Ex("kronouter", shape, (sub((d1,)), sub((d2,))))
        if op == "kronscale":
            s, e = sub(()), sub(shape)
            return Ex("kronscale", shape, (s, e) if r.random() < 0.5 else (e, s))
        if op == "diag-from":
            return Ex("func", shape, (sub((d1,)),), "diag")
        if op == "inv":
            return Ex("func", shape, (self.spdish(d1, depth),), "inv")
        if op == "matpow":
            return Ex("matpow", shape, (sub(shape),), self.pick(["2", "3"]))
        if op == "matpow-neg":
            return Ex("matpow", shape, (self.spdish(d1, depth),), self.pick(["-1", "-2"]))
        if op == "expm":
            return Ex("expm", shape, (sub(()), sub(shape)), "0.5")
        raise AssertionError(op)


# ---- finite differences -------------------------------------------------------------

def rel_err(got, want) -> float:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return float(np.max(np.abs(got - want), initial=0.0)) / max(1.0, float(np.max(np.abs(want), initial=0.0)))


def reference(e: Ex, env: dict, wrt: str, layout: str, order: int):
    """The FD derivative in ``layout``, or None where it is unreliable or out of range."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            f0 = np.asarray(e.fn(env), dtype=float)
            if not np.all(np.isfinite(f0)) or np.max(np.abs(f0), initial=0) > BIG:
                return None
            h = STEPS[order]
            t1 = fd.canonical(e.fn, env, [wrt] * order, h, STRUCTURE)
            t2 = fd.canonical(e.fn, env, [wrt] * order, 2 * h, STRUCTURE)
        except (np.linalg.LinAlgError, ArithmeticError, ValueError):
            return None
    if not (np.all(np.isfinite(t1)) and np.all(np.isfinite(t2))):
        return None
    if np.max(np.abs(t1), initial=0) > BIG or rel_err(t2, t1) > TOLS[order]:
        return None                               # steep or kinked here: FD says nothing
    x_ndim = np.ndim(env[wrt])
    return fd.present(t1, t1.ndim - x_ndim, x_ndim, layout)


# ---- one case ---------------------------------------------------------------------------

class Hang(BaseException):
    """Raised by the interval timer; a BaseException so that no ``except Exception`` eats it."""


def _on_alarm(signum, frame):
    raise Hang()


@dataclass
class Case:
    expr: Ex
    wrt: str
    layout: str
    order: int
    values_seed: int
    index: int = -1
    seed: int = 0
    text: str = field(default="")

    def __post_init__(self):
        self.text = self.expr.text()


@dataclass
class Outcome:
    status: str                 # ok refused skipped wrong crash hang
    phase: str = ""             # derivative evaluate shape text
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.status in ("wrong", "crash", "hang")

    def same_failure(self, other: "Outcome") -> bool:
        return self.status == other.status and self.phase == other.phase and \
            self.detail.split(":")[0] == other.detail.split(":")[0]


def _resolve(shape) -> tuple:
    out = []
    for d in shape:
        if isinstance(d, int):
            out.append(d)
        else:
            v = 1
            for part in str(d).split("*"):
                v *= int(part) if part.isdigit() else SIZES[part.strip()]
            out.append(v)
    return tuple(out)


def _exc_detail(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    where = next((f"{os.path.basename(f.filename)}:{f.lineno} in {f.name}" for f in reversed(tb)
                  if "matdiff" in f.filename), "")
    msg = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {msg}" + (f" [{where}]" if where else "")


def _check(case: Case, timeout: float | None) -> Outcome:
    env = values(case.values_seed)
    want = reference(case.expr, env, case.wrt, case.layout, case.order)
    if want is None:
        return Outcome("skipped")
    phase = "derivative"
    old = signal.signal(signal.SIGALRM, _on_alarm)
    if timeout:                                  # None or 0: no hang guard (the tests)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        try:
            r = md.derivative(case.text, wrt=case.wrt, vars=VARS, layout=case.layout,
                              order=case.order)
        except (NotSupportedError, LimitError) as exc:
            return Outcome("refused", phase, _exc_detail(exc))
        phase = "evaluate"
        try:
            with np.errstate(all="ignore"):
                got = r.evaluate(**env)
        except EvaluationError as exc:
            # a clear one-line refusal where the closed form is undefined at this point
            # (norm2 at 0, inv of a singular matrix), not a wrong value
            return Outcome("refused", phase, _exc_detail(exc))
        got = np.asarray(got, dtype=float)
        if got.shape != want.shape:
            return Outcome("wrong", "shape", f"r.evaluate has shape {got.shape}, expected {want.shape} "
                                             f"(r.text = {r.text!r})")
        err = rel_err(got, want)
        if not np.all(np.isfinite(got)) or err > 10 * TOLS[case.order]:
            return Outcome("wrong", "evaluate", f"relative error {err:.3g} against finite "
                                                f"differences (r.text = {r.text!r})")
        phase = "shape"
        if _resolve(r.shape) != want.shape:
            return Outcome("wrong", "shape", f"r.shape {r.shape} is not {want.shape} "
                                             f"(r.text = {r.text!r})")
        phase = "text"
        text = r.text
        with np.errstate(all="ignore"):
            again = np.asarray(md.evaluate(text, vars=VARS, shape=want.shape, **env), dtype=float)
        if again.size != got.size or rel_err(again.reshape(got.shape), got) > TEXT_TOL:
            return Outcome("wrong", "text", f"md.evaluate(r.text) differs from r.evaluate "
                                            f"(r.text = {text!r})")
        return Outcome("ok")
    except Hang:
        return Outcome("hang", phase, f"over {timeout:g} s")
    except RecursionError as exc:  # the stack is deep here: keep the report short
        return Outcome("crash", phase, f"RecursionError: {str(exc)[:100]}")
    except Exception as exc:  # noqa: BLE001 - every other exception is a crash
        return Outcome("crash", phase, _exc_detail(exc))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def make_case(seed: int, index: int, depth: int = 3) -> Case:
    rng = random.Random(f"matdiff-fuzz:{seed}:{index}")
    g = Gen(rng)
    kind = g.pick([0, 0, 0, 1, 1, 2])
    shape = tuple(g.pick(DIMS) for _ in range(kind))
    e = g.gen(shape, depth)
    names = sorted(e.names())
    if names and rng.randrange(10) > 0:
        wrt = g.pick(names)
    else:
        wrt = g.pick(sorted(VARS))                # possibly declared but unused
    layout = g.pick(LAYOUTS)
    # order 2 where finite differences stay cheap: F scalar, or F and X small
    order = 1
    x_size = math.prod(_resolve(_var_shape(wrt)))
    f_size = math.prod(_resolve(shape)) if shape else 1
    if rng.random() < 0.3 and f_size * x_size * x_size <= 256:
        order = 2
    return Case(e, wrt, layout, order, rng.randrange(2 ** 31), index, seed)


def _var_shape(name: str) -> tuple:
    spec = VARS[name]
    if spec == "scalar":
        return ()
    inside = spec[spec.index("(") + 1:spec.index(")")]
    return tuple(d.strip() for d in inside.split(","))


# ---- shrinking ----------------------------------------------------------------------------

def _leaves_for(shape, wrt: str) -> list[Ex]:
    out = []
    if shape == ():
        out.append(Ex("var", (), param=wrt) if VARS[wrt] == "scalar" else Ex("lit", (), param="2"))
        out += [Ex("var", (), param=s) for s in SCALARS if s != wrt]
        out.append(Ex("lit", (), param="2"))
    elif len(shape) == 1:
        out += [Ex("var", shape, param=v) for v in VECTORS[shape[0]]]
    elif len(shape) == 2 and "?" not in shape:
        out += [Ex("var", shape, param=v) for v in MATRICES.get(shape, ())]
        out += [Ex("transpose", shape, (Ex("var", shape[::-1], param=v),), "'")
                for v in MATRICES.get(shape[::-1], ())]
    out.sort(key=lambda e: 0 if wrt in e.names() else 1)
    return out


def shrink(case: Case, outcome: Outcome, timeout: float | None, budget: int = 400) -> Case:
    """A smaller case that fails the same way: replace sub-expressions by leaves or by one
    of their operands of the same shape, then try the mixed layout and order 1.  At most
    ``budget`` candidates are checked (a count, so the result does not depend on speed)."""
    checks = [0]

    def still_fails(c: Case) -> bool:
        if c.wrt not in c.expr.names() and c.wrt not in VARS:
            return False
        checks[0] += 1
        return _check(c, timeout).same_failure(outcome)

    best = case
    improved = True
    while improved and checks[0] < budget:
        improved = False
        for node in list(best.expr.nodes()):
            if checks[0] >= budget:
                break
            if node.op in ("var", "lit"):
                continue
            candidates = [a for a in node.args if a.shape == node.shape]
            candidates += _leaves_for(node.shape, best.wrt)
            for cand in candidates:
                e = best.expr.replace(node, cand)
                if e.size() >= best.expr.size():
                    continue
                c = Case(e, best.wrt, best.layout, best.order, best.values_seed, best.index, best.seed)
                if still_fails(c):
                    best, improved = c, True
                    break
            if improved:
                break
    for layout in ("mixed",):
        if best.layout != layout:
            c = Case(best.expr, best.wrt, layout, best.order, best.values_seed, best.index, best.seed)
            if still_fails(c):
                best = c
    if best.order != 1:
        c = Case(best.expr, best.wrt, best.layout, 1, best.values_seed, best.index, best.seed)
        if still_fails(c):
            best = c
    return best


def reproducer(case: Case, original: Case, outcome: Outcome) -> dict:
    env = values(case.values_seed)
    names = sorted(case.expr.names() | {case.wrt})
    return {
        "expr": case.text, "vars": {k: VARS[k] for k in names}, "wrt": case.wrt,
        "layout": case.layout, "order": case.order, "kind": outcome.status,
        "phase": outcome.phase, "detail": outcome.detail,
        "values": {k: np.asarray(env[k]).tolist() for k in names},
        "case": case.index, "seed": case.seed, "values_seed": case.values_seed,
        "original_expr": original.text,
    }


# ---- driver -----------------------------------------------------------------------------

STATUSES = ("ok", "refused", "skipped", "wrong", "crash", "hang")


def run_one(seed: int, index: int, timeout: float, depth: int = 3, do_shrink: bool = True):
    """(status, reproducer-or-None) of case ``index``."""
    case = make_case(seed, index, depth)
    out = _check(case, timeout)
    if not out.failed:
        return out.status, None
    budget = 20 if out.status == "hang" else 400     # each hang check costs the full timeout
    small = shrink(case, out, timeout, budget) if do_shrink else case
    small_out = _check(small, timeout)
    return out.status, reproducer(small, case, small_out if small_out.failed else out)


def _run_chunk(args):
    seed, indices, timeout, depth, do_shrink = args
    return [(i,) + run_one(seed, i, timeout, depth, do_shrink) for i in indices]


def run(n: int, seed: int = 0, timeout: float = 10.0, out: str | None = None, jobs: int = 1,
        depth: int = 3, do_shrink: bool = True, progress: bool = False, start: int = 0) -> dict:
    """Run cases ``start .. start+n-1``; return {"counts": {...}, "failures": [...]}."""
    counts = {s: 0 for s in STATUSES}
    failures = []
    fh = open(out, "w", encoding="utf-8") if out else None
    t0 = time.monotonic()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    try:
        indices = list(range(start, start + n))
        chunk = 50
        tasks = [(seed, indices[k:k + chunk], timeout, depth, do_shrink) for k in range(0, n, chunk)]
        if jobs > 1:
            import multiprocessing as mp
            pool = mp.get_context("fork").Pool(jobs)
            results = pool.imap(_run_chunk, tasks)
        else:
            pool = None
            results = map(_run_chunk, tasks)
        done = 0
        for res in results:
            for i, status, rep in res:
                counts[status] += 1
                done += 1
                if rep is not None:
                    failures.append(rep)
                    if fh:
                        fh.write(json.dumps(rep, ensure_ascii=False) + "\n")
                        fh.flush()
                    if progress:
                        print(f"[{i}] {rep['kind']} ({rep['phase']}): {rep['expr']}  d/d{rep['wrt']} "
                              f"{rep['layout']} order {rep['order']}: {rep['detail'][:200]}", flush=True)
            if progress and done % 1000 < chunk:
                print(f"... {done}/{n} cases, {time.monotonic() - t0:.0f} s: {_counts_line(counts)}",
                      flush=True)
        if pool is not None:
            pool.close()
            pool.join()
    finally:
        if fh:
            fh.close()
    return {"counts": counts, "failures": failures, "seconds": time.monotonic() - t0}


def _counts_line(c: dict) -> str:
    return ", ".join(f"{k} {c[k]}" for k in STATUSES)


def summary_line(counts: dict) -> str:
    return f"wrong answers {counts['wrong']}, crashes {counts['crash']}, hangs {counts['hang']}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1000, help="number of cases (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the run (default 0)")
    p.add_argument("--start", type=int, default=0, help="index of the first case (default 0)")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds per case before it counts as a hang (default 10; 0: no limit)")
    p.add_argument("--out", default="fuzz-failures.jsonl",
                   help="JSON-lines file for the minimal reproducers (default fuzz-failures.jsonl)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--depth", type=int, default=3, help="depth of the random expressions (default 3)")
    p.add_argument("--no-shrink", action="store_true", help="report failures as found, unshrunk")
    p.add_argument("--quiet", action="store_true", help="print the summary only")
    args = p.parse_args(argv)
    res = run(args.n, args.seed, args.timeout, args.out, args.jobs, args.depth,
              not args.no_shrink, progress=not args.quiet, start=args.start)
    c = res["counts"]
    print(f"{args.n} cases in {res['seconds']:.0f} s: {_counts_line(c)}; reproducers in {args.out}")
    print(summary_line(c))
    return 1 if c["wrong"] or c["crash"] or c["hang"] else 0


if __name__ == "__main__":
    sys.exit(main())
