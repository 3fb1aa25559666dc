"""The recorded differentiation shown depth by depth (``Derivation.stages``).

The engine's Differentiator records every rule it applies (``diff.Applied``:
the node, its indices, the terms it gave, its depth).  A step at level L
shows the rules down to depth L applied and the derivatives below them not
yet expanded, as ``Pending`` factors ``∂U[a,b]/∂X[i,j]``: each rule's terms
are made from its inner rules' terms times a number and factors, so the
record alone gives every level; nothing is differentiated again.
"""
from __future__ import annotations

from fractions import Fraction

from .. import expr as E
from ..expr import Expr
from ..index.tensor import Factor, Term


class Pending(Expr):
    """A derivative not expanded yet: ∂target[out...]/∂wrt[w...] (the factor's indices are
    out + w).  It is a factor of a step, never of a result."""
    __slots__ = ("target", "wrt", "n_out")

    def __init__(self, target: Expr, wrt: str, n_out: int):
        self.target = target
        self.wrt = wrt
        self.n_out = n_out
        self._init(E.SCALAR, (target, wrt, n_out))


# Labels for the rules of diff.py that do not name themselves on the terms they make.
NODE_RULES = {
    E.Add: "sum rule: d(U + V) = dU + dV",
    E.Transpose: "transpose: d(U') = (dU)'",
    E.MatPow: "X^-k = inv(X)^k",
}
FUNC_RULES = {
    "sum": "d sum(U) = sum(dU)",
    "diag": "d diag(U) = diag(dU)",
    "kron": "kron(a, b) = vec(b*a') for vectors a, b",
    "vec": "vec(u) = u for a vector u",
}
RULE_NAMES = {
    "variable": "the variable itself: ∂X[a,b]/∂X[i,j] = δ[a,i]*δ[b,j]",
}


class _Node:
    """A rule the Differentiator applied (``diff.Applied``) and the rules applied inside it."""
    __slots__ = ("applied", "children", "blocks")

    def __init__(self, applied):
        self.applied = applied
        self.children: list[_Node] = []
        self.blocks = None


def _tree(applied: list) -> list[_Node]:
    """The recorded rules (in the order they started, with their depths) as trees."""
    roots: list[_Node] = []
    open_: list[_Node] = []
    for a in applied:
        node = _Node(a)
        while open_ and open_[-1].applied.depth >= a.depth:
            open_.pop()
        (open_[-1].children if open_ else roots).append(node)
        open_.append(node)
    for node in _walk(roots):
        node.blocks = _blocks(node)
    return roots


def _walk(nodes):
    for n in nodes:
        yield n
        yield from _walk(n.children)


def _blocks(node: _Node):
    """How a rule made its terms from those of the rules inside it: for each inner rule
    (c, factors), each of its terms times the number c and the factors — the form of every
    rule but those that translate dU back to a matrix (vec, kron by a scalar), for which
    None: their terms are shown whole.  (None, None) for an inner rule that gave no terms."""
    terms, blocks, p = node.applied.terms, [], 0
    for child in node.children:
        inner = child.applied.terms
        block = terms[p:p + len(inner)]
        if not inner:
            blocks.append((None, None))
            continue
        if len(block) < len(inner) or len(block[0].factors) < len(inner[0].factors):
            return None
        prefix = block[0].factors[:len(block[0].factors) - len(inner[0].factors)]
        c = block[0].coeff / inner[0].coeff
        if any(b.factors != prefix + t.factors or b.coeff != c * t.coeff for b, t in zip(block, inner)):
            return None
        blocks.append((c, prefix))
        p += len(inner)
    return blocks if p == len(terms) or not node.children else None


def _view(node: _Node, level: int, wrt: str) -> list[Term]:
    """The node's terms with the rules at depth ``level`` and below not applied yet (Pending)."""
    a = node.applied
    if a.depth >= level:
        return [Term(Fraction(1), (Factor(Pending(a.node, wrt, len(a.out)), a.out + a.w),), "")]
    if node.blocks is None or not node.children:
        return a.terms
    out: list[Term] = []
    for child, (c, prefix) in zip(node.children, node.blocks):
        if c is not None:   # an inner rule that gave no terms (a zero derivative) is left out
            out += [Term(c * t.coeff, prefix + t.factors, t.rule) for t in _view(child, level, wrt)]
    return out


def _stage_view(prev: list[Term] | None, roots: list[_Node], level: int, wrt: str) -> list[Term]:
    """The stage's derivative at ``level``: of the expression, or (higher orders) of each
    factor of the previous derivative by the product rule, as ``Differentiator.d_terms``."""
    if prev is None:
        return _view(roots[0], level, wrt) if roots else []
    out, k = [], 0
    for t in prev:
        for j, f in enumerate(t.factors):
            if k < len(roots) and not f.is_delta and (roots[k].applied.node, roots[k].applied.out) \
                    == (f.expr, f.idx):
                rest = t.factors[:j] + t.factors[j + 1:]
                out += [Term(t.coeff * v.coeff, rest + v.factors, v.rule)
                        for v in _view(roots[k], level, wrt)]
                k += 1
    return out


def _index_names(roots: list[_Node], level: int, names: list[str]) -> dict[str, str]:
    """The names the steps give the indices at ``level``: each fresh index named as the rules
    shown applied make it, in order (deeper rules make none yet), so that a summed index of
    a step keeps its letter in the next only when it is the same index of the same rules.
    ``names`` lists the derivation's indices in the order they were made."""
    mapping: dict[str, str] = {}
    k = roots[0].applied.start if roots else 0

    def own(a: int, b: int):
        nonlocal k
        for n in range(a, b):
            mapping[names[n]] = names[k]
            k += 1

    def visit(node: _Node, whole: bool):
        n = node.applied.start
        for child in node.children:
            own(n, child.applied.start)
            if whole or node.blocks is None or child.applied.depth < level:
                visit(child, whole or node.blocks is None)
            n = child.applied.end
        own(n, node.applied.end)

    for root in roots:
        if root.applied.depth < level:
            visit(root, False)
    return mapping


def _renamed(terms: list[Term], mapping: dict[str, str]) -> list[Term]:
    return [Term(t.coeff, tuple(Factor(f.expr, tuple(mapping.get(i, i) for i in f.idx), f.dim)
                                for f in t.factors), t.rule) for t in terms]


def _applied_at(roots: list[_Node], depth: int) -> list[str]:
    """Labels of the rules at ``depth`` that a step shows being applied (pre-order)."""
    labels: list[str] = []

    def visit(node):
        if node.applied.depth == depth:
            labels.append(_rule_label(node))
        elif node.blocks is not None:
            for child in node.children:
                visit(child)
    for root in roots:
        visit(root)
    return labels


def _rule_label(node: _Node) -> str:
    """The rule's name: the one it gave its terms, unless it passed on those of an inner rule."""
    e, terms = node.applied.node, node.applied.terms
    inner = [t for child in node.children for t in child.applied.terms]
    passed_on = bool(node.children) and len(inner) == len(terms) and all(
        x is y for x, y in zip(inner, terms))
    named = [] if passed_on else [t.rule for t in terms if t.rule]
    if named:
        return RULE_NAMES.get(named[0], named[0])
    if isinstance(e, E.Func) and e.name in FUNC_RULES:
        return FUNC_RULES[e.name]
    for kind, label in NODE_RULES.items():
        if isinstance(e, kind):
            return label
    return f"derivative of {type(e).__name__}"


def _has_pending(terms: list[Term]) -> bool:
    return any(isinstance(f.expr, Pending) for t in terms for f in t.factors)
