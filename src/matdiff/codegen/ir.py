"""From typed ``Expr`` trees to a backend-neutral program of array operations.

``Lowering`` walks the trees of a value and of its derivatives and builds
one ``Graph``: a DAG of ``Op`` nodes that are hash-consed (an operation on
the same operands is created once), so common sub-expressions are shared
between the value and every derivative.

Arrays follow docs/language.md §3: a scalar is 0-d, a vector 1-D (column and
row vectors alike), a matrix 2-D.  Some values stay *lazy* while they are
only operands (``Val``): ``diag(v)`` is kept as its diagonal ``v``, ``inv(A)``
as ``A`` (so that ``inv(A)*B`` becomes ``solve(A, B)``), ``s*I`` and
``s*ones`` as the scalar ``s``; they are materialised only where nothing
cheaper exists.

Matrix chains are multiplied in the order that costs least for the sizes
given (``dims``: dimension name -> size, used only to choose orders; the
generated code reads every size from its arguments).  The usual O(k^3)
dynamic programme sees diagonal factors (scaling, O(n^2)), inverse factors
(a solve), all-ones factors (a sum over an axis) and vectors.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ..errors import NotSupportedError
from ..expr import (ELEMENTWISE, Add, Const, Expr, Func, Hadamard, MatPow, Num, Power, Product,
                    Transpose, Var)
from .. import expr as E

# The size assumed for a dimension whose size is not given (only orders depend on it).
DEFAULT_SIZE = 100
# Elementwise functions with f(0) = 0: they keep a diagonal matrix diagonal.
ZERO_PRESERVING = {"sin", "tan", "tanh", "sqrt", "abs", "sign", "arcsin", "arctan", "relu"}
# A matrix power with an exponent up to this is written as a product (a chain).
MAX_CHAIN_POWER = 8
# At most this many products come from multiplying out sums in a matrix-vector chain.
MAX_DISTRIBUTED = 16


# ---- the graph -----------------------------------------------------------------------

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


# ---- lazy values and chain items -------------------------------------------------------

@dataclass(frozen=True)
class Val:
    """A lowered Expr.

    rep: ``dense`` (node is the array), ``diag`` (node is the diagonal),
    ``inv`` (node is the matrix inverted; times ``scale``), ``eye`` and
    ``ones`` (``scale`` times I or ones), ``zero``.
    """
    rep: str
    node: int | None
    shape: tuple            # the Expr's (rows, cols)
    scale: int | None = None


@dataclass(frozen=True)
class Item:
    """A factor of a matrix chain. rows/cols are None on a vector's missing axis.

    rep: ``x`` dense, ``d`` diagonal (node: the diagonal), ``i`` inverse
    (node: the matrix), ``o`` a vector of ones.
    """
    rep: str
    node: int | None
    rows: object
    cols: object

    @property
    def ndim(self) -> int:
        return (self.rows is not None) + (self.cols is not None)


def _axis(d):
    return None if d == 1 else d


# ---- lowering ---------------------------------------------------------------------------

class Lowering:
    """Builds the operations of many Expr trees into one graph."""

    def __init__(self, args: dict[str, str], dims: dict | None = None):
        """``args``: variable name -> parameter name in the generated code."""
        self.g = Graph()
        self.args = args
        self.dims = dict(dims or {})
        self.memo: dict[Expr, Val] = {}
        self.symmetric: set[int] = set()   # nodes known to be symmetric matrices

    # -- sizes (for choosing orders only) --
    def size(self, d) -> int:
        if d is None or d == 1:
            return 1
        if isinstance(d, int):
            return d
        if isinstance(d, str) and "*" in d:
            return math.prod(self.size(p if not p.isdigit() else int(p)) for p in d.split("*"))
        v = self.dims.get(d)
        return v if isinstance(v, int) else DEFAULT_SIZE

    def nsize(self, shape) -> int:
        return math.prod(self.size(d) for d in shape)

    # -- the public entry points --
    def root(self, e: Expr) -> int:
        """The node computing ``e`` (materialised)."""
        try:
            return self.dense(self.value(e))
        except RecursionError:
            raise NotSupportedError("the expression is too deeply nested to compile") from None

    # -- scalar and elementwise helpers (with constant folding) --
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

    def fn(self, name, a) -> int:
        if self.is_num(a):
            v = _fold(name, float(self.numval(a)))
            if v is not None:
                return self.num(v)
        return self.g.add("fn", (a,), (name,), self.g[a].shape)

    def op(self, name, args=(), attr=(), shape=()) -> int:
        return self.g.add(name, args, attr, shape)

    def dimval(self, d) -> int:
        if isinstance(d, int):
            return self.num(d)
        return self.g.add("dim", (), (d,), ())

    # -- materialising lazy values --
    def dense(self, v: Val) -> int:
        shape = array_shape(v.shape)
        if v.rep == "dense":
            return v.node
        if v.rep == "diag":
            return self.op("diagmat", (v.node,), (), shape)
        if v.rep == "inv":
            return self.mul(v.scale, self.op("inv", (v.node,), (), shape))
        if v.rep == "eye":
            if not shape:
                return v.scale if v.scale is not None else self.num(1)
            return self.mul(v.scale, self.op("eye", (), (shape[0],), shape))
        if v.rep == "ones":
            if not shape:
                return v.scale if v.scale is not None else self.num(1)
            return self.mul(v.scale, self.op("ones", (), (shape,), shape))
        if v.rep == "zero":
            if not shape:
                return self.num(0)
            return self.op("zeros", (), (shape,), shape)
        raise AssertionError(v.rep)

    def dense_of(self, e: Expr) -> int:
        return self.dense(self.value(e))

    # -- Expr -> Val --
    def value(self, e: Expr) -> Val:
        v = self.memo.get(e)
        if v is None:
            v = self._value(e)
            self.memo[e] = v
        return v

    def _value(self, e: Expr) -> Val:
        D = lambda node: Val("dense", node, e.shape)  # noqa: E731
        if isinstance(e, Var):
            node = self.op("arg", (), (self.args[e.name],), array_shape(e.shape))
            if e.symmetric and self.g[node].ndim == 2:
                self.symmetric.add(node)
            return D(node)
        if isinstance(e, Num):
            return D(self.num(e.value))
        if isinstance(e, Const):
            if e.is_scalar:
                return D(self.num(0 if e.kind == "zero" else 1))
            if e.kind in ("I", "eye"):  # "eye" is I written with its size, I(n)
                return Val("eye", None, e.shape)
            if e.kind == "ones":
                return Val("ones", None, e.shape)
            if e.kind != "zero":
                raise NotSupportedError(f"cannot compile the constant {e.kind!r}")
            return Val("zero", None, e.shape)
        if isinstance(e, Add):
            return self.lower_add(e)
        if isinstance(e, Product):
            return self.lower_product(e)
        if isinstance(e, Hadamard):
            return self.lower_hadamard(e)
        if isinstance(e, Power):
            return self.lower_power(e)
        if isinstance(e, MatPow):
            if e.exp == 0:
                return Val("eye", None, e.shape)
            return self.lower_product(Product(1, (), (e,)))
        if isinstance(e, Transpose):
            return self.lower_transpose(e)
        if isinstance(e, Func):
            return self.lower_func(e)
        raise NotSupportedError(f"cannot compile a {type(e).__name__} node")

    # -- sums --
    def lower_add(self, e: Add) -> Val:
        signed: list[tuple[int, Val]] = []
        for t in e.args:
            if isinstance(t, Product) and t.coeff < 0:
                signed.append((-1, self.value(_negated(t))))
            elif isinstance(t, Num) and t.value < 0:
                signed.append((-1, self.value(Num(-t.value))))
            else:
                signed.append((1, self.value(t)))
        dense, diags, eyes, ones = [], [], [], []
        for s, v in signed:
            if v.rep == "zero":
                continue
            if v.rep == "diag":
                diags.append((s, v.node))
            elif v.rep == "eye":
                eyes.append((s, v.scale if v.scale is not None else self.num(1)))
            elif v.rep == "ones" and not e.is_scalar:
                ones.append((s, v.scale if v.scale is not None else self.num(1)))
            else:
                dense.append((s, self.dense(v)))
        shape = array_shape(e.shape)
        if not dense and not diags and not eyes and not ones:
            return Val("zero", None, e.shape)
        if not dense and not (ones and (diags or eyes)):
            if diags:
                v = self.signed_sum(diags)
                if eyes:
                    v = self.add(v, self.signed_sum(eyes))
                return Val("diag", v, e.shape)
            if eyes:
                return Val("eye", None, e.shape, self.signed_sum(eyes))
            return Val("ones", None, e.shape, self.signed_sum(ones))
        if not dense:  # ones mixed with a diagonal: materialise
            dense = [(s, self.dense(Val("ones", None, e.shape, sc))) for s, sc in ones]
            ones = []
        terms = list(dense)
        if ones:  # s*ones added to an array: a broadcast scalar
            terms += ones
        if diags:
            v = self.signed_sum(diags)
            if eyes:
                v = self.add(v, self.signed_sum(eyes))
            terms.append((1, self.op("diagmat", (v,), (), shape)))
        elif eyes:
            eye = self.op("eye", (), (shape[0],), shape)
            terms += [(s, self.mul(sc, eye)) for s, sc in eyes]
        return Val("dense", self.signed_sum(terms), e.shape)

    def signed_sum(self, terms: list[tuple[int, int]]) -> int:
        # a positive array first (a - b, not -b + a; x + 1, not 1 + x), but 1 - x rather than -x + 1
        terms = sorted(terms, key=lambda t: (t[0] < 0, self.g[t[1]].ndim == 0))
        s, out = terms[0]
        if s < 0:
            out = self.neg(out)
        for s, t in terms[1:]:
            out = self.add(out, t) if s > 0 else self.sub(out, t)
        return out

    # -- elementwise --
    def lower_hadamard(self, e: Hadamard) -> Val:
        num, den = [], []
        for a in e.args:
            if isinstance(a, Power) and a.exp < 0 and not a.base.is_scalar:
                den.append(self.value(E.power(a.base, -a.exp)))
            else:
                num.append(self.value(a))
        scale = None
        lazy_diag = False
        parts: list[Val] = []
        for v in num:
            if v.rep == "zero":
                return Val("zero", None, e.shape)
            if v.rep == "ones":
                scale = self.mul(scale, v.scale)
                continue
            if v.rep in ("eye", "diag"):
                lazy_diag = True
            parts.append(v)
        if lazy_diag:  # a Hadamard product with a diagonal matrix is diagonal
            out = scale
            for v in parts:
                if v.rep == "eye":
                    out = self.mul(out, v.scale)
                elif v.rep == "diag":
                    out = self.mul(out, v.node)
                else:
                    out = self.mul(out, self.diagonal_of(v))
            for v in den:
                out = self.div(out, self.diagonal_of(v))
            if out is None or not self.g[out].shape:  # only scalars: s*I
                return Val("eye", None, e.shape, out)
            return Val("diag", out, e.shape)
        out = scale
        for v in parts:
            out = self.mul(out, self.dense(v))
        if out is None:
            out = self.dense(Val("ones", None, e.shape))
        for v in den:
            out = self.div(out, self.dense(v))
        return Val("dense", out, e.shape)

    def diagonal_of(self, v: Val) -> int:
        """The diagonal (a vector) of a square matrix value."""
        if v.rep == "diag":
            return v.node
        n = v.shape[0]
        if v.rep in ("eye", "ones"):
            return self.dense(Val("ones", None, (n, 1), v.scale))
        if v.rep == "zero":
            return self.dense(Val("zero", None, (n, 1)))
        return self.op("diagonal", (self.dense(v),), (), (n,))

    def lower_power(self, e: Power) -> Val:
        k = e.exp
        if isinstance(e.base, Func) and e.base.name == "norm2" and k == int(k) and int(k) % 2 == 0:
            sq = self.sumsq(e.base.args[0])
            return Val("dense", self.pow(sq, Fraction(int(k) // 2)), e.shape)
        b = self.value(e.base)
        if b.rep == "diag" and k > 0:
            return Val("diag", self.pow(b.node, k), e.shape)
        return Val("dense", self.pow(self.dense(b), k), e.shape)

    def sumsq(self, a: Expr) -> int:
        """sum(a .^ 2) = norm2(a)^2, without the square root."""
        v = self.value(a)
        x = v.node if v.rep == "diag" else self.dense(v)
        nd = self.g[x].ndim
        if nd == 0:
            return self.pow(x, 2)
        return self.op("sumsq", (x, x), (nd,), ())

    # -- transposes --
    def lower_transpose(self, e: Transpose) -> Val:
        a = e.arg
        if isinstance(a, Product) and not a.is_scalar:
            return self.value(Product(a.coeff, a.scalars, tuple(E.transpose(f) for f in reversed(a.chain))))
        v = self.value(a)
        if v.rep == "dense":
            return Val("dense", self.T(v.node), e.shape)
        if v.rep == "inv":
            return Val("inv", self.T(v.node), e.shape, v.scale)
        return Val(v.rep, v.node, e.shape, v.scale)

    def T(self, x: int) -> int:
        """The transpose of a node (vectors and symmetric matrices are their own)."""
        op = self.g[x]
        if op.ndim < 2 or x in self.symmetric:
            return x
        if op.name == "T":
            return op.args[0]
        return self.op("T", (x,), (), op.shape[::-1])

    # -- functions --
    def lower_func(self, e: Func) -> Val:
        name = e.name
        a = e.args[0]
        shape = array_shape(e.shape)
        if name in ELEMENTWISE:
            v = self.value(a)
            if v.rep == "diag" and name in ZERO_PRESERVING:
                return Val("diag", self.fn(name, v.node), e.shape)
            return Val("dense", self.fn(name, self.dense(v)), e.shape)
        if name == "tr":
            return Val("dense", self.trace(a), e.shape)
        if name == "sum":
            return Val("dense", self.total(a), e.shape)
        if name == "det":
            v = self.value(a)
            if v.rep == "diag":
                return Val("dense", self.op("prod", (v.node,), (), ()), e.shape)
            return Val("dense", self.op("det", (self.dense(v),), (), ()), e.shape)
        if name == "logdet":
            v = self.value(a)
            if v.rep == "diag":
                return Val("dense", self.op("sum", (self.fn("log", v.node),), (), ()), e.shape)
            return Val("dense", self.op("logdet", (self.dense(v),), (), ()), e.shape)
        if name == "inv":
            v = self.value(a)
            if v.rep == "diag":
                return Val("diag", self.div(None, v.node), e.shape)
            if v.rep == "eye":
                return Val("eye", None, e.shape, self.div(None, v.scale) if v.scale is not None else None)
            if v.rep == "inv" and v.scale is None:
                return Val("dense", v.node, e.shape)
            return Val("inv", self.dense(v), e.shape)
        if name == "diag":
            if a.is_scalar:
                return self.value(a)
            if a.shape[0] == 1 or a.shape[1] == 1:  # vector -> diagonal matrix
                v = self.value(a)
                if v.rep == "ones":
                    return Val("eye", None, e.shape, v.scale)
                return Val("diag", self.dense(v), e.shape)
            if isinstance(a, Product) and len(a.chain) >= 2:
                return Val("dense", self.diag_chain(a), e.shape)
            v = self.value(a)
            if v.rep in ("eye", "ones"):
                return Val("ones", None, e.shape, v.scale)
            return Val("dense", self.diagonal_of(v), e.shape)
        if name == "norm2":
            v = self.value(a)
            x = v.node if v.rep == "diag" else self.dense(v)
            if not self.g[x].shape:
                return Val("dense", self.fn("abs", x), e.shape)
            return Val("dense", self.op("norm2", (x,), (), ()), e.shape)
        if name == "norm1":
            v = self.value(a)
            x = v.node if v.rep == "diag" else self.dense(v)
            if not self.g[x].shape:
                return Val("dense", self.fn("abs", x), e.shape)
            return Val("dense", self.op("sum", (self.fn("abs", x),), (), ()), e.shape)
        if name == "vec":
            x = self.dense_of(a)
            if self.g[x].ndim < 2:
                return Val("dense", x, e.shape)
            return Val("dense", self.op("vec", (x,), (), shape), e.shape)
        if name == "expm":
            v = self.value(a)
            if v.rep == "diag":
                return Val("diag", self.fn("exp", v.node), e.shape)
            return Val("dense", self.op("expm", (self.dense(v),), (), shape), e.shape)
        if name == "kron":
            b = e.args[1]
            x, y = self.dense_of(a), self.dense_of(b)
            orient = (_orient(a.shape), _orient(b.shape))
            return Val("dense", self.op("kron", (x, y), orient, shape), e.shape)
        raise NotSupportedError(f"cannot compile the function {name!r}")

    # -- matrix chains --
    def chain_parts(self, e: Product):
        """(scalar factor node or None, chain items or None when the product is zero)."""
        coeff = e.coeff
        scalars = list(e.scalars)
        factors: list[Expr] = []

        def flatten(chain):
            nonlocal coeff
            for f in chain:
                if isinstance(f, Transpose) and isinstance(f.arg, Product) and not f.arg.is_scalar:
                    p = f.arg
                    f = Product(p.coeff, p.scalars, tuple(E.transpose(g) for g in reversed(p.chain)))
                if isinstance(f, Product) and not f.is_scalar:
                    coeff = coeff * f.coeff
                    scalars.extend(f.scalars)
                    flatten(f.chain)
                elif f.is_scalar:
                    scalars.append((f, Fraction(1)))
                else:
                    factors.append(f)

        flatten(e.chain)
        sc = None if coeff == 1 else self.num(coeff)
        den = None
        for s, p in scalars:
            if isinstance(s, Func) and s.name == "norm2" and p == int(p) and int(p) % 2 == 0:
                x = self.pow(self.sumsq(s.args[0]), Fraction(abs(int(p)) // 2))
            else:
                x = self.pow(self.dense_of(s), abs(p))
            if p > 0:
                sc = self.mul(sc, x)
            else:
                den = self.mul(den, x)
        if den is not None:
            sc = self.div(sc, den)
        items: list[Item] = []
        for f in factors:
            got = self.items_of(f)
            if got is None:
                return sc, None
            extra, its = got
            sc = self.mul(sc, extra)
            items.extend(its)
        return sc, items

    def items_of(self, f: Expr):
        """(scalar factor, items) of one chain factor; None if it is zero."""
        rows, cols = _axis(f.shape[0]), _axis(f.shape[1])
        if isinstance(f, MatPow):
            k = f.exp
            if abs(k) <= MAX_CHAIN_POWER:
                if k == 0:
                    return None, []
                base = self.items_of(f.base if k > 0 else Func("inv", (f.base,)))
                if base is None:
                    return None
                s, its = base
                return (self.pow(s, abs(k)) if s is not None else None), its * abs(k)
            x = self.dense_of(f.base)
            if k < 0:
                x = self.op("inv", (x,), (), self.g[x].shape)
            return None, [Item("x", self.op("matpow", (x,), (abs(k),), self.g[x].shape), rows, cols)]
        if isinstance(f, Const) and f.kind == "ones" and (rows is None or cols is None):
            return None, [Item("o", None, rows, cols)]
        v = self.value(f)
        if v.rep == "zero":
            return None
        if v.rep == "eye":
            return v.scale, []
        if v.rep == "diag":
            return None, [Item("d", v.node, rows, cols)]
        if v.rep == "inv":
            return v.scale, [Item("i", v.node, rows, cols)]
        if v.rep == "ones" and (rows is None or cols is None):
            return v.scale, [Item("o", None, rows, cols)]
        return None, [Item("x", self.dense(v), rows, cols)]

    def lower_product(self, e: Product) -> Val:
        spread = self.distribute(e)
        if spread is not None:
            return self.value(spread)
        sc, items = self.chain_parts(e)
        if items is None:
            return Val("zero", None, e.shape)
        if not items:
            if e.is_scalar:
                return Val("dense", sc if sc is not None else self.num(1), e.shape)
            return Val("eye", None, e.shape, sc)
        if len(items) == 1:
            return self.item_val(items[0], sc, e.shape)
        sc_done = False
        if sc is not None:
            items, sc_done = self.scale_into(items, sc)
        out = self.chain(items)
        return self.item_val(out, None if sc_done else sc, e.shape)

    def distribute(self, e: Product) -> Expr | None:
        """(A + B)*x as A*x + B*x where the product is a vector or a scalar.

        Matrix-vector products then replace a matrix sum (and whatever the
        terms cost: B'*X*A' + B*X*A times x needs no matrix-matrix product),
        and no transpose or identity matrix is formed.
        """
        if 1 not in e.shape:
            return None
        sums = []
        for k, f in enumerate(e.chain):
            if _is_inverse(f):
                return None  # one solve beats one per term
            if isinstance(f, Transpose) and isinstance(f.arg, Add):
                f = Add(tuple(E.transpose(t) for t in f.arg.args))
            if isinstance(f, Add) and 1 not in f.shape:  # a sum of matrices (vectors add cheaply)
                sums.append((k, f))
        if not sums or math.prod(len(f.args) for _, f in sums) > MAX_DISTRIBUTED:
            return None
        k, f = sums[0]
        return Add(tuple(Product(e.coeff, e.scalars, e.chain[:k] + (t,) + e.chain[k + 1:])
                         for t in f.args))

    def item_val(self, it: Item, sc, shape) -> Val:
        if it.rep == "x":
            return Val("dense", self.mul(sc, it.node), shape)
        if it.rep == "d":
            return Val("diag", self.mul(sc, it.node), shape)
        if it.rep == "i":
            return Val("inv", it.node, shape, sc)
        return Val("ones", None, shape, sc)

    def scale_into(self, items: list[Item], sc) -> tuple[list[Item], bool]:
        """Multiply the scalar into the smallest factor when that is smaller than the result."""
        result = self.size(items[0].rows) * self.size(items[-1].cols)
        best, where = None, None
        for k, it in enumerate(items):
            if it.rep in ("x", "d"):
                sz = self.size(it.rows) * self.size(it.cols) if it.rep == "x" else self.size(it.rows)
                if best is None or sz < best:
                    best, where = sz, k
        if best is None or best >= result:
            return items, False
        it = items[where]
        items = list(items)
        items[where] = Item(it.rep, self.mul(sc, it.node), it.rows, it.cols)
        return items, True

    # cost model (multiply-adds; elementwise work counts one per entry)
    def _kind(self, items, i, j) -> str:
        if i == j:
            return items[i].rep
        return "d" if all(it.rep == "d" for it in items[i:j + 1]) else "x"

    def pair_cost(self, lk, lr, lc, rk, rr, rc, transposed=False) -> float:
        """The cost of one product; ``transposed``: the left factor is a transposed array,
        which a diagonal on its right would copy (XLA does), so scale the other side."""
        S = self.size
        if lc is None:  # an outer product
            return S(lr) * S(rc)
        n = S(lc)
        if lk == "d" and rk == "d":
            return n
        if lk == "o" or rk == "o":
            other, (r, c) = (rk, (rr, rc)) if lk == "o" else (lk, (lr, lc))
            if other == "i":
                return n ** 3 / 3 + n * n
            if other == "o":
                return n
            return S(r) * S(c)
        if lk == "d":
            return 1.01 * S(rr) * S(rc) if rk != "i" else n ** 3 + n * n
        if rk == "d":
            return (1.02 if transposed else 1) * S(lr) * S(lc) if lk != "i" else n ** 3 + n * n
        if lk == "i" and rk == "i":
            return 2 * n ** 3
        if lk == "i":
            return n ** 3 / 3 + n * n * S(rc)
        if rk == "i":
            return n ** 3 / 3 + n * n * S(lr)
        return S(lr) * n * S(rc)

    def order(self, items: list[Item]):
        """Dynamic programme over split points: (cost table, split table)."""
        k = len(items)
        cost = [[0.0] * k for _ in range(k)]
        split = [[0] * k for _ in range(k)]
        for length in range(2, k + 1):
            for i in range(k - length + 1):
                j = i + length - 1
                best = None
                for s in range(i, j):
                    c = (cost[i][s] + cost[s + 1][j] +
                         self.pair_cost(self._kind(items, i, s), items[i].rows, items[s].cols,
                                        self._kind(items, s + 1, j), items[s + 1].rows, items[j].cols,
                                        i == s and self._is_T(items[i])))
                    if best is None or c < best - 1e-9 * abs(best):
                        best, split[i][j] = c, s
                cost[i][j] = best
        return cost, split

    def _is_T(self, it: Item) -> bool:
        return it.rep == "x" and self.g[it.node].name == "T"

    def chain(self, items: list[Item]) -> Item:
        if len(items) == 1:
            return items[0]
        _, split = self.order(items)

        def build(i, j) -> Item:
            if i == j:
                return items[i]
            s = split[i][j]
            return self.times(build(i, s), build(s + 1, j))

        return build(0, len(items) - 1)

    def item_dense(self, it: Item) -> int:
        if it.rep == "x":
            return it.node
        if it.rep == "d":
            return self.op("diagmat", (it.node,), (), (it.rows, it.cols))
        if it.rep == "i":
            return self.op("inv", (it.node,), (), (it.rows, it.cols))
        shape = tuple(d for d in (it.rows, it.cols) if d is not None)
        return self.op("ones", (), (shape,), shape)

    def times(self, L: Item, R: Item) -> Item:
        """The product of two chain items."""
        rows, cols = L.rows, R.cols
        shape = tuple(d for d in (rows, cols) if d is not None)
        X = lambda node: Item("x", node, rows, cols)  # noqa: E731
        if L.cols is None:  # column times row: an outer product (or a scaling)
            a, b = self.item_dense(L), self.item_dense(R)
            if L.ndim == 0 or R.ndim == 0:
                return X(self.mul(a, b))
            return X(self.op("outer", (a, b), (), shape))
        n = L.cols
        if L.rep == "o" and R.rep == "o":
            return X(self.dimval(n))
        if L.rep == "o":  # ones' * R: sums of R's columns
            if R.rep == "d":
                return Item("x", R.node, None, R.cols)
            if R.rep == "i":
                ones = self.op("ones", (), ((n,),), (n,))
                return X(self.op("solve", (self.T(R.node), ones), (), shape))
            return X(self.sum_axis(R.node, 0))
        if R.rep == "o":  # L * ones: sums of L's rows
            if L.rep == "d":
                return Item("x", L.node, L.rows, None)
            if L.rep == "i":
                ones = self.op("ones", (), ((n,),), (n,))
                return X(self.op("solve", (L.node, ones), (), shape))
            return X(self.sum_axis(L.node, self.g[L.node].ndim - 1))
        if L.rep == "d" and R.rep == "d":
            return Item("d", self.mul(L.node, R.node), rows, cols)
        if L.rep == "d":
            r = self.item_dense(R)
            if self.g[r].ndim == 2:
                return X(self.op("rowscale", (L.node, r), (), shape))
            return X(self.mul(L.node, r))
        if R.rep == "d":
            return X(self.mul(self.item_dense(L), R.node))
        if L.rep == "i":
            if R.rep == "i":
                return X(self.op("solve", (L.node, self.item_dense(R)), (), shape))
            return X(self.op("solve", (L.node, R.node), (), shape))
        if R.rep == "i":  # L * inv(A) = solve(A', L')'
            A = self.T(R.node)
            if self.g[L.node].ndim == 1:
                return X(self.op("solve", (A, L.node), (), shape))
            return X(self.T(self.op("solve", (A, self.T(L.node)), (), shape[::-1])))
        a, b = L.node, R.node
        if self.g[a].ndim == 2 and self.g[b].ndim == 1 and self.g[a].name == "T":
            return X(self.op("matmul", (b, self.g[a].args[0]), (), shape))  # A'*x as x'*A
        if self.g[a].ndim == 1 and self.g[b].ndim == 2 and self.g[b].name == "T":
            return X(self.op("matmul", (self.g[b].args[0], a), (), shape))  # x'*A' as A*x
        return X(self.op("matmul", (a, b), (), shape))

    def sum_axis(self, x: int, axis: int) -> int:
        op = self.g[x]
        if op.ndim <= 1:
            return self.op("sum", (x,), (), ())
        return self.op("axsum", (x,), (axis,), op.shape[:axis] + op.shape[axis + 1:])

    # -- reductions of products --
    def trace(self, a: Expr) -> int:
        if a.is_scalar:
            return self.dense_of(a)
        if isinstance(a, Add):  # tr(A + B) = tr(A) + tr(B): each term's cheapest contraction
            terms = []
            for t in a.args:
                if isinstance(t, Product) and t.coeff < 0:
                    terms.append((-1, self.trace(_negated(t))))
                else:
                    terms.append((1, self.trace(t)))
            return self.signed_sum(terms)
        if isinstance(a, Product):
            sc, items = self.chain_parts(a)
            if items is None:
                return self.num(0)
            if not items:
                return self.mul(sc, self.dimval(a.shape[0]))
            return self.mul(sc, self.trace_chain(items))
        v = self.value(a)
        return self.trace_val(v, a.shape[0])

    def trace_val(self, v: Val, n) -> int:
        if v.rep == "zero":
            return self.num(0)
        if v.rep in ("eye", "ones"):
            return self.mul(v.scale, self.dimval(n))
        if v.rep == "diag":
            return self.op("sum", (v.node,), (), ())
        return self.op("trace", (self.dense(v),), (), ())

    def trace_chain(self, items: list[Item]) -> int:
        k = len(items)
        best = None  # (cost, rotation, split or None)
        for r in range(k):
            rot = items[r:] + items[:r]
            cost, _ = self.order(rot)
            if rot[0].rows is None and rot[-1].cols is None:
                cand = (cost[0][k - 1], r, None)
            else:
                cand = (cost[0][k - 1] + self.size(rot[0].rows), r, None)
                for s in range(k - 1):
                    lk, rk = self._kind(rot, 0, s), self._kind(rot, s + 1, k - 1)
                    if rot[s].cols is None:
                        continue
                    c = cost[0][s] + cost[s + 1][k - 1] + (
                        self.size(rot[0].rows) if "d" in (lk, rk) else
                        self.size(rot[0].rows) * self.size(rot[s].cols))
                    if lk in ("x", "d") and rk in ("x", "d") and c < cand[0]:
                        cand = (c, r, s)
            if best is None or cand[0] < best[0] - 1e-9 * abs(best[0]):
                best = cand
        _, r, s = best
        rot = items[r:] + items[:r]
        if s is None:
            out = self.chain(rot)
            if out.ndim == 0:
                return out.node
            if out.rep == "d":
                return self.op("sum", (out.node,), (), ())
            return self.op("trace", (self.item_dense(out),), (), ())
        L, R = self.chain(rot[:s + 1]), self.chain(rot[s + 1:])
        return self.pair_reduce(L, R, "trdot")

    def pair_reduce(self, L: Item, R: Item, how: str) -> int:
        """tr(L*R) ("trdot") or diag(L*R) ("diagdot") without forming L*R."""
        if L.rep == "d" or R.rep == "d":
            d, other = (L, R) if L.rep == "d" else (R, L)
            v = self.mul(d.node, self.op("diagonal", (self.item_dense(other),), (), (d.rows,)))
            return self.op("sum", (v,), (), ()) if how == "trdot" else v
        shape = () if how == "trdot" else (L.rows,)
        a, b = L.node, R.node
        ta, tb = self.g[a].name == "T", self.g[b].name == "T"
        if ta and tb:  # tr(A'*B') = tr(B*A), diag(A'*B') = diag(B*A)
            a, b = self.g[b].args[0], self.g[a].args[0]
        elif tb:  # tr(A*B') = sum(A .* B); diag(A*B') = row dots of A and B
            b = self.g[b].args[0]
            return self.op("vdot", (a, b), (2,), ()) if how == "trdot" else \
                self.op("rowdot", (a, b), (), shape)
        elif ta:  # tr(A'*B) = sum(A .* B); diag(A'*B) = column dots of A and B
            a = self.g[a].args[0]
            return self.op("vdot", (a, b), (2,), ()) if how == "trdot" else \
                self.op("coldot", (a, b), (), shape)
        return self.op(how, (a, b), (), shape)

    def diag_chain(self, a: Product) -> int:
        sc, items = self.chain_parts(a)
        n = a.shape[0]
        if items is None:
            return self.op("zeros", (), ((n,),), (n,))
        if not items:
            return self.dense(Val("ones", None, (n, 1), sc))
        k = len(items)
        cost, _ = self.order(items)
        best = (cost[0][k - 1] + self.size(n), None)
        for s in range(k - 1):
            lk, rk = self._kind(items, 0, s), self._kind(items, s + 1, k - 1)
            if items[s].cols is None or lk not in ("x", "d") or rk not in ("x", "d"):
                continue
            c = cost[0][s] + cost[s + 1][k - 1] + self.size(n) * (
                1 if "d" in (lk, rk) else self.size(items[s].cols))
            if c < best[0]:
                best = (c, s)
        s = best[1]
        if s is None:
            out = self.chain(items)
            v = out.node if out.rep == "d" else self.op("diagonal", (self.item_dense(out),), (), (n,))
        else:
            v = self.pair_reduce(self.chain(items[:s + 1]), self.chain(items[s + 1:]), "diagdot")
        return self.mul(sc, v)

    def total(self, a: Expr) -> int:
        """sum(a): a product's sum is ones'*a*ones, ordered with the chain."""
        if a.is_scalar:
            return self.dense_of(a)
        if isinstance(a, Product):
            sc, items = self.chain_parts(a)
            if items is None:
                return self.num(0)
            if items:
                if items[0].rows is not None:
                    items = [Item("o", None, None, items[0].rows)] + items
                if items[-1].cols is not None:
                    items = items + [Item("o", None, items[-1].cols, None)]
                return self.mul(sc, self.chain(items).node)
        if isinstance(a, Hadamard) and len(a.args) == 2:
            x, y = (self.value(t) for t in a.args)
            if x.rep == "dense" and y.rep == "dense":
                return self.op("vdot", (x.node, y.node), (self.g[x.node].ndim,), ())
        v = self.value(a)
        if v.rep == "zero":
            return self.num(0)
        if v.rep == "ones":
            return self.mul(v.scale, self.dimval(_count(a.shape)))
        if v.rep == "eye":
            return self.mul(v.scale, self.dimval(a.shape[0]))
        if v.rep == "diag":
            return self.op("sum", (v.node,), (), ())
        return self.op("sum", (self.dense(v),), (), ())


def _is_inverse(f: Expr) -> bool:
    if isinstance(f, Transpose):
        f = f.arg
    return (isinstance(f, Func) and f.name == "inv") or (isinstance(f, MatPow) and f.exp < 0)


def _negated(t: Product) -> Product:
    return Product(-t.coeff, t.scalars, t.chain)


def _orient(shape) -> str:
    r, c = shape
    if r == 1 and c == 1:
        return "s"
    if c == 1:
        return "c"
    if r == 1:
        return "r"
    return "m"


def _count(shape):
    r, c = shape
    if r == 1:
        return c
    if c == 1:
        return r
    return E._dim_mul(r, c)


def _fold(name: str, v: float):
    """An elementwise function of a number, or None where it is undefined."""
    try:
        if name == "sigmoid":
            return 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
        if name == "relu":
            return max(v, 0.0)
        if name == "sign":
            return float((v > 0) - (v < 0))
        f = {"exp": math.exp, "log": math.log, "sin": math.sin, "cos": math.cos, "tan": math.tan,
             "tanh": math.tanh, "sqrt": math.sqrt, "abs": abs, "arcsin": math.asin,
             "arccos": math.acos, "arctan": math.atan}[name]
        out = f(v)
        return out if math.isfinite(out) else None
    except (ValueError, OverflowError, KeyError):
        return None
