"""The typed matrix-expression tree.

Every node knows its shape as a pair ``(rows, cols)`` of dimensions; a
dimension is an ``int``, a symbolic name (``"n"``) or a product of them
(``dims.Dim``, the size of a vec or kron result).  A column vector is
``(n, 1)``, a row vector ``(1, n)``, a scalar ``(1, 1)``.  Nodes are
immutable and compare structurally, so the simplifier can use them as
dictionary keys.

The constructors here only build; they do not simplify (that is
``simplify.py``) and do not check user input (that is ``shapes.py``,
which reports conflicts with positions).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Iterable

from . import functions as F
from .dims import Dim as DimProduct
from .dims import dim_mul

Dim = int | str | DimProduct   # a number, a name, or a product (vec, kron)
Shape = tuple[Dim, Dim]
SCALAR: Shape = (1, 1)

# The text printer (render/text.py) puts itself here when it loads (matdiff/__init__.py loads
# it): a node's repr and its canonical sort key are its text; the printer sits above expr.
TEXT: list = [None]

# The elementwise functions' names (their entries: functions.py), kept for codegen until it
# reads the table.
ELEMENTWISE = F.ELEMENTWISE_NAMES


def is_scalar(shape: Shape) -> bool:
    return shape == SCALAR


def is_vector_shape(shape: Shape) -> bool:
    """A column or a row vector (exactly one axis that is not 1)."""
    return (shape[0] == 1) != (shape[1] == 1)


def axes(shape: Shape) -> tuple[Dim, ...]:
    """The tensor axes of a shape: the dimensions that are not 1.

    In index notation a column vector and a row vector are the same
    1-index tensor; orientation is a matter of matrix notation only.
    """
    return tuple(d for d in shape if d != 1)


class Expr:
    """Base of all nodes. Subclasses set ``shape`` and ``_key``."""
    __slots__ = ("shape", "_key", "_hash")

    def _init(self, shape: Shape, key: tuple) -> None:
        self.shape = shape
        self._key = (type(self).__name__,) + key
        self._hash = hash(self._key)

    def __eq__(self, other):
        return isinstance(other, Expr) and self._hash == other._hash and self._key == other._key

    def __hash__(self):
        return self._hash

    def __repr__(self):
        return f"<{type(self).__name__} {TEXT[0](self)}>"

    @property
    def children(self) -> tuple["Expr", ...]:
        return ()

    def rebuild(self, children: tuple["Expr", ...]) -> "Expr":
        """The same node over new children (used by generic tree walks)."""
        return self

    @property
    def is_scalar(self) -> bool:
        return self.shape == SCALAR

    def sort_key(self) -> str:
        """A total order used for canonical term and factor order: the text form."""
        return TEXT[0](self)


class Var(Expr):
    __slots__ = ("name", "props")

    def __init__(self, name: str, shape: Shape, props: Iterable[str] = ()):
        self.name = name
        self.props = frozenset(props)
        self._init(shape, (name, shape, tuple(sorted(self.props))))

    @property
    def symmetric(self) -> bool:
        return bool(self.props & {"symmetric", "spd", "diagonal"})


class Num(Expr):
    """A scalar constant; exact (Fraction) when it can be."""
    __slots__ = ("value",)

    def __init__(self, value):
        if isinstance(value, float) and value.is_integer():
            value = Fraction(int(value))
        elif isinstance(value, int):
            value = Fraction(value)
        self.value = value
        self._init(SCALAR, (value,))


class Const(Expr):
    """A structured constant with a shape: ``I`` (identity), ``ones``, or a zero array.

    ``kind`` is "I", "ones" or "zero"; "eye" is an identity written with its size,
    ``I(n)``, as Kronecker forms need (``kron(A', I(m))``); "K" is the commutation matrix
    ``K(m,n)`` (``size`` = (m, n)): ``K(m,n)*vec(A) = vec(A')`` for an m×n ``A``."""
    __slots__ = ("kind", "size")

    def __init__(self, kind: str, shape: Shape, size: tuple[Dim, Dim] | None = None):
        self.kind = kind
        self.size = size
        self._init(shape, (kind, shape) if size is None else (kind, shape, size))


def commutation(m: Dim, n: Dim) -> Const:
    """K(m,n), the mn×mn permutation with K(m,n)*vec(A) = vec(A') (A m×n); K(m,1) = I(m)."""
    mn = dim_mul(m, n)
    if m == 1 or n == 1:
        return Const("eye", (mn, mn))
    return Const("K", (mn, mn), (m, n))


def is_commutation(e: Expr) -> bool:
    return isinstance(e, Const) and e.kind == "K"


def identity(n: Dim) -> Const:
    return Const("I", (n, n))


def ones(shape: Shape) -> Const:
    return Const("ones", shape)


def zero(shape: Shape) -> Expr:
    return Num(0) if shape == SCALAR else Const("zero", shape)


def is_zero(e: Expr) -> bool:
    return (isinstance(e, Num) and e.value == 0) or (isinstance(e, Const) and e.kind == "zero")


class _Nary(Expr):
    """Two or more operands of one shape (a sum, an elementwise product)."""
    __slots__ = ("args",)

    def __init__(self, args: Iterable[Expr]):
        self.args = tuple(args)
        self._init(self.args[0].shape, tuple(self.args))

    @property
    def children(self):
        return self.args

    def rebuild(self, children):
        return type(self)(children)


class Add(_Nary):
    """A sum of two or more terms of one shape."""
    __slots__ = ()


class Product(Expr):
    """``coeff * scalars... * chain...``: a number, scalar factors that
    commute (each with an integer or fractional power; a negative power is
    a division) and a matrix-product chain of non-scalar factors in order.

    This single node covers scaling, negation, division by a scalar and
    the matrix product, so that the simplifier sees one canonical form.
    An empty chain makes a scalar.
    """
    __slots__ = ("coeff", "scalars", "chain")

    def __init__(self, coeff, scalars: Iterable[tuple[Expr, Fraction]], chain: Iterable[Expr]):
        self.coeff = coeff if isinstance(coeff, (Fraction, float)) else Fraction(coeff)
        self.scalars = tuple(scalars)
        self.chain = tuple(chain)
        if self.chain:
            shape = (self.chain[0].shape[0], self.chain[-1].shape[1])
        else:
            shape = SCALAR
        self._init(shape, (self.coeff, self.scalars, self.chain))

    @property
    def children(self):
        return tuple(s for s, _ in self.scalars) + self.chain

    def rebuild(self, children):
        k = len(self.scalars)
        return Product(self.coeff, [(c, p) for c, (_, p) in zip(children[:k], self.scalars)],
                       children[k:])


class Hadamard(_Nary):
    """Elementwise product of two or more operands of one shape."""
    __slots__ = ()


class Power(Expr):
    """Elementwise power ``a .^ k`` (for a scalar ``a``, the ordinary ``a^k``).

    ``k`` is a Fraction or float; ``a .^ -1`` is printed as a quotient."""
    __slots__ = ("base", "exp")

    def __init__(self, base: Expr, exp):
        self.base = base
        self.exp = exp if isinstance(exp, (Fraction, float)) else Fraction(exp)
        self._init(base.shape, (base, self.exp))

    @property
    def children(self):
        return (self.base,)

    def rebuild(self, children):
        return Power(children[0], self.exp)


class MatPow(Expr):
    """Matrix power ``X^k`` of a square matrix, integer ``k`` (negative: of the inverse)."""
    __slots__ = ("base", "exp")

    def __init__(self, base: Expr, exp: int):
        self.base = base
        self.exp = int(exp)
        self._init(base.shape, (base, self.exp))

    @property
    def children(self):
        return (self.base,)

    def rebuild(self, children):
        return MatPow(children[0], self.exp)


class Transpose(Expr):
    __slots__ = ("arg",)

    def __init__(self, arg: Expr):
        self.arg = arg
        self._init((arg.shape[1], arg.shape[0]), (arg,))

    @property
    def children(self):
        return (self.arg,)

    def rebuild(self, children):
        return Transpose(children[0])


def func_shape(name: str, args: tuple[Expr, ...]) -> Shape:
    """Result shape of a function call on well-typed arguments."""
    a = args[0].shape
    kind = F.FUNCTIONS[name].kind if name in F.FUNCTIONS else None
    if kind in (F.ELEMENTWISE, F.SAME_SHAPE, F.SQUARE_TO_SQUARE, F.POWER):
        return a
    if kind in (F.SQUARE_TO_SCALAR, F.ANY_TO_SCALAR):
        return SCALAR
    if kind == F.DIAG:
        if is_vector_shape(a):
            n = axes(a)[0]
            return (n, n)
        return (a[0], 1)
    if kind == F.VEC:
        return (dim_mul(a[0], a[1]), 1)
    if kind == F.KRON:
        b = args[1].shape
        return (dim_mul(a[0], b[0]), dim_mul(a[1], b[1]))
    raise KeyError(name)


class Func(Expr):
    __slots__ = ("name", "args")

    def __init__(self, name: str, args: Iterable[Expr]):
        self.name = name
        self.args = tuple(args)
        self._init(func_shape(name, self.args), (name, self.args))

    @property
    def children(self):
        return self.args

    def rebuild(self, children):
        return Func(self.name, children)


# ---- small constructors (no simplification beyond flattening) ----------------

def mul(*factors: Expr, coeff=1) -> Expr:
    """Product of factors: scalars are collected, non-scalars chained in order."""
    c = Fraction(coeff) if not isinstance(coeff, float) else coeff
    scalars: list[tuple[Expr, Fraction]] = []
    chain: list[Expr] = []
    for f in factors:
        if isinstance(f, Num):
            c = c * f.value
        elif isinstance(f, Product) and (not f.is_scalar or not f.chain):
            c = c * f.coeff
            scalars.extend(f.scalars)
            chain.extend(f.chain)
        elif f.is_scalar:
            scalars.append((f, Fraction(1)))
        else:
            chain.append(f)
    if not scalars and not chain:
        return Num(c)
    if c == 1 and not chain and len(scalars) == 1 and scalars[0][1] == 1:
        return scalars[0][0]
    if c == 1 and not scalars and len(chain) == 1:
        return chain[0]
    return Product(c, scalars, chain)


def scale(c, e: Expr) -> Expr:
    return mul(e, coeff=c)


def neg(e: Expr) -> Expr:
    return mul(e, coeff=-1)


def add(*terms: Expr) -> Expr:
    flat: list[Expr] = []
    for t in terms:
        if isinstance(t, Add):
            flat.extend(t.args)
        elif not is_zero(t):
            flat.append(t)
    if not flat:
        return zero(terms[0].shape)
    return flat[0] if len(flat) == 1 else Add(flat)


def sub(a: Expr, b: Expr) -> Expr:
    return add(a, neg(b))


def divide(a: Expr, s: Expr) -> Expr:
    """``a / s`` for a scalar ``s``."""
    if isinstance(s, Num):
        return scale(1 / s.value if isinstance(s.value, float) else Fraction(1) / s.value, a)
    return mul(a, Product(1, [(s, Fraction(-1))], ()))


def hadamard(*args: Expr) -> Expr:
    """Elementwise product; a scalar operand scales instead."""
    scalars = [a for a in args if a.is_scalar]
    rest = [a for a in args if not a.is_scalar]
    flat: list[Expr] = []
    for a in rest:
        flat.extend(a.args if isinstance(a, Hadamard) else (a,))
    if not flat:
        return mul(*scalars)
    body = flat[0] if len(flat) == 1 else Hadamard(flat)
    return mul(*scalars, body) if scalars else body


def power(base: Expr, k) -> Expr:
    """Elementwise power (ordinary power for a scalar base)."""
    if isinstance(base, Num) and not isinstance(base.value, float) and Fraction(k).denominator == 1 \
            and not (base.value == 0 and k < 0):
        return Num(base.value ** int(k))
    if k == 1:
        return base
    return Power(base, k)


def transpose(e: Expr) -> Expr:
    if e.is_scalar:
        return e
    if isinstance(e, Transpose):
        return e.arg
    return Transpose(e)


def func(name: str, *args: Expr) -> Expr:
    return Func(name, args)


def walk(e: Expr):
    """All distinct nodes, pre-order (shared sub-trees are visited once)."""
    stack = [e]
    seen: set[int] = set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        yield n
        stack.extend(reversed(n.children))


def variables(e: Expr) -> dict[str, Var]:
    return {n.name: n for n in walk(e) if isinstance(n, Var)}


def depends_on(e: Expr, name: str) -> bool:
    return any(isinstance(n, Var) and n.name == name for n in walk(e))
