"""The graph of a generated function: hash-consed array operations, and the
constructors that build them with constant folding.

A ``Graph`` is a DAG of ``Op`` nodes in creation (hence topological) order;
an operation on the same operands is created once, so common sub-expressions
are shared between a value and every derivative.  Arrays follow
docs/language.md §3: a scalar is 0-d, a vector 1-D (column and row vectors
alike), a matrix 2-D.  ``Builder`` adds nodes: numbers fold, ``1*x`` is ``x``,
the transpose of a vector or of a symmetric matrix is itself.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ..functions import FUNCTIONS


@dataclass(frozen=True)
class Op:
    """One array operation. ``shape`` holds symbolic dimensions: () | (n,) | (m, n)."""
    name: str
    args: tuple
    attr: tuple
    shape: tuple

    @property
    def ndim(self) -> int:
        return len(self.shape)


class Graph:
    """Hash-consed operations in creation (hence topological) order."""

    def __init__(self):
        self.ops: list[Op] = []
        self._index: dict[tuple, int] = {}

    def add(self, name: str, args=(), attr=(), shape=()) -> int:
        key = (name, tuple(args), tuple(attr))
        i = self._index.get(key)
        if i is None:
            i = len(self.ops)
            self.ops.append(Op(name, tuple(args), tuple(attr), tuple(shape)))
            self._index[key] = i
        return i

    def __getitem__(self, i: int) -> Op:
        return self.ops[i]


def array_shape(shape) -> tuple:
    """An Expr shape (rows, cols) as an array shape: (), (n,) or (m, n)."""
    return tuple(d for d in shape if d != 1)


class Builder:
    """Adds operations to a graph, folding constants; ``None`` stands for 1 in ``mul``."""

    def __init__(self):
        self.g = Graph()
        self.symmetric: set[int] = set()   # nodes known to be symmetric matrices

    def num(self, v) -> int:
        if isinstance(v, Fraction):
            v = int(v) if v.denominator == 1 else float(v)
        elif isinstance(v, float) and v.is_integer() and abs(v) < 2 ** 53:
            v = int(v)
        return self.g.add("num", (), (v,), ())

    def is_num(self, i, value=None) -> bool:
        op = self.g[i]
        return op.name == "num" and (value is None or op.attr[0] == value)

    def numval(self, i):
        return self.g[i].attr[0]

    def _bshape(self, a: int, b: int) -> tuple:
        sa, sb = self.g[a].shape, self.g[b].shape
        return sa if len(sa) >= len(sb) else sb

    def mul(self, a, b) -> int | None:
        """Elementwise / broadcast / scalar product; None stands for 1."""
        if a is None:
            return b
        if b is None:
            return a
        if self.is_num(a) and self.is_num(b):
            return self.num(self.numval(a) * self.numval(b))
        if self.is_num(a, 1):
            return b
        if self.is_num(b, 1):
            return a
        if self.is_num(b) and not self.is_num(a):  # numbers first: 2 * x
            a, b = b, a
        if self.is_num(a, -1):
            return self.neg(b)
        return self.g.add("mul", (a, b), (), self._bshape(a, b))

    def div(self, a, b) -> int:
        if a is None:
            a = self.num(1)
        if self.is_num(b, 1):
            return a
        if self.is_num(a) and self.is_num(b) and self.numval(b) != 0:
            return self.num(Fraction(self.numval(a)) / Fraction(self.numval(b)))
        return self.g.add("div", (a, b), (), self._bshape(a, b))

    def add(self, a, b) -> int:
        if self.is_num(a) and self.is_num(b):
            return self.num(self.numval(a) + self.numval(b))
        return self.g.add("add", (a, b), (), self._bshape(a, b))

    def sub(self, a, b) -> int:
        if self.is_num(a) and self.is_num(b):
            return self.num(self.numval(a) - self.numval(b))
        return self.g.add("sub", (a, b), (), self._bshape(a, b))

    def neg(self, a) -> int:
        if self.is_num(a):
            return self.num(-self.numval(a))
        op = self.g[a]
        if op.name == "neg":
            return op.args[0]
        return self.g.add("neg", (a,), (), op.shape)

    def pow(self, a, k) -> int:
        if k == 1:
            return a
        if self.is_num(a) and (k == int(k) or self.numval(a) > 0):
            v = float(self.numval(a))
            if v != 0 or k > 0:
                return self.num(v ** float(k))
        kk = int(k) if k == int(k) else k
        return self.g.add("pow", (a,), (kk,), self.g[a].shape)

    def fn(self, name, a, shape=None) -> int:
        """A function of functions.py applied to one node, spelled by the table's ``spell``;
        ``shape``: the result's, where it is not the argument's (a norm)."""
        if self.is_num(a):
            v = _fold(name, float(self.numval(a)))
            if v is not None:
                return self.num(v)
        return self.g.add("fn", (a,), (name,), self.g[a].shape if shape is None else shape)

    def op(self, name, args=(), attr=(), shape=()) -> int:
        return self.g.add(name, args, attr, shape)

    def dimval(self, d) -> int:
        if isinstance(d, int):
            return self.num(d)
        return self.g.add("dim", (), (d,), ())

    def signed_sum(self, terms: list[tuple[int, int]]) -> int:
        # a positive array first (a - b, not -b + a; x + 1, not 1 + x), but 1 - x rather than -x + 1
        terms = sorted(terms, key=lambda t: (t[0] < 0, self.g[t[1]].ndim == 0))
        s, out = terms[0]
        if s < 0:
            out = self.neg(out)
        for s, t in terms[1:]:
            out = self.add(out, t) if s > 0 else self.sub(out, t)
        return out

    def T(self, x: int) -> int:
        """The transpose of a node (vectors and symmetric matrices are their own)."""
        op = self.g[x]
        if op.ndim < 2 or x in self.symmetric:
            return x
        if op.name == "T":
            return op.args[0]
        return self.op("T", (x,), (), op.shape[::-1])

    def sum_axis(self, x: int, axis: int) -> int:
        op = self.g[x]
        if op.ndim <= 1:
            return self.op("sum", (x,), (), ())
        return self.op("axsum", (x,), (axis,), op.shape[:axis] + op.shape[axis + 1:])


def _fold(name: str, v: float):
    """The table's f(v) for a number, or None where it is undefined (or not finite)."""
    fold = FUNCTIONS[name].fold
    try:
        out = fold(v) if fold is not None else None
    except (ValueError, OverflowError, ZeroDivisionError):
        return None
    return out if out is not None and math.isfinite(out) else None
