"""Constants that print with their size: ``norm1(alpha*ones(p, p))``, ``vec(I(n))``.

A printed ``ones``, ``I`` or ``0`` takes its size from its use when the text is read back
(``parse.py``, ``evaluate.py``): from the variables it meets in products, sums, elementwise
functions, transposes.  Simplification can cancel every variable that sized it
(``Z' - Z' + alpha`` is ``alpha*ones(p, p)``), and ``vec``, ``kron``, ``sum``, ``tr`` and the
norms pass no size to their arguments, so such a constant would read back unsized.  This
pass finds them, as the reader would, and gives exactly those their size (``ones(n)``,
``ones(m, n)``, ``I(n)``); every other constant prints bare, as a textbook writes it.

The reader's equalities between sizes are those of ``evaluate.py``'s ``constraints``: one
slot per axis of each node, tied to its parent's and siblings' slots; ``vec`` and ``kron``
multiply sizes (``m*n`` is known when both factors are, and a factor when the product and
the other factor are).  A slot is known when a variable, a sized constant, a unit axis or
the result's own shape (``md.evaluate(text, shape=...)``) fixes it.  Derivatives share
sub-trees, so each node is summarised once (which of its axes its own leaves fix, and
whether fixing one fixes the other) and rewritten once per pair of axes known from outside.
"""
from __future__ import annotations

from functools import lru_cache

from ..expr import Add, Const, Expr, Func, Hadamard, MatPow, Num, Power, Product, Transpose, Var
from ..functions import (DIAG, ELEMENTWISE, FUNCTIONS, KRON, POWER, SAME_SHAPE, SQUARE_TO_SCALAR,
                         SQUARE_TO_SQUARE, VEC)

SELF = -1   # the node's own slots in a local graph; children are 0, 1, ...


def sized_constants(e: Expr, root_known: bool = True) -> Expr:
    """``e`` with each constant that nothing would size on reading back written sized.
    ``root_known``: the reader knows the result's shape (``shape=``, an index form's axes)."""
    return _down(e, root_known, root_known)


def is_sized(e: Expr) -> bool:
    """A constant written with its size: ``I(n)``, ``K(m, n)``, ``ones(n)``, ``0*ones(m, n)``."""
    return isinstance(e, Const) and (e.kind in ("eye", "K") or e.size is not None)


def _sized(c: Const) -> Const:
    """The constant written with its size (``size`` set marks it for the printers)."""
    if c.kind == "I":
        return Const("eye", c.shape)
    return Const(c.kind, c.shape, c.shape)


@lru_cache(maxsize=20000)
def inner_sizes(e: Expr) -> tuple[bool, bool, bool, bool]:
    """(rows known, columns known, rows fix columns, columns fix rows), from e's own leaves."""
    if isinstance(e, (Var, Num)) or is_sized(e):
        return True, True, True, True
    if isinstance(e, Const):
        r, c = (d == 1 for d in e.shape)
        square = e.kind == "I"
        return r, c, square, square
    r, c = _local(e, False, False)[SELF]
    return r, c, _local(e, True, False)[SELF][1], _local(e, False, True)[SELF][0]


@lru_cache(maxsize=20000)
def _down(e: Expr, rows: bool, cols: bool) -> Expr:
    if isinstance(e, Const) and not is_sized(e):
        r, c, r_fixes_c, c_fixes_r = inner_sizes(e)
        rows, cols = rows or r or (cols and c_fixes_r), cols or c or (rows and r_fixes_c)
        return e if rows and cols else _sized(e)
    if not e.children:
        return e
    known = _local(e, rows, cols)
    kids = tuple(_down(k, *known[i]) for i, k in enumerate(e.children))
    return e if kids == e.children else e.rebuild(kids)


def _local(e: Expr, rows: bool, cols: bool) -> dict[int, tuple[bool, bool]]:
    """Which slots of e and its children are known, given e's own axes known or not."""
    kids = e.children
    known = {(SELF, 0): rows or e.shape[0] == 1, (SELF, 1): cols or e.shape[1] == 1,
             (SELF, "unit"): True}
    rules = list(_ties(e))
    for i, k in enumerate(kids):
        r, c, r_fixes_c, c_fixes_r = inner_sizes(k)
        known[(i, 0)], known[(i, 1)] = r, c
        if r_fixes_c:
            rules.append(((i, 1), (i, 0)))
        if c_fixes_r:
            rules.append(((i, 0), (i, 1)))
    changed = True
    while changed:
        changed = False
        for target, *given in rules:   # an equality or a factor of a product: all given known
            if not known.get(target) and all(known.get(g) for g in given):
                known[target] = changed = True
    out = {i: (known[(i, 0)], known[(i, 1)]) for i in range(len(kids))}
    out[SELF] = (known[(SELF, 0)], known[(SELF, 1)])
    return out


def _same(a, b):
    return [(a, b), (b, a)]


def _product(total, f1, f2):
    """total = f1*f2 (vec, kron): any two give the third."""
    return [(total, f1, f2), (f1, total, f2), (f2, total, f1)]


def _ties(e: Expr):
    """Rules (target, *given) between the slots of e (SELF) and of its children (0, 1, ...)."""
    unit = (SELF, "unit")   # never a target; stands for an axis that is 1
    kids = e.children
    slot = {}
    for i, k in enumerate(kids):
        for axis in (0, 1):
            slot[(i, axis)] = unit if k.shape[axis] == 1 else (i, axis)
    out = []
    if isinstance(e, (Add, Hadamard)):
        for i, k in enumerate(kids):
            if not (k.is_scalar and not e.is_scalar):   # a scalar that scales or broadcasts
                out += _same((i, 0), (SELF, 0)) + _same((i, 1), (SELF, 1))
    elif isinstance(e, Product):
        first = len(e.scalars)
        chain = list(range(first, len(kids)))
        if chain:
            out += _same((chain[0], 0), (SELF, 0)) + _same((chain[-1], 1), (SELF, 1))
        for a, b in zip(chain, chain[1:]):
            out += _same((a, 1), (b, 0))
    elif isinstance(e, Transpose):
        out += _same((0, 1), (SELF, 0)) + _same((0, 0), (SELF, 1))
    elif isinstance(e, (Power, MatPow)):
        out += _same((0, 0), (SELF, 0)) + _same((0, 1), (SELF, 1))
    elif isinstance(e, Func) and e.name in FUNCTIONS:
        kind = FUNCTIONS[e.name].kind
        if kind in (ELEMENTWISE, SAME_SHAPE, SQUARE_TO_SQUARE, POWER):
            out += _same((0, 0), (SELF, 0)) + _same((0, 1), (SELF, 1))
        elif kind == DIAG and 1 in kids[0].shape:   # a vector's entries: both axes of diag(v)
            entries = (0, 0) if kids[0].shape[1] == 1 else (0, 1)
            out += _same(entries, (SELF, 0)) + _same(entries, (SELF, 1))
        elif kind == DIAG:
            out += _same((0, 0), (SELF, 0))
        elif kind == VEC:
            out += _product((SELF, 0), slot[(0, 0)], slot[(0, 1)])
        elif kind == KRON:
            out += _product((SELF, 0), slot[(0, 0)], slot[(1, 0)])
            out += _product((SELF, 1), slot[(0, 1)], slot[(1, 1)])
        if kind in (SQUARE_TO_SCALAR, SQUARE_TO_SQUARE) or (kind == DIAG and 1 not in kids[0].shape):
            out += _same((0, 0), (0, 1))
    if isinstance(e, MatPow):
        out += _same((0, 0), (0, 1))
    return [r for r in out if r[0] != unit]
