"""From typed ``Expr`` trees to a backend-neutral program of array operations.

``Lowering`` walks the trees of a value and of its derivatives and builds
one ``Graph`` (``graph``) for all of them.  Some values stay *lazy* while
they are only operands (``Val``): ``diag(v)`` is kept as its diagonal ``v``,
``inv(A)`` as ``A`` (so that ``inv(A)*B`` becomes ``solve(A, B)``), ``s*I``
and ``s*ones`` as the scalar ``s``; they are materialised only where nothing
cheaper exists.  Products become chains of ``Item``s, multiplied in the
order ``chains`` chooses.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from .. import clock
from ..dims import dim_mul
from ..errors import NotSupportedError
from ..expr import Add, Const, Expr, Func, Hadamard, MatPow, Num, Power, Product, Transpose, Var
from .. import expr as E
from ..functions import ELEMENTWISE, FUNCTIONS, POWER
from .chains import ChainBuilder, Item, axis_of
from .commute import Commuting
from .graph import array_shape

# A matrix power with an exponent up to this is written as a product (a chain).
MAX_CHAIN_POWER = 8
# At most this many products come from multiplying out sums in a matrix-vector chain.
MAX_DISTRIBUTED = 16


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


class Lowering(ChainBuilder, Commuting):
    """Builds the operations of many Expr trees into one graph."""

    def __init__(self, args: dict[str, str], dims: dict | None = None):
        """``args``: variable name -> parameter name in the generated code."""
        super().__init__(dims)
        self.args = args
        self.memo: dict[Expr, Val] = {}

    def root(self, e: Expr) -> int:
        """The node computing ``e`` (materialised)."""
        try:
            return self.dense(self.value(e))
        except RecursionError:
            raise NotSupportedError("the expression is too deeply nested to compile") from None

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
            clock.tick()
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
            if e.kind == "K":  # standing alone (not in a product): K(m,n)*I
                return D(self.commute(self.dense(Val("eye", None, e.shape)), *e.size))
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

    # -- functions --
    def lower_func(self, e: Func) -> Val:
        name = e.name
        a = e.args[0]
        shape = array_shape(e.shape)
        if _elementwise(name):
            v = self.value(a)
            if v.rep == "diag" and FUNCTIONS[name].at_zero == 0:  # f(0) = 0 keeps it diagonal
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
                return Val("dense", self.op("sum", (self.on_entries(name, v.node),), (), ()), e.shape)
            return Val("dense", self.op("logdet", (self.dense(v),), (), ()), e.shape)
        if name == "adj":
            return Val("dense", self.op("adj", (self.dense_of(a),), (), shape), e.shape)
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
        if name in ("norm2", "norm1"):  # the norms of a diagonal matrix are its diagonal's
            v = self.value(a)
            x = v.node if v.rep == "diag" else self.dense(v)
            return Val("dense", self.fn(name, x, ()), e.shape)
        if name == "vec":
            x = self.dense_of(a)
            if self.g[x].ndim < 2:
                return Val("dense", x, e.shape)
            return Val("dense", self.op("vec", (x,), (), shape), e.shape)
        if name == "expm":
            v = self.value(a)
            if v.rep == "diag":
                return Val("diag", self.on_entries(name, v.node), e.shape)
            return Val("dense", self.op("expm", (self.dense(v),), (), shape), e.shape)
        if name == "kron":
            b = e.args[1]
            x, y = self.dense_of(a), self.dense_of(b)
            orient = (_orient(a.shape), _orient(b.shape))
            return Val("dense", self.op("kron", (x, y), orient, shape), e.shape)
        if FUNCTIONS[name].kind == POWER:   # u.^v, v a scalar: the table's spelling of both
            x, y = self.dense_of(a), self.dense_of(e.args[1])
            if self.is_num(x) and self.is_num(y) and self.numval(x) > 0:   # torch.pow takes no 2 numbers
                return Val("dense", self.num(float(self.numval(x)) ** float(self.numval(y))), e.shape)
            return Val("dense", self.op("fn", (x, y), (name,), shape), e.shape)
        if len(e.args) == 1:   # any other function of one array: the table's spelling, on dense arrays
            return Val("dense", self.fn(name, self.dense_of(a), shape), e.shape)
        raise NotSupportedError(f"cannot compile the function {name!r}")

    def on_entries(self, name: str, x: int) -> int:
        """A matrix function's scalar form (functions.py's ``on_scalar``) on each entry of ``x``:
        on a diagonal matrix, logdet sums and expm keeps what it is on each 1×1 block."""
        form = FUNCTIONS[name].on_scalar(_ENTRY, E)
        if not (isinstance(form, Func) and form.args == (_ENTRY,) and _elementwise(form.name)):
            raise NotSupportedError(f"cannot compile {name} of a diagonal matrix")
        return self.fn(form.name, x)

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
        factors, permuted = self.commuted(factors)
        items: list[Item] = []
        for f in factors:
            got = self.items_of(f)
            if got is None:
                return sc, None
            extra, its = got
            sc = self.mul(sc, extra)
            items.extend(its)
        return sc, items + permuted

    def items_of(self, f: Expr):
        """(scalar factor, items) of one chain factor; None if it is zero."""
        rows, cols = axis_of(f.shape[0]), axis_of(f.shape[1])
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
        return self.chain_val(e, sc, items)

    def chain_val(self, e: Product, sc, items) -> Val:
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

    def diag_chain(self, a: Product) -> int:
        sc, items = self.chain_parts(a)
        n = a.shape[0]
        if items is None:
            return self.op("zeros", (), ((n,),), (n,))
        if not items:
            return self.dense(Val("ones", None, (n, 1), sc))
        return self.mul(sc, self.diag_items(items, n))

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


# A placeholder scalar: a matrix function's scalar form is read from the table at it.
_ENTRY = Var("_entry", E.SCALAR)


def _elementwise(name: str) -> bool:
    f = FUNCTIONS.get(name)
    return f is not None and f.kind == ELEMENTWISE


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
    return dim_mul(r, c)
