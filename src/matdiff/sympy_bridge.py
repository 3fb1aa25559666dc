"""SymPy in and out: SymPy matrix expressions to matdiff's text and back (docs/sympy.md).

``from_sympy`` writes a SymPy matrix expression (``MatrixSymbol``, ``MatMul``, ``MatAdd``,
``Transpose``, ``Inverse``, ``MatPow``, ``Trace``, ``Determinant``, ``HadamardProduct``,
``HadamardPower``, ``ElementwiseApplyFunction``, ``Identity``, ``OneMatrix``, ``ZeroMatrix``,
``KroneckerProduct``, ``DiagMatrix``, ``DiagonalOf``, scalar ``Symbol``s and numbers) in the
language, with a declaration per variable taken from its SymPy shape.  ``to_sympy`` types a
text of the language and builds the SymPy expression of its tree.

SymPy is imported only when one of these functions is called: it is an optional extra.
A SymPy vector is an n×1 matrix; matdiff declares it ``vector(n)``.  A matdiff scalar that
SymPy sees as a 1×1 matrix (``x'*y``) is wrapped in ``Trace`` where SymPy needs a scalar.
"""
from __future__ import annotations

import operator
import re
from functools import reduce

from . import expr as E
from .dims import Dim
from .errors import NotSupportedError
from .functions import ELEMENTWISE, FUNCTIONS
from .parse import NAME_PATTERN
from .shapes import typecheck

_NAME = re.compile(NAME_PATTERN + r"\Z")

# SymPy's name of an elementwise function -> matdiff's (the entries' ``sympy``, functions.py)
_FROM_FUNC = {f.sympy: f.name for f in FUNCTIONS.values()
              if f.kind == ELEMENTWISE and isinstance(f.sympy, str)}


def _sympy():
    try:
        import sympy
    except ImportError:  # pragma: no cover - depends on the installation
        raise NotSupportedError("SymPy is not installed: pip install 'matdiff[sympy]'") from None
    return sympy


def is_sympy(obj) -> bool:
    """Whether ``obj`` is a SymPy object (without importing SymPy)."""
    return type(obj).__module__.startswith("sympy.")


# ---- SymPy -> text ---------------------------------------------------------------

class _Reader:
    """Writes one SymPy expression as text, collecting declarations and symbols."""

    def __init__(self, sp):
        self.sp = sp
        self.decls: dict[str, str] = {}
        self.symbols: dict[str, object] = {}

    def name(self, sym, decl: str) -> str:
        name = str(sym.name)
        if not _NAME.match(name):
            raise NotSupportedError(f"the SymPy symbol {name!r} is not a name matdiff can read; "
                                    "rename it (letters, digits and _)")
        if self.decls.get(name, decl) != decl:
            raise NotSupportedError(f"the SymPy symbol {name!r} occurs with two shapes")
        self.decls[name] = decl
        self.symbols[name] = sym
        return name

    def dim(self, d) -> str:
        sp = self.sp
        if isinstance(d, sp.Integer) or isinstance(d, int):
            return str(int(d))
        if isinstance(d, sp.Symbol):
            self.symbols[str(d.name)] = d
            return self.name_only(d)
        raise NotSupportedError(f"matdiff cannot read the dimension {d} (a dimension is a "
                                "name or a number)")

    def name_only(self, d) -> str:
        if not _NAME.match(str(d.name)):
            raise NotSupportedError(f"the dimension {d.name!r} is not a name matdiff can read")
        return str(d.name)

    def matrix_symbol(self, m) -> str:
        r, c = m.shape
        if c == 1:
            return self.name(m, f"vector({self.dim(r)})")
        if r == 1:
            return self.name(m, f"vector({self.dim(c)})") + "'"
        return self.name(m, f"matrix({self.dim(r)},{self.dim(c)})")

    def wrap(self, e) -> str:
        """The text of ``e`` as an operand: parenthesised unless it is atomic."""
        sp = self.sp
        t = self.text(e)
        atoms = (sp.Symbol, sp.MatrixSymbol, sp.Identity, sp.Trace, sp.Determinant, sp.Inverse,
                 sp.Function)
        atomic = isinstance(e, atoms) or isinstance(e, sp.OneMatrix) and 1 in e.shape
        atomic = atomic or isinstance(e, sp.Transpose) and isinstance(e.arg, sp.MatrixSymbol)
        if atomic or (isinstance(e, (sp.Integer, sp.Float)) and e >= 0):
            return t
        return f"({t})"

    def number(self, e) -> str:
        sp = self.sp
        if isinstance(e, sp.Integer):
            return str(int(e))
        if isinstance(e, sp.Rational):
            return f"{e.p}/{e.q}"
        if isinstance(e, sp.Float):
            return repr(float(e))
        raise NotSupportedError(f"matdiff cannot read the SymPy number {e}")

    def text(self, e) -> str:  # noqa: C901 - one case per SymPy class
        sp = self.sp
        from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
        from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalOf
        from sympy.matrices.expressions.matexpr import MatrixElement
        if isinstance(e, sp.MatrixSymbol):
            return self.matrix_symbol(e)
        if isinstance(e, sp.Symbol):
            return self.name(e, "scalar")
        if isinstance(e, sp.Number):
            return self.number(e)
        if isinstance(e, sp.Identity):
            return f"I({self.dim(e.shape[0])})"
        if isinstance(e, sp.OneMatrix):
            r, c = e.shape
            return "ones" if c == 1 else "ones'" if r == 1 else "ones*ones'"
        if isinstance(e, sp.ZeroMatrix):
            return "0"
        if isinstance(e, (sp.MatMul, sp.Mul)):
            return self.product(e.args)
        if isinstance(e, (sp.MatAdd, sp.Add)):
            out = ""
            for k, term in enumerate(e.args):
                t = self.text(term)
                out += t if k == 0 else (f" - {t[1:]}" if t.startswith("-") else f" + {t}")
            return out
        if isinstance(e, sp.Transpose):
            return f"{self.wrap(e.arg)}'"
        if isinstance(e, sp.Inverse):
            return f"inv({self.text(e.arg)})"
        if isinstance(e, sp.MatPow):
            return f"{self.wrap(e.base)}^{self.wrap(e.exp)}"
        if isinstance(e, sp.Trace):
            return f"tr({self.text(e.arg)})"
        if isinstance(e, sp.Determinant):
            return f"det({self.text(e.arg)})"
        if isinstance(e, sp.HadamardProduct):
            return " .* ".join(self.wrap(a) for a in e.args)
        if isinstance(e, sp.HadamardPower):
            return f"{self.wrap(e.base)}.^{self.wrap(e.exp)}"
        if isinstance(e, sp.KroneckerProduct):
            return reduce(lambda a, b: f"kron({a}, {b})", (self.text(a) for a in e.args))
        if isinstance(e, DiagMatrix):
            return f"diag({self.text(e.args[0])})"
        if isinstance(e, DiagonalOf):
            return f"diag({self.text(e.arg)})"
        if isinstance(e, ElementwiseApplyFunction):
            d = sp.Dummy("d")
            kind = "vector" if 1 in e.shape else "matrix"
            return self.elementwise(e.function(d), d, self.wrap(e.expr), kind)
        if isinstance(e, MatrixElement) and e.parent.shape == (1, 1):
            return self.text(e.parent)
        if isinstance(e, sp.Pow):
            if e.exp == sp.Rational(1, 2):
                return f"sqrt({self.text(e.base)})"
            return f"{self.wrap(e.base)}^{self.wrap(e.exp)}"
        if isinstance(e, sp.log) and isinstance(e.args[0], sp.Determinant):
            return f"logdet({self.text(e.args[0].arg)})"
        if isinstance(e, sp.Function) and type(e).__name__ in _FROM_FUNC and len(e.args) == 1:
            return f"{_FROM_FUNC[type(e).__name__]}({self.text(e.args[0])})"
        raise NotSupportedError(f"matdiff cannot read the SymPy {type(e).__name__} {e}")

    def product(self, args) -> str:
        sp = self.sp
        sign, parts = "", []
        for a in args:
            if a == -1:
                sign = "-" if not sign else ""
            elif isinstance(a, sp.Number) and a < 0:
                sign = "-" if not sign else ""
                parts.append(self.number(-a))
            elif isinstance(a, sp.Pow) and a.exp == -1 and not isinstance(a.base, sp.MatrixExpr):
                parts.append(f"1/{self.wrap(a.base)}")
            else:
                parts.append(self.wrap(a))
        return sign + ("*".join(parts) or "1")

    def elementwise(self, body, d, arg: str, kind: str) -> str:
        """``body``, a scalar expression of the dummy ``d``, applied entry by entry to ``arg``."""
        sp = self.sp
        if body == d:
            return arg
        if isinstance(body, sp.Number):
            return f"{kind}({self.number(body)})"
        parts = [self.elementwise(a, d, arg, kind) for a in body.args]
        if isinstance(body, sp.Add):
            return "(" + " + ".join(parts) + ")"
        if isinstance(body, sp.Mul):
            coeff, rest = body.as_coeff_Mul()
            if coeff != 1:  # a number scales: c*(...)
                return f"{self.wrap(coeff)}*{self.elementwise(rest, d, arg, kind)}"
            return "(" + " .* ".join(parts) + ")"
        if isinstance(body, sp.Pow) and isinstance(body.exp, sp.Number):
            return f"{parts[0]}.^{self.wrap(body.exp)}"
        if isinstance(body, sp.Function) and type(body).__name__ in _FROM_FUNC and len(parts) == 1:
            return f"{_FROM_FUNC[type(body).__name__]}({parts[0]})"
        raise NotSupportedError(f"matdiff cannot read {body} as an elementwise function; "
                                "write it with matdiff's functions (exp, log, tanh, ...)")


def from_sympy(expression) -> tuple[str, dict[str, str]]:
    """A SymPy matrix expression as ``(text, declarations)`` of matdiff's language.

    Arguments:
        expression: a SymPy (matrix) expression.

    Returns:
        The text, and a dict of declarations (``{"X": "matrix(n,n)", "x": "vector(n)"}``)
        from the shapes of its ``MatrixSymbol``s; scalar ``Symbol``s are ``scalar``.

    Examples:
        >>> import sympy as sp
        >>> from matdiff.sympy_bridge import from_sympy
        >>> n = sp.Symbol("n")
        >>> X, x = sp.MatrixSymbol("X", n, n), sp.MatrixSymbol("x", n, 1)
        >>> from_sympy(x.T * X * x)
        ("x'*X*x", {'x': 'vector(n)', 'X': 'matrix(n,n)'})
        >>> from_sympy(sp.log(sp.Determinant(X)))
        ('logdet(X)', {'X': 'matrix(n,n)'})
    """
    r = _Reader(_sympy())
    return r.text(expression), r.decls


def _read(expression, sp) -> tuple[str, dict[str, str], dict]:
    r = _Reader(sp)
    return r.text(expression), r.decls, r.symbols


def _merge(decls: dict, vars) -> dict | list | str:
    """SymPy's declarations under the user's own (which win)."""
    if not vars:
        return decls
    if isinstance(vars, dict):
        return {**decls, **vars}
    extra = [vars] if isinstance(vars, str) else list(vars)
    return [f"{k}: {v}" for k, v in decls.items()] + extra


def _wrt_names(wrt):
    if is_sympy(wrt):
        return str(wrt.name)
    if isinstance(wrt, (list, tuple)):
        return [str(w.name) if is_sympy(w) else w for w in wrt]
    return wrt


def read_call(expression, wrt, vars):
    """``md.derivative``'s arguments with a SymPy expression and ``wrt``, as text:
    ``(text, wrt, vars, symbols)``."""
    text, decls, symbols = _read(expression, _sympy())
    return text, _wrt_names(wrt), _merge(decls, vars), symbols


def read_claim(claim, vars):
    """A SymPy claim for ``md.check`` as ``(claim text, vars)``: a tuple ``(F, X, RESULT)``,
    or ``Eq(Derivative(F, X), RESULT, evaluate=False)``."""
    sp = _sympy()
    if isinstance(claim, sp.Eq) and isinstance(claim.lhs, sp.Derivative):
        f, wrt, result = claim.lhs.expr, claim.lhs.variables[0], claim.rhs
    elif isinstance(claim, tuple) and len(claim) == 3:
        f, wrt, result = claim
    else:
        raise NotSupportedError("a SymPy claim is a tuple (F, X, RESULT) or "
                                "Eq(Derivative(F, X), RESULT, evaluate=False)")
    r = _Reader(sp)
    f_text, result_text = r.text(f), r.text(result) if is_sympy(result) else str(result)
    return f"d/d{_wrt_names(wrt)} {f_text} = {result_text}", _merge(r.decls, vars)


# ---- text -> SymPy ---------------------------------------------------------------

class _Writer:
    """Builds the SymPy expression of a typed matdiff tree."""

    def __init__(self, sp, symbols: dict):
        self.sp = sp
        self.symbols = symbols

    def dim(self, d):
        sp = self.sp
        if isinstance(d, int):
            return sp.Integer(d)
        parts = d.parts if isinstance(d, Dim) else (d,)
        return reduce(operator.mul, (self.dim_symbol(str(p)) for p in parts))

    def dim_symbol(self, name: str):
        if name.isdigit():
            return self.sp.Integer(int(name))
        s = self.symbols.get(name)
        return s if isinstance(s, self.sp.Symbol) else self.sp.Symbol(name)

    def var(self, v: E.Var):
        sp = self.sp
        known = self.symbols.get(v.name)
        if v.shape == E.SCALAR:
            return known if isinstance(known, sp.Symbol) else sp.Symbol(v.name)
        shape = tuple(self.dim(d) for d in v.shape)
        if isinstance(known, sp.MatrixSymbol) and tuple(known.shape) == shape:
            return known
        return sp.MatrixSymbol(v.name, *shape)

    def scalar(self, e: E.Expr):
        """``e`` (a matdiff scalar) as a SymPy scalar: a 1×1 matrix becomes its trace."""
        s = self.build(e)
        return self.sp.Trace(s) if isinstance(s, self.sp.MatrixExpr) else s

    def number(self, v):
        sp = self.sp
        return sp.Float(v) if isinstance(v, float) else sp.Rational(v.numerator, v.denominator)

    def build(self, e: E.Expr):  # noqa: C901 - one case per node type
        sp = self.sp
        if isinstance(e, E.Var):
            return self.var(e)
        if isinstance(e, E.Num):
            return self.number(e.value)
        if isinstance(e, E.Const):
            r, c = (self.dim(d) for d in e.shape)
            if e.kind in ("I", "eye"):
                return sp.Identity(r)
            if e.kind == "K":
                raise NotSupportedError("SymPy has no commutation matrix K(m, n)")
            if e.shape == E.SCALAR:
                return sp.Integer(1 if e.kind == "ones" else 0)
            return sp.OneMatrix(r, c) if e.kind == "ones" else sp.ZeroMatrix(r, c)
        if isinstance(e, E.Add):
            terms = [self.scalar(a) if e.is_scalar else self.build(a) for a in e.args]
            return reduce(operator.add, terms)
        if isinstance(e, E.Product):
            out = self.number(e.coeff)
            for s, p in e.scalars:
                out = out * self.scalar(s) ** self.number(p)
            return reduce(operator.mul, [self.build(c) for c in e.chain], out)
        if isinstance(e, E.Hadamard):
            if e.is_scalar:
                return reduce(operator.mul, [self.scalar(a) for a in e.args])
            return sp.HadamardProduct(*[self.build(a) for a in e.args])
        if isinstance(e, E.Power):
            if e.is_scalar:
                return self.scalar(e.base) ** self.number(e.exp)
            return sp.HadamardPower(self.build(e.base), self.number(e.exp))
        if isinstance(e, E.MatPow):
            return sp.MatPow(self.build(e.base), e.exp)
        if isinstance(e, E.Transpose):
            return sp.Transpose(self.build(e.arg))
        if isinstance(e, E.Func):
            return self.func(e)
        raise NotSupportedError(f"no SymPy form for {type(e).__name__}")

    def func(self, e: E.Func):
        sp = self.sp
        from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalOf
        name, a = e.name, e.args[0]
        f = _elementwise_sympy(name, sp)
        if f is not None:
            if a.is_scalar:
                return f(self.scalar(a))
            d = sp.Dummy("d")
            return self.build(a).applyfunc(sp.Lambda(d, f(d)))
        if name == "pow":   # u.^v with v a scalar expression
            v = self.scalar(e.args[1])
            if a.is_scalar:
                return self.scalar(a) ** v
            d = sp.Dummy("d")
            return self.build(a).applyfunc(sp.Lambda(d, d ** v))
        if name == "tr":
            return self.scalar(a) if a.is_scalar else sp.Trace(self.build(a))
        if name in ("det", "logdet"):
            det = self.scalar(a) if a.is_scalar else sp.Determinant(self.build(a))
            return sp.log(det) if name == "logdet" else det
        if name == "inv":
            return 1 / self.scalar(a) if a.is_scalar else sp.Inverse(self.build(a))
        if name == "adj":  # SymPy has no adjugate of a matrix symbol: det(A)*inv(A), equal where A is invertible
            return sp.Integer(1) if a.is_scalar else sp.Determinant(self.build(a)) * sp.Inverse(self.build(a))
        if name == "kron":
            return sp.KroneckerProduct(self.build(a), self.build(e.args[1]))
        if name == "diag":
            m = self.build(a)
            if E.is_vector_shape(a.shape):
                return DiagMatrix(m if a.shape[1] == 1 else sp.Transpose(m))
            return DiagonalOf(m)
        if name in ("sum", "norm1", "norm2"):
            if a.is_scalar:
                s = self.scalar(a)
                return sp.Abs(s) if name != "sum" else s
            m = self.build(a)
            if name == "norm2":
                return sp.sqrt(sp.Trace(sp.Transpose(m) * m))
            if name == "norm1":
                m = m.applyfunc(sp.Abs)
            r, c = m.shape
            return sp.Trace(sp.OneMatrix(1, r) * m * sp.OneMatrix(c, 1))
        raise NotSupportedError(f"SymPy has no matrix expression for {name}(...)")


def _elementwise_sympy(name: str, sp):
    """matdiff's elementwise function as a SymPy function of one scalar, or None."""
    f = FUNCTIONS.get(name)
    if f is None or f.kind != ELEMENTWISE:
        return None
    return getattr(sp, f.sympy) if isinstance(f.sympy, str) else f.sympy(sp)


def to_sympy(text: str, vars=None, types: str = "default", symbols=None):
    """An expression of matdiff's language as a SymPy matrix expression.

    Arguments:
        text: an expression of the language (not index notation).
        vars: declarations, as for ``md.derivative``.
        types: the naming convention for undeclared names.
        symbols: SymPy symbols to reuse by name (a dict or a list of ``MatrixSymbol`` /
            ``Symbol``); other names become new symbols, dimensions plain ``Symbol``s.

    Returns:
        A SymPy expression: a ``MatrixExpr`` for a vector (n×1) or a matrix, a scalar
        expression for a scalar (a 1×1 product stays a 1×1 ``MatMul``).

    Examples:
        >>> import matdiff as md
        >>> md.to_sympy("x'*(A + A')")
        x.T*(A + A.T)
        >>> md.to_sympy("logdet(X) + tr(X)")
        log(Determinant(X)) + Trace(X)
    """
    sp = _sympy()
    if isinstance(text, str) and text.lstrip().startswith("T["):
        raise NotSupportedError("an index form (T[...] = ...) has no SymPy matrix expression")
    if symbols is not None and not isinstance(symbols, dict):
        symbols = {str(s.name): s for s in symbols}
    typed = typecheck(text, vars, types)
    return _Writer(sp, dict(symbols or {})).build(typed.expr)


def declarations_of(typed) -> dict[str, str]:
    """The declarations of a typed expression's variables, from their shapes."""
    out = {}
    for name, v in typed.variables.items():
        decl = typed.decls.get(name)
        r, c = v.shape
        kind = decl.kind if decl else ("scalar" if v.shape == E.SCALAR else
                                       "vector" if c == 1 else "matrix")
        dims = {"scalar": "", "vector": f"({r})", "matrix": f"({r},{c})"}[kind]
        props = " ".join(sorted(v.props))
        out[name] = f"{kind}{dims}" + (f" {props}" if props else "")
    return out


def result_to_sympy(result, symbols=None):
    """A derivative (``md.derivative``'s result) as a SymPy expression; see ``Result.to_sympy``."""
    if getattr(result, "expr", None) is None:
        raise NotSupportedError("a derivative with three or more indices has no SymPy matrix "
                                "expression; use r.vec() or r.text")
    symbols = symbols if symbols is not None else getattr(result, "sympy_symbols", None)
    return to_sympy(result.text, declarations_of(result.typed), symbols=symbols)
