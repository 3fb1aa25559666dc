"""Comparing a claim with a candidate answer: shapes (a row is not a column), closeness,
and a constant factor between them."""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from .. import expr as E

# Numerical comparison: equal when max|a - b| <= RTOL * max(1, max|b|).
RTOL = 1e-7


class _Size:
    """A dimension in a form: shown as written, equal to another where the typing's ties make
    them equal (``claim.known_dims``: p and m*n where p = m*n)."""
    __slots__ = ("text", "key")

    def __init__(self, text, key):
        self.text, self.key = text, key

    def __eq__(self, other):
        return isinstance(other, _Size) and self.key == other.key

    def __hash__(self):
        return hash(self.key)

    def __str__(self):
        return str(self.text)


def _form(shape, known: dict):
    """('scalar',) / ('col', n) / ('row', n) / ('matrix', m, n), each n a ``_Size``; a
    dimension no variable fixes (the size of a lone I or ones), or one that only a search of
    the ties decides, is None, a wildcard."""
    def dim(d):
        if isinstance(d, int):
            return _Size(d, (d, ()))
        return _Size(d, known[d]) if known.get(d) is not None else None
    if shape == E.SCALAR:
        return ("scalar",)
    if E.is_vector_shape(shape):
        return ("col", dim(shape[0])) if shape[1] == 1 else ("row", dim(shape[1]))
    return ("matrix", dim(shape[0]), dim(shape[1]))


def _same_form(a, b) -> bool:
    if a is None or b is None:
        return True
    if a[0] != b[0] or len(a) != len(b):
        return False
    return all(x is None or y is None or x == y for x, y in zip(a[1:], b[1:]))


def _transposed_form(f):
    if f is None or f[0] == "scalar":
        return f
    if f[0] == "col":
        return ("row", f[1])
    if f[0] == "row":
        return ("col", f[1])
    return ("matrix", f[2], f[1])


def _shape_words(f) -> str:
    if f is None:
        return "an array"
    if f[0] == "scalar":
        return "a scalar"
    if f[0] == "col":
        return f"a column vector ({f[1] or '?'})"
    if f[0] == "row":
        return f"a row vector ({f[1] or '?'})"
    return f"a matrix ({f[1] or '?'}×{f[2] or '?'})"


def _close(a, b, rtol=RTOL) -> bool:
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
    return float(np.max(np.abs(a - b), initial=0.0)) <= rtol * scale


def _factor(claimed: list, ref: list):
    """c with claimed = c * ref on every input (None if there is none, or ref is 0)."""
    if any(np.shape(a) != np.shape(b) for a, b in zip(claimed, ref)):
        return None
    a = np.concatenate([np.ravel(np.asarray(x, float)) for x in claimed])
    b = np.concatenate([np.ravel(np.asarray(x, float)) for x in ref])
    bb = float(b @ b)
    if bb < 1e-20:
        return None
    c = float(a @ b) / bb
    if abs(c) < 1e-6 or not _close(a, c * b):
        return None
    return c


def _factor_text(c: float) -> str:
    f = Fraction(c).limit_denominator(24)
    if abs(float(f) - c) <= 1e-6 * max(1.0, abs(c)):
        return str(f)
    return f"{c:.6g}"


def _with_factor(base: str, c: float) -> str:
    """A diagnosis with the factor c of claim = c * reference added ("" base: c alone)."""
    if abs(c - 1) < 1e-6:
        return base
    what = "wrong sign" if abs(c + 1) < 1e-6 else f"constant factor {_factor_text(c)}"
    return f"{base}, and {what}" if base else what


def factor_diagnosis(c: float, reference: str) -> tuple[str, str, str]:
    """(kind, diagnosis, detail) of a claim that is c times the ``reference`` answer."""
    kind = "sign" if abs(c + 1) < 1e-6 else "factor"
    return kind, _with_factor("", c), f"the claim is {_factor_text(c)} times {reference}"
