"""Named sub-expressions: ``X'*diag(s .* (ones - s))*X  where s = sigmoid(y .* (X*w))``.

A result names a sub-expression when that makes the printed form shorter, as a careful
author would (docs/guide.md, "Named sub-expressions").  The rule, general and greedy:

* a candidate is a node that occurs at least twice in the printed tree (the main form and
  the definitions made so far) and is more than a name: not a variable, a number or a
  constant, nor the transpose, a power or the inverse of one (``X'^3`` stays as it is);
* each round names the candidate whose naming shortens the whole printed form most, in
  tokens (names, numbers and operators, as ``size`` and the corpus count them; characters
  break a tie), then counts again: an outer repeat names first, and an inner one that still repeats after it
  is named next;
* definitions are printed in order of use: each uses only the names defined before it.

Names are fresh: never a variable, a dimension, an index letter, a function or a word of
the language.  A sub-expression whose head is a function takes the function's initial
(``s`` for sigmoid, ``t`` for tanh), upper case for a matrix; others take u, v, p, q, r...
The where-form reads back (``parse.py``: a definition is a macro), so ``md.evaluate`` of it
gives the inlined form's values.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..expr import Const, Expr, Func, MatPow, Num, Power, Transpose, Var
from .text import to_text

# Tokens of a printed form: names, numbers and operators; parentheses are not counted.
TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|\d+\.?\d*(?:[eE]-?\d+)?|\.\*|\./|\.\^|[-+*/^'⊙]")
MAX_NAMES = 8            # definitions in one result
MAX_CANDIDATES = 6       # candidates measured exactly per round (by estimated saving)
# Letters never chosen: index names (index/render.py), and e, o, l (Euler, zero, one).
AVOID = set("ijklmnoe") | {"T", "H", "I", "O", "L", "E"}
GENERIC = "uvpqrgdfhabcwxyz"


def size(text: str) -> int:
    """Tokens of a printed form."""
    return len(TOKEN.findall(text))


@dataclass(frozen=True)
class WhereForm:
    """``main`` with names for the sub-expressions ``defs`` [(name, expr)], in order of use."""
    main: Expr
    defs: tuple[tuple[str, Expr], ...] = ()

    @property
    def text(self) -> str:
        return where_text(self.main, self.defs, to_text)

    def expanded(self) -> list[tuple[str, Expr]]:
        """Each definition with the earlier names inlined: [(name, expression of variables)]."""
        out: list[tuple[str, Expr]] = []
        for name, e in self.defs:
            for prior, full in reversed(out):
                e = _replace(e, [], Var(prior, full.shape), full)[0]
            out.append((name, e))
        return out


def where_text(main: Expr, defs, fmt) -> str:
    """``MAIN  where a = ..., b = ...`` with ``fmt`` the printer (text)."""
    if not defs:
        return fmt(main)
    return fmt(main) + "  where " + ", ".join(f"{n} = {fmt(e)}" for n, e in defs)


def name_subexpressions(e: Expr, taken) -> WhereForm:
    """The where-form of ``e`` (no definitions when none shortens it); ``taken`` holds the
    names in use (variables, dimensions, the input's identifiers)."""
    taken = set(taken)
    main, defs = e, []
    best_len = _length(main, defs)
    for _ in range(MAX_NAMES):
        trial = None
        for cand in _candidates(main, defs):
            name = _fresh(cand, taken)
            v = Var(name, cand.shape)
            m2, d2 = _replace(main, defs, cand, v)
            d2 = _ordered(d2 + [(name, cand)])
            n = _length(m2, d2)
            if n < best_len and (trial is None or n < trial[0]):
                trial = (n, m2, d2, name)
        if trial is None:
            break
        best_len, main, defs, name = trial
        taken.add(name)
    return WhereForm(main, tuple(defs))


def _length(main, defs) -> tuple[int, int]:
    text = where_text(main, defs, to_text)
    return (size(text), len(text))


def _eligible(n: Expr) -> bool:
    """More than a name: not a variable, number or constant, nor (a power, the inverse or
    the transpose of) one."""
    while isinstance(n, (Transpose, MatPow, Power)) or (isinstance(n, Func) and n.name == "inv"):
        n = n.args[0] if isinstance(n, Func) else n.children[0]
    return not isinstance(n, (Var, Num, Const))


def _occurrences(roots) -> dict:
    """How often each node is printed: its number of paths from the roots (a DAG walk)."""
    order, seen, stack = [], set(), [(r, False) for r in roots]
    while stack:  # post-order, then reversed: parents before children
        n, done = stack.pop()
        if done:
            order.append(n)
            continue
        if n in seen:
            continue
        seen.add(n)
        stack.append((n, True))
        stack.extend((c, False) for c in n.children)
    occ: dict = {}
    for r in roots:
        occ[r] = occ.get(r, 0) + 1
    for n in reversed(order):
        k = occ.get(n, 0)
        for c in n.children:
            occ[c] = occ.get(c, 0) + k
    return occ


def _candidates(main, defs) -> list:
    """Repeated eligible nodes, the most promising first (saving estimated from tokens)."""
    occ = _occurrences([main] + [d for _, d in defs])
    scored = []
    for n, k in occ.items():
        if k >= 2 and _eligible(n):
            t = size(to_text(n))
            gain = (k - 1) * t - k - 2   # k uses of one name, "where", the name and "="'s side
            if gain > 0:
                scored.append((-gain, to_text(n), n))
    scored.sort(key=lambda s: (s[0], s[1]))
    return [n for _, _, n in scored[:MAX_CANDIDATES]]


def _replace(main, defs, old: Expr, new: Expr):
    memo: dict = {}

    def sub(n: Expr) -> Expr:
        if n == old:
            return new
        r = memo.get(n)
        if r is None:
            kids = n.children
            r = n if not kids else n.rebuild(tuple(sub(c) for c in kids))
            memo[n] = r
        return r
    return sub(main), [(name, sub(d)) for name, d in defs]


def _ordered(defs) -> list:
    """Definitions in order of use: each after the definitions whose names it uses."""
    names = {n for n, _ in defs}
    uses = {n: _names_in(d) & names for n, d in defs}
    out, done = [], set()
    while len(out) < len(defs):
        for n, d in defs:
            if n not in done and uses[n] <= done:
                out.append((n, d))
                done.add(n)
                break
    return out


def _names_in(e: Expr) -> set:
    out, seen, stack = set(), set(), [e]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if isinstance(n, Var):
            out.add(n.name)
        stack.extend(n.children)
    return out


def _fresh(e: Expr, taken: set) -> str:
    """A readable name for ``e`` that is not taken: the head function's initial, else u, v..."""
    upper = e.shape[0] != 1 and e.shape[1] != 1
    firsts = [e.name[0]] if isinstance(e, Func) and e.name[0].isalpha() else []
    for c in firsts + list(GENERIC):
        c = c.upper() if upper else c.lower()
        if c not in taken and c not in AVOID and c.lower() not in AVOID:
            return c
    k = 1
    while f"{'U' if upper else 'u'}{k}" in taken:
        k += 1
    return f"{'U' if upper else 'u'}{k}"
