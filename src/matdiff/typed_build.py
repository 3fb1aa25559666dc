"""Pass 2 of typing: name the unknown dimensions and build the typed ``Expr`` from the parse tree.

A mixin of ``shapes.Typer``: it reads the shapes pass 1 inferred (``self.shape``).
"""
from __future__ import annotations

import math
from fractions import Fraction

from . import expr as E
from .decls import DIM_NAMES
from .dims import DimVar, dim_mul
from .errors import ParseError, ShapeError
from .functions import FUNCTIONS
from .parse import SIZED, Node

NOT_FINITE = {"nan", "NaN", "NAN", "inf", "Inf", "INF", "infinity", "Infinity"}
# What a constant exponent is made of (shapes.Typer.constant folds it to a number).
CONSTANT_OPS = {"num", "neg", "pow", "add", "sub", "mul", "div", "transpose"}


def is_constant(root: Node) -> bool:
    """Whether an exponent is a constant number expression (``2``, ``-1/2``, ``2^3``); otherwise
    it is a scalar expression and ``u^v`` builds ``pow(u, v)``."""
    stack = [root]
    while stack:
        n = stack.pop()
        if n.op == "name" and n.value in NOT_FINITE:
            continue
        if n.op not in CONSTANT_OPS:
            return False
        stack.extend(n.args)
    return True


def operands(n: Node) -> list[Node]:
    """The children that are built as expressions: a constant exponent is folded instead."""
    if n.op in ("pow", "epow") and is_constant(n.args[1]):
        return n.args[:1]
    return n.args


class TreeBuilder:
    def resolve_names(self):
        used = {v for v in self.named if isinstance(v, str)}
        pool = [d for d in DIM_NAMES if d not in used] + [f"n{i}" for i in range(1, 1000)]
        roots = {}
        for shp in list(self.shape.values()) + list(self.var_shape.values()):
            for d in shp:
                r = d.find()
                if r.value is None:
                    if r.default_one:
                        r.value = 1
                    elif id(r) not in roots:
                        roots[id(r)] = r
        # name unknown dims in the order variables were first used; vec/kron sizes last
        for r in roots.values():
            if not r.product:
                r.value = pool.pop(0)
        for r in roots.values():
            if r.product:
                r.value = self._product_value(r)

    def _product_value(self, r: DimVar):
        a, b = (self._product_value(d.find()) if d.find().value is None else d.find().value
                for d in r.product)
        return dim_mul(a, b)

    def dim(self, d: DimVar):
        return d.find().value

    def size_ties(self) -> tuple:
        """The equations between sizes that unification merged away (a vec/kron size m*n used
        where p is): ``((m*n, p), ...)``, trivial ones left out; two numbers that differ (a
        kron of sizes 2 and 3 where 7 is declared) are a ``ShapeError`` at the place."""
        out = []
        for product, other, node in self.ties:
            a, b = self._product_value(product), self.dim(other)
            if a == b or (a, b) in out or (b, a) in out:
                continue
            if isinstance(a, int) and isinstance(b, int):
                pos, end = (node.pos, node.end) if node is not None else (0, len(self.text))
                parts = "*".join(str(self.dim(d)) for d in product.product)
                raise ShapeError(f"sizes do not fit: a vec or kron of size {parts} = {a} is used "
                                 f"where the size is {b}", pos, end, source=self.text)
            out.append((a, b))
        return tuple(out)

    def build(self, root: Node) -> E.Expr:
        built: dict[int, E.Expr] = {}
        stack = [(root, False)]
        while stack:
            n, done = stack.pop()
            if not done:
                stack.append((n, True))
                if not (n.op == "call" and n.value in SIZED):
                    stack.extend((c, False) for c in reversed(operands(n)))
                continue
            self.check_time()
            kids = [] if (n.op == "call" and n.value in SIZED) else operands(n)
            built[id(n)] = self.make(n, [built[id(c)] for c in kids])
        return built[id(root)]

    def shape_of(self, n: Node):
        r, c = self.shape[id(n)]
        return (self.dim(r), self.dim(c))

    def make(self, n: Node, args: list[E.Expr]) -> E.Expr:
        op = n.op
        if op == "num":
            v = n.value
            if isinstance(v, float) and not math.isfinite(v):
                raise ParseError("number too large", n.pos, n.end, source=self.text)
            if isinstance(v, float) and not v.is_integer():
                return E.Num(Fraction(str(v)) if len(repr(v)) < 18 else v)
            return E.Num(int(v))
        if op == "name":
            shp = self.shape_of(n)
            if n.value == "I":
                return E.identity(shp[0])
            if n.value == "ones":
                return E.ones(shp)
            d = self.decls.get(n.value)
            return E.Var(n.value, shp, d.props if d else ())
        if op == "transpose":
            return E.transpose(args[0])
        if op == "neg":
            return E.neg(args[0])
        if op in ("add", "sub"):
            if args[0].is_scalar != args[1].is_scalar:  # a broadcast scalar is s*ones
                shp = self.shape_of(n)
                args = [E.mul(a, E.ones(shp)) if a.is_scalar else a for a in args]
            return E.add(*args) if op == "add" else E.sub(*args)
        if op == "mul":
            return E.mul(*args)
        if op == "hmul":
            return E.hadamard(*args)
        if op == "hdiv":
            a, b = args
            if E.is_zero(b):
                raise ShapeError(f"{self.src(n)}: division by zero", n.pos, n.end, source=self.text)
            if b.is_scalar:
                return E.divide(a, b)
            return E.hadamard(a, E.Power(b, -1))
        if op == "div":
            if E.is_zero(args[1]):
                raise ShapeError(f"{self.src(n)}: division by zero", n.pos, n.end, source=self.text)
            return E.divide(*args)
        if op in ("pow", "epow") and len(args) == 2:   # u^v, v a scalar expression
            return E.func("pow", *args)
        if op in ("pow", "epow"):
            k = self.constant(n.args[1])
            base = args[0]
            if E.is_zero(base) and k < 0:
                raise ShapeError(f"{self.src(n)}: division by zero", n.pos, n.end, source=self.text)
            if op == "epow" or base.is_scalar:
                if k == 0:
                    return E.ones(base.shape) if not base.is_scalar else E.Num(1)
                return E.power(base, k)
            k = int(k)
            if k == 0:
                return E.identity(base.shape[0])
            if k == 1:
                return base
            if k == -1:
                return E.func("inv", base)
            return E.MatPow(base, k)
        if op == "call" and n.value == "I":
            return E.Const("eye", self.shape_of(n))
        if op == "call" and n.value == "ones":
            return E.ones(self.shape_of(n))
        if op == "call" and n.value == "K":
            return E.commutation(*(self.dim(self.declared_dim(a.value)) for a in n.args))
        if op == "call":
            name = n.value
            if name in ("vector", "matrix"):
                return E.mul(E.Num(self.constant(n.args[0])), E.ones(self.shape_of(n)))
            a = args[0]
            on_scalar = FUNCTIONS[name].on_scalar
            if a.is_scalar and on_scalar is not None:   # tr(s) = s, logdet(s) = log(s), ...
                return on_scalar(a, E)
            if name == "diag" and a.shape[0] == 1:
                a = E.transpose(a)  # diag of a row vector: same diagonal matrix
            return E.Func(name, args)
        raise AssertionError(op)
