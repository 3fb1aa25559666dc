"""Print an expression tree in matdiff's language, with minimal parentheses.

The output re-parses to the same value (tested), so precedence here must
mirror ``parse.py``: sums < products/Hadamard < unary minus < powers <
postfix transpose.
"""
from __future__ import annotations

from fractions import Fraction

from functools import lru_cache

from .. import clock
from .. import expr as E
from ..expr import (Add, Const, Expr, Func, Hadamard, MatPow, Num, Power, Product, Transpose,
                    Var, is_vector_shape)

SUM, PROD, UNARY, POW, POSTFIX, ATOM = range(6)


def number(v) -> str:
    """A number as a literal: integers plainly, exact decimals as decimals, else p/q."""
    if isinstance(v, float):
        return repr(v) if not v.is_integer() else str(int(v))
    if v.denominator == 1:
        return str(v.numerator)
    d = v.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d == 1:
        return repr(float(v))
    return f"{v.numerator}/{v.denominator}"


def to_text(e: Expr) -> str:
    """The expression in the language; a whole result that is zero prints as ``0``."""
    if isinstance(e, Const) and e.kind == "zero":
        return "0"
    return _fmt(e)[0]


def _fmt(e: Expr) -> tuple[str, int]:
    """(text, precedence level of its outermost operator), memoised: the simplifier
    orders terms by their text, and derivatives share large sub-trees."""
    return _fmt_cached(e)


def _sized_identity(a: Expr) -> Expr:
    """vec and kron pass no size to their arguments: an identity there (or a multiple of one)
    prints sized, vec(I(n)), or md.evaluate could not size it."""
    if isinstance(a, Const) and a.kind == "I":
        return Const("eye", a.shape)
    if isinstance(a, Product) and len(a.chain) == 1 and isinstance(a.chain[0], Const) and \
            a.chain[0].kind == "I":
        return Product(a.coeff, a.scalars, (Const("eye", a.shape),))
    return a


def _sized_ones(e: Const) -> tuple[str, int]:
    """ones(n), ones(n)', ones(m, n), and a zero array as 0 times one of them."""
    r, c = e.shape
    text = f"ones({c})'" if r == 1 else f"ones({r})" if c == 1 else f"ones({r}, {c})"
    if e.kind == "zero":
        return "0*" + text, PROD
    return text, (POSTFIX if r == 1 else ATOM)


def _wrap(e: Expr, min_level: int) -> str:
    s, lvl = _fmt(e)
    return s if lvl >= min_level else f"({s})"


@lru_cache(maxsize=50000)
def _fmt_cached(e: Expr) -> tuple[str, int]:
    clock.tick()
    if isinstance(e, Var):
        return e.name, ATOM
    if isinstance(e, Num):
        s = number(e.value)
        if s.startswith("-"):
            return s, UNARY
        return s, (PROD if "/" in s else ATOM)
    if isinstance(e, Const):
        if e.kind == "eye":
            return f"I({e.shape[0]})", ATOM
        if e.kind == "K":
            return f"K({e.size[0]}, {e.size[1]})", ATOM
        if e.kind in ("ones", "zero") and e.size is not None:   # sized: nothing else sizes it
            return _sized_ones(e)
        if e.kind == "ones" and e.shape[0] == 1 and e.shape[1] != 1:
            return "ones'", POSTFIX
        if e.kind == "ones" and e.shape[0] != 1 and e.shape[1] != 1:
            return "ones*ones'", PROD  # an all-ones matrix, unambiguous where nothing sizes it
        if e.kind == "zero":  # inside an expression a zero array keeps its shape
            return ("0*ones'" if e.shape[0] == 1 else "0*ones"), PROD
        return {"I": "I", "ones": "ones", "zero": "0"}[e.kind], ATOM
    if isinstance(e, Func) and e.name == "pow":   # a scalar expression as exponent
        u, v = e.args
        return f"{_wrap(u, POSTFIX)}{'^' if u.is_scalar else '.^'}{_wrap(v, POSTFIX)}", POW
    if isinstance(e, Func):
        # an array argument keeps its shape in print: softmax(0*ones), not softmax(0)
        args = [_sized_identity(a) if e.name in ("vec", "kron") else a for a in e.args]
        return f"{e.name}({', '.join(to_text(a) if a.is_scalar else _fmt(a)[0] for a in args)})", ATOM
    if isinstance(e, Transpose):
        return _wrap(e.arg, POSTFIX) + "'", POSTFIX
    if isinstance(e, MatPow):
        if e.exp == -1:
            return f"inv({to_text(e.base)})", ATOM
        return f"{_wrap(e.base, POSTFIX)}^{e.exp}", POW
    if isinstance(e, Power):
        if e.exp == -1 and e.base.shape[0] != 1:   # u.^-1 reads (and counts) better as ones ./ u
            return f"ones ./ {_wrap(e.base, POW)}", PROD
        if e.exp == Fraction(-1, 2) and e.base.shape[0] != 1:
            return f"ones ./ sqrt({to_text(e.base)})", PROD
        if e.exp == Fraction(1, 2):   # as the LaTeX printer does: sqrt(u), not u^0.5
            return f"sqrt({to_text(e.base)})", ATOM
        op = "^" if e.base.is_scalar else ".^"
        k = number(e.exp)
        if "/" in k:
            k = f"({k})"
        return f"{_wrap(e.base, POSTFIX)}{op}{k}", POW
    if isinstance(e, Add):
        parts = []
        for i, t in enumerate(e.args):
            s, neg = _term(t)
            if i == 0:
                parts.append(("-" + s) if neg else s)
            else:
                parts.append((" - " if neg else " + ") + s)
        return "".join(parts), SUM
    if isinstance(e, Hadamard):
        out = ""
        for i, a in enumerate(e.args):
            if i and isinstance(a, Power) and a.exp == -1 and not a.base.is_scalar:
                out += " ./ " + _wrap(a.base, POW)
            else:
                out += (" .* " if i else "") + ("ones" if _is_ones_matrix(a) else _wrap(a, POW))
        return out, PROD
    if isinstance(e, Product):
        s, neg = _term(e)
        return ("-" + s, UNARY if _product_body_level(e) > PROD else PROD) if neg else (s, PROD)
    raise TypeError(f"cannot print {type(e).__name__}")


def _product_body_level(e: Product) -> int:
    return ATOM if (len(e.chain) + len(e.scalars) == 1 and e.coeff in (1, -1)
                    and all(p == 1 for _, p in e.scalars)) else PROD


def _term(e: Expr) -> tuple[str, bool]:
    """A term of a sum without its sign: (text, negative?)."""
    if isinstance(e, Product) and e.coeff < 0:
        return _product(e, -e.coeff), True
    if isinstance(e, Num) and e.value < 0:
        return number(-e.value), True
    if isinstance(e, Product):
        return _product(e, e.coeff), False
    if _is_ones_matrix(e):
        return "ones", False  # a sum sizes it from the other terms
    return _wrap(e, PROD), False


def _is_ones_matrix(e: Expr) -> bool:
    return isinstance(e, Const) and e.kind == "ones" and e.shape[0] != 1 and e.shape[1] != 1


def _product(e: Product, coeff) -> str:
    """Print coeff * scalars * chain / denominators."""
    num: list[str] = []
    den: list[str] = []
    if coeff != 1 or (not e.chain and all(p < 0 for _, p in e.scalars)):
        c = number(coeff)
        num.append(f"({c})" if "/" in c else c)
    factors = [(s, p) for s, p in e.scalars if p > 0]
    for i, (s, p) in enumerate(factors):
        base = s if p == 1 else Power(s, p)
        more = i < len(factors) - 1 or e.chain
        # a scalar product chain such as a'*X*b must be grouped before more factors
        num.append(_wrap(base, POW if more else PROD))
    for f in e.chain:
        num.append(_wrap(f, POW if isinstance(f, (Hadamard, Product, Power)) else PROD))
    for s, p in e.scalars:
        if p < 0:
            base = s if p == -1 else Power(s, -p)
            den.append(base)
    text = "*".join(num) if num else "1"
    if den:
        if len(den) == 1:
            text += "/" + _wrap(den[0], POW)
        else:
            text += "/(" + "*".join(_wrap(d, POW) for d in den) + ")"
    return text


def shape_text(shape) -> str:
    if shape == (1, 1):
        return "scalar"
    if is_vector_shape(shape):
        return f"vector({shape[0] if shape[1] == 1 else shape[1]})"
    return f"matrix({shape[0]},{shape[1]})"


E.TEXT[0] = to_text   # expr.py's repr and sort key read it (expr sits below this printer)
