"""The claim grammar: ``d/dX EXPR = RESULT`` split into its parts.

Also ``d2/dx2 EXPR = RESULT`` (second order), ``d/dx' EXPR = RESULT`` (the ∂/∂xᵀ form,
which is the numerator layout), ``d2/dx dx'`` (the Hessian) and ``d(EXPR)/dX = RESULT``.
``parse_claim`` splits the text; ``type_claim`` types the claimed result with the
expression's declarations.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..dims import Dim
from ..errors import (DeclarationError, MatdiffError, ParseError, ShapeError,
                      UnknownNameError)
from ..layouts import LAYOUTS


_UNICODE = {"∂": "d", "²": "2", "³": "3", "⁴": "4", "ᵀ": "'", "⊤": "'", "’": "'", "−": "-"}
_IDENT = re.compile(r"[A-Za-z_\u0370-\u03ff][A-Za-z0-9_\u0370-\u03ff]*")


@dataclass
class Claim:
    """A parsed claim ``dK/dW EXPR = RESULT``."""
    text: str                 # the claim as given
    expression: str           # EXPR
    wrt: str                  # W
    order: int                # K
    layout: str               # the layout the claim is read in
    result: str               # RESULT, the claimed derivative
    transposed_wrt: bool = False   # written d/dW' (the ∂/∂Wᵀ form: numerator layout)

    @property
    def lhs(self) -> str:
        k = "" if self.order == 1 else str(self.order)
        w = self.wrt + ("'" if self.transposed_wrt else "")
        den = f"d{w}" if self.order == 1 else f"d{self.wrt}{k}"
        if self.order == 2 and self.transposed_wrt:
            den = f"d{self.wrt} d{self.wrt}'"
        return f"d{k}/{den} {self.expression}"

    def __str__(self) -> str:
        return f"{self.lhs} = {self.result}"


def _normalise(text: str) -> str:
    for a, b in _UNICODE.items():
        text = text.replace(a, b)
    return text


def _bad_claim(text: str, pos: int, why: str) -> ParseError:
    return ParseError(f"{why}; a claim reads 'd/dX EXPR = RESULT' (or d2/dx2, d/dx')", pos,
                      source=text)


def _read_denominator(text: str, pos: int):
    """Read ``dW``, ``dW2``, ``dW^2``, ``dW'``, ``dW dW'`` at ``pos``.

    Returns (candidates, transposed, end, hessian): candidates are (name, order-suffix)
    readings of the name token (``dx2`` may be x squared or a variable x2); the caller
    picks the one that names a variable of the expression."""
    m = re.compile(r"\s*d\s*").match(text, pos)
    if not m:
        raise _bad_claim(text, pos, "expected 'dX' after '/'")
    pos = m.end()
    t = _IDENT.match(text, pos)
    if not t:
        raise _bad_claim(text, pos, "expected the name of a variable after 'd'")
    token = t.group()
    pos = t.end()
    power = re.compile(r"\s*\^\s*(\d+)").match(text, pos)
    if power:
        pos = power.end()
    transposed = False
    tm = re.compile(r"\s*(?:'|\.T\b)").match(text, pos)
    if tm:
        transposed, pos = True, tm.end()
    # the Hessian form d2/dx dx'  (also written dxdx')
    hm = re.compile(r"\s*d\s*(" + _IDENT.pattern + r")\s*('|\.T\b)?").match(text, pos)
    candidates: list[tuple[str, str | None]] = []
    if hm and hm.group(1) == token:       # the ' of ∂x∂xᵀ is notation, not a layout
        candidates.append((token, "hessian"))
        return candidates, False, hm.end(), True
    for k in range(1, len(token)):
        if token[:k] + "d" + token[:k] == token:   # dxdx read as one name
            candidates.append((token[:k], "hessian"))
            transposed = False
    suffix = power.group(1) if power else None
    candidates.append((token, suffix))
    digits = re.search(r"\d+$", token)
    if digits and not power and digits.start() > 0:
        candidates.append((token[:digits.start()], digits.group()))
    return candidates, transposed, pos, False


_DEFINITION = re.compile(r"\s*" + _IDENT.pattern + r"\s*=(?!=)")


def _claim_equals(src: str, pos: int) -> int:
    """Where the claim's ``=`` is: the first one from ``pos`` that is not a definition's
    (``NAME = ...`` ended by ``;`` or a line break, before the expression); -1 if none."""
    while True:
        m = _DEFINITION.match(src, pos)
        if not m:
            break
        depth, j = 0, m.end()
        while j < len(src) and not (depth == 0 and src[j] in ";\n"):
            depth += {"(": 1, ")": -1}.get(src[j], 0)
            j += 1
        if j == len(src):
            break   # NAME = RESULT: the claim's own '='
        pos = j + 1
    return src.find("=", pos)


def parse_claim(text: str, layout: str = "mixed") -> Claim:
    """Split a claim into its parts (the expression is not yet typed)."""
    if not isinstance(text, str) or not text.strip():
        raise ParseError("empty claim; a claim reads 'd/dX EXPR = RESULT'")
    if layout not in LAYOUTS:
        raise DeclarationError(f"unknown layout {layout!r} (use mixed, numerator or denominator)")
    src = _normalise(text)
    m = re.compile(r"\s*d\s*(\d*)\s*").match(src)
    if not m or m.end() >= len(src) or src[m.end()] not in "/(":
        raise _bad_claim(text, 0, "a claim starts with d/dX")
    order_text = m.group(1)
    pos = m.end()
    expression = None
    if src[pos] == "(":                      # d(EXPR)/dX = ...
        depth, j = 0, pos
        while j < len(src):
            depth += {"(": 1, ")": -1}.get(src[j], 0)
            if depth == 0:
                break
            j += 1
        if depth:
            raise _bad_claim(text, pos, "unbalanced parentheses")
        expression = src[pos + 1:j]
        pos = j + 1
        sm = re.compile(r"\s*/").match(src, pos)
        if not sm:
            raise _bad_claim(text, pos, "expected '/dX' after d(EXPR)")
        pos = sm.end()
    else:
        pos += 1                              # the '/'
    candidates, transposed, pos, hessian = _read_denominator(src, pos)
    eq = _claim_equals(src, pos)
    if eq < 0:
        raise _bad_claim(text, len(src), "no '=' between the expression and the claimed result")
    if expression is None:
        expression = src[pos:eq]
    elif src[pos:eq].strip():
        raise _bad_claim(text, pos, "unexpected text before '='")
    result = src[eq + 1:].strip()
    if not expression.strip():
        raise _bad_claim(text, pos, "no expression to differentiate")
    if not result:
        raise _bad_claim(text, eq + 1, "no claimed result after '='")
    order = int(order_text) if order_text else (2 if hessian else 1)
    if order < 1:
        raise _bad_claim(text, 1, "the order must be at least 1")
    wrt = _pick_wrt(text, candidates, order, expression)
    claim_layout = "numerator" if transposed else layout
    return Claim(text, expression.strip(), wrt, order, claim_layout, result, transposed)


def _pick_wrt(text: str, candidates, order: int, expression: str) -> str:
    """The variable of ``dW``: the reading whose order suffix agrees with the order, preferring
    a name that occurs in the expression."""
    names = set(_IDENT.findall(expression))
    fits = []
    for name, suffix in candidates:
        if suffix == "hessian":
            ok = order == 2
        elif suffix is None:
            ok = True
        else:
            ok = int(suffix) == order
        if ok:
            fits.append(name)
    if not fits:
        raise _bad_claim(text, 0, f"the order in the denominator does not match d{order}")
    for name in fits:
        if name in names:
            return name
    return fits[0]


def known_dims(variables: dict, key) -> dict:
    """The symbolic dimensions that some variable fixes, each with its ``key`` under the
    typing's ties (``sizes.size_key``: p and m*n have one key where p = m*n)."""
    return {d: key(d) for v in variables.values() for d in v.shape if isinstance(d, (str, Dim))}


def type_claim(claim: Claim, decls: dict, variables: dict, types: str):
    """The claimed result typed with the expression's declarations: (typed, ill_formed).

    Index notation gives (None, None).  A shape conflict (A*B where only B*A is defined)
    makes the claim fail, it is not bad input: (None, why).  Any other error, or a name
    that does not occur in the expression, is bad input and raises."""
    from ..index.parse import is_index_text
    from ..shapes import typecheck
    if is_index_text(claim.result):
        return None, None
    try:
        typed = typecheck(claim.result, decls or None, types)
    except ShapeError as err:
        return None, str(err)
    except MatdiffError as err:
        raise type(err)(f"in the claimed result: {err}") from None
    extra = sorted(set(typed.variables) - set(variables))
    if extra:
        raise UnknownNameError(f"the claimed result uses {', '.join(extra)}, which "
                               f"{'does' if len(extra) == 1 else 'do'} not occur in "
                               f"{claim.expression!r} (declare "
                               f"{'it' if len(extra) == 1 else 'them'} with vars= to use)")
    return typed, None
