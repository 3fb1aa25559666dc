"""Dimension variables (union-find nodes) and shapes in words for error messages."""
from __future__ import annotations

import re


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


def product_dim(a: DimVar, b: DimVar) -> DimVar:
    """The size a*b (of vec or kron): a factor known to be 1 leaves the other, so that
    kron of two vectors is a vector and kron(s, v) has v's shape."""
    if a.find().value == 1:
        return b
    if b.find().value == 1:
        return a
    return DimVar(product=(a, b))


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
