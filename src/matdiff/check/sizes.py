"""Random sizes for the symbolic dimensions of a sample, satisfying the typing's ties.

Sizes are distinct where they can be (so that a transpose never hides behind a square
shape).  Typing may equate a vec/kron size with another size (``vec(X)'*A*vec(X)`` with A
declared p×p ties p = m*n; ``vec(X)'*vec(Y)`` with X m×n and Y p×q ties m*n = p*q): those
equations (``shapes.Typed.ties``) are kept.  Each is put in lowest terms (``m*m = n*n*p*p``
is ``m = n*p``); a name alone on one side is then computed from the other side; the rest
are searched, smallest domain first, for sizes that satisfy every remaining tie.
"""
from __future__ import annotations

from collections import Counter

from ..dims import Dim, reduce_tie
from ..errors import EvaluationError
from .claim import _IDENT

MAX_SIZE = 12          # the largest size tried for a searched dimension
MAX_STEPS = 20000      # assignments tried before the ties are declared unsatisfiable


def _monomial(d) -> tuple[int, tuple]:
    """A size as (number, names): ``2*m*n`` -> (2, ('m', 'n')), ``p`` -> (1, ('p',))."""
    if isinstance(d, Dim):
        return d.coeff, d.factors
    if isinstance(d, int):
        return d, ()
    return 1, (d,)


def _value(mono, sizes) -> int:
    n, names = mono
    for x in names:
        n *= sizes[x]
    return n


def _symbolic_names(variables: dict) -> list:
    names: list = []
    for v in variables.values():
        for d in v.shape:
            for x in (d.factors if isinstance(d, Dim) else (d,)):
                if isinstance(x, str) and _IDENT.fullmatch(x) and x not in names:
                    names.append(x)
    return names


def _expand(mono, derived) -> tuple[int, tuple]:
    """A monomial with each derived name replaced by its monomial of searched names."""
    n, out = mono[0], []
    for x in mono[1]:
        if x in derived:
            n *= derived[x][0]
            out.extend(derived[x][1])
        else:
            out.append(x)
    return n, tuple(sorted(out))


def _lowest_terms(a, b) -> tuple[tuple, tuple]:
    """The tie a = b with common names cancelled and a common power's root taken
    (``m*m = n*n*p*p`` -> ``m = n*p``: m is then computed, not searched)."""
    (ca, na), (cb, nb) = reduce_tie((a[0], Counter(a[1])), (b[0], Counter(b[1])))
    return (ca, tuple(sorted(na.elements()))), (cb, tuple(sorted(nb.elements())))


def _solve_for(ties, fixed) -> tuple[dict, list]:
    """Names computed from a tie (``p`` in ``p = m*n``), each as a monomial of searched names,
    and the ties left to check."""
    derived: dict = {}
    checks = []
    for a, b in ties:
        a, b = _lowest_terms(_expand(_monomial(a), derived), _expand(_monomial(b), derived))
        for one, other in ((a, b), (b, a)):
            if one[0] == 1 and len(one[1]) == 1 and one[1][0] not in fixed \
                    and one[1][0] not in other[1]:
                x = one[1][0]
                derived[x] = other
                for y, m in derived.items():      # keep every entry in searched names
                    derived[y] = _expand(m, derived)
                break
        else:
            if a != b:
                checks.append((a, b))
    return derived, checks


def size_key(ties):
    """Sizes compared under the ties: ``key(d)`` is equal for two sizes that are equal wherever
    the ties hold (p and m*n where p = m*n), None where only a search of the ties decides."""
    derived, checks = _solve_for(list(dict.fromkeys(ties)), {})
    searched = {x for a, b in checks for x in a[1] + b[1]}

    def key(d):
        mono = _expand(_monomial(d), derived)
        return None if searched & set(mono[1]) else mono
    return key


def draw_sizes(variables: dict, rng, fixed: dict | None = None, ties=()) -> dict:
    """Sizes for the symbolic dimensions: 2, 3, ... in random order, distinct where the ties
    allow, every tie satisfied; ``fixed`` sizes are kept."""
    fixed = dict(fixed or {})
    ties = list(dict.fromkeys(ties))      # the claim's typing repeats the expression's ties
    names = _symbolic_names(variables)
    for a, b in ties:
        for x in _monomial(a)[1] + _monomial(b)[1]:
            if x not in names:
                names.append(x)
    derived, checks = _solve_for(ties, fixed)
    free = [x for x in names if x not in fixed and x not in derived]
    pool = list(range(2, 2 + max(5, len(free))))
    order = rng.permutation(pool).tolist()
    if not ties:
        return {**dict(zip(free, order[:len(free)])), **fixed}
    # search: distinct sizes first, then repeats, then larger sizes
    domain = order + [k for k in range(2, MAX_SIZE + 1) if k not in order]
    sizes = dict(fixed)
    steps = 0

    def settle() -> bool:
        full = {**sizes, **{x: _value(m, sizes) for x, m in derived.items()
                            if all(y in sizes for y in m[1])}}
        for a, b in checks:
            if all(y in full for y in a[1] + b[1]) and _value(a, full) != _value(b, full):
                return False
        return all(v >= 2 or x in fixed for x, v in full.items())

    def search(i: int) -> bool:
        nonlocal steps
        if i == len(free):
            return settle()
        used = set(sizes.values())
        for k in sorted(domain, key=lambda k: k in used):
            steps += 1
            if steps > MAX_STEPS:
                return False
            sizes[free[i]] = k
            if settle() and search(i + 1):
                return True
            del sizes[free[i]]
        return False

    if not search(0):
        shown = ", ".join(f"{a} = {b}" for a, b in ties)
        raise EvaluationError(f"no sizes satisfy {shown}: declare sizes that fit")
    return {**sizes, **{x: _value(m, sizes) for x, m in derived.items()}}
