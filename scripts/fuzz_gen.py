"""The fuzzer's generation: random well-typed expressions (as text, with a NumPy reference)
and the cases built from them (scripts/fuzz.py runs and checks them).

``make_case(seed, index)`` is deterministic: the same expression, variable, layout, order
and values for the same seed and index.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np
from support.reference import expm as np_expm
from support.reference import sigmoid
from support.variables import DIMS, LAYOUTS, MATRICES, SCALARS, SIZES, VARS, VECTORS

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
               "arctan": np.arctan, "softplus": lambda v: np.logaddexp(0.0, v)}
POSITIVE_ONLY = {"log": np.log, "sqrt": np.sqrt, "log1p": np.log1p}
KINKED = {"abs": np.abs, "relu": lambda v: np.maximum(v, 0.0), "sign": np.sign,
          "step": lambda v: np.heaviside(v, 0.5)}
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
    "varpow": lambda a, p: _p(f"({a[0]}){p}tanh({a[1]})"),  # pow(u, v): a scalar exponent v
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
    "kinner": lambda a, p: _p(f"vec({a[0]})'*K({p[0]},{p[1]})*vec({a[1]})"),
    "kfun": lambda a, p: p[0].format(f"K({p[1]},{p[2]})*vec({a[0]})" if p[3] == "" else
                                     f"K({p[2]},{p[1]})'*vec({a[0]})"),
    "ktrace": lambda a, p: f"tr(K({p[0]},{p[1]})*kron({a[0]}, {a[1]}))",
}


def _kmat(a: str, b: str):
    """The commutation matrix K(a,b) (ab×ab): K(a,b)*vec(Q) = vec(Q') for Q a×b."""
    m, n = SIZES[a], SIZES[b]
    k = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            k[i * n + j, j * m + i] = 1.0
    return k


# what a K-op applies to K(a,b)*vec(Q) (its text, then its NumPy value)
K_FUNCS = {"sum({})": np.sum, "norm2({})": np.linalg.norm, "norm1({})": lambda v: np.sum(np.abs(v)),
           "logsumexp({})": lambda v: np.log(np.sum(np.exp(v))), "sum(tanh({}))": lambda v: np.sum(np.tanh(v))}


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
    if name == "adj":     # det(v)*inv(v); its derivative needs v invertible
        return _det_checked(v) * np.linalg.inv(v)
    if name == "diag":
        return np.diag(v)
    if name == "sum":
        return float(np.sum(v))
    if name == "norm2":
        return float(np.linalg.norm(v))
    if name == "norm1":
        return float(np.sum(np.abs(v)))
    if name == "logsumexp":
        return float(np.log(np.sum(np.exp(v))))
    if name == "softmax":
        return np.exp(v) / np.sum(np.exp(v))
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
    "varpow": lambda a, p, env: _pow(a[0], float(np.tanh(a[1]))),
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
    "kinner": lambda a, p, env: float(_vec(a[0]) @ _kmat(*p) @ _vec(a[1])),
    "kfun": lambda a, p, env: float(K_FUNCS[p[0]](_kmat(p[1], p[2]) @ _vec(a[0]))),
    "ktrace": lambda a, p, env: float(np.trace(_kmat(*p) @ np.kron(a[0], a[1]))),
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
        k = self.r.randrange(3 if e.shape == () else 5)
        if k == 0:
            return Ex("func", e.shape, (e,), "exp")
        if k == 1:
            return Ex("func", e.shape, (e,), "sigmoid")
        if k == 3:      # broadcasting: 1 + exp(e), as ML losses are written
            return Ex("add", e.shape, (Ex("lit", (), param="1"), Ex("func", e.shape, (e,), "exp")))
        if k == 4:      # 1 - sigmoid(e) > 0
            return Ex("sub", e.shape, (Ex("lit", (), param="1"), Ex("func", e.shape, (e,), "sigmoid")))
        return Ex("posone", e.shape, (e,), "1" if e.shape == () else "ones")

    def hfactor(self, shape, depth) -> Ex:
        """A Hadamard factor: an elementwise function of a matrix, or a Hadamard product
        (of matrices, or with an outer product), to sit inside a product, trace or sum."""
        sub = lambda s: self.gen(s, depth - 1)  # noqa: E731
        k = self.r.randrange(5)
        if k == 0:
            return Ex("func", shape, (sub(shape),), self.pick(sorted(ELEMENTWISE) + ["relu"]))
        if k == 1:
            return Ex("func", shape, (self.positive(sub(shape)),), self.pick(sorted(POSITIVE_ONLY)))
        if k == 2:
            return Ex("hadamard", shape, (sub(shape), sub(shape)), ".*")
        if k == 3:
            v, w = sub((shape[0],)), sub((shape[1],))
            return Ex("hadamard", shape, (Ex("outer", shape, (v, w)), sub(shape)), ".*")
        return Ex("hdiv", shape, (sub(shape), self.positive(sub(shape))))

    def hchain(self, shape, depth) -> Ex:
        """A matrix product with a Hadamard factor on its left, its right or in its middle."""
        sub = lambda s: self.gen(s, depth - 1)  # noqa: E731
        d1, d2 = shape
        k, ll = self.pick(DIMS), self.pick(DIMS)
        side = self.r.randrange(3)
        if side == 0:
            return Ex("mul", shape, (sub((d1, k)), self.hfactor((k, d2), depth)))
        if side == 1:
            return Ex("mul", shape, (self.hfactor((d1, k), depth), sub((k, d2))))
        left = Ex("mul", (d1, ll), (sub((d1, k)), self.hfactor((k, ll), depth)))
        return Ex("mul", shape, (left, sub((ll, d2))))

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
               "kinked", "bounded", "varpow"]
        if kind == 0:
            ops += ["mul", "pow", "pow-frac", "inner", "bilinear", "tr", "sum", "norm2", "norm1",
                    "logsumexp", "det", "det-general", "logdet", "invquad", "hdiv", "vecinner", "vecfun",
                    "kronbilinear", "trkron", "kinner", "kfun", "ktrace", "hsum", "htr", "hbilinear",
                    "hnet", "hquad"]
        elif kind == 1:
            ops += ["matvec", "matTvec", "hadamard", "hdiv", "epow", "epow-frac", "diag-of",
                    "invvec", "fill", "softmax", "broadcast", "hmatvec"]
        else:
            ops += ["matmul", "transpose", "hadamard", "hdiv", "epow", "epow-frac", "outer",
                    "kronouter", "kronscale", "fill", "broadcast", "hchain"]
            if shape[0] == shape[1]:
                ops += ["diag-from", "inv", "adj", "matpow", "matpow-neg", "expm"]
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
        if op == "varpow":   # u^v, u.^v with a scalar expression v (u > 0)
            return Ex("varpow", shape, (self.positive(sub(shape)), sub(())), "^" if kind == 0 else ".^")
        if op == "epow-frac":
            return Ex("epow", shape, (self.positive(sub(shape)),), self.pick(["0.5", "-1", "1.5", "-0.5"]))
        if op == "fill":
            return Ex("fill", shape, (sub(shape),),
                      ("vector" if kind == 1 else "matrix", self.pick(["2", "0.5", "-1"])))
        if op == "broadcast":   # scalar ± vector or matrix, elementwise
            s, e = sub(()), sub(shape)
            return Ex(self.pick(["add", "sub"]), shape, (s, e) if r.random() < 0.5 else (e, s))
        # scalars
        if op in ("kinner", "ktrace"):      # the commutation matrix
            a, b = self.pick(DIMS), self.pick(DIMS)
            args = (sub((b, a)), sub((a, b))) if op == "kinner" else (sub((a, b)), sub((b, a)))
            return Ex(op, (), args, (a, b))
        if op == "kfun":
            a, b = self.pick(DIMS), self.pick(DIMS)
            return Ex("kfun", (), (sub((a, b)),), (self.pick(sorted(K_FUNCS)), a, b, self.pick(["", "'"])))
        if op in ("hsum", "htr"):   # sum(A*exp(X)), tr(C*exp(X)*B)
            d = self.pick(DIMS)
            s = (d, d) if op == "htr" else (d, self.pick(DIMS))
            return Ex("func", (), (self.hchain(s, depth),), "sum" if op == "hsum" else "tr")
        if op == "hbilinear":   # a'*f(A*g(X)*B)*b
            d1, d2 = self.pick(DIMS), self.pick(DIMS)
            m = self.hchain((d1, d2), depth)
            if r.random() < 0.5:
                m = Ex("func", (d1, d2), (m,), self.pick(sorted(ELEMENTWISE)))
            return Ex("bilinear", (), (sub((d1,)), m, sub((d2,))))
        if op == "hnet":        # norm2(W2*f(W1*X) - Y)^2
            a, k, ll, b = (self.pick(DIMS) for _ in range(4))
            hidden = Ex("func", (k, b), (Ex("mul", (k, b), (sub((k, ll)), sub((ll, b)))),),
                        self.pick(["tanh", "sigmoid", "relu", "softplus"]))
            err = Ex("sub", (a, b), (Ex("mul", (a, b), (sub((a, k)), hidden)), sub((a, b))))
            return Ex("pow", (), (Ex("func", (), (err,), "norm2"),), "2")
        if op == "hquad":       # x'*((x*x') .* C)*x
            d = self.pick(DIMS)
            v = sub((d,))
            return Ex("bilinear", (), (v, Ex("hadamard", (d, d), (Ex("outer", (d, d), (v, v)), sub((d, d))),
                                             ".*"), v))
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
        if op == "softmax":
            return Ex("func", shape, (sub(shape),), op)
        if op in ("sum", "norm2", "norm1", "logsumexp"):
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
        if op == "hmatvec":
            k = self.pick(DIMS)
            if r.random() < 0.5:
                return Ex("mul", shape, (self.hfactor((d, k), depth), sub((k,))))
            return Ex("matTvec", shape, (self.hfactor((k, d), depth), sub((k,))))
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
        if op == "hchain":
            return self.hchain(shape, depth)
        if op == "kronouter":
            return Ex("kronouter", shape, (sub((d1,)), sub((d2,))))
        if op == "kronscale":
            s, e = sub(()), sub(shape)
            return Ex("kronscale", shape, (s, e) if r.random() < 0.5 else (e, s))
        if op == "diag-from":
            return Ex("func", shape, (sub((d1,)),), "diag")
        if op in ("inv", "adj"):
            return Ex("func", shape, (self.spdish(d1, depth),), op)
        if op == "matpow":
            return Ex("matpow", shape, (sub(shape),), self.pick(["2", "3"]))
        if op == "matpow-neg":
            return Ex("matpow", shape, (self.spdish(d1, depth),), self.pick(["-1", "-2"]))
        if op == "expm":
            return Ex("expm", shape, (sub(()), sub(shape)), "0.5")
        raise AssertionError(op)


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
