"""Numerical evaluation of a typed expression tree with float64 NumPy.

Every intermediate value is a 2-D array with its node's shape: a column
vector is ``(n, 1)``, a row vector ``(1, n)``, a scalar ``(1, 1)``.  The
user's arrays come in the canonical shapes of docs/language.md §3 (a scalar is
a number or a 0-d array, a vector a 1-D array — ``(n, 1)`` and ``(1, n)``
are accepted too — and a matrix a 2-D array), and the result goes back
out in them: a Python float, a 1-D array or a 2-D array.

Symbolic dimensions (``"n"``) are bound from the arrays given, in the
order the variables occur; a disagreement is an ``EvaluationError`` that
names both variables.  The sizes of the constants ``I``, ``ones`` and
``0`` follow from the dimensions they share with other nodes; what
nothing fixes comes from the ``shape`` argument (the result's shape).

A value that is undefined (log of a non-positive entry, a singular
inverse, a division by zero, an overflow) is an ``EvaluationError``
naming the sub-expression; no NaN, inf or NumPy warning leaks out.

The walk is iterative, and equal sub-trees are computed once.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from .dims import Dim, dim_mul, pieces
from .arrays import arr_shape_text, canonical, dim_text, kind_of, sym_text, to_array
from .errors import EvaluationError, MatdiffError, NotSupportedError, UnsizedError
from .expr import (Add, Const, Expr, Func, Hadamard, MatPow, Num, Power, Product,
                   Transpose, Var, is_vector_shape, walk)
from .functions import (ELEMENTWISE, FUNCTIONS, INVERTIBLE, POSITIVE_DET, SAME_SHAPE, SQUARE_TO_SCALAR,
                        SQUARE_TO_SQUARE, DIAG, KRON, VEC)
from .linalg import commutation_matrix, expm
from .render.text import to_text

__all__ = ["evaluate_expr", "expm"]

# A matrix whose 2-norm condition number exceeds this is treated as singular.
SINGULAR_COND = 1e15
# Relative tolerance of the checks of declared properties (symmetric, diagonal).
PROPERTY_TOL = 1e-8


# ---- public API --------------------------------------------------------------

def evaluate_expr(e: Expr, values: dict[str, object], variables: dict[str, Var] | None = None,
                  shape=None, *, check_properties: bool = True):
    """Numerically evaluate the typed expression ``e``.

    ``values`` maps variable names to numbers / arrays; ``variables`` (e.g.
    ``Typed.variables``) adds declared variables that do not occur in ``e``:
    their values, when given, are checked and bind dimensions too.
    ``shape`` is the result's shape (``()``, ``(n,)`` or ``(m, n)``; a vector
    may also be given as ``(n, 1)`` / ``(1, n)``) and sizes the constants
    ``I``, ``ones`` and ``0`` that nothing else sizes.  With
    ``check_properties`` the values of variables declared ``symmetric``,
    ``diagonal``, ``spd`` or ``positive`` must have that property.

    Returns a Python float for a scalar, a 1-D array for a (row or column)
    vector and a 2-D array for a matrix.
    """
    ev = _Evaluator(e, values, variables, shape, check_properties)
    with np.errstate(all="ignore"):
        out = ev.run()
    return canonical(out, e.shape)


# ---- dimensions --------------------------------------------------------------

class _Dims:
    """Values of symbolic dimensions, with the variable that fixed each."""

    def __init__(self):
        self.val: dict[object, int] = {}
        self.src: dict[object, str] = {}

    def get(self, d):
        if isinstance(d, int):
            return d
        if isinstance(d, Dim):  # from its factors, else from a product known as a whole (m*n)
            n = d.size(self.val.get)
            found = pieces(d, self.val) if n is None else None
            return math.prod(p if isinstance(p, int) else self.val[p] for p in found) if found else n
        return self.val.get(d)

    def learn(self, d, v: int, src: str | None = None) -> bool:
        """Record ``d = v``; True when something new was learned."""
        if isinstance(d, int):
            return False
        if isinstance(d, Dim):  # m*n = v with m known: n = v/m
            unknown = [p for p in d.factors if self.val.get(p) is None]
            if len(unknown) != 1:   # known as a whole (the rows of a matrix(m*n, p)), if new
                if not unknown or self.get(d) is not None:
                    return False
                self.val[d] = v
                if src is not None:
                    self.src[d] = src
                return True
            known = d.coeff * math.prod(self.val[p] for p in d.factors if p != unknown[0])
            if known == 0 or v % known:
                return False
            return self.learn(unknown[0], v // known, src)
        if d in self.val:
            return False
        self.val[d] = v
        if src is not None:
            self.src[d] = src
        if isinstance(d, tuple):  # composite dims built from it print it with str()
            self.val.setdefault(str(d), v)
        return True


# ---- the evaluator -----------------------------------------------------------

class _Evaluator:
    def __init__(self, e: Expr, values, variables, shape, check_properties: bool):
        self.root = e
        self.values = dict(values or {})
        self.variables = variables or {}
        self.shape_arg = shape
        self.check_properties = check_properties
        self.dims = _Dims()
        self.inputs: dict[str, np.ndarray] = {}
        self.parent: dict[Expr, Expr] = {}

    # -- binding the variables --
    def run(self) -> np.ndarray:
        used: dict[str, Var] = {}
        consts: list[Const] = []
        for n in walk(self.root):
            if isinstance(n, Var):
                used.setdefault(n.name, n)
            elif isinstance(n, Const):
                consts.append(n)
        for name, var in used.items():
            if name not in self.values:
                raise EvaluationError(f"no value given for {name}")
            self.inputs[name] = self.bind_var(var, self.values[name])
        for name, var in self.variables.items():
            if name not in used and name in self.values:
                self.bind_var(var, self.values[name])
        # a second pass checks sizes such as m*n that were unknown when first seen
        for name, var in used.items():
            self.bind_var(var, self.values[name])
        constraints = self.constraints()
        self.propagate(constraints)
        if self.shape_arg is not None and self.root_shape_known():
            self.check_shape_arg()
        elif any(self.dims.get(d) is None for c in consts for d in c.shape + (c.size or ())):
            if self.shape_arg is not None:
                self.apply_shape_arg()
                self.propagate(constraints)
        for c in consts:
            for d in c.shape + (c.size or ()):
                if self.dims.get(d) is None:
                    what = {"I": "I", "eye": "I", "ones": "ones", "zero": "0", "K": "K"}[c.kind]
                    name = "" if isinstance(d, tuple) else f" {d}"
                    raise UnsizedError(
                        f"the size{name} of {what} is unknown: no variable fixes it; pass "
                        f"shape= (the result's shape) to evaluate")
        return self.compute_all()

    def bind_var(self, var: Var, value) -> np.ndarray:
        name = var.name
        a = to_array(name, value)
        r, c = var.shape
        kind = kind_of(var.shape)
        got = arr_shape_text(a.shape)
        if kind == "scalar":
            if a.size != 1 or a.ndim > 2:
                raise EvaluationError(f"{name} should be a scalar, got an array of shape {got}")
            out = a.reshape(1, 1)
        elif kind == "vector":
            if a.ndim == 1:
                actual = [a.shape[0]]
            elif a.ndim == 2 and (a.shape[0] == 1 or a.shape[1] == 1):
                actual = [a.size]
            else:
                size = self.dims.get(r if c == 1 else c)
                want = "" if size is None else f" of {size} entries"
                raise EvaluationError(f"{name} should be a vector{want} ({sym_text(var.shape)}), "
                                      f"got an array of shape {got}")
            sym_dims = [r if c == 1 else c]
            self.check_dims(var, sym_dims, actual, got)
            out = a.reshape((actual[0], 1) if c == 1 else (1, actual[0]))
        else:
            if a.ndim != 2:
                want = [self.dims.get(r), self.dims.get(c)]
                size = "" if None in want else f" {want[0]}×{want[1]}"
                raise EvaluationError(f"{name} should be a{size} matrix ({sym_text(var.shape)}), "
                                      f"got an array of shape {got}")
            self.check_dims(var, [r, c], list(a.shape), got)
            out = a
        if self.check_properties and var.props:
            self.check_props(var, out)
        return out

    def check_dims(self, var: Var, sym_dims: list, actual: list[int], got: str):
        bad = []
        for d, v in zip(sym_dims, actual):  # one at a time: X (n, n) given 3×4 is wrong
            known = self.dims.get(d)
            if known is not None and known != v:
                bad.append(d)
            elif known is None:
                self.dims.learn(d, v, var.name)
        if bad:
            expected = [self.dims.get(d) if self.dims.get(d) is not None else v
                        for d, v in zip(sym_dims, actual)]
            why = []
            for d in bad:
                if isinstance(d, int):
                    continue
                src = self.dims.src.get(d)
                if src is not None and src != var.name:
                    why.append(f"{dim_text(d)}={self.dims.get(d)} from {src}")
            because = f"{sym_text(var.shape)}" + (f" with {', '.join(why)}" if why else "")
            if len(sym_dims) == 1:
                raise EvaluationError(f"{var.name} should have {expected[0]} entries ({because}), "
                                      f"got {got}")
            raise EvaluationError(f"{var.name} should be {expected[0]}×{expected[1]} ({because}), "
                                  f"got {got}")

    def check_props(self, var: Var, a: np.ndarray):
        props = var.props
        name = var.name
        scale = max(1.0, float(np.max(np.abs(a)))) if a.size else 1.0
        if props & {"symmetric", "spd", "diagonal"} and a.shape[0] == a.shape[1]:
            if np.max(np.abs(a - a.T)) > PROPERTY_TOL * scale:
                which = sorted(props & {"symmetric", "spd", "diagonal"})[0]
                raise EvaluationError(f"{name} is declared {which} but the value given for it is "
                                      f"not symmetric")
        if "diagonal" in props and a.shape[0] == a.shape[1]:
            off = a - np.diag(np.diag(a))
            if np.max(np.abs(off)) > PROPERTY_TOL * scale:
                raise EvaluationError(f"{name} is declared diagonal but the value given for it has "
                                      f"non-zero entries off the diagonal")
        if "spd" in props and a.shape[0] == a.shape[1]:
            try:
                np.linalg.cholesky((a + a.T) / 2)
            except np.linalg.LinAlgError:
                raise EvaluationError(f"{name} is declared spd but the value given for it is not "
                                      f"positive definite") from None
        # a diagonal matrix is positive on its diagonal (its other entries are 0)
        entries = np.diag(a) if "diagonal" in props and a.ndim == 2 and a.shape[0] == a.shape[1] else a
        if "positive" in props and np.any(entries <= 0):
            raise EvaluationError(f"{name} is declared positive but the value given for it has an "
                                  f"entry that is not > 0")

    # -- sizes of everything else --
    def constraints(self) -> list[tuple]:
        """Equalities between dimensions: (d1, d2, node, expr1, role1, expr2, role2)."""
        out = []
        for n in walk(self.root):
            (r, c) = n.shape
            if isinstance(n, (Add, Hadamard)):
                for a in n.args:
                    if isinstance(n, Hadamard) and a.is_scalar and not n.is_scalar:
                        continue  # a scalar operand scales (built by hand; hadamard() pulls it out)
                    out.append((a.shape[0], r, n, a, "rows", n, "rows"))
                    out.append((a.shape[1], c, n, a, "columns", n, "columns"))
            elif isinstance(n, Product):
                ch = n.chain
                if ch:
                    out.append((ch[0].shape[0], r, n, ch[0], "rows", n, "rows"))
                    out.append((ch[-1].shape[1], c, n, ch[-1], "columns", n, "columns"))
                for a, b in zip(ch, ch[1:]):
                    out.append((a.shape[1], b.shape[0], n, a, "columns", b, "rows"))
            elif isinstance(n, (Power, MatPow)) or _fkind(n) in (ELEMENTWISE, SAME_SHAPE, SQUARE_TO_SQUARE):
                a = n.children[0]
                out.append((a.shape[0], r, n, a, "rows", n, "rows"))
                out.append((a.shape[1], c, n, a, "columns", n, "columns"))
            elif isinstance(n, Transpose):
                out.append((n.arg.shape[1], r, n, n.arg, "columns", n, "rows"))
                out.append((n.arg.shape[0], c, n, n.arg, "rows", n, "columns"))
            elif _fkind(n) == DIAG:
                a = n.args[0]
                if is_vector_shape(a.shape):
                    d = a.shape[0] if a.shape[1] == 1 else a.shape[1]
                    out.append((d, r, n, a, "entries", n, "rows"))
                    out.append((d, c, n, a, "entries", n, "columns"))
                else:
                    out.append((a.shape[0], r, n, a, "rows", n, "rows"))
            elif _fkind(n) == VEC:
                a = n.args[0]
                out.append((dim_mul(a.shape[0], a.shape[1]), r, n, a, "entries", n, "rows"))
            elif _fkind(n) == KRON:
                a, b = n.args
                out.append((dim_mul(a.shape[0], b.shape[0]), r, n, n, "rows", n, "rows"))
                out.append((dim_mul(a.shape[1], b.shape[1]), c, n, n, "columns", n, "columns"))
            if isinstance(n, MatPow) or _fkind(n) in (SQUARE_TO_SCALAR, SQUARE_TO_SQUARE):
                a = n.children[0]
                out.append((a.shape[0], a.shape[1], n, a, "rows", a, "columns"))
            if _fkind(n) == DIAG and not is_vector_shape(n.args[0].shape):
                a = n.args[0]
                out.append((a.shape[0], a.shape[1], n, a, "rows", a, "columns"))
        return out

    def propagate(self, constraints):
        dims = self.dims
        changed = True
        while changed:
            changed = False
            for d1, d2, node, e1, role1, e2, role2 in constraints:
                v1, v2 = dims.get(d1), dims.get(d2)
                if v1 is None and v2 is not None:
                    changed |= dims.learn(d1, v2)
                elif v2 is None and v1 is not None:
                    changed |= dims.learn(d2, v1)
                elif v1 is not None and v1 != v2:
                    names = sorted({x.name for x in walk(node) if isinstance(x, Var)})
                    src = f" (from the values of {', '.join(names)})" if names else ""
                    if e1 is e2 or e1 == e2:
                        detail = f"{to_text(e1)} has {v1} {role1} and {v2} {role2}"
                    else:
                        detail = f"{to_text(e1)} has {v1} {role1} but {to_text(e2)} has {v2} {role2}"
                    raise EvaluationError(f"sizes do not fit in {to_text(node)}: {detail}{src}")

    def root_shape_known(self) -> bool:
        return all(self.dims.get(d) is not None for d in self.root.shape)

    def _shape_arg_2d(self):
        """The ``shape`` argument as the root's (rows, cols)."""
        s = self.shape_arg
        try:
            s = tuple(int(x) for x in s)
        except (TypeError, ValueError):
            raise EvaluationError(f"shape= must be a tuple of sizes, got {self.shape_arg!r}") from None
        if any(x < 0 for x in s) or len(s) > 2:
            raise EvaluationError(f"shape= must be (), (n,) or (m, n), got {self.shape_arg!r}")
        r, c = self.root.shape
        kind = kind_of(self.root.shape)
        if kind == "scalar":
            if math.prod(s) != 1:
                raise EvaluationError(f"shape={s} does not fit: {to_text(self.root)} is a scalar")
            return (1, 1)
        if kind == "vector":
            if sum(1 for x in s if x != 1) > 1:
                raise EvaluationError(f"shape={s} does not fit: {to_text(self.root)} is a vector")
            n = math.prod(s)
            return (n, 1) if c == 1 else (1, n)
        if len(s) != 2:
            raise EvaluationError(f"shape={s} does not fit: {to_text(self.root)} is a matrix")
        return s

    def apply_shape_arg(self):
        for d, v in zip(self.root.shape, self._shape_arg_2d()):
            self.dims.learn(d, v, "shape=")

    def check_shape_arg(self):
        want = self._shape_arg_2d()
        have = tuple(self.dims.get(d) for d in self.root.shape)
        if tuple(want) != have:
            raise EvaluationError(f"shape={tuple(self.shape_arg)} does not fit: "
                                  f"{to_text(self.root)} is {have[0]}×{have[1]} with the values given")

    def size(self, shape) -> tuple[int, int]:
        return (self.dims.get(shape[0]), self.dims.get(shape[1]))

    # -- the numbers --
    def deps(self, n: Expr) -> tuple[Expr, ...]:
        if isinstance(n, Product) and len(n.chain) > 1:
            return tuple(s for s, _ in n.scalars) + tuple(
                f.args[0] if _is_inv(f) else f for f in n.chain)
        return n.children

    def compute_all(self) -> np.ndarray:
        memo: dict[Expr, np.ndarray] = {}
        self.memo = memo
        stack = [(self.root, False)]
        while stack:
            n, done = stack.pop()
            if n in memo:
                continue
            if not done:
                stack.append((n, True))
                for ch in reversed(self.deps(n)):
                    if ch not in memo:
                        self.parent.setdefault(ch, n)
                        stack.append((ch, False))
                continue
            try:
                v = self.compute(n)
            except MatdiffError:
                raise
            except (ValueError, ArithmeticError) as ex:  # a safety net; should not happen
                raise EvaluationError(f"cannot evaluate {to_text(n)}: {ex}") from None
            if not np.all(np.isfinite(v)):
                raise EvaluationError(f"{to_text(n)} is not finite with the values given "
                                      f"(an entry overflows)")
            memo[n] = v
        return memo[self.root]

    def compute(self, n: Expr) -> np.ndarray:
        m = self.memo
        if isinstance(n, Var):
            return self.inputs[n.name]
        if isinstance(n, Num):
            return np.full((1, 1), float(n.value))
        if isinstance(n, Const):
            r, c = self.size(n.shape)
            if n.kind in ("I", "eye"):
                if r != c:
                    raise EvaluationError(f"I would be {r}×{c}, not square")
                return np.eye(r)
            if n.kind == "ones":
                return np.ones((r, c))
            if n.kind == "zero":
                return np.zeros((r, c))
            if n.kind == "K":
                return commutation_matrix(*self.size(n.size))
            raise NotSupportedError(f"cannot evaluate the constant {n.kind!r}")
        if isinstance(n, Add):
            out = m[n.args[0]].copy()
            for a in n.args[1:]:
                out += m[a]
            return out
        if isinstance(n, Hadamard):
            out = m[n.args[0]]
            for a in n.args[1:]:
                out = out * m[a]
            return out
        if isinstance(n, Product):
            return self.product(n)
        if isinstance(n, Power):
            return self.power(m[n.base], n.exp, n, n.base)
        if isinstance(n, MatPow):
            a = m[n.base]
            if n.exp < 0:
                a = self.inverse(a, n, n.base)
            return np.linalg.matrix_power(a, abs(n.exp))
        if isinstance(n, Transpose):
            return m[n.arg].T
        if isinstance(n, Func):
            return self.func(n)
        raise NotSupportedError(f"cannot evaluate a {type(n).__name__} node")

    def product(self, n: Product) -> np.ndarray:
        m = self.memo
        k = float(n.coeff)
        for s, p in n.scalars:
            k *= float(self.power(m[s], p, n, s)[0, 0])
        if not n.chain:
            return np.full((1, 1), k)
        if len(n.chain) == 1:
            return k * m[n.chain[0]]
        # items: ("mat", M) or ("inv", A, node); inv(A)*M is solve(A, M)
        items = [("inv", m[f.args[0]], f) if _is_inv(f) else ("mat", m[f], f) for f in n.chain]
        for i in range(len(items) - 1, -1, -1):
            it = items[i]
            if it[0] == "inv" and i + 1 < len(items) and items[i + 1][0] == "mat":
                self.check_invertible(it[1], it[2], it[2].args[0])
                items[i:i + 2] = [("mat", np.linalg.solve(it[1], items[i + 1][1]), None)]
        if len(items) > 1 and items[-1][0] == "inv" and items[-2][0] == "mat":
            _, a, f = items[-1]
            self.check_invertible(a, f, f.args[0])
            items[-2:] = [("mat", np.linalg.solve(a.T, items[-2][1].T).T, None)]
        mats = [it[1] if it[0] == "mat" else self.inverse(it[1], it[2], it[2].args[0])
                for it in items]
        if len(mats) == 1:
            out = mats[0]
        elif len(mats) == 2:
            out = mats[0] @ mats[1]
        else:
            out = np.linalg.multi_dot(mats)
        return k * out

    def power(self, base: np.ndarray, k, node: Expr, base_expr: Expr) -> np.ndarray:
        """Elementwise ``base .^ k``; k a Fraction or float."""
        if isinstance(k, Fraction) and k.denominator == 1 or isinstance(k, float) and k.is_integer():
            ki = int(k)
            if ki < 0 and np.any(base == 0):
                self.division_by_zero(node, base_expr)
            return base ** float(ki)
        if isinstance(k, Fraction) and k.denominator % 2 == 1:  # real odd root
            if k < 0 and np.any(base == 0):
                self.division_by_zero(node, base_expr)
            out = np.abs(base) ** float(k)
            return out * np.sign(base) if k.numerator % 2 else out
        if np.any(base < 0):
            what = "number" if base_expr.is_scalar else "entry"
            raise EvaluationError(f"{to_text(node)}: a fractional power of a negative {what} "
                                  f"({to_text(base_expr)} has {_worst(base, base < 0)})")
        if k < 0 and np.any(base == 0):
            self.division_by_zero(node, base_expr)
        return base ** float(k)

    def division_by_zero(self, node: Expr, base_expr: Expr):
        where = node
        p = self.parent.get(node)
        if isinstance(node, Power) and isinstance(p, (Hadamard, Product)):
            where = p
        what = "is 0" if base_expr.is_scalar else "has a zero entry"
        raise EvaluationError(f"division by zero in {to_text(where)}: {to_text(base_expr)} {what}")

    def check_invertible(self, a: np.ndarray, node: Expr, arg: Expr):
        if a.shape[0] == 0:
            return
        cond = np.linalg.cond(a)
        if not np.isfinite(cond) or cond > SINGULAR_COND:
            raise EvaluationError(f"{to_text(node)}: {to_text(arg)} is singular "
                                  f"(or numerically so) with the values given")

    def inverse(self, a: np.ndarray, node: Expr, arg: Expr) -> np.ndarray:
        self.check_invertible(a, node, arg)
        return np.linalg.solve(a, np.eye(a.shape[0]))

    def func(self, n: Func) -> np.ndarray:
        f = FUNCTIONS.get(n.name)
        if f is None:
            raise NotSupportedError(f"cannot evaluate the function {n.name!r}")
        arg = n.args[0]
        a = self.memo[arg]
        self.check_domain(f, a, n, arg)
        return f.value(*(self.memo[x] for x in n.args))

    def check_domain(self, f, a: np.ndarray, n: Func, arg: Expr):
        """An ``EvaluationError`` naming the sub-expression where ``a`` is outside f's domain."""
        if f.domain.bad is not None:
            bad = f.domain.bad(a)
            if np.any(bad):
                what = f.domain.outside.format(what="number" if arg.is_scalar else "entry")
                raise EvaluationError(f"{to_text(n)}: {f.name} of {what} "
                                      f"({to_text(arg)} has {_worst(a, bad)})")
        elif f.domain is INVERTIBLE:
            self.check_invertible(a, n, arg)
        elif f.domain is POSITIVE_DET and np.linalg.slogdet(a)[0] <= 0:
            raise EvaluationError(f"{to_text(n)}: {f.name} of a matrix whose determinant is not "
                                  f"positive (det({to_text(arg)}) = {np.linalg.det(a):.6g})")


def _fkind(n: Expr) -> str | None:
    """The shape kind of a function node (functions.py), None for other nodes."""
    return FUNCTIONS[n.name].kind if isinstance(n, Func) and n.name in FUNCTIONS else None


def _is_inv(f: Expr) -> bool:
    return isinstance(f, Func) and f.name == "inv"


def _worst(a: np.ndarray, bad: np.ndarray) -> str:
    """The first offending entry, for an error message."""
    v = float(a[bad].reshape(-1)[0])
    return f"{v:.6g}"
