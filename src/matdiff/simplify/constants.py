"""Functions of constant arrays reduced to numbers and counts.

A function of ``c*ones`` (of an all-ones chain such as ``ones*ones'``, or of zero) is
written with N, the number of entries, as ``tr(I(m))*tr(I(n))``: a bare ``ones`` prints
without its size, so ``sum(2*ones)`` or ``norm2(2*ones)`` would read back unsized, while the
count keeps the size in print.
"""
from __future__ import annotations

from fractions import Fraction

from .. import expr as E
from ..dims import Dim
from ..expr import Const, Expr, Func, Num, Product

REDUCED = ("sum", "norm1", "norm2", "logsumexp", "softmax")


def constant_array(a: Expr):
    """(c, ones) when a is c*ones for a number c, else None."""
    if isinstance(a, Const) and a.kind == "ones":
        return Fraction(1), a
    if isinstance(a, Product) and not a.scalars and len(a.chain) == 1 and \
            isinstance(a.chain[0], Const) and a.chain[0].kind == "ones":
        return a.coeff, a.chain[0]
    return None


def ones_product(a: Expr):
    """(c, scalars) when the array a is c*s*ones (or c*s*ones*ones', or zero), else None."""
    if E.is_zero(a):
        return Fraction(0), []
    if isinstance(a, Const) and a.kind == "ones":
        return Fraction(1), []
    if isinstance(a, Product) and a.chain and \
            all(isinstance(x, Const) and x.kind == "ones" for x in a.chain):
        return a.coeff, list(a.scalars)
    return None


def is_identity(e: Expr) -> bool:
    return isinstance(e, Const) and e.kind in ("I", "eye")


def kron_of_identities(args: tuple[Expr, ...]) -> Const:
    """kron(I(m), I(n)) = I(m*n): sized if either was, its size spelled one way (m*n) whatever
    the order of the kron's arguments."""
    kind = "eye" if any(x.kind == "eye" for x in args) else "I"
    n = E.func_shape("kron", args)[0]
    if isinstance(n, Dim):
        n = Dim(sorted(n.parts, key=lambda p: (isinstance(p, str), str(p))))
    return Const(kind, (n, n))


def counts(shape) -> list[tuple[Expr, Fraction]]:
    """N = the number of entries of an array of ``shape``, as factors tr(I(d)) (a size of vec,
    m*n, as its factors)."""
    out = []
    for d in shape:
        for part in (d.parts if isinstance(d, Dim) else (d,)):
            if part != 1:
                out.append((Func("tr", (Const("eye", (part, part)),)), Fraction(1)))
    return out


def reduce_constant(name: str, a: Expr, make_product, make_sum, make_func) -> Expr | None:
    """``name`` (one of REDUCED) of the constant array a, in numbers and counts; None when a is
    not constant.  The builders are canonical's (passed in: this module is below it)."""
    found = None if a.is_scalar else ones_product(a)
    if found is None:
        return None
    c, scalars = found
    n = counts(a.shape)
    if name == "sum":                        # sum(c*s*ones) = c*s*N
        return make_product(c, scalars + n, [])
    if scalars:                              # |s|, log(s): left as they are
        return None
    if name == "norm1":
        return make_product(abs(c), n, [])
    if name == "norm2":
        return make_product(abs(c), [(t, p / 2) for t, p in n], [])
    if name == "logsumexp":
        return make_sum([Num(c), make_func("log", (make_product(1, n, []),))])
    ones = [E.ones((a.shape[0], 1))] + ([E.ones((1, a.shape[1]))] if a.shape[1] != 1 else [])
    return make_product(1, [(t, -p) for t, p in n], ones)     # softmax(c*ones) = ones/N


def equal_rows(name: str, a: Expr, make_product, make_func) -> Expr | None:
    """sum, norm1 or norm2 of a chain that starts with an all-ones r×c matrix (or column),
    whose r rows are all equal: r*sum(row), r*norm1(row), sqrt(r)*norm2(row), the row being
    ones'*rest; or that ends with one, whose columns are all equal.  Printed as it was, that
    ones*ones' had nothing to size it."""
    if name not in ("sum", "norm1", "norm2") or not isinstance(a, Product) or len(a.chain) < 2:
        return None
    head, tail = a.chain[0], a.chain[-1]
    if isinstance(head, Const) and head.kind == "ones" and head.shape[0] != 1:
        n, chain = head.shape[0], ([E.ones((1, head.shape[1]))] if head.shape[1] != 1 else []) + \
            list(a.chain[1:])
    elif isinstance(tail, Const) and tail.kind == "ones" and tail.shape[1] != 1:
        n, chain = tail.shape[1], list(a.chain[:-1]) + \
            ([E.ones((tail.shape[0], 1))] if tail.shape[0] != 1 else [])
    else:
        return None
    power = Fraction(1, 2) if name == "norm2" else Fraction(1)
    return make_product(1, [(t, p * power) for t, p in counts((n,))] +
                        [(make_func(name, (make_product(a.coeff, list(a.scalars), chain),)), Fraction(1))], [])
