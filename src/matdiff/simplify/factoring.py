"""Factoring: common numbers, scalar factors and left/right matrix factors out of sums
(``A*x + A'*x`` -> ``(A + A')*x``), keeping the shortest grouping."""
from __future__ import annotations

from collections import Counter
from fractions import Fraction
from functools import lru_cache

from .. import expr as E
from ..expr import Add, Const, Expr, Product
from . import hadamard
from .base import check_time as _check_time, size
from .canonical import _split, make_product, make_sum, term_order


@lru_cache(maxsize=20000)
def factor(e: Expr) -> Expr:
    """Common factors pulled out of every sum (memoised: derivatives share sub-trees)."""
    _check_time()
    kids = tuple(factor(c) for c in e.children)
    e = e.rebuild(kids) if kids else e
    if isinstance(e, Add):
        return _factor_sum(list(e.args))
    return e


_FACTOR_CACHE: dict[tuple, Expr] = {}


def _factor_sum(terms: list[Expr]) -> Expr:
    k = tuple(terms)
    hit = _FACTOR_CACHE.get(k)
    if hit is None:
        if len(_FACTOR_CACHE) > 20000:
            _FACTOR_CACHE.clear()
        hit = _FACTOR_CACHE[k] = _factor_sum_uncached(terms)
    return hit


def _factor_sum_uncached(terms: list[Expr]) -> Expr:
    _check_time()
    if len(terms) < 2:
        return terms[0]
    parts = [_split(t) for t in terms]
    # common number (sign and gcd of integer coefficients)
    coeffs = [p[0] for p in parts]
    common = Fraction(1)
    if all(isinstance(c, Fraction) for c in coeffs):
        from math import gcd
        num = 0
        den = 1
        for c in coeffs:
            num = gcd(num, c.numerator)
            den = den * c.denominator // gcd(den, c.denominator)
        g = Fraction(num, 1)
        if all(c < 0 for c in coeffs):
            g = -g
        if g != 1 and g != 0:
            common = g
        if common == 1 and len({abs(c) for c in coeffs}) == 1 and abs(coeffs[0]) != 1:
            common = abs(coeffs[0]) * (-1 if all(c < 0 for c in coeffs) else 1)  # 0.5*(P + P')
    # common scalar factors
    shared = Counter()
    first = True
    for _, sc, _ in parts:
        cnt = Counter({s: p for s, p in sc if isinstance(p, Fraction) and p > 0})
        shared = cnt if first else (shared & cnt)
        first = False
    # common divisors: 1/(x'*x) of a/(x'*x) - b/(x'*x)^2 (the lowest power shared)
    divisors = None
    for _, sc, _ in parts:
        cnt = Counter({s: -p for s, p in sc if isinstance(p, Fraction) and p < 0})
        divisors = cnt if divisors is None else (divisors & cnt)
    pulled = list(shared.items()) + [(s, -p) for s, p in (divisors or {}).items()]
    if common != 1 or pulled:
        new_terms = []
        for c, sc, ch in parts:
            left = Counter({s: p for s, p in sc})
            for s, p in pulled:
                left[s] -= p
            new_terms.append(make_product(c / common, [(s, p) for s, p in left.items() if p != 0], ch))
        inner = _factor_sum(new_terms) if len(new_terms) > 1 else new_terms[0]
        inner = make_sum([inner]) if not isinstance(inner, Add) else inner
        return make_product(common, pulled, [inner])
    # common left or right chain factors: try each grouping, keep the shortest result
    return _best_grouping(terms, parts)


MAX_SEARCH_TERMS = 8


def _best_grouping(terms: list[Expr], parts) -> Expr:
    candidates: list[tuple[str, Expr, list[int]]] = []
    for side in ("left", "right"):
        groups: dict[Expr, list[int]] = {}
        for k, (_, _, ch) in enumerate(parts):
            if ch:
                groups.setdefault(ch[0] if side == "left" else ch[-1], []).append(k)
        candidates += [(side, f, ks) for f, ks in groups.items()
                       if len(ks) >= 2 and not (isinstance(f, Const) and f.kind in ("I", "eye"))]
    same: dict[tuple, list[int]] = {}
    for k, (_, _, ch) in enumerate(parts):
        if ch:
            same.setdefault(tuple(ch), []).append(k)
    candidates += [("chain", ch, ks) for ch, ks in same.items() if len(ks) >= 2]
    if not terms[0].is_scalar:
        candidates += hadamard.candidates(parts, terms[0].shape)
    if not candidates:
        return make_sum(terms)
    candidates.sort(key=lambda c: -len(c[2]))
    if len(terms) > MAX_SEARCH_TERMS:
        candidates = candidates[:1]
    best = make_sum(terms)
    best_size = size(best)
    for side, f, ks in candidates[:8]:
        if side == "chain":  # alpha*A + beta*A = (alpha + beta)*A
            scal = _factor_sum([make_product(parts[k][0], parts[k][1], []) for k in ks])
            grouped = make_product(1, [], [scal, *f])
        elif side == "hadamard":  # a .* c + b .* c = (a + b) .* c
            grouped = hadamard.group(ks, parts, terms[0].shape, _factor_sum)
        else:
            grouped = _group(side, f, ks, parts)
        if grouped is None:
            continue
        others = [terms[k] for k in range(len(terms)) if k not in ks]
        if others:
            rest = _factor_sum(others) if len(others) > 1 else others[0]
            result = make_sum([grouped, rest]) if not isinstance(rest, Add) else Add(
                sorted([grouped] + list(rest.args), key=term_order))
        else:
            result = grouped
        n = size(result)
        if n < best_size or (n == best_size and _nterms(result) < _nterms(best)):
            best, best_size = result, n
    return best


def _nterms(e: Expr) -> int:
    return len(e.args) if isinstance(e, Add) else 1


def _group(side: str, f: Expr, ks: list[int], parts) -> Expr | None:
    rests = []
    n = f.shape[1] if side == "left" else f.shape[0]
    for k in ks:
        c, sc, ch = parts[k]
        rests.append(make_product(c, sc, ch[1:] if side == "left" else ch[:-1]))
    if any(r.is_scalar for r in rests) and not all(r.is_scalar for r in rests):
        if n == 1:
            return None
        # A*x + s*x = (A + s*I)*x
        rests = [make_product(1, [], [r, E.identity(n)]) if r.is_scalar else r for r in rests]
        rests = [Product(r.coeff, r.scalars, (E.identity(n),)) if isinstance(r, Product) and not r.chain
                 else (Product(1, ((r, Fraction(1)),), (E.identity(n),)) if r.is_scalar else r)
                 for r in rests]
    shapes = {r.shape for r in rests}
    if len(shapes) != 1:
        return None
    inner = _factor_sum(rests)
    if isinstance(inner, Add) or not inner.is_scalar:
        return make_product(1, [], [f, inner] if side == "left" else [inner, f])
    return make_product(1, [], [inner, f])


def _all_scalar(es):
    return all(e.is_scalar for e in es)
