"""Kinds from use: which kind an undeclared name takes, and the fix a kind error names.

The naming convention (``decls.convention_kind``) gives every undeclared name a kind.
Two uses overrule it, each only when the expression still types and has no more scalar
broadcasts than before (docs/language.md §2, "Kinds from use"):

* a coefficient is a scalar: a name that, at every use, multiplies the value of a scalar
  function (``N/2*logdet(S)``, ``n*log(sigma)``);
* a difference compares like with like: a name subtracted from a vector or matrix, or
  one it is subtracted from (``x - mu``, ``mu - x``), takes that kind, and the sum then
  broadcasts one scalar fewer.  A name *added* to one keeps its conventional kind:
  ``alpha + x`` broadcasts the scalar alpha.

When no typing is found, ``explain`` adds to the shape error the one declaration that
makes the expression type, with the kind the convention or the declaration gave.
"""
from __future__ import annotations

import re
from typing import Callable

from .decls import GREEK, Decl, convention_kind, parse_decl, parse_decls
from .errors import LimitError, MatdiffError, ShapeError, declaration_text
from .parse import GREEK_LETTERS, SIZED, Node
from .typed_build import operands

MAX_RETYPINGS = 48   # typings tried to choose kinds, and again to find a fix


def _budget(text: str) -> int:
    """Retypings allowed for ``text``: fewer for a long expression (each costs a typing)."""
    return max(4, min(MAX_RETYPINGS, 40_000 // max(1, len(text))))
KINDS = ("scalar", "vector", "matrix")


def choose_kinds(infer: Callable[[dict], object], t, tree: Node):
    """The typing (a ``shapes.Typer``) after the two uses above have had their say.

    ``infer(hints)`` types the tree with undeclared names' kinds taken from ``hints``
    where given; ``t`` is its typing with no hints.  One change at a time, first use first,
    each kept only if the expression types with no more broadcasts (a difference must
    remove one), so a use that needs the conventional kind wins."""
    hints: dict[str, str] = {}
    tries, budget = 0, _budget(t.text)
    while tries < budget:
        proposals = [(name, kind, True) for name, kind in t.broadcast_names.items()]
        proposals += [(name, "scalar", False) for name in coefficient_names(tree, t)]
        for name, kind, strict in proposals:
            if name in hints or tries >= budget:
                continue
            tries += 1
            try:
                again = infer({**hints, name: kind})
            except ShapeError:
                continue
            if again.broadcasts < t.broadcasts or (not strict and again.broadcasts == t.broadcasts):
                hints[name], t = kind, again
                break
        else:
            return t
    return t


def _parents(tree: Node) -> tuple[dict[int, Node], dict[str, list[Node]]]:
    """Each node's parent, and each name's uses in the order of the text."""
    parent: dict[int, Node] = {}
    uses: dict[str, list[Node]] = {}
    stack = [tree]
    while stack:
        n = stack.pop()
        if n.op == "name":
            uses.setdefault(n.value, []).append(n)
            continue
        if n.op == "call" and n.value in SIZED:
            continue  # their arguments are dimensions
        for c in operands(n):
            parent[id(c)] = n
            stack.append(c)
    for nodes in uses.values():
        nodes.sort(key=lambda n: n.pos)
    return parent, dict(sorted(uses.items(), key=lambda kv: kv[1][0].pos))


def coefficient_names(tree: Node, t) -> list[str]:
    """Undeclared non-scalar names that, at every use, scale a scalar function's value."""
    parent, uses = _parents(tree)
    return [name for name, nodes in uses.items()
            if name not in t.decls and name not in ("I", "ones") and not t.scalar(nodes[0])
            and all(_scales_a_function(u, parent, t) for u in nodes)]


def _scales_a_function(u: Node, parent: dict[int, Node], t) -> bool:
    """``u`` is a factor of a product (through negations and divisions by scalars) whose
    other factors are scalars, one of them involving a function's value."""
    found, cur = False, u
    while (p := parent.get(id(cur))) is not None:
        if p.op == "neg":
            cur = p
            continue
        if p.op == "mul" or (p.op == "div" and p.args[0] is cur):
            other = p.args[1] if p.args[0] is cur else p.args[0]
            if not t.scalar(other):
                return False
            found = found or (p.op == "mul" and _function_value(other, t))
            cur = p
            continue
        break
    return found


def _function_value(n: Node, t) -> bool:
    """A scalar that is, or is computed by scalar arithmetic from, a function's value."""
    stack = [n]
    while stack:
        m = stack.pop()
        if not t.scalar(m):
            continue
        if m.op == "call" and m.value not in ("I", "K", "vector", "matrix"):
            return True
        if m.op in ("neg", "add", "sub", "mul", "div", "pow", "epow"):
            stack.extend(operands(m))
    return False


# -- the fix a kind error names --

def _an(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def kind_origin(name: str, decls: dict[str, Decl], types: str) -> str:
    """``"mu is a scalar by the naming convention (a Greek name)"`` or ``"mu is declared a
    scalar"``: where a name's kind came from."""
    d = decls.get(name)
    if d is not None:
        return f"{name} is declared {_an(d.kind)}"
    kind = convention_kind(name, types)
    if name[0].isupper():
        why = "it starts with a capital letter"
    elif types == "matrixcalculus":
        why = "matrixcalculus.org's convention: a lower-case name from a to g is a scalar" \
            if kind == "scalar" else "matrixcalculus.org's convention: a lower-case name after g"
    elif name in GREEK or re.match(f"[{GREEK_LETTERS}]", name):
        why = "a Greek name"
    else:
        why = "a lower-case name"
    return f"{name} is {_an(kind)} by the naming convention ({why})"


def _spell(shape) -> str:
    if tuple(shape) == (1, 1):
        return "scalar"
    if shape[1] == 1:
        return f"vector({shape[0]})"
    return f"matrix({shape[0]},{shape[1]})"


def kind_fixes(text: str, vars, types: str, tree: Node, typecheck: Callable, near: tuple = (0, 0),
               limit: int = 3) -> list[tuple[str, str, str]]:
    """``(name, kind, declaration)`` for one-name declarations of another kind under which
    ``text`` types, the likeliest first: names in the failing span ``near`` first, then the
    names used fewer times, or later.  ``declaration`` carries the dimensions the typing
    found (``vector(n)``), or only the kind where those do not type."""
    decls = parse_decls(vars)
    _, uses = _parents(tree)
    pos, end = near

    def order(name):
        where = [u.pos for u in uses[name]]
        inside = any(pos <= p < end for p in where)
        return (not inside, len(where), -where[0])
    # a function of a square matrix that fails (tr(x)) wants a matrix first
    kinds = ("matrix", "scalar", "vector") if any(n.op == "call" for n in _nodes_at(tree, near)) \
        else KINDS
    out, tries, budget = [], 0, _budget(text)
    # a name declared with dimensions is left as declared: its error is about sizes, not kinds
    names = [n for n in uses if n not in ("I", "ones") and not (n in decls and decls[n].dims)]
    for name in sorted(names, key=order):
        now = decls[name].kind if name in decls else convention_kind(name, types)
        for kind in kinds:
            if kind == now or tries >= budget:
                continue
            tries += 1
            try:
                typed = typecheck(text, {**decls, name: parse_decl(kind, name)}, types)
            except LimitError:
                return out  # out of time: the fixes found so far
            except (MatdiffError, RecursionError):
                continue
            spelled = _spell(typed.variables[name].shape)
            try:
                typecheck(text, {**decls, name: parse_decl(spelled, name)}, types)
            except (MatdiffError, RecursionError):
                spelled = kind
            out.append((name, kind, spelled))
            break
        if len(out) >= limit:
            break
    return out


def explain(e: ShapeError, text: str, vars, types: str, tree: Node, typecheck: Callable) -> ShapeError:
    """The shape error, with the likeliest one-name declaration that makes ``text`` type:
    the name, the kind its name or declaration gave it, and the declaration (``vars=``
    form; ``MatdiffError.for_surface`` rewrites it for the command line and the page)."""
    if getattr(e, "rewrite", False):  # the error already says which transpose was meant
        return e
    fixes = kind_fixes(text, vars, types, tree, typecheck, (e.pos or 0, e.end or 0), limit=1)
    if not fixes:
        return e
    name, kind, spelled = fixes[0]
    origin = kind_origin(name, parse_decls(vars), types)
    message = (f"{e.message}; {origin}: if it is {_an(kind)}, declare it: "
               f"{declaration_text(name, spelled)}")
    return ShapeError(message, e.pos, e.end, source=e.source, fix=(name, spelled))


def _nodes_at(tree: Node, span: tuple[int, int]) -> list[Node]:
    """The nodes exactly at ``span`` (the failing operation)."""
    out, stack = [], [tree]
    while stack:
        n = stack.pop()
        if (n.pos, n.end) == span:
            out.append(n)
        stack.extend(c for c in n.args if isinstance(c, Node))
    return out
