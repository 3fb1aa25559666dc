"""The language's functions, one entry each: everything that makes ``sigmoid`` or ``logdet`` what it is.

Every stage reads this table instead of testing names: the parser (names, aliases,
arity), the typer (shape kind, what a function is on a scalar), the differentiator
(f'(u) of an elementwise function), the simplifier (f(0), the transpose, exact values
of numbers), the evaluator (NumPy value and domain), the LaTeX printer, the code
backends (``spell``), the checker's sampler (``domain``) and the help texts.

Rules that need a stage's own machinery stay in that stage, as in JAX: the index-
notation rules of the structural functions (``d tr``, ``d inv``, ``d vec``) in
``diff.py``, the precedence-dependent LaTeX of ``inv``, ``expm``, ``kron`` and ``norm2``
in ``render/latex.py``, inverse-as-solve in the evaluator and in codegen.

This module sits below ``expr.py`` (which reads the shape kinds), so it does not import
it: the Expr builders here (``derivative``, ``on_scalar``) take the expression module as
their second argument, ``E``, and are called as ``f.derivative(u, E)``.

How to add an elementwise function: one ``_elementwise(...)`` entry below (value, domain,
f'(u), fold, f(0), LaTeX, backend spellings, SymPy form), a case in ``tests/test_rules.py``
with the test's own NumPy reference, and a place in the generators of
``tests/test_properties.py`` and ``scripts/fuzz.py``.  A structural function also needs its
rule in ``diff.py`` (``FUNC_RULES``) and, where the generic forms do not fit, in the
stages that handle its shape kind.  ``tests/test_function_table.py`` says what is missing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import numpy as np

from .linalg import expm

# ---- shape kinds: the result's shape from the arguments' ---------------------------
ELEMENTWISE = "elementwise"                # same shape as the argument
SAME_SHAPE = "same shape"                  # same shape, each entry a function of all of them (softmax)
SQUARE_TO_SCALAR = "square->scalar"        # tr, det, logdet
SQUARE_TO_SQUARE = "square->square"        # inv, expm
ANY_TO_SCALAR = "any->scalar"              # sum and the norms
DIAG = "diag"                              # vector -> diagonal matrix, square matrix -> its diagonal
VEC = "vec"                                # m×n -> mn×1, column-major
KRON = "kron"                              # (m×n, p×q) -> mp×nq
POWER = "power"                            # (U, s) -> U's shape: u.^s with a scalar expression s

# ---- how a function meets the transpose ---------------------------------------------
COMMUTES = "commutes"      # f(A') = f(A)'
INVARIANT = "invariant"    # f(A') = f(A)

# f(0) of a matrix function whose value at the zero matrix is the identity (expm)
IDENTITY = "I"

BACKENDS = ("numpy", "jax", "torch", "dask")


@dataclass(frozen=True)
class Domain:
    """Where a function is defined (and differentiable), for the evaluator and the sampler.

    ``bad`` marks the entries of an array outside the domain (elementwise functions), and
    ``outside`` says how such an entry is described in the error ("a non-positive {what}",
    ``what`` being "number" or "entry").  ``sample`` is what a checker's random input
    under this function must be: "real", "positive", "away from 0" (a kink),
    "away from a pole", "invertible"."""
    name: str
    sample: str = "real"
    bad: Callable | None = None
    outside: str = ""


REAL = Domain("real")
POSITIVE = Domain("positive", "positive", lambda a: a <= 0, "a non-positive {what}")
NONNEGATIVE = Domain("nonnegative", "positive", lambda a: a < 0, "a negative {what}")
UNIT_INTERVAL = Domain("unit interval", "positive", lambda a: np.abs(a) > 1,
                       "an {what} outside [-1, 1]")
ABOVE_MINUS_1 = Domain("above -1", "positive", lambda a: a <= -1, "an {what} at or below -1")
KINK_AT_0 = Domain("kink at 0", "away from 0")       # defined everywhere, not differentiable at 0
POLES = Domain("poles at odd multiples of pi/2", "away from a pole")   # tan: huge and steep near one
SQUARE = Domain("square", "invertible")              # det: defined everywhere; d det needs inv(U)
INVERTIBLE = Domain("invertible", "invertible")
POSITIVE_DET = Domain("positive determinant", "invertible")


@dataclass(frozen=True)
class Function:
    """One function of the language.  Fields a stage does not need for a kind stay None.

    - ``value``: the NumPy value on float64 2-D arrays (one per argument), inside ``domain``
      (the evaluator checks the domain first);
    - ``derivative``: f'(u) as an Expr, ``derivative(u, E)``, for an elementwise function
      (``diff.py`` holds the rules of the structural ones);
    - ``fold``: f(c) for a Python number c, exact (a Fraction) where that is easy, None
      where f(c) is undefined — the simplifier folds ``f(c*ones)``;
    - ``at_zero``: f of the zero array, entrywise (a number), ``IDENTITY``, or None;
    - ``transpose``: ``COMMUTES`` (f(A') = f(A)'), ``INVARIANT`` (f(A') = f(A)) or None;
    - ``on_scalar``: what f(s) is for a scalar s, an Expr ``on_scalar(s, E)`` (tr(s) = s);
    - ``undoes``: the function g with f(g(u)) = u for every real u (log undoes exp);
    - ``positive``: f(u) > 0 wherever it is defined (exp, sigmoid, softplus): the simplifier
      may split such a factor off under a log (simplify/logexp.py);
    - ``latex``: an operator applied to the parenthesized argument (``\\exp``), or a
      callable from the argument's LaTeX to an atom; None where ``render/latex.py`` has a
      structural rule;
    - ``spell``: per backend, a format string of the call on dense arrays, ``{}`` standing
      for the argument(s) in order; a name starting with ``_`` is a helper of that
      backend's prelude (``HELPERS``).  Codegen may pick a structured form instead (inverse
      as solve, a lazy diagonal).
    - ``sympy``: an elementwise function's SymPy form: the name of a SymPy function of one
      argument (``"asin"``: read and written by ``sympy_bridge.py``), or ``sympy -> a
      function of one scalar`` (written only).
    """
    name: str
    kind: str
    value: Callable
    spell: dict
    latex: str | Callable | None = None
    aliases: tuple[str, ...] = ()
    arity: int = 1
    domain: Domain = REAL
    derivative: Callable | None = None
    fold: Callable | None = None
    at_zero: object = None
    transpose: str | None = None
    on_scalar: Callable | None = None
    undoes: str | None = None
    positive: bool = False
    sympy: str | Callable | None = None


# ---- small helpers for the entries ---------------------------------------------------

def _one(u, E):
    return E.Num(1) if u.is_scalar else E.ones(u.shape)


def _recip(u, E):
    return E.power(u, -1)


def _folded(f: Callable, where: Callable = lambda x: True) -> Callable:
    """f(c) from a float function: an integral value exact, None outside ``where``."""
    def fold(c):
        x = float(c)
        if not where(x):
            return None
        v = f(x)
        return Fraction(int(v)) if v.is_integer() else v
    return fold


def _lib(name: str, numpy: str | None = None, jax: str | None = None, torch: str | None = None,
         dask: str | None = None) -> dict:
    """Spellings: ``np.name(...)``, ``jnp.name(...)``, ``torch.name(...)``, ``da.name(...)``
    unless given."""
    return {"numpy": numpy or f"np.{name}({{}})", "jax": jax or f"jnp.{name}({{}})",
            "torch": torch or f"torch.{name}({{}})", "dask": dask or f"da.{name}({{}})"}


def _sigmoid(a: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-a)) without overflow for large |a|."""
    out = np.empty_like(a)
    pos = a >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-a[pos]))
    ex = np.exp(a[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def _scalar(v) -> np.ndarray:
    return np.full((1, 1), v)


def _diag(a: np.ndarray) -> np.ndarray:
    if 1 in a.shape:                     # a vector (or a number): the diagonal matrix
        return np.diag(a.reshape(-1))
    return np.diag(a).reshape(-1, 1).copy()


def _logdet(a: np.ndarray) -> np.ndarray:
    return _scalar(np.linalg.slogdet(a)[1])   # the sign is the domain's (POSITIVE_DET) business


def _adj(a: np.ndarray) -> np.ndarray:
    """The adjugate, from the SVD a = U S V': adj(a) = det(U) det(V) V adj(S) U', adj(S)_ii
    the product of the other singular values, so it is defined (and exact) where a is singular."""
    n = a.shape[0]
    if n == 1:
        return np.ones((1, 1))
    u, s, vt = np.linalg.svd(a)
    others = np.array([np.prod(np.delete(s, i)) for i in range(n)])
    return np.linalg.det(u) * np.linalg.det(vt) * (vt.T * others) @ u.T


def _logsumexp(a: np.ndarray) -> np.ndarray:
    """log(sum(exp(a))) over all entries, without overflow."""
    m = np.max(a)
    return _scalar(m + np.log(np.sum(np.exp(a - m))))


def _softmax(a: np.ndarray) -> np.ndarray:
    """exp(a)/sum(exp(a)) over all entries, without overflow."""
    e = np.exp(a - np.max(a))
    return e / np.sum(e)


def _elementwise(name: str, *, spell: dict | None = None, sympy=None, **kw) -> Function:
    """An elementwise function: it commutes with the transpose; NumPy, JAX and torch (and
    SymPy) spell it by its own name unless told otherwise."""
    return Function(name, ELEMENTWISE, spell=spell or _lib(name), transpose=COMMUTES,
                    sympy=sympy or name, **kw)


# ---- the table -----------------------------------------------------------------------

_ENTRIES = (
    # elementwise: f'(u) is multiplied by du entrywise (the chain rule, diff.py)
    _elementwise("exp", value=np.exp, derivative=lambda u, E: E.func("exp", u),
                 fold=_folded(math.exp), at_zero=1, latex=r"\exp", positive=True),
    _elementwise("log", value=np.log, derivative=_recip,
                 fold=_folded(math.log, where=lambda x: x > 0), at_zero=None, latex=r"\log",
                 domain=POSITIVE, aliases=("ln",), undoes="exp"),
    _elementwise("sin", value=np.sin, derivative=lambda u, E: E.func("cos", u),
                 fold=_folded(math.sin), at_zero=0, latex=r"\sin"),
    _elementwise("cos", value=np.cos, derivative=lambda u, E: E.neg(E.func("sin", u)),
                 fold=_folded(math.cos), at_zero=1, latex=r"\cos"),
    _elementwise("tan", value=np.tan,
                 derivative=lambda u, E: E.add(_one(u, E), E.power(E.func("tan", u), 2)),
                 fold=_folded(math.tan), at_zero=0, latex=r"\tan", domain=POLES),
    _elementwise("tanh", value=np.tanh,
                 derivative=lambda u, E: E.sub(_one(u, E), E.power(E.func("tanh", u), 2)),
                 fold=_folded(math.tanh), at_zero=0, latex=r"\tanh"),
    _elementwise("sqrt", value=np.sqrt,
                 derivative=lambda u, E: E.scale(Fraction(1, 2), _recip(E.func("sqrt", u), E)),
                 fold=_folded(math.sqrt, where=lambda x: x >= 0), at_zero=0,
                 latex=lambda inner: r"\sqrt{" + inner + "}", domain=NONNEGATIVE),
    _elementwise("abs", value=np.abs, derivative=lambda u, E: E.func("sign", u),
                 fold=abs, at_zero=0, latex=lambda inner: r"\left|" + inner + r"\right|",
                 domain=KINK_AT_0, sympy="Abs"),
    _elementwise("sigmoid", value=_sigmoid,
                 derivative=lambda u, E: E.hadamard(E.func("sigmoid", u),
                                                    E.sub(_one(u, E), E.func("sigmoid", u))),
                 fold=_folded(lambda t: 1 / (1 + math.exp(-t))), at_zero=Fraction(1, 2),
                 latex=r"\operatorname{sigmoid}", aliases=("logistic",), positive=True,
                 spell=_lib("sigmoid", numpy="_sigmoid({})", jax="jax.nn.sigmoid({})", dask="_sigmoid({})"),
                 sympy=lambda sp: lambda u: 1 / (1 + sp.exp(-u))),
    _elementwise("relu", value=lambda a: np.maximum(a, 0.0),
                 derivative=lambda u, E: E.func("step", u),
                 fold=lambda c: max(c, 0), at_zero=0, latex=r"\operatorname{relu}", domain=KINK_AT_0,
                 spell=_lib("relu", numpy="np.maximum({}, 0.0)", jax="jax.nn.relu({})",
                            dask="da.maximum({}, 0.0)"),
                 sympy=lambda sp: lambda u: sp.Max(0, u)),
    # the unit step (Heaviside), 1/2 at 0 as (1 + sign(u))/2 is: relu's derivative
    _elementwise("step", value=lambda a: np.heaviside(a, 0.5), derivative=lambda u, E: E.zero(u.shape),
                 fold=lambda c: Fraction(1 + (float(c) > 0) - (float(c) < 0), 2), at_zero=Fraction(1, 2),
                 latex=r"\operatorname{step}", domain=KINK_AT_0, aliases=("heaviside",),
                 spell=_lib("step", numpy="np.heaviside({}, 0.5)", jax="jnp.heaviside({}, 0.5)",
                            torch="(0.5 * (1 + torch.sign({})))", dask="(0.5 * (1 + da.sign({})))"),
                 sympy=lambda sp: lambda u: sp.Heaviside(u, sp.Rational(1, 2))),
    _elementwise("sign", value=np.sign, derivative=lambda u, E: E.zero(u.shape),
                 fold=lambda c: Fraction((float(c) > 0) - (float(c) < 0)), at_zero=0,
                 latex=r"\operatorname{sign}", domain=KINK_AT_0),
    _elementwise("arcsin", value=np.arcsin,
                 derivative=lambda u, E: E.power(E.sub(_one(u, E), E.power(u, 2)), Fraction(-1, 2)),
                 fold=_folded(math.asin, where=lambda x: abs(x) <= 1), at_zero=0, latex=r"\arcsin",
                 domain=UNIT_INTERVAL, aliases=("asin",), spell=_lib("arcsin", torch="torch.asin({})"),
                 sympy="asin"),
    _elementwise("arccos", value=np.arccos,
                 derivative=lambda u, E: E.neg(E.power(E.sub(_one(u, E), E.power(u, 2)), Fraction(-1, 2))),
                 fold=_folded(math.acos, where=lambda x: abs(x) <= 1), at_zero=math.pi / 2,
                 latex=r"\arccos", domain=UNIT_INTERVAL, aliases=("acos",),
                 spell=_lib("arccos", torch="torch.acos({})"), sympy="acos"),
    _elementwise("arctan", value=np.arctan,
                 derivative=lambda u, E: _recip(E.add(_one(u, E), E.power(u, 2)), E),
                 fold=_folded(math.atan), at_zero=0, latex=r"\arctan", aliases=("atan",),
                 spell=_lib("arctan", torch="torch.atan({})"), sympy="atan"),
    _elementwise("log1p", value=np.log1p, derivative=lambda u, E: _recip(E.add(_one(u, E), u), E),
                 fold=_folded(math.log1p, where=lambda x: x > -1), at_zero=0,
                 latex=lambda inner: r"\log\left(1 + " + inner + r"\right)", domain=ABOVE_MINUS_1,
                 sympy=lambda sp: lambda u: sp.log(1 + u)),
    _elementwise("softplus", value=lambda a: np.logaddexp(0.0, a),
                 derivative=lambda u, E: E.func("sigmoid", u),
                 fold=_folded(lambda t: t + math.log1p(math.exp(-t)) if t > 0 else math.log1p(math.exp(t))),
                 at_zero=math.log(2), latex=r"\operatorname{softplus}", positive=True,
                 spell=_lib("softplus", numpy="np.logaddexp(0.0, {})", jax="jax.nn.softplus({})",
                            torch="torch.nn.functional.softplus({})", dask="da.logaddexp(0.0, {})"),
                 sympy=lambda sp: lambda u: sp.log(1 + sp.exp(u))),

    # structural: their derivative rules are in diff.py (FUNC_RULES)
    Function("tr", SQUARE_TO_SCALAR, value=lambda a: _scalar(np.trace(a)), spell=_lib("trace"),
             latex=r"\operatorname{tr}", aliases=("trace", "Tr"), at_zero=0, transpose=INVARIANT,
             on_scalar=lambda s, E: s),
    Function("det", SQUARE_TO_SCALAR, value=lambda a: _scalar(np.linalg.det(a)),
             spell=_lib("linalg.det", dask="np.linalg.det(np.asarray({}))"),
             latex=r"\det", domain=SQUARE, at_zero=0, transpose=INVARIANT,
             on_scalar=lambda s, E: s),
    Function("logdet", SQUARE_TO_SCALAR, value=_logdet, spell=dict.fromkeys(BACKENDS, "_logdet({})"),
             latex=r"\log\det", domain=POSITIVE_DET, transpose=INVARIANT,
             on_scalar=lambda s, E: E.func("log", s)),
    Function("inv", SQUARE_TO_SQUARE, value=lambda a: np.linalg.solve(a, np.eye(a.shape[0])),
             spell=_lib("linalg.inv", dask="np.linalg.inv(np.asarray({}))"), domain=INVERTIBLE, transpose=COMMUTES,
             on_scalar=lambda s, E: E.power(s, -1)),
    Function("adj", SQUARE_TO_SQUARE, value=_adj, spell=dict.fromkeys(BACKENDS, "_adj({})"),
             latex=r"\operatorname{adj}", domain=SQUARE, transpose=COMMUTES,
             on_scalar=lambda s, E: E.Num(1)),
    Function("diag", DIAG, value=_diag, spell=_lib("diag"), latex=r"\operatorname{diag}", at_zero=0,
             on_scalar=lambda s, E: s),
    Function("sum", ANY_TO_SCALAR, value=lambda a: _scalar(np.sum(a)), spell=_lib("sum"),
             latex=r"\operatorname{sum}", at_zero=0, transpose=INVARIANT, on_scalar=lambda s, E: s),
    Function("logsumexp", ANY_TO_SCALAR, value=_logsumexp,
             spell={"numpy": "_logsumexp({})", "jax": "jax.nn.logsumexp({})", "torch": "_logsumexp({})",
                    "dask": "_logsumexp({})"},
             latex=r"\operatorname{logsumexp}", transpose=INVARIANT, on_scalar=lambda s, E: s,
             fold=lambda c: c),
    Function("softmax", SAME_SHAPE, value=_softmax,
             spell={"numpy": "_softmax({})", "jax": "jax.nn.softmax({}, axis=None)", "torch": "_softmax({})",
                    "dask": "_softmax({})"},
             latex=r"\operatorname{softmax}", transpose=COMMUTES, on_scalar=lambda s, E: E.Num(1),
             fold=lambda c: 1),
    Function("norm2", ANY_TO_SCALAR, value=lambda a: _scalar(np.linalg.norm(a)),
             spell=_lib("linalg.norm"), aliases=("norm",), at_zero=0, transpose=INVARIANT),
    Function("norm1", ANY_TO_SCALAR, value=lambda a: _scalar(np.sum(np.abs(a))),
             spell={"numpy": "np.sum(np.abs({}))", "jax": "jnp.sum(jnp.abs({}))",
                    "torch": "torch.sum(torch.abs({}))", "dask": "da.sum(da.abs({}))"},
             latex=lambda inner: r"\left\|" + inner + r"\right\|_1", domain=KINK_AT_0, at_zero=0,
             transpose=INVARIANT),
    Function("vec", VEC, value=lambda a: a.reshape(-1, 1, order="F"),   # column-major
             spell=dict.fromkeys(BACKENDS, "{}.T.reshape(-1)"), latex=r"\operatorname{vec}",
             at_zero=0, on_scalar=lambda s, E: s),
    Function("expm", SQUARE_TO_SQUARE, value=expm,
             spell={"numpy": "_expm({})", "jax": "jax.scipy.linalg.expm({})",
                    "torch": "torch.linalg.matrix_exp({})", "dask": "_expm(np.asarray({}))"},
             at_zero=IDENTITY, transpose=COMMUTES, on_scalar=lambda s, E: E.func("exp", s)),
    # u.^v (u^v for a scalar u) with a scalar expression v as exponent, written u^v (a constant
    # exponent is a Power node instead); u > 0, as for any real exponent
    Function("pow", POWER, value=np.power, arity=2, domain=POSITIVE,
             spell={"numpy": "np.power({}, {})", "jax": "jnp.power({}, {})", "torch": "torch.pow({}, {})",
                    "dask": "da.power({}, {})"}),
    Function("kron", KRON, value=np.kron, arity=2,
             spell={"numpy": "np.kron({}, {})", "jax": "jnp.kron({}, {})", "torch": "torch.kron({}, {})",
                    "dask": "_kron({}, {})"}),
)

FUNCTIONS: dict[str, Function] = {f.name: f for f in _ENTRIES}
ALIASES: dict[str, str] = {a: f.name for f in _ENTRIES for a in f.aliases}
ELEMENTWISE_NAMES: tuple[str, ...] = tuple(f.name for f in _ENTRIES if f.kind == ELEMENTWISE)
ARITY: dict[str, int] = {f.name: f.arity for f in _ENTRIES}
# The pair the simplifier's log/exp algebra is about (simplify/logexp.py), and the logistic
# function it recognises.
LOG, EXP, SIGMOID = "log", "exp", "sigmoid"

