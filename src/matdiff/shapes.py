"""Kinds, declarations and symbolic dimensions: from an untyped parse tree to a typed ``Expr``.

Dimensions are inferred by unification (union-find over dimension
variables).  Declared dimensions are named symbols (``n``) or integers;
two different ones never unify, and the error names both uses.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from fractions import Fraction

from . import expr as E
from .errors import DeclarationError, LimitError, ParseError, ShapeError, UnknownNameError
from .parse import CONSTANTS, Node, parse

PROPERTIES = ("symmetric", "invertible", "spd", "diagonal", "positive")
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
         "lambda", "lam", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon",
         "phi", "chi", "psi", "omega"}
NOT_FINITE = {"nan", "NaN", "NAN", "inf", "Inf", "INF", "infinity", "Infinity"}
DEFAULT_MAX_POWER = 64
# Names offered to dimensions nobody named, in this order.
DIM_NAMES = ("n", "m", "p", "q", "r", "k", "l", "s", "u", "v", "w")


# ---- declarations ------------------------------------------------------------

@dataclass
class Decl:
    name: str
    kind: str                   # scalar | vector | matrix
    dims: tuple                 # () | (d,) | (d1, d2): ints or names
    props: frozenset = field(default_factory=frozenset)


_DECL = re.compile(r"^\s*(?:(?P<name>[A-Za-z_\u0370-\u03ff][\w\u0370-\u03ff]*)\s*:\s*)?"
                   r"(?P<kind>[A-Za-z]+)\s*(?:\((?P<dims>[^()]*)\))?\s*(?P<props>[^()]*?)\s*$")


def parse_decl(spec: str, name: str | None = None) -> Decl:
    """``"x: vector(n)"`` or (with ``name``) ``"matrix(n,n) symmetric"`` -> Decl."""
    if not isinstance(spec, str):
        raise DeclarationError(f"declaration of {name!r} must be a string like 'matrix(n,n)'")
    m = _DECL.match(spec)
    if not m:
        if spec.count("(") != spec.count(")"):
            raise DeclarationError(f"unbalanced parentheses in declaration {spec!r}",
                                   spec.find("("), source=spec)
        raise DeclarationError(f"bad declaration {spec!r}: write e.g. 'x: vector(n)' or "
                               f"'A: matrix(n,n) symmetric'", 0, source=spec)
    nm = m.group("name") or name
    if nm is None:
        raise DeclarationError(f"declaration {spec!r} names no variable: write 'x: vector(n)'",
                               0, source=spec)
    kind = m.group("kind")
    if kind not in ("scalar", "vector", "matrix"):
        import difflib
        near = difflib.get_close_matches(kind, ["scalar", "vector", "matrix"], n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise DeclarationError(f"unknown kind {kind!r} for {nm}{hint}", m.start("kind"),
                               m.end("kind"), source=spec)
    dims: list = []
    if m.group("dims") is not None:
        for part in m.group("dims").split(","):
            part = part.strip()
            if re.fullmatch(r"\d+", part):
                if int(part) < 1:
                    raise DeclarationError(f"dimension {part} of {nm} must be positive",
                                           m.start("dims"), source=spec)
                dims.append(int(part))
            elif re.fullmatch(r"[A-Za-z_]\w*", part):
                dims.append(part)
            else:
                raise DeclarationError(f"bad dimension {part!r} in the declaration of {nm}",
                                       m.start("dims"), m.end("dims"), source=spec)
    want = {"scalar": 0, "vector": 1, "matrix": 2}[kind]
    if m.group("dims") is not None and len(dims) != want:
        raise DeclarationError(f"{nm}: a {kind} takes {want} dimension{'s' if want != 1 else ''}, "
                               f"got {len(dims)}", m.start("dims"), m.end("dims"), source=spec)
    props = frozenset(m.group("props").replace(",", " ").split())
    bad = props - set(PROPERTIES)
    if bad:
        raise DeclarationError(f"unknown propert{'ies' if len(bad) > 1 else 'y'} "
                               f"{', '.join(sorted(bad))} for {nm} (known: {', '.join(PROPERTIES)})",
                               m.start("props"), m.end("props"), source=spec)
    if props - {"positive"} and kind != "matrix":
        raise DeclarationError(f"{nm}: {', '.join(sorted(props - {'positive'}))} needs a matrix",
                               m.start("props"), source=spec)
    if props - {"positive"} and len(dims) == 2 and dims[0] != dims[1] \
            and isinstance(dims[0], int) and isinstance(dims[1], int):
        raise DeclarationError(f"{nm}: {', '.join(sorted(props))} needs a square matrix", 0,
                               source=spec)
    return Decl(nm, kind, tuple(dims), props)


def parse_decls(vars) -> dict[str, Decl]:
    """Declarations from a dict ``{name: spec}``, a list of ``"name: spec"``, or one string
    with declarations separated by ``;`` or newlines."""
    out: dict[str, Decl] = {}
    if vars is None:
        return out
    if isinstance(vars, dict):
        items = [(k, v) for k, v in vars.items()]
    else:
        if isinstance(vars, str):
            vars = [s for s in re.split(r"[;\n]", vars) if s.strip()]
        items = [(None, v) for v in vars]
    for name, spec in items:
        if isinstance(spec, Decl):
            d = spec
        else:
            d = parse_decl(spec, name)
        if name is not None and d.name != name:
            raise DeclarationError(f"declaration for {name!r} names {d.name!r}")
        if d.name in out:
            raise DeclarationError(f"{d.name} is declared twice")
        if d.name in E.FUNCTIONS or d.name in CONSTANTS:
            raise DeclarationError(f"{d.name!r} is a function or constant name and cannot be declared")
        out[d.name] = d
    return out


def convention_kind(name: str, types: str = "default") -> str:
    """The kind of an undeclared name (LANGUAGE.md §2, or matrixcalculus.org's convention)."""
    if name[0].isupper():
        return "matrix"
    if types == "matrixcalculus":
        return "scalar" if name[0] in "abcdefg" else "vector"
    if name in GREEK or "\u0370" <= name[0] <= "\u03ff":
        return "scalar"
    return "vector"


# ---- unification -------------------------------------------------------------

class DimVar:
    """A dimension not yet known; ``value`` is an int or a declared name once bound."""
    __slots__ = ("parent", "value", "default_one", "product")

    def __init__(self, value=None, default_one: bool = False, product=None):
        self.parent = None
        self.value = value
        self.default_one = default_one
        self.product = product  # (DimVar, DimVar) for the size of vec/kron results

    def find(self) -> "DimVar":
        node = self
        while node.parent is not None:
            node = node.parent
        return node


def _dim(d) -> DimVar:
    return d if isinstance(d, DimVar) else DimVar(d)


def show_dim(d: DimVar) -> str:
    v = d.find().value
    return "?" if v is None else str(v)


class Typer:
    def __init__(self, text: str, decls: dict[str, Decl], types: str = "default",
                 max_power: int = DEFAULT_MAX_POWER):
        self.text = text
        self.decls = decls
        self.types = types
        self.max_power = max_power
        self.var_shape: dict[str, tuple[DimVar, DimVar]] = {}
        self.var_first_use: dict[str, Node] = {}
        self.shape: dict[int, tuple[DimVar, DimVar]] = {}  # id(node) -> shape
        self.named: dict[object, DimVar] = {}  # declared dim value -> its DimVar

    def src(self, node: Node) -> str:
        return self.text[node.pos:node.end].strip()

    def fail(self, node: Node, message: str) -> ShapeError:
        return ShapeError(message, node.pos, node.end, source=self.text)

    def declared_dim(self, d) -> DimVar:
        if d not in self.named:
            self.named[d] = DimVar(d)
        return self.named[d]

    def unify(self, a: DimVar, b: DimVar) -> bool:
        ra, rb = a.find(), b.find()
        if ra is rb:
            return True
        if ra.value is not None and rb.value is not None:
            return ra.value == rb.value
        # an unknown dimension of a vector or matrix is never 1 (that would silently turn
        # a vector into a scalar); only the flexible second axis of `ones` may be
        if (ra.value == 1 and rb.value is None and not rb.default_one) or \
                (rb.value == 1 and ra.value is None and not ra.default_one):
            return False
        if ra.value is None and rb.value is None and ra.product and not rb.product:
            ra, rb = rb, ra  # keep the product rule on the root
        if ra.value is None:
            ra.parent = rb
            rb.default_one = rb.default_one and ra.default_one if rb.value is None else False
        else:
            rb.parent = ra
        return True

    def is_one(self, d: DimVar) -> bool:
        r = d.find()
        if r.value is None and r.default_one:
            r.value = 1  # a flexible ones() axis used where a scalar is wanted
        return r.value == 1

    def scalar(self, node: Node) -> bool:
        r, c = self.shape[id(node)]
        return self.is_one(r) and self.is_one(c)

    # -- pass 1: infer shapes --
    def infer(self, node: Node):
        """Post-order without recursion (depth was limited by the parser anyway)."""
        stack = [(node, False)]
        while stack:
            n, done = stack.pop()
            if not done:
                stack.append((n, True))
                if n.op == "call" and n.value == "I":
                    pass  # the argument is a dimension, not an expression
                elif n.op not in ("pow",):
                    stack.extend((c, False) for c in reversed(n.args))
                else:
                    stack.append((n.args[0], False))
                continue
            self.shape[id(n)] = self.rule(n)

    def var_dims(self, name: str, node: Node) -> tuple[DimVar, DimVar]:
        if name in self.var_shape:
            return self.var_shape[name]
        d = self.decls.get(name)
        kind = d.kind if d else convention_kind(name, self.types)
        one = DimVar(1)
        if kind == "scalar":
            shp = (one, DimVar(1))
        elif kind == "vector":
            shp = (self.declared_dim(d.dims[0]) if d and d.dims else DimVar(), one)
        else:
            if d and d.dims:
                shp = (self.declared_dim(d.dims[0]), self.declared_dim(d.dims[1]))
            else:
                shp = (DimVar(), DimVar())
            if d and d.props - {"positive"}:
                if not self.unify(*shp):
                    raise DeclarationError(f"{name}: {', '.join(sorted(d.props))} needs a square matrix")
        self.var_shape[name] = shp
        self.var_first_use[name] = node
        return shp

    def rule(self, n: Node):
        op = n.op
        if op == "call" and n.value == "I":
            return self.call_rule(n, [])
        sh = [self.shape[id(a)] for a in n.args] if op != "pow" else [self.shape[id(n.args[0])]]
        if op == "num":
            return (DimVar(1), DimVar(1))
        if op == "name":
            if n.value in NOT_FINITE:
                raise ParseError(f"{n.value!r} is not a finite number; matdiff works with finite values",
                                 n.pos, n.end, source=self.text)
            if n.value == "I":
                d = DimVar()
                return (d, d)
            if n.value == "ones":
                return (DimVar(), DimVar(default_one=True))
            return self.var_dims(n.value, n)
        if op == "transpose":
            return (sh[0][1], sh[0][0])
        if op == "neg":
            return sh[0]
        if op in ("add", "sub"):
            a, b = n.args
            sa, sb = self.scalar(a), self.scalar(b)
            if sa != sb:
                s, m = (a, b) if sa else (b, a)
                raise self.fail(n, f"{self.src(n)}: cannot add the scalar {self.src(s)} to the "
                                   f"non-scalar {self.src(m)}; write s*ones or s*I")
            self.same_shape(n, a, b, "add")
            return sh[0]
        if op == "mul":
            a, b = n.args
            if self.scalar(a):
                return sh[1]
            if self.scalar(b):
                return sh[0]
            if not self.unify(sh[0][1], sh[1][0]):
                hint = ""
                if self.is_one(sh[0][1]) and self.is_one(sh[1][1]):
                    hint = f" (for an inner product write {self.src(a)}'*{self.src(b)})"
                raise self.fail(n, f"{self.src(n)}: {self.src(a)} has {show_dim(sh[0][1])} "
                                   f"column{'s' if show_dim(sh[0][1]) != '1' else ''} but {self.src(b)} "
                                   f"has {show_dim(sh[1][0])} row{'s' if show_dim(sh[1][0]) != '1' else ''}{hint}")
            return (sh[0][0], sh[1][1])
        if op in ("hmul", "hdiv"):
            a, b = n.args
            if self.scalar(a):
                return sh[1]
            if self.scalar(b):
                return sh[0]
            self.same_shape(n, a, b, "elementwise")
            return sh[0]
        if op == "div":
            a, b = n.args
            if not self.scalar(b):
                raise self.fail(n, f"{self.src(n)}: can only divide by a scalar, and {self.src(b)} is "
                                   f"not one (matrix right-division is not supported: write inv, "
                                   f"or ./ for elementwise)")
            return sh[0]
        if op in ("pow", "epow"):
            a = n.args[0]
            k = self.constant(n.args[1])
            if op == "pow" and not self.scalar(a):
                if not self.unify(sh[0][0], sh[0][1]):
                    raise self.fail(n, f"{self.src(n)}: a matrix power needs a square matrix, but "
                                       f"{self.src(a)} is {show_dim(sh[0][0])}×{show_dim(sh[0][1])}")
                if k != int(k):
                    raise self.fail(n, f"{self.src(n)}: a matrix power needs an integer exponent "
                                       f"(use .^ for an elementwise power)")
                if abs(k) > self.max_power:
                    raise LimitError(f"{self.src(n)}: matrix power {int(k)} exceeds the limit of "
                                     f"{self.max_power}", n.pos, n.end, source=self.text)
            elif abs(k) > 10 ** 6:
                raise LimitError(f"{self.src(n)}: exponent too large", n.pos, n.end, source=self.text)
            return sh[0]
        if op == "call":
            return self.call_rule(n, sh)
        raise AssertionError(op)

    def same_shape(self, n: Node, a: Node, b: Node, what: str):
        (r1, c1), (r2, c2) = self.shape[id(a)], self.shape[id(b)]
        if not (self.unify(r1, r2) and self.unify(c1, c2)):
            raise self.fail(n, f"{self.src(n)}: {self.src(a)} is {show_dim(r1)}×{show_dim(c1)} but "
                               f"{self.src(b)} is {show_dim(r2)}×{show_dim(c2)}; "
                               f"{'a sum' if what == 'add' else 'an elementwise operation'} needs equal shapes")

    def constant(self, n: Node) -> Fraction | float:
        """A constant exponent: numbers combined with + - * / and parentheses."""
        if n.op == "num":
            v = n.value
            if isinstance(v, float) and not math.isfinite(v):
                raise ParseError("number too large", n.pos, n.end, source=self.text)
            return Fraction(v) if isinstance(v, int) or float(v).is_integer() else Fraction(str(v)) \
                if len(str(v)) < 20 else v
        if n.op == "neg":
            return -self.constant(n.args[0])
        if n.op in ("add", "sub", "mul", "div"):
            a, b = self.constant(n.args[0]), self.constant(n.args[1])
            if n.op == "div" and b == 0:
                raise ParseError("division by zero in an exponent", n.pos, n.end, source=self.text)
            return {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b if b else 0}[n.op]
        raise ParseError(f"the exponent {self.src(n)!r} must be a number", n.pos, n.end,
                         source=self.text)

    def call_rule(self, n: Node, sh):
        name = n.value
        if name == "I":
            d = self.declared_dim(n.args[0].value)
            return (d, d)
        a = n.args[0]
        r, c = sh[0]
        if name in ("vector", "matrix"):
            self.constant(a)
            return (DimVar(), DimVar(1)) if name == "vector" else (DimVar(), DimVar())
        if name in E.ELEMENTWISE:
            return sh[0]
        if name in ("tr", "det", "logdet", "inv", "expm"):
            if not self.unify(r, c):
                raise self.fail(n, f"{name}({self.src(a)}) needs a square matrix, but {self.src(a)} "
                                   f"is {show_dim(r)}×{show_dim(c)}")
            return sh[0] if name in ("inv", "expm") else (DimVar(1), DimVar(1))
        if name in ("sum", "norm2", "norm1"):
            return (DimVar(1), DimVar(1))
        if name == "diag":
            if self.scalar(a):
                raise self.fail(n, f"diag({self.src(a)}) needs a vector or a square matrix, not a scalar")
            if self.is_one(c):
                return (r, r)
            if self.is_one(r):
                return (c, c)
            if not self.unify(r, c):
                raise self.fail(n, f"diag({self.src(a)}) needs a vector or a square matrix, but "
                                   f"{self.src(a)} is {show_dim(r)}×{show_dim(c)}")
            return (r, DimVar(1))
        if name == "vec":
            return (DimVar(product=(r, c)), DimVar(1))
        if name == "kron":
            r2, c2 = sh[1]
            return (DimVar(product=(r, r2)), DimVar(product=(c, c2)))
        raise AssertionError(name)

    # -- pass 2: resolve dims and build the typed tree --
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
        return E._dim_mul(a, b)

    def dim(self, d: DimVar):
        return d.find().value

    def build(self, root: Node) -> E.Expr:
        built: dict[int, E.Expr] = {}
        stack = [(root, False)]
        while stack:
            n, done = stack.pop()
            if not done:
                stack.append((n, True))
                if not (n.op == "call" and n.value == "I"):
                    stack.extend((c, False) for c in reversed(n.args if n.op not in ("pow", "epow")
                                                               else n.args[:1]))
                continue
            kids = [] if (n.op == "call" and n.value == "I") else \
                n.args if n.op not in ("pow", "epow") else n.args[:1]
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
        if op == "add":
            return E.add(*args)
        if op == "sub":
            return E.sub(*args)
        if op == "mul":
            return E.mul(*args)
        if op == "hmul":
            return E.hadamard(*args)
        if op == "hdiv":
            a, b = args
            if b.is_scalar:
                return E.divide(a, b)
            return E.hadamard(a, E.Power(b, -1))
        if op == "div":
            if E.is_zero(args[1]):
                raise ShapeError(f"{self.src(n)}: division by zero", n.pos, n.end, source=self.text)
            return E.divide(*args)
        if op in ("pow", "epow"):
            k = self.constant(n.args[1])
            base = args[0]
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
        if op == "call":
            name = n.value
            if name in ("vector", "matrix"):
                return E.mul(E.Num(self.constant(n.args[0])), E.ones(self.shape_of(n)))
            a = args[0]
            if a.is_scalar and name in ("tr", "det", "expm", "inv", "logdet", "diag", "sum", "vec"):
                return {"tr": a, "det": a, "sum": a, "vec": a, "diag": a, "inv": E.power(a, -1),
                        "logdet": E.func("log", a), "expm": E.func("exp", a)}[name]
            if name == "diag" and a.shape[0] == 1:
                a = E.transpose(a)  # diag of a row vector: same diagonal matrix
            return E.Func(name, args)
        raise AssertionError(op)


@dataclass
class Typed:
    expr: E.Expr
    decls: dict[str, Decl]
    variables: dict[str, E.Var]          # every variable, used or declared
    source: str


def typecheck(text: str, vars=None, types: str = "default", *, max_length: int | None = None,
              max_depth: int | None = None, max_power: int = DEFAULT_MAX_POWER) -> Typed:
    """Parse and type an expression; declared-but-unused variables are typed too."""
    from .parse import DEFAULT_MAX_DEPTH, DEFAULT_MAX_LENGTH
    if types not in ("default", "matrixcalculus"):
        raise DeclarationError(f"unknown naming convention {types!r} (use 'default' or 'matrixcalculus')")
    decls = parse_decls(vars)
    tree = parse(text, max_length or DEFAULT_MAX_LENGTH, max_depth or DEFAULT_MAX_DEPTH)
    t = Typer(text, decls, types, max_power)
    t.infer(tree)
    for name, d in decls.items():  # declared but unused variables still get shapes
        if name not in t.var_shape:
            t.var_dims(name, tree)
    t.resolve_names()
    e = t.build(tree)
    variables = {}
    for name, (r, c) in t.var_shape.items():
        d = decls.get(name)
        variables[name] = E.Var(name, (t.dim(r), t.dim(c)), d.props if d else ())
    return Typed(e, decls, variables, text)
