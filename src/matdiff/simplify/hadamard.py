"""Common elementwise factors out of sums: ``a .* c + b .* c`` -> ``(a + b) .* c``.

A term's elementwise factors are its Hadamard arguments as base -> exponent
(``u.^2`` is ``u`` twice), so ``s - s.^2`` groups as ``s .* (ones - s)``."""
from __future__ import annotations

from fractions import Fraction

from .. import expr as E
from ..expr import Const, Expr, Hadamard, Power
from .canonical import make_hadamard, make_power, make_product


def factors(chain: list[Expr], shape) -> dict[Expr, Fraction] | None:
    """A term's elementwise factors (base -> exponent), or None for a matrix product."""
    if len(chain) != 1 or chain[0].shape != shape or chain[0].is_scalar:
        return None
    f = chain[0]
    out: dict[Expr, Fraction] = {}
    for a in (f.args if isinstance(f, Hadamard) else (f,)):
        b, p = (a.base, a.exp) if isinstance(a, Power) else (a, Fraction(1))
        if not isinstance(p, (int, Fraction)) or b.shape != shape:
            return None
        out[b] = out.get(b, Fraction(0)) + Fraction(p)
    return out


def candidates(parts, shape) -> list[tuple[str, Expr, list[int]]]:
    """("hadamard", base, terms) for each positive-power base shared by two terms or more."""
    groups: dict[Expr, list[int]] = {}
    for k, (_, _, ch) in enumerate(parts):
        fs = factors(ch, shape)
        for b, p in (fs or {}).items():
            if p > 0 and not isinstance(b, Const):
                groups.setdefault(b, []).append(k)
    return [("hadamard", b, ks) for b, ks in groups.items() if len(ks) >= 2]


def group(ks: list[int], parts, shape, factor_sum) -> Expr | None:
    """The terms ks with their shared elementwise factors (lowest positive powers) pulled out."""
    fss = [factors(parts[k][2], shape) for k in ks]
    shared = {b: min(fs.get(b, Fraction(0)) for fs in fss) for b in fss[0]}
    shared = {b: p for b, p in shared.items() if p > 0}
    if not shared:
        return None
    if all(fs == shared for fs in fss):
        return None  # alpha*u + beta*u: the plain grouping of equal terms does it
    rests = []
    for k, fs in zip(ks, fss):
        c, sc, _ = parts[k]
        left = [make_power(b, p - shared.get(b, 0)) for b, p in fs.items() if p != shared.get(b, 0)]
        body = make_hadamard(left) if left else E.ones(shape)
        rests.append(make_product(c, sc, [body]))
    inner = factor_sum(rests)
    return make_hadamard([make_power(b, p) for b, p in shared.items()] + [inner])
