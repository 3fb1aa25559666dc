"""Typing: from an untyped parse tree to a typed ``Expr`` (pass 1 infers shapes, pass 2 builds).

Dimensions are inferred by unification (union-find over dimension
variables).  Declared dimensions are named symbols (``n``) or integers;
two different ones never unify, and the error names both uses.
Declarations and the naming convention are in ``decls.py``, dimension
variables in ``dims.py``, pass 2 in ``typed_build.py``.
"""
from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction

from . import clock
from . import functions as F
from .decls import DIM_NAMES, GREEK, PROPERTIES, Decl, convention_kind, parse_decl, parse_decls
from .dims import product_dim, DimVar, _an, _count, describe_shape, forced_equal, monomial, show_dim
from .functions import FUNCTIONS
from .errors import DeclarationError, LimitError, ParseError, ShapeError, UnknownNameError
from .parse import ALIASES, CONSTANTS, GREEK_LETTERS, FILLERS, SIZED, Node, parse_input
from .typed_build import NOT_FINITE, TreeBuilder, operands
from . import kinds
from . import expr as E

__all__ = ["DEFAULT_MAX_POWER", "DIM_NAMES", "GREEK", "MAX_SCALAR_POWER", "NOT_FINITE", "PROPERTIES",
           "Decl", "DimVar", "Typed", "Typer", "check_wrt", "convention_kind", "describe_shape",
           "locate_name", "parse_decl", "parse_decls", "show_dim", "typecheck"]

DEFAULT_MAX_POWER = 64        # |k| of a matrix power X^k (each term of its derivative has k factors)
MAX_SCALAR_POWER = 10 ** 6    # |k| of a scalar or elementwise power


class Typer(TreeBuilder):
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
        self.hints: dict[str, str] = {}  # undeclared name -> the kind its use gave it (typecheck)
        self.broadcast_names: dict[str, str] = {}  # undeclared scalar name ± a non-scalar -> its kind
        self.broadcasts = 0  # scalar ± non-scalar sums
        # (vec/kron size, the dimension it was unified with, the node being typed): the equation
        # a union-find merge would otherwise forget (m*n = p); the sampler must satisfy it
        self.ties: list[tuple[DimVar, DimVar, Node | None]] = []
        self.at: Node | None = None
        self.clash: str = ""  # why the last unify failed, where a vec/kron size explains it

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
        if self.clash:
            message += f" ({self.clash})"
        return ShapeError(message, node.pos, node.end, source=self.text)

    def declared_dim(self, d) -> DimVar:
        if d not in self.named:
            self.named[d] = DimVar(d)
        return self.named[d]

    def unify(self, a: DimVar, b: DimVar) -> bool:
        self.clash = ""
        ra, rb = a.find(), b.find()
        if ra is rb:
            return True
        if ra.product or rb.product:
            if self.force(self.mono(ra), self.mono(rb)) is False:
                return False
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
        child, root = (ra, rb) if ra.value is None else (rb, ra)
        if child.product:
            self.ties.append((child, root, self.at))
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

    def mono(self, d: DimVar, seen=()):
        """A size as a monomial (``dims.monomial``) over declared names and the unknown
        dimensions themselves; None where a product refers back to itself."""
        r = d.find()
        if r.value is not None:
            return monomial(r.value)
        return self.product_mono(r, seen) if r.product else (1, Counter({r: 1}))

    def product_mono(self, p: DimVar, seen=()):
        """The monomial of a vec/kron size from its own factors (linked or not)."""
        if p in seen:
            return None
        a, b = (self.mono(f, (*seen, p)) for f in p.product)
        return None if a is None or b is None else (a[0] * b[0], a[1] + b[1])

    def force(self, ma, mb) -> bool | None:
        """Sizes ma = mb (monomials, one of a vec/kron product): the two dimensions the equation
        forces equal are unified (``m*m = n*n`` only where m = n), as a sum unifies its terms'
        dimensions.  True where it unified, None where nothing was forced, False (and
        ``clash`` says why) where that would make two declared sizes equal."""
        pair = forced_equal(ma, mb) if ma is not None and mb is not None else None
        if pair is None:
            return None
        x, y = (v if isinstance(v, DimVar) else self.named.get(v) for v in pair)
        if x is None or y is None or x.find() is y.find():
            return None
        if self.unify(x, y):
            return True
        names = [show_dim(v) if isinstance(v, DimVar) else str(v) for v in pair]
        self.clash = (f"sizes {_show_mono(ma)} and {_show_mono(mb)} are equal only where "
                      f"{names[0]} = {names[1]}: declare {names[0]} and {names[1]} as one size")
        return False

    def settle_ties(self):
        """After pass 1: the sizes tied to one dimension are equal to each other too, and what
        such an equation forces is unified, as in ``unify`` (a tie made before its sizes were
        known)."""
        changed = True
        while changed:
            changed = False
            groups: dict[int, list] = {}
            for product, other, node in self.ties:
                root = other.find()
                groups.setdefault(id(root), [(self.mono(root), node)]).append(
                    (self.product_mono(product), node))
            for sizes in groups.values():
                pairs = [(ma, mb, node) for i, (ma, _) in enumerate(sizes) for mb, node in sizes[i + 1:]]
                for ma, mb, node in pairs:
                    done = self.force(ma, mb)
                    if done is False:
                        raise ShapeError(f"{self.src(node)}: {self.clash}", node.pos, node.end,
                                         source=self.text)
                    if done:
                        changed = True
                        break
                if changed:
                    break

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
                if n.op == "call" and n.value in SIZED:
                    pass  # the arguments are dimensions, not expressions
                else:
                    stack.extend((c, False) for c in reversed(operands(n)))
                continue
            self.at = n
            self.shape[id(n)] = self.rule(n)

    def var_dims(self, name: str, node: Node) -> tuple[DimVar, DimVar]:
        if name in self.var_shape:
            return self.var_shape[name]
        d = self.decls.get(name)
        kind = d.kind if d else self.hints.get(name) or convention_kind(name, self.types)
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
        if op == "call" and n.value in SIZED:
            return self.call_rule(n, [])
        sh = [self.shape[id(a)] for a in operands(n)]
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
            if sa != sb:  # s ± X broadcasts as in MATLAB and NumPy: built as s*ones (typed_build)
                s, m = (a, b) if sa else (b, a)
                self.broadcasts += 1
                name = s.args[0] if s.op == "neg" else s
                if name.op == "name" and name.value not in self.decls and \
                        name.value not in ("I", "ones") and (op == "sub" or s.op == "neg"):
                    # x - mu: a difference compares like with like (kinds.choose_kinds)
                    self.broadcast_names.setdefault(
                        name.value, "vector" if self.desc(m).startswith("a vector") else "matrix")
                return sh[1] if sa else sh[0]
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
        if op in ("pow", "epow") and len(sh) == 2:
            return self.scalar_exponent_rule(n, sh)
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

    def scalar_exponent_rule(self, n: Node, sh):
        """u^v, u.^v or pow(u, v) with a scalar expression v: entrywise, so a matrix power (^ of a
        matrix) needs a constant."""
        a, x = n.args
        if not (self.unify(sh[1][0], DimVar(1)) and self.unify(sh[1][1], DimVar(1))):
            raise self.fail(n, f"{self.src(n)}: the exponent {self.src(x)} must be a scalar or a "
                               f"number, but it is {self.desc(x)}")
        if n.op == "pow" and not self.scalar(a):
            raise self.fail(n, f"{self.src(n)}: a matrix power needs a constant integer exponent "
                               f"(use .^ for an elementwise power)")
        return sh[0]

    def mul_error(self, n: Node, a: Node, b: Node) -> ShapeError:
        (_, ca), (rb, _) = self.shape[id(a)], self.shape[id(b)]
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
            err = self.fail(n, f"{self.src(n)}: {self.src(a)} has {cols} but {self.src(b)} has "
                               f"{rows}{hint}")
        else:
            err = self.fail(n, f"{self.src(n)}: the columns of {self.src(a)} ({da}) do not match the "
                               f"rows of {self.src(b)} ({db}){hint}")
        err.rewrite = bool(hint)  # a transpose is the likelier fix than a kind (kinds.explain)
        return err

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
            err = self.fail(n, f"{self.src(n)}: {self.src(a)} is {da} but {self.src(b)} is {db}; "
                               f"{'a sum' if what == 'add' else 'an elementwise operation'} needs "
                               f"equal shapes{hint}")
            err.rewrite = bool(hint)
            raise err
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
        if name == "ones":  # ones(n) is a column, ones(m, n) a matrix
            dims = [self.declared_dim(a.value) for a in n.args]
            return (dims[0], dims[1] if len(dims) == 2 else DimVar(1))
        if name == "K":  # the commutation matrix K(m, n) is mn×mn
            d = product_dim(*(self.declared_dim(a.value) for a in n.args))
            return (d, d)
        a = n.args[0]
        r, c = sh[0]
        if name in ("vector", "matrix"):
            self.constant(a, f"the fill value c of {name}(c)")
            return (DimVar(), DimVar(1)) if name == "vector" else (DimVar(), DimVar())
        kind = FUNCTIONS[name].kind
        if kind in (F.ELEMENTWISE, F.SAME_SHAPE):
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
            return (product_dim(r, c), DimVar(1))
        if kind == F.POWER:   # pow(u, v) = u.^v
            return self.scalar_exponent_rule(n, sh)
        if kind == F.KRON:
            r2, c2 = sh[1]
            return (product_dim(r, r2), product_dim(c, c2))
        raise AssertionError(name)
@dataclass
class Typed:
    expr: E.Expr
    decls: dict[str, Decl]
    variables: dict[str, E.Var]          # every variable, used or declared
    source: str
    definitions: dict = field(default_factory=dict)   # name -> parse.Definition (macros)
    ties: tuple = ()   # (size, size) pairs typing equated, one side a product: (m*n, p)


def typecheck(text: str, vars=None, types: str = "default", *, max_length: int | None = None,
              max_depth: int | None = None, max_power: int = DEFAULT_MAX_POWER,
              deadline: float | None = None, _explain: bool = True) -> Typed:
    """Parse and type an expression; declared-but-unused variables are typed too.

    An undeclared name's kind comes from the naming convention and from its use
    (``kinds.py``); a shape error names the declaration that fixes it, where one does.

    ``deadline`` (a ``clock.deadline_after()`` value) refuses with ``LimitError`` an
    expression whose typing runs past it (a very long chain of products)."""
    from .parse import DEFAULT_MAX_DEPTH, DEFAULT_MAX_LENGTH
    if types not in ("default", "matrixcalculus"):
        raise DeclarationError(f"unknown naming convention {types!r} (use 'default' or 'matrixcalculus')")
    decls = parse_decls(vars)
    tree, definitions = parse_input(text, max_length or DEFAULT_MAX_LENGTH,
                                    max_depth or DEFAULT_MAX_DEPTH)
    for name, d in definitions.items():
        if name in decls:
            raise DeclarationError(f"{name!r} is declared as a variable and defined in the "
                                   f"expression: rename one of them", d.pos, d.pos + len(name),
                                   source=text)

    def infer(hints):
        return _infer(text, tree, decls, types, max_power, deadline, hints)
    try:
        t = infer({})
    except ShapeError as e:
        if not _explain:
            raise
        # the one declaration that makes it type, named in the error (docs/language.md §2)
        def retype(text, vars, types):  # a typing tried for a fix: it looks for none itself
            return typecheck(text, vars, types, max_length=max_length, max_depth=max_depth,
                             max_power=max_power, deadline=deadline, _explain=False)
        raise kinds.explain(e, text, decls, types, tree, retype) from None
    # kinds from use: a coefficient is a scalar, a difference compares like with like
    t = kinds.choose_kinds(infer, t, tree)
    t.resolve_names()
    e = t.build(tree)
    variables = {}
    for name, (r, c) in t.var_shape.items():
        d = decls.get(name)
        variables[name] = E.Var(name, (t.dim(r), t.dim(c)), d.props if d else ())
    return Typed(e, decls, variables, text, definitions, t.size_ties())


def _show_mono(m) -> str:
    """A monomial of ``Typer.mono`` as text: ``m*m``, ``2*n``, ``?*n`` (an unknown size)."""
    c, names = m
    parts = [str(c)] if c != 1 or not names else []
    for x, e in names.items():
        parts += [show_dim(x) if isinstance(x, DimVar) else str(x)] * e
    return "*".join(parts)


def _infer(text, tree, decls, types, max_power, deadline, hints) -> Typer:
    """Pass 1: the shapes of every node and variable, undeclared names' kinds from ``hints``
    where given, else from the naming convention."""
    t = Typer(text, decls, types, max_power)
    t.deadline = deadline
    t.hints = hints
    t.infer(tree)
    for name in decls:  # declared but unused variables still get shapes
        if name not in t.var_shape:
            t.var_dims(name, tree)
    t.settle_ties()
    return t


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
    if wrt in typed.definitions and wrt not in typed.variables:
        d = typed.definitions[wrt]
        names = ", ".join(sorted(typed.variables)) or "none"
        raise UnknownNameError(f"{wrt!r} is defined in the expression ({text[d.pos:d.end]}), not a "
                               f"variable: differentiate by a variable it uses ({names})",
                               d.pos, d.pos + len(wrt), source=text)
    if wrt not in typed.variables:
        names = ", ".join(sorted(typed.variables)) or "none"
        near = difflib.get_close_matches(wrt, list(typed.variables), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise UnknownNameError(f"cannot differentiate with respect to {wrt!r}: it is neither "
                               f"declared nor used (variables: {names}){hint}", pos, end, source=text)
    return typed.variables[wrt]
