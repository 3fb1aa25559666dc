"""Dimensions: ``Dim`` (the size of a vec or kron result), dimension variables
(union-find nodes) and shapes in words for error messages.

A dimension in a shape is an ``int``, a name (``str``) or a ``Dim``, a product of two or
more of them that ``dim_mul`` builds (``vec`` of an m×n matrix has m*n entries).
"""
from __future__ import annotations

import math
import re
from collections import Counter


class Dim:
    """A product of dimensions, ``m*n`` or ``2*n``: its parts in the order they were
    multiplied (``str`` spells it so), equal up to that order (``m*n == n*m``)."""
    __slots__ = ("parts",)

    def __init__(self, parts):
        flat: list = []
        for p in parts:
            flat.extend(p.parts if isinstance(p, Dim) else (p,))
        object.__setattr__(self, "parts", tuple(flat))

    def __setattr__(self, name, value):
        raise AttributeError("a Dim is immutable")

    @staticmethod
    def parse(text: str):
        """The dimension a text spells: ``"3"`` -> 3, ``"n"`` -> "n", ``"m*n"`` -> Dim."""
        parts = [p.strip() for p in str(text).split("*")]
        parts = [int(p) if p.isdigit() else p for p in parts]
        return parts[0] if len(parts) == 1 else Dim(parts)

    @property
    def coeff(self) -> int:
        return math.prod(p for p in self.parts if isinstance(p, int))

    @property
    def factors(self) -> tuple[str, ...]:
        """The symbolic factors, sorted (the product's identity up to order)."""
        return tuple(sorted(p for p in self.parts if not isinstance(p, int)))

    def size(self, part_size) -> int | None:
        """The number it stands for, ``part_size(name)`` giving each factor's (None: unknown)."""
        n = self.coeff
        for f in self.factors:
            v = part_size(f)
            if v is None:
                return None
            n *= v
        return n

    def __eq__(self, other):
        if not isinstance(other, Dim):
            return NotImplemented
        return (self.coeff, self.factors) == (other.coeff, other.factors)

    def __hash__(self):
        return hash((Dim, self.coeff, self.factors))

    def __str__(self):
        return "*".join(str(p) for p in self.parts)

    def __repr__(self):
        return f"Dim({str(self)!r})"


def pieces(d, known) -> list | None:
    """``d`` as a product of keys of ``known`` (names, or products known only as a whole, such
    as the m*n rows of a variable declared ``matrix(m*n, p)``) and a number; None if it is not."""
    if d in known or isinstance(d, int):
        return [d]
    if not isinstance(d, Dim):
        return None
    rest, coeff, out = Counter(d.factors), d.coeff, []
    for k in sorted((k for k in known if isinstance(k, Dim) and k.factors), key=lambda k: -len(k.factors)):
        need = Counter(k.factors)
        while need <= rest and coeff % k.coeff == 0:
            rest, coeff = rest - need, coeff // k.coeff
            out.append(k)
    for f, times in rest.items():
        if f not in known:
            return None
        out += [f] * times
    return ([coeff] if coeff != 1 else []) + out


def monomial(d) -> tuple[int, Counter]:
    """A size as its number and its names with their powers: ``2*m*m`` -> (2, {m: 2})."""
    if isinstance(d, Dim):
        return d.coeff, Counter(d.factors)
    if isinstance(d, int):
        return d, Counter()
    return 1, Counter({d: 1})


def _root(c: int, k: int) -> int | None:
    r = round(c ** (1 / k))
    return next((x for x in (r - 1, r, r + 1) if x > 0 and x ** k == c), None)


def reduce_tie(a: tuple[int, Counter], b: tuple[int, Counter]) -> tuple[tuple, tuple]:
    """The equation a = b between positive monomials in lowest terms: names on both sides
    cancelled, the numbers divided by their gcd, and a common power's root taken where it is
    exact (``m*m = n*n`` -> ``m = n``; ``4*m*m = n*n`` -> ``2*m = n``; ``m*n = m*p`` -> ``n = p``).
    Names may be any hashable (typing uses its unknown dimensions)."""
    (ca, na), (cb, nb) = a, b
    common = na & nb
    na, nb = na - common, nb - common
    g = math.gcd(ca, cb) or 1
    ca, cb = ca // g, cb // g
    k = math.gcd(*na.values(), *nb.values()) if na or nb else 1
    ra, rb = _root(ca, k), _root(cb, k)
    if k > 1 and ra and rb:
        ca, cb = ra, rb
        na = Counter({x: e // k for x, e in na.items()})
        nb = Counter({x: e // k for x, e in nb.items()})
    return (ca, na), (cb, nb)


def forced_equal(a: tuple[int, Counter], b: tuple[int, Counter]):
    """The two names that a = b forces equal (``m*m = n*n``: m and n), or None."""
    (ca, na), (cb, nb) = reduce_tie(a, b)
    if ca == cb == 1 and sum(na.values()) == 1 and sum(nb.values()) == 1:
        return next(iter(na)), next(iter(nb))
    return None


def dim_mul(a, b):
    """The dimension of a product of sizes: numbers multiply, 1 drops out, else a ``Dim``."""
    if isinstance(a, int) and isinstance(b, int):
        return a * b
    if a == 1:
        return b
    if b == 1:
        return a
    return Dim((a, b))


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


def known_size(d: DimVar, seen=()):
    """The size ``d`` stands for so far: its value, or a vec/kron product of known sizes
    (``m*n`` before names are given), else None."""
    r = d.find()
    if r.value is not None or not r.product or r in seen:
        return r.value
    a, b = (known_size(p, (*seen, r)) for p in r.product)
    return None if a is None or b is None else dim_mul(a, b)


def show_dim(d: DimVar) -> str:
    v = known_size(d)
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
    rv, cv = known_size(rr), known_size(cr)
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
    v = known_size(d)
    if v is None:
        return None
    return f"{v} {noun}{'' if v == 1 else 's'}"
