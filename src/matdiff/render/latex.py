"""Print an expression tree as LaTeX, with minimal parentheses.

The structure mirrors ``render/text.py``: ``_fmt`` returns the LaTeX of a
node together with the precedence level of its outermost operator, and
``_wrap`` adds ``\\left( ... \\right)`` only where the surrounding operator
binds tighter.  LaTeX differs from the language's text in one respect:
transpose, matrix power, inverse and elementwise power are all
superscripts, and a superscript cannot carry another one, so all of them
share one level (``SUP``) and the base of any superscript must be atomic.

Notation (every command here renders both in latex2mathml and in
matplotlib's mathtext, which the tests check):

* vectors and matrices bold (``\\mathbf{x}``, ``\\mathbf{A}``, Greek:
  ``\\boldsymbol{\\Sigma}``), scalars italic (``s``, ``\\alpha``,
  ``\\mathit{rate}``); trailing digits or ``_suffix`` become a subscript;
* ``X'`` -> ``\\mathbf{X}^\\top``, ``inv(X)`` -> ``\\mathbf{X}^{-1}``,
  ``inv(X)'`` -> ``\\mathbf{X}^{-\\top}``, ``X^3`` -> ``\\mathbf{X}^{3}``;
* elementwise power of a vector or matrix ``\\mathbf{X}^{\\odot 2}``
  (so that it differs from the matrix power), ``.^(1/2)`` -> ``\\sqrt{}``;
* ``.*`` -> ``\\odot``, ``./`` -> ``\\oslash``, ``kron`` -> ``\\otimes``;
* ``expm(X)`` -> ``e^{\\mathbf{X}}`` (``\\exp(\\mathbf{X})`` is the
  elementwise exponential, as for every elementwise function);
* ``norm2`` -> ``\\left\\|\\cdot\\right\\|`` (``_F`` on a matrix argument),
  ``norm1`` -> ``\\left\\|\\cdot\\right\\|_1``, ``abs`` -> ``\\left|\\cdot\\right|``.
"""
from __future__ import annotations

import re
import unicodedata
from fractions import Fraction

from .. import clock
from ..expr import (Add, Const, Expr, Func, Hadamard, MatPow, Num, Power, Product, Transpose,
                    Var, is_vector_shape)
from ..functions import FUNCTIONS
from .text import number

SUM, PROD, UNARY, SUP, ATOM = range(5)

# ---- names -------------------------------------------------------------------

_GREEK_LOWER = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
                "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon",
                "phi", "chi", "psi", "omega", "varepsilon", "vartheta", "varphi", "varrho",
                "varsigma", "varpi"}
_GREEK_ALIAS = {"lam": r"\lambda", "omicron": "o", "Omicron": "O"}
# Capital Greek letters that LaTeX has; the others look like Latin capitals.
_GREEK_UPPER = {"Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi",
                "Psi", "Omega"}
_GREEK_LATIN = {"Alpha": "A", "Beta": "B", "Epsilon": "E", "Zeta": "Z", "Eta": "H", "Iota": "I",
                "Kappa": "K", "Mu": "M", "Nu": "N", "Rho": "P", "Tau": "T", "Chi": "X"}


def _greek_word(word: str) -> str | None:
    """LaTeX for a spelled-out Greek name (``alpha``, ``Sigma``, ``lam``), else None."""
    if word in _GREEK_ALIAS:
        return _GREEK_ALIAS[word]
    if word in _GREEK_LOWER or word in _GREEK_UPPER:
        return "\\" + word
    if word in _GREEK_LATIN:
        return _GREEK_LATIN[word]
    return None


def _greek_char(ch: str) -> str:
    """LaTeX for one Unicode Greek character (the character itself when LaTeX has no name)."""
    try:
        uname = unicodedata.name(ch)
    except ValueError:
        return ch
    m = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER (\w+)", uname)
    if not m:
        if uname == "GREEK SMALL LETTER FINAL SIGMA":
            return r"\varsigma"
        return ch
    word = m.group(2).lower()
    word = {"lamda": "lambda"}.get(word, word)
    if m.group(1) == "CAPITAL":
        word = word.capitalize()
    if word == "final sigma":
        return r"\varsigma"
    return _greek_word(word) or ch


def _is_command(s: str) -> bool:
    """Whether LaTeX starts with a control word such as ``\\alpha``."""
    return re.match(r"\\[A-Za-z]", s) is not None


def _body(word: str) -> tuple[str, bool]:
    """(LaTeX of the main part of a name, whether it is one (Greek) symbol)."""
    g = _greek_word(word)
    if g is not None:
        return g, True
    if word and all("\u0370" <= c <= "\u03ff" for c in word):
        parts = [_greek_char(c) for c in word]
        return " ".join(parts), len(parts) == 1 and _is_command(parts[0])
    out = []
    for c in word:
        if "\u0370" <= c <= "\u03ff":
            g = _greek_char(c)
            out.append("{" + g + "}" if _is_command(g) else g)
        elif c == "_":
            out.append(r"\_")
        else:
            out.append(c)
    return "".join(out), False


def _subscript(sub: str) -> str:
    parts = [p for p in sub.split("_") if p]
    out = []
    for p in parts:
        if p.isdigit():
            out.append(p)
        else:
            b, greek = _body(p)
            out.append(b if greek or len(p) == 1 else r"\mathrm{" + b + "}")
    return ",".join(out)


def name_latex(name: str, shape=(1, 1)) -> str:
    """LaTeX for a variable name of a given shape: bold for vectors and matrices.

    ``x`` -> ``\\mathbf{x}``, ``alpha`` -> ``\\alpha``, ``Sigma`` (a matrix) ->
    ``\\boldsymbol{\\Sigma}``, ``x1`` / ``x_1`` -> ``\\mathbf{x}_{1}``,
    ``rate`` (a scalar) -> ``\\mathit{rate}``.
    """
    m = re.fullmatch(r"(_*[^_]*?)(\d+)?(?:_(.*))?", name)
    base, digits, rest = m.group(1), m.group(2), m.group(3)
    if not base.strip("_"):          # a name like "_1" or "__": keep it whole
        base, digits, rest = name, None, None
    sub = ",".join(s for s in (digits, _subscript(rest) if rest else None) if s)
    body, greek = _body(base)
    bold = shape != (1, 1)
    if bold:
        s = (r"\boldsymbol{" if _is_command(body) else r"\mathbf{") + body + "}"
    elif greek or len(base) == 1:
        s = body
    else:
        s = r"\mathit{" + body + "}"
    return s + ("_{" + sub + "}" if sub else "")


# ---- numbers -----------------------------------------------------------------

def _dim(d) -> str:
    """A size as a subscript: a product m*n written mn (m \\cdot n1 where a part is longer)."""
    parts = [str(p) for p in getattr(d, "parts", (d,))]
    return ("" if all(len(p) == 1 for p in parts) else r" \cdot ").join(parts)


def _number(v) -> tuple[str, int]:
    """A number and its level: fractions as ``\\frac{p}{q}``, floats in scientific form
    as ``m \\cdot 10^{k}``."""
    neg = v < 0
    a = -v if neg else v
    if isinstance(a, Fraction) and a.denominator != 1 and a.denominator <= 100:
        s, lvl = rf"\frac{{{a.numerator}}}{{{a.denominator}}}", SUP
    else:
        t = number(a)
        if "/" in t:
            p, q = t.split("/")
            s, lvl = rf"\frac{{{p}}}{{{q}}}", SUP
        elif "e" in t:
            mant, ex = t.split("e")
            ex = str(int(ex))
            s = (f"10^{{{ex}}}" if mant in ("1", "1.0") else rf"{mant} \cdot 10^{{{ex}}}")
            lvl = SUP if mant in ("1", "1.0") else PROD
        else:
            s, lvl = t, ATOM
    if neg:
        return "-" + s, UNARY
    return s, lvl


def _exponent(k) -> str:
    """An exponent inside a superscript: ``2``, ``-1``, ``3/2``."""
    if isinstance(k, Fraction) and k.denominator != 1:
        return f"{k.numerator}/{k.denominator}"
    return number(k)


# ---- expressions -------------------------------------------------------------

def to_latex(e: Expr) -> str:
    """LaTeX (math mode, without delimiters) for an expression tree."""
    return _fmt(e)[0]


def _paren(s: str) -> str:
    return r"\left(" + s + r"\right)"


def _wrap(e: Expr, min_level: int) -> str:
    s, lvl = _fmt(e)
    return s if lvl >= min_level else _paren(s)


def _join(parts: list[str]) -> str:
    """Juxtapose factors: nothing between them, a space after a control word that a letter
    follows, ``\\cdot`` before a factor that starts with a digit."""
    out = ""
    for p in parts:
        if not out:
            out = p
        elif p[:1].isdigit() or p[:1] == ".":
            out += r" \cdot " + p
        elif re.search(r"\\[A-Za-z]+$", out) and p[:1].isalpha():
            out += " " + p
        else:
            out += p
    return out


def _kron(e: Func) -> tuple[str, int]:
    a, b = e.args
    left = _wrap(a, PROD) if isinstance(a, Func) and a.name == "kron" else _wrap(a, SUP)
    return rf"{left} \otimes {_wrap(b, SUP)}", PROD


def _norm2(e: Func) -> tuple[str, int]:
    a = e.args[0]
    sub = "_F" if not a.is_scalar and not is_vector_shape(a.shape) else ""
    return r"\left\|" + to_latex(a) + r"\right\|" + sub, ATOM


def _inv(e: Func) -> tuple[str, int]:
    a = e.args[0]
    if isinstance(a, Transpose):         # inv(X') = X^{-T}
        return _wrap(a.arg, ATOM) + r"^{-\top}", SUP
    return _wrap(a, ATOM) + "^{-1}", SUP


def _expm(e: Func) -> tuple[str, int]:
    return "e^{" + to_latex(e.args[0]) + "}", SUP


def _pow(e: Func) -> tuple[str, int]:
    u, v = e.args
    return _wrap(u, ATOM) + "^{" + ("" if u.is_scalar else r"\odot ") + to_latex(v) + "}", SUP


# Functions whose LaTeX depends on precedence or shape; the others' is in their entry
# (functions.py).
STRUCTURAL_LATEX = {"kron": _kron, "norm2": _norm2, "inv": _inv, "expm": _expm, "pow": _pow}


def _func(e: Func) -> tuple[str, int]:
    name, args = e.name, e.args
    rule = STRUCTURAL_LATEX.get(name)
    if rule is not None:
        return rule(e)
    f = FUNCTIONS.get(name)
    if f is not None and isinstance(f.latex, str):      # an operator: \exp(x)
        return f.latex + _paren(to_latex(args[0])), ATOM
    if f is not None and f.latex is not None:           # a form around the argument: \sqrt{x}
        return f.latex(to_latex(args[0])), ATOM
    # an unknown function (an extension of the language): upright name, argument list
    return (r"\operatorname{" + name + "}"
            + _paren(", ".join(to_latex(x) for x in args))), ATOM


def _is_inv(e: Expr) -> bool:
    return isinstance(e, Func) and e.name == "inv"


def _fmt(e: Expr) -> tuple[str, int]:
    """(LaTeX, precedence level of its outermost operator)."""
    clock.tick()
    if isinstance(e, Var):
        return name_latex(e.name, e.shape), ATOM
    if isinstance(e, Num):
        return _number(e.value)
    if isinstance(e, Const):
        if e.shape == (1, 1):
            return ("1" if e.kind in ("I", "ones") else "0"), ATOM
        if e.kind == "eye":
            return r"\mathbf{I}_{" + _dim(e.shape[0]) + "}", ATOM
        if e.size is not None and e.kind in ("ones", "zero"):   # sized: nothing else sizes it
            sub = ",".join(_dim(d) for d in e.shape if d != 1)
            body = {"ones": r"\mathbf{1}", "zero": r"\mathbf{0}"}[e.kind] + "_{" + sub + "}"
            return (body + r"^\top", SUP) if e.shape[0] == 1 else (body, ATOM)
        if e.kind == "K":  # the commutation matrix (Magnus–Neudecker K_{mn})
            return r"\mathbf{K}_{" + ",".join(_dim(d) for d in e.size) + "}", ATOM
        return {"I": r"\mathbf{I}", "ones": r"\mathbf{1}", "zero": r"\mathbf{0}"}[e.kind], ATOM
    if isinstance(e, Func):
        return _func(e)
    if isinstance(e, Transpose):
        a = e.arg
        if _is_inv(a):                       # inv(X)' = X^{-T}
            return _wrap(a.args[0], ATOM) + r"^{-\top}", SUP
        if isinstance(a, MatPow) and a.exp == -1:
            return _wrap(a.base, ATOM) + r"^{-\top}", SUP
        return _wrap(a, ATOM) + r"^\top", SUP
    if isinstance(e, MatPow):
        b = e.base
        if e.exp == -1 and isinstance(b, Transpose):
            return _wrap(b.arg, ATOM) + r"^{-\top}", SUP
        return _wrap(b, ATOM) + "^{" + str(e.exp) + "}", SUP
    if isinstance(e, Power):
        return _power(e.base, e.exp)
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
                out += r" \oslash " + _wrap(a.base, SUP)
            else:
                out += (r" \odot " if i else "") + _wrap(a, SUP)
        return out, PROD
    if isinstance(e, Product):
        s, neg = _term(e)
        body = _product_body_level(e)
        if neg:
            return "-" + s, (UNARY if body > PROD else PROD)
        return s, body
    raise TypeError(f"cannot print {type(e).__name__}")


def _power(base: Expr, k) -> tuple[str, int]:
    """``base .^ k``: an ordinary power for a scalar, ``^{\\odot k}`` otherwise."""
    if k == Fraction(1, 2):
        return r"\sqrt{" + to_latex(base) + "}", ATOM
    if base.is_scalar and k < 0:
        den = to_latex(base) if k == -1 else _wrap(base, ATOM) + "^{" + _exponent(-k) + "}"
        return r"\frac{1}{" + den + "}", SUP
    op = "" if base.is_scalar else r"\odot "
    return _wrap(base, ATOM) + "^{" + op + _exponent(k) + "}", SUP


def _product_body_level(e: Product) -> int:
    """Level of a product printed without its sign: a lone factor keeps its own level."""
    if e.coeff in (1, -1) and not e.chain and len(e.scalars) == 1 and e.scalars[0][1] == 1:
        return max(_fmt(e.scalars[0][0])[1], PROD)
    if e.coeff in (1, -1) and not e.scalars and len(e.chain) == 1:
        return max(_fmt(e.chain[0])[1], PROD)
    return PROD


def _term(e: Expr) -> tuple[str, bool]:
    """A term of a sum without its sign: (LaTeX, negative?)."""
    if isinstance(e, Product) and e.coeff < 0:
        return _product(e, -e.coeff), True
    if isinstance(e, Num) and e.value < 0:
        return _number(-e.value)[0], True
    if isinstance(e, Product):
        return _product(e, e.coeff), False
    return _wrap(e, PROD), False


def _product(e: Product, coeff) -> str:
    """coeff * scalars * chain, with scalar divisors as ``\\frac{...}{...}``."""
    num: list[tuple[Expr, Fraction]] = [(s, p) for s, p in e.scalars if p > 0]
    num += [(f, Fraction(1)) for f in e.chain]
    den = [(s, -p) for s, p in e.scalars if p < 0]
    cnum, cden = coeff, None
    if den and isinstance(coeff, Fraction) and coeff.denominator != 1:
        cnum, cden = Fraction(coeff.numerator), coeff.denominator
    if den:
        # inside \frac{}{} a lone factor needs no parentheses
        top = ([_number(cnum)[0]] if cnum != 1 else []) + _factors(num, len(num) == 1 and cnum == 1)
        bottom = ([str(cden)] if cden is not None else []) + _factors(den, len(den) == 1 and cden is None)
        return r"\frac{" + (_join(top) if top else "1") + "}{" + _join(bottom) + "}"
    parts = _factors(num, False)
    if coeff != 1 or not parts:
        c, lvl = _number(coeff)
        return _join([c if lvl >= PROD else _paren(c)] + parts)
    return _join(parts)


def _factors(factors: list[tuple[Expr, Fraction]], alone: bool) -> list[str]:
    """LaTeX of juxtaposed factors ``base^power``; ``alone``: the only one in a fraction part."""
    out = []
    for i, (s, p) in enumerate(factors):
        if p != 1:
            txt, lvl = _power(s, p)
            out.append(txt if lvl >= SUP or alone else _paren(txt))
        elif alone:
            out.append(to_latex(s))
        elif s.is_scalar and i == len(factors) - 1:
            # only a scalar product chain such as a'*X*b followed by more factors needs grouping
            out.append(_wrap(s, PROD))
        else:
            out.append(_wrap(s, SUP))
    return out


# ---- whole statements --------------------------------------------------------

LAYOUT_NAMES = {"mixed": "mixed layout", "numerator": "numerator layout",
                "denominator": "denominator layout"}


def _is_compound(f_latex: str) -> bool:
    """Whether LaTeX for a function needs parentheses after ``\\partial``: it has a sign
    or an infix operator outside braces and ``\\left ... \\right`` groups."""
    depth = 0
    for tok in re.finditer(r"\\[A-Za-z]+|\\.|[{}+\-]", f_latex):
        t = tok.group()
        if t in ("{", r"\left"):
            depth += 1
        elif t in ("}", r"\right"):
            depth -= 1
        elif depth == 0 and t in ("+", "-", r"\odot", r"\oslash", r"\otimes", r"\cdot"):
            return True
    return False


def statement_latex(f_latex: str, wrt_latex: str, result: Expr, layout: str | None,
                    order: int = 1, transposed_wrt: bool = False) -> str:
    """The whole statement ``\\frac{\\partial f}{\\partial \\mathbf{X}} = ...``.

    ``f_latex`` and ``wrt_latex`` are LaTeX for the differentiated expression and the
    variable (e.g. from :func:`to_latex` or :func:`name_latex`).  Order 2 writes
    ``\\partial \\mathbf{x}\\,\\partial \\mathbf{x}^\\top`` for a bold (vector or matrix)
    variable and ``\\partial x^{2}`` for a scalar; ``transposed_wrt`` writes
    ``\\partial \\mathbf{x}^\\top`` (the ``d/dx'`` forms).  ``layout`` (``"mixed"``,
    ``"numerator"``, ``"denominator"`` or any other name) is appended as
    ``\\quad\\text{(numerator layout)}``; ``None`` or ``""`` leaves it out.
    """
    w = wrt_latex
    if "^" in w:
        w = "{" + w + "}"
    bold = wrt_latex.startswith((r"\mathbf", r"\boldsymbol", r"\operatorname{vec}"))
    top_t = r"^\top" if transposed_wrt else ""
    if order == 1:
        d_top = r"\partial"
        d_bottom = rf"\partial {w}{top_t}"
    elif order == 2 and bold:
        d_top = r"\partial^2"
        d_bottom = rf"\partial {w}\,\partial {w}^\top"
    else:
        d_top = rf"\partial^{{{order}}}"
        d_bottom = (rf"\partial {w}^{{{order}}}" if not bold else
                    r"\,".join([rf"\partial {w}"] * order))
    if _is_compound(f_latex):
        lhs = rf"\frac{{{d_top}}}{{{d_bottom}}}" + _paren(f_latex)
    else:
        lhs = rf"\frac{{{d_top} {f_latex}}}{{{d_bottom}}}"
    out = lhs + " = " + to_latex(result)
    if layout:
        out += r"\quad\text{(" + LAYOUT_NAMES.get(layout, layout) + ")}"
    return out


def where_latex(main: Expr, defs) -> str:
    """A result with named sub-expressions as an aligned block: the form, then
    ``where`` and one definition a line; just the form when ``defs`` is empty."""
    if not defs:
        return to_latex(main)
    lines = [rf"& {to_latex(main)}"]
    for k, (name, e) in enumerate(defs):
        word = r"\text{where}\quad " if k == 0 else ""
        lines.append(rf"{word}{name_latex(name, e.shape)} &= {to_latex(e)}")
    return r"\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}"


def where_clause_latex(defs) -> str:
    r"""``,\quad\text{where } s = ...`` after a statement (empty without definitions)."""
    if not defs:
        return ""
    return r",\quad\text{where}\ " + r",\ ".join(
        f"{name_latex(n, e.shape)} = {to_latex(e)}" for n, e in defs)
