"""Kinds, declarations and symbolic dimensions: from an untyped parse tree to a typed ``Expr``.

Dimensions are inferred by unification (union-find over dimension
variables).  Declared dimensions are named symbols (``n``) or integers;
two different ones never unify, and the error names both uses.
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction

from . import clock
from . import expr as E
from . import functions as F
from .functions import FUNCTIONS
from .errors import DeclarationError, LimitError, ParseError, ShapeError, UnknownNameError
from .parse import ALIASES, CONSTANTS, FILLERS, GREEK_LETTERS, NAME_PATTERN, Node, parse

PROPERTIES = ("symmetric", "invertible", "spd", "diagonal", "positive")
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
         "lambda", "lam", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon",
         "phi", "chi", "psi", "omega"}
NOT_FINITE = {"nan", "NaN", "NAN", "inf", "Inf", "INF", "infinity", "Infinity"}
DEFAULT_MAX_POWER = 64        # |k| of a matrix power X^k (each term of its derivative has k factors)
MAX_SCALAR_POWER = 10 ** 6    # |k| of a scalar or elementwise power
# Names offered to dimensions nobody named, in this order.
DIM_NAMES = ("n", "m", "p", "q", "r", "k", "l", "s", "u", "v", "w")


# ---- declarations ------------------------------------------------------------

@dataclass
class Decl:
    name: str
    kind: str                   # scalar | vector | matrix
    dims: tuple                 # () | (d,) | (d1, d2): ints or names
    props: frozenset = field(default_factory=frozenset)


_DECL = re.compile(r"^\s*(?:(?P<name>" + NAME_PATTERN + r")\s*:\s*)?"
                   r"(?P<kind>[A-Za-z]+)\s*(?:\((?P<dims>[^()]*)\))?\s*(?P<props>[^()]*?)\s*$")


def parse_decl(spec: str, name: str | None = None) -> Decl:
    """``"x: vector(n)"`` or (with ``name``) ``"matrix(n,n) symmetric"`` -> Decl."""
    if not isinstance(spec, str):
        raise DeclarationError(f"the declaration of {name!r} must be a string like 'matrix(n,n)', "
                               f"not {type(spec).__name__}")
    m = _DECL.match(spec)
    if not m:
        if spec.count("(") != spec.count(")"):
            raise DeclarationError(f"unbalanced parentheses in declaration {spec!r}",
                                   spec.find("("), source=spec)
        missing_colon = re.match(r"\s*(" + NAME_PATTERN + r")\s+(scalar|vector|matrix)\b", spec)
        if missing_colon:
            raise DeclarationError(f"bad declaration {spec!r}: a ':' is missing after the name "
                                   f"(write {missing_colon.group(1)}: {spec[missing_colon.end(1):].strip()})",
                                   missing_colon.end(1), source=spec)
        raise DeclarationError(f"bad declaration {spec!r}: write e.g. 'x: vector(n)' or "
                               f"'A: matrix(n,n) symmetric'", 0, source=spec)
    nm = m.group("name") or name
    if nm is None:
        raise DeclarationError(f"declaration {spec!r} names no variable: write 'x: vector(n)'",
                               0, source=spec)
    kind = m.group("kind")
    if kind not in ("scalar", "vector", "matrix"):
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
        if not isinstance(vars, (list, tuple)):
            raise DeclarationError(f"vars must be a dict like {{'A': 'matrix(n,n)'}}, a list of "
                                   f"declarations or a string, not {type(vars).__name__}")
        items = [(None, v) for v in vars]
    for name, spec in items:
        if name is not None and not isinstance(name, str):
            raise DeclarationError(f"a variable name must be a string, not {name!r}")
        if isinstance(spec, Decl):
            d = spec
        else:
            d = parse_decl(spec, name)
        text = spec if isinstance(spec, str) else f"{d.name}: {d.kind}"
        if name is not None and d.name != name:
            raise DeclarationError(f"the declaration given for {name!r} declares {d.name!r}", 0,
                                   len(text), source=text)
        if d.name in out:
            raise DeclarationError(f"{d.name} is declared twice", 0, len(text), source=text)
        if d.name in FUNCTIONS or d.name in CONSTANTS or d.name in ALIASES or d.name in FILLERS:
            raise DeclarationError(f"{d.name!r} is a function or constant name and cannot be declared",
                                   0, len(text), source=text)
        if not re.fullmatch(NAME_PATTERN, d.name):
            raise DeclarationError(f"{d.name!r} is not a name (letters, digits and _, starting with "
                                   f"a letter)", 0, len(text), source=text)
        out[d.name] = d
    return out


def convention_kind(name: str, types: str = "default") -> str:
    """The kind of an undeclared name (docs/language.md §2, or matrixcalculus.org's convention)."""
    if name[0].isupper():
        return "matrix"
    if types == "matrixcalculus":
        return "scalar" if name[0] in "abcdefg" else "vector"
    if name in GREEK or re.match(f"[{GREEK_LETTERS}]", name):
        return "scalar"
    return "vector"


# ---- unification -------------------------------------------------------------

class DimVar:
    """A dimension not yet known; ``value`` is an int or a declared name once bound."""
    __slots__ = ("parent", "value", "default_one", "may_one", "product")

    def __init__(self, value=None, default_one: bool = False, product=None, may_one: bool = False):
        self.parent = None
        self.value = value
        self.default_one = default_one  # 1 unless something else fixes it (the 2nd axis of ones)
        self.may_one = may_one or default_one  # may become 1 (the 1st axis of ones: a row of ones)
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


def _an(word: str) -> str:
    """'a' or 'an' before a dimension or a word, by sound: an m×n matrix, an 8×3 matrix."""
    w = str(word)
    vowel = w[:1].lower() in "aeio" or (len(w) == 1 and w.lower() in "fhlmnrsx") or \
        w.startswith("8") or re.match(r"(11|18)(\D|$)", w) is not None
    return "an" if vowel else "a"


def describe_shape(r: DimVar, c: DimVar) -> str:
    """A shape in words: 'a scalar', 'a vector of n entries', 'a row vector', 'an m×n matrix'."""
    rr, cr = r.find(), c.find()
    rv, cv = rr.value, cr.value
    if rv == 1 and cv == 1:
        return "a scalar"
    if cv == 1 or (cv is None and cr.default_one and rv != 1):
        return "a vector" + (f" of {rv} entries" if rv is not None else "")
    if rv == 1:
        return "a row vector" + (f" of {cv} entries" if cv is not None else "")
    if rv is not None and cv is not None:
        return f"{_an(rv)} {rv}×{cv} matrix"
    if rv is not None:
        return f"a matrix with {rv} rows"
    if cv is not None:
        return f"a matrix with {cv} columns"
    return "a matrix"


def _count(d: DimVar, noun: str) -> str | None:
    v = d.find().value
    if v is None:
        return None
    return f"{v} {noun}{'' if v == 1 else 's'}"


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
        self.exponent: dict[int, tuple] = {}  # id(pow node) -> (kind, its exponent times the base's)

    def src(self, node: Node) -> str:
        return self.text[node.pos:node.end].strip()

    def desc(self, node: Node) -> str:
        return describe_shape(*self.shape[id(node)])

    def paren(self, node: Node) -> str:
        """The text of a node, in parentheses unless it is a name, number or call."""
        t = self.src(node)
        return t if node.op in ("name", "num", "call") or (t.startswith("(") and t.endswith(")")) \
            else f"({t})"

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
        if (ra.value == 1 and rb.value is None and not rb.may_one) or \
                (rb.value == 1 and ra.value is None and not ra.may_one):
            return False
        if ra.value is None and rb.value is None and ra.product and not rb.product:
            ra, rb = rb, ra  # keep the product rule on the root
        if ra.value is None:
            ra.parent = rb
            if rb.value is None:
                rb.default_one = rb.default_one and ra.default_one
                rb.may_one = rb.may_one and ra.may_one
            else:
                rb.default_one = rb.may_one = False
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
    deadline: float | None = None

    def check_time(self):
        if clock.expired(self.deadline):
            raise LimitError("the derivation takes too long (over the time limit); raise max_seconds "
                             "to allow more", 0, len(self.text), source=self.text)

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
                    raise DeclarationError(f"{name}: {', '.join(sorted(d.props))} needs a square matrix, "
                                           f"but {name} is declared {d.kind}({', '.join(map(str, d.dims))})",
                                           node.pos, node.end, source=self.text)
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
            if n.value == "ones":  # a column of ones, or a matrix of ones where one is needed
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
                raise self.mul_error(n, a, b)
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
            # (a^k1)^k2 is a^(k1*k2): the limits apply to the whole exponent (of one kind of power)
            kind = "matrix" if op == "pow" and not self.scalar(a) else "elementwise"
            inner_kind, inner = self.exponent.get(id(a), (kind, 1))
            total = k * inner if inner_kind == kind and inner != 1 else k
            self.exponent[id(n)] = (kind, total)
            if kind == "matrix":
                if not self.unify(sh[0][0], sh[0][1]):
                    raise self.fail(n, f"{self.src(n)}: a matrix power needs a square matrix, but "
                                       f"{self.src(a)} is {self.desc(a)}"
                                       + (" (use .^ for an elementwise power)"
                                          if self.desc(a).startswith(("a vector", "a row")) else ""))
                if k != int(k):
                    raise self.fail(n, f"{self.src(n)}: a matrix power needs an integer exponent "
                                       f"(use .^ for an elementwise power)")
                if abs(total) > self.max_power:
                    shown = int(k) if total == k else f"{int(k)} (in all {total})"
                    raise LimitError(f"{self.src(n)}: matrix power {shown} exceeds the limit of "
                                     f"{self.max_power}; write expm, or a product", n.pos, n.end,
                                     source=self.text)
            elif abs(total) > MAX_SCALAR_POWER:
                raise LimitError(f"{self.src(n)}: exponent too large (more than {MAX_SCALAR_POWER:g} "
                                 f"in absolute value)", n.pos, n.end, source=self.text)
            return sh[0]
        if op == "call":
            return self.call_rule(n, sh)
        raise AssertionError(op)

    def mul_error(self, n: Node, a: Node, b: Node) -> ShapeError:
        (ra, ca), (rb, cb) = self.shape[id(a)], self.shape[id(b)]
        cols, rows = _count(ca, "column"), _count(rb, "row")
        hint = ""
        da, db = self.desc(a), self.desc(b)
        if da.startswith("a vector") and db.startswith("a vector"):
            hint = (f"; for an inner product write {self.paren(a)}'*{self.src(b)}, "
                    f"for an outer product {self.src(a)}*{self.paren(b)}'")
        elif da.startswith("a row vector") and db.startswith("a row vector"):
            hint = f"; for an inner product write {self.src(a)}*{self.paren(b)}'"
        elif da.startswith("a vector") and not db.startswith("a row vector"):
            hint = f"; did you mean {self.paren(a)}'*{self.src(b)}?"
        if cols is not None and rows is not None:
            return self.fail(n, f"{self.src(n)}: {self.src(a)} has {cols} but {self.src(b)} has "
                                f"{rows}{hint}")
        return self.fail(n, f"{self.src(n)}: the columns of {self.src(a)} ({da}) do not match the "
                            f"rows of {self.src(b)} ({db}){hint}")

    def same_shape(self, n: Node, a: Node, b: Node, what: str):
        (r1, c1), (r2, c2) = self.shape[id(a)], self.shape[id(b)]
        if not (self.unify(r1, r2) and self.unify(c1, c2)):
            da, db = self.desc(a), self.desc(b)
            if da == db and "?" not in {show_dim(d) for d in (r1, c1, r2, c2)}:
                da, db = (f"{_an(show_dim(r1))} {show_dim(r1)}×{show_dim(c1)}",
                          f"{_an(show_dim(r2))} {show_dim(r2)}×{show_dim(c2)}")
            hint = ""
            if {da.split(" of ")[0], db.split(" of ")[0]} == {"a vector", "a row vector"}:
                hint = " (transpose one of them)"
            raise self.fail(n, f"{self.src(n)}: {self.src(a)} is {da} but {self.src(b)} is {db}; "
                               f"{'a sum' if what == 'add' else 'an elementwise operation'} needs "
                               f"equal shapes{hint}")

    def constant(self, root: Node, what: str = "the exponent") -> Fraction | float:
        """A constant exponent: numbers combined with + - * / ^ and parentheses.

        Iterative: a chain such as ``1+1+...+1`` is as long as the input allows."""
        vals: dict[int, Fraction | float] = {}
        stack = [(root, False)]
        while stack:
            n, done = stack.pop()
            if n.op in ("neg", "pow", "add", "sub", "mul", "div") and not done:
                stack.append((n, True))
                stack.extend((c, False) for c in n.args)
                continue
            vals[id(n)] = self._constant_node(n, [vals[id(c)] for c in n.args] if done else [], what)
        return vals[id(root)]

    def _constant_node(self, n: Node, args: list, what: str) -> Fraction | float:
        if n.op == "name" and n.value in NOT_FINITE:
            raise ParseError(f"{n.value!r} is not a finite number; matdiff works with finite values",
                             n.pos, n.end, source=self.text)
        if n.op == "num":
            v = n.value
            if isinstance(v, float) and not math.isfinite(v):
                raise ParseError("number too large", n.pos, n.end, source=self.text)
            return Fraction(v) if isinstance(v, int) or float(v).is_integer() else Fraction(str(v)) \
                if len(str(v)) < 20 else v
        if n.op == "neg":
            return -args[0]
        if n.op == "pow":
            a, b = args
            if a == 0 and b < 0:
                raise ParseError("division by zero in an exponent", n.pos, n.end, source=self.text)
            if a < 0 and b != int(b):
                raise ParseError(f"{self.src(n)} is not a real number", n.pos, n.end, source=self.text)
            try:
                size = abs(float(b)) * math.log2(abs(float(a)) + 2)
            except OverflowError:
                size = math.inf
            if size > 1000:
                raise LimitError(f"{self.src(n)}: number too large", n.pos, n.end, source=self.text)
            if isinstance(a, Fraction) and isinstance(b, Fraction) and b.denominator == 1:
                return a ** int(b)
            return float(a) ** float(b)
        if n.op in ("add", "sub", "mul", "div"):
            a, b = args
            if n.op == "div" and b == 0:
                raise ParseError("division by zero in an exponent", n.pos, n.end, source=self.text)
            out = {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b if b else 0}[n.op]
            if isinstance(out, float) and not math.isfinite(out):
                raise LimitError(f"{self.src(n)}: number too large", n.pos, n.end, source=self.text)
            return out
        hint = ""
        if n.op == "transpose" and what == "the exponent":  # X^2' is X^(2'): ' binds tighter than ^
            hint = " (' binds tighter than ^: to transpose a power write (X^k)')"
        raise ParseError(f"{what} must be a number, not {self.src(n)!r}{hint}", n.pos, n.end,
                         source=self.text)

    def call_rule(self, n: Node, sh):
        name = n.value
        if name == "I":
            d = self.declared_dim(n.args[0].value)
            return (d, d)
        a = n.args[0]
        r, c = sh[0]
        if name in ("vector", "matrix"):
            self.constant(a, f"the fill value c of {name}(c)")
            return (DimVar(), DimVar(1)) if name == "vector" else (DimVar(), DimVar())
        kind = FUNCTIONS[name].kind
        if kind == F.ELEMENTWISE:
            return sh[0]
        if kind in (F.SQUARE_TO_SCALAR, F.SQUARE_TO_SQUARE):
            if not self.unify(r, c):
                raise self.fail(n, f"{name}({self.src(a)}) needs a square matrix, but {self.src(a)} "
                                   f"is {self.desc(a)}")
            return sh[0] if kind == F.SQUARE_TO_SQUARE else (DimVar(1), DimVar(1))
        if kind == F.ANY_TO_SCALAR:
            return (DimVar(1), DimVar(1))
        if kind == F.DIAG:
            if self.scalar(a):
                raise self.fail(n, f"diag({self.src(a)}) needs a vector or a square matrix, not a scalar")
            if self.is_one(c):
                return (r, r)
            if self.is_one(r):
                return (c, c)
            if not self.unify(r, c):
                raise self.fail(n, f"diag({self.src(a)}) needs a vector or a square matrix, but "
                                   f"{self.src(a)} is {self.desc(a)}")
            return (r, DimVar(1))
        if kind == F.VEC:
            return (DimVar(product=(r, c)), DimVar(1))
        if kind == F.KRON:
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
            self.check_time()
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
            if E.is_zero(b):
                raise ShapeError(f"{self.src(n)}: division by zero", n.pos, n.end, source=self.text)
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


@dataclass
class Typed:
    expr: E.Expr
    decls: dict[str, Decl]
    variables: dict[str, E.Var]          # every variable, used or declared
    source: str


def typecheck(text: str, vars=None, types: str = "default", *, max_length: int | None = None,
              max_depth: int | None = None, max_power: int = DEFAULT_MAX_POWER,
              deadline: float | None = None) -> Typed:
    """Parse and type an expression; declared-but-unused variables are typed too.

    ``deadline`` (a ``clock.deadline_after()`` value) refuses with ``LimitError`` an
    expression whose typing runs past it (a very long chain of products)."""
    from .parse import DEFAULT_MAX_DEPTH, DEFAULT_MAX_LENGTH
    if types not in ("default", "matrixcalculus"):
        raise DeclarationError(f"unknown naming convention {types!r} (use 'default' or 'matrixcalculus')")
    decls = parse_decls(vars)
    tree = parse(text, max_length or DEFAULT_MAX_LENGTH, max_depth or DEFAULT_MAX_DEPTH)
    t = Typer(text, decls, types, max_power)
    t.deadline = deadline
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


def locate_name(text: str, name: str) -> tuple[int, int] | None:
    """Where ``name`` first occurs in ``text`` as a whole identifier (or None)."""
    if not isinstance(name, str) or not name or not isinstance(text, str):
        return None
    m = re.search(r"(?<![A-Za-z0-9_" + GREEK_LETTERS + "])" + re.escape(name)
                  + r"(?![A-Za-z0-9_" + GREEK_LETTERS + "])", text)
    return (m.start(), m.end()) if m else None


def check_wrt(typed: Typed, wrt) -> E.Var:
    """The variable to differentiate by, or an ``UnknownNameError`` that points at the place.

    A function or constant name points at its use in the expression; a name
    that occurs nowhere points at the whole expression."""
    text = typed.source
    if not isinstance(wrt, str) or not wrt.strip():
        raise UnknownNameError(f"wrt must name a variable, not {wrt!r}", 0, len(text or " "),
                               source=text)
    where = locate_name(text, wrt)
    pos, end = where if where else (0, len(text))
    if wrt in FUNCTIONS or wrt in CONSTANTS or wrt in ALIASES or wrt in FILLERS:
        kind = "a constant" if wrt in CONSTANTS or wrt == "eye" else "a function"
        names = ", ".join(sorted(typed.variables)) or "none"
        raise UnknownNameError(f"{wrt!r} is {kind}, not a variable: differentiate with respect to "
                               f"a variable (variables: {names})", pos, end, source=text)
    if wrt not in typed.variables:
        names = ", ".join(sorted(typed.variables)) or "none"
        near = difflib.get_close_matches(wrt, list(typed.variables), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise UnknownNameError(f"cannot differentiate with respect to {wrt!r}: it is neither "
                               f"declared nor used (variables: {names}){hint}", pos, end, source=text)
    return typed.variables[wrt]
