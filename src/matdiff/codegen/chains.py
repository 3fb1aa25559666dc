"""Matrix chains multiplied in the order that costs least for the sizes given.

``dims`` (dimension name -> size) is used only to choose orders; the
generated code reads every size from its arguments.  The usual O(k^3)
dynamic programme sees diagonal factors (scaling, O(n^2)), inverse factors
(a solve), all-ones factors (a sum over an axis) and vectors; ``tr`` and
``diag`` of a chain may stop one product short (a sum of elementwise
products instead of the last matrix product).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..dims import Dim
from .graph import Builder

# The size assumed for a dimension whose size is not given (only orders depend on it).
DEFAULT_SIZE = 100


@dataclass(frozen=True)
class Item:
    """A factor of a matrix chain. rows/cols are None on a vector's missing axis.

    rep: ``x`` dense, ``d`` diagonal (node: the diagonal), ``i`` inverse
    (node: the matrix), ``o`` a vector of ones.
    """
    rep: str
    node: int | None
    rows: object
    cols: object

    @property
    def ndim(self) -> int:
        return (self.rows is not None) + (self.cols is not None)


def axis_of(d):
    """A chain item's rows or cols: None on a vector's missing axis."""
    return None if d == 1 else d


class ChainBuilder(Builder):
    """Builds matrix chains, ordered for the sizes in ``dims``."""

    def __init__(self, dims: dict | None = None):
        super().__init__()
        self.dims = dict(dims or {})

    # -- sizes (for choosing orders only) --
    def size(self, d) -> int:
        if d is None or d == 1:
            return 1
        if isinstance(d, int):
            return d
        if isinstance(d, Dim):
            return d.size(self.size)
        v = self.dims.get(d)
        return v if isinstance(v, int) else DEFAULT_SIZE

    def nsize(self, shape) -> int:
        return math.prod(self.size(d) for d in shape)

    def scale_into(self, items: list[Item], sc) -> tuple[list[Item], bool]:
        """Multiply the scalar into the smallest factor when that is smaller than the result."""
        result = self.size(items[0].rows) * self.size(items[-1].cols)
        best, where = None, None
        for k, it in enumerate(items):
            if it.rep in ("x", "d"):
                sz = self.size(it.rows) * self.size(it.cols) if it.rep == "x" else self.size(it.rows)
                if best is None or sz < best:
                    best, where = sz, k
        if best is None or best >= result:
            return items, False
        it = items[where]
        items = list(items)
        items[where] = Item(it.rep, self.mul(sc, it.node), it.rows, it.cols)
        return items, True

    def _kind(self, items, i, j) -> str:
        if i == j:
            return items[i].rep
        return "d" if all(it.rep == "d" for it in items[i:j + 1]) else "x"

    def pair_cost(self, lk, lr, lc, rk, rr, rc, transposed=False) -> float:
        """The cost of one product; ``transposed``: the left factor is a transposed array,
        which a diagonal on its right would copy (XLA does), so scale the other side."""
        S = self.size
        if lc is None:  # an outer product
            return S(lr) * S(rc)
        n = S(lc)
        if lk == "d" and rk == "d":
            return n
        if lk == "o" or rk == "o":
            other, (r, c) = (rk, (rr, rc)) if lk == "o" else (lk, (lr, lc))
            if other == "i":
                return n ** 3 / 3 + n * n
            if other == "o":
                return n
            return S(r) * S(c)
        if lk == "d":
            return 1.01 * S(rr) * S(rc) if rk != "i" else n ** 3 + n * n
        if rk == "d":
            return (1.02 if transposed else 1) * S(lr) * S(lc) if lk != "i" else n ** 3 + n * n
        if lk == "i" and rk == "i":
            return 2 * n ** 3
        if lk == "i":
            return n ** 3 / 3 + n * n * S(rc)
        if rk == "i":
            return n ** 3 / 3 + n * n * S(lr)
        return S(lr) * n * S(rc)

    def order(self, items: list[Item]):
        """Dynamic programme over split points: (cost table, split table)."""
        k = len(items)
        cost = [[0.0] * k for _ in range(k)]
        split = [[0] * k for _ in range(k)]
        for length in range(2, k + 1):
            for i in range(k - length + 1):
                j = i + length - 1
                best = None
                for s in range(i, j):
                    c = (cost[i][s] + cost[s + 1][j] +
                         self.pair_cost(self._kind(items, i, s), items[i].rows, items[s].cols,
                                        self._kind(items, s + 1, j), items[s + 1].rows, items[j].cols,
                                        i == s and self._is_T(items[i])))
                    if best is None or c < best - 1e-9 * abs(best):
                        best, split[i][j] = c, s
                cost[i][j] = best
        return cost, split

    def _is_T(self, it: Item) -> bool:
        return it.rep == "x" and self.g[it.node].name == "T"

    def chain(self, items: list[Item]) -> Item:
        if len(items) == 1:
            return items[0]
        _, split = self.order(items)

        def build(i, j) -> Item:
            if i == j:
                return items[i]
            s = split[i][j]
            return self.times(build(i, s), build(s + 1, j))

        return build(0, len(items) - 1)

    def item_dense(self, it: Item) -> int:
        if it.rep == "x":
            return it.node
        if it.rep == "d":
            return self.op("diagmat", (it.node,), (), (it.rows, it.cols))
        if it.rep == "i":
            return self.op("inv", (it.node,), (), (it.rows, it.cols))
        shape = tuple(d for d in (it.rows, it.cols) if d is not None)
        return self.op("ones", (), (shape,), shape)

    def times(self, L: Item, R: Item) -> Item:
        """The product of two chain items."""
        rows, cols = L.rows, R.cols
        shape = tuple(d for d in (rows, cols) if d is not None)
        X = lambda node: Item("x", node, rows, cols)  # noqa: E731
        if L.cols is None:  # column times row: an outer product (or a scaling)
            a, b = self.item_dense(L), self.item_dense(R)
            if L.ndim == 0 or R.ndim == 0:
                return X(self.mul(a, b))
            return X(self.op("outer", (a, b), (), shape))
        n = L.cols
        if L.rep == "o" and R.rep == "o":
            return X(self.dimval(n))
        if L.rep == "o":  # ones' * R: sums of R's columns
            if R.rep == "d":
                return Item("x", R.node, None, R.cols)
            if R.rep == "i":
                ones = self.op("ones", (), ((n,),), (n,))
                return X(self.op("solve", (self.T(R.node), ones), (), shape))
            return X(self.sum_axis(R.node, 0))
        if R.rep == "o":  # L * ones: sums of L's rows
            if L.rep == "d":
                return Item("x", L.node, L.rows, None)
            if L.rep == "i":
                ones = self.op("ones", (), ((n,),), (n,))
                return X(self.op("solve", (L.node, ones), (), shape))
            return X(self.sum_axis(L.node, self.g[L.node].ndim - 1))
        if L.rep == "d" and R.rep == "d":
            return Item("d", self.mul(L.node, R.node), rows, cols)
        if L.rep == "d":
            r = self.item_dense(R)
            if self.g[r].ndim == 2:
                return X(self.op("rowscale", (L.node, r), (), shape))
            return X(self.mul(L.node, r))
        if R.rep == "d":
            return X(self.mul(self.item_dense(L), R.node))
        if L.rep == "i":
            if R.rep == "i":
                return X(self.op("solve", (L.node, self.item_dense(R)), (), shape))
            return X(self.op("solve", (L.node, R.node), (), shape))
        if R.rep == "i":  # L * inv(A) = solve(A', L')'
            A = self.T(R.node)
            if self.g[L.node].ndim == 1:
                return X(self.op("solve", (A, L.node), (), shape))
            return X(self.T(self.op("solve", (A, self.T(L.node)), (), shape[::-1])))
        a, b = L.node, R.node
        if self.g[a].ndim == 2 and self.g[b].ndim == 1 and self.g[a].name == "T":
            return X(self.op("matmul", (b, self.g[a].args[0]), (), shape))  # A'*x as x'*A
        if self.g[a].ndim == 1 and self.g[b].ndim == 2 and self.g[b].name == "T":
            return X(self.op("matmul", (self.g[b].args[0], a), (), shape))  # x'*A' as A*x
        return X(self.op("matmul", (a, b), (), shape))

    def trace_chain(self, items: list[Item]) -> int:
        k = len(items)
        best = None  # (cost, rotation, split or None)
        for r in range(k):
            rot = items[r:] + items[:r]
            cost, _ = self.order(rot)
            if rot[0].rows is None and rot[-1].cols is None:
                cand = (cost[0][k - 1], r, None)
            else:
                cand = (cost[0][k - 1] + self.size(rot[0].rows), r, None)
                for s in range(k - 1):
                    lk, rk = self._kind(rot, 0, s), self._kind(rot, s + 1, k - 1)
                    if rot[s].cols is None:
                        continue
                    c = cost[0][s] + cost[s + 1][k - 1] + (
                        self.size(rot[0].rows) if "d" in (lk, rk) else
                        self.size(rot[0].rows) * self.size(rot[s].cols))
                    if lk in ("x", "d") and rk in ("x", "d") and c < cand[0]:
                        cand = (c, r, s)
            if best is None or cand[0] < best[0] - 1e-9 * abs(best[0]):
                best = cand
        _, r, s = best
        rot = items[r:] + items[:r]
        if s is None:
            out = self.chain(rot)
            if out.ndim == 0:
                return out.node
            if out.rep == "d":
                return self.op("sum", (out.node,), (), ())
            return self.op("trace", (self.item_dense(out),), (), ())
        L, R = self.chain(rot[:s + 1]), self.chain(rot[s + 1:])
        return self.pair_reduce(L, R, "trdot")

    def pair_reduce(self, L: Item, R: Item, how: str) -> int:
        """tr(L*R) ("trdot") or diag(L*R) ("diagdot") without forming L*R."""
        if L.rep == "d" or R.rep == "d":
            d, other = (L, R) if L.rep == "d" else (R, L)
            v = self.mul(d.node, self.op("diagonal", (self.item_dense(other),), (), (d.rows,)))
            return self.op("sum", (v,), (), ()) if how == "trdot" else v
        shape = () if how == "trdot" else (L.rows,)
        a, b = L.node, R.node
        ta, tb = self.g[a].name == "T", self.g[b].name == "T"
        if ta and tb:  # tr(A'*B') = tr(B*A), diag(A'*B') = diag(B*A)
            a, b = self.g[b].args[0], self.g[a].args[0]
        elif tb:  # tr(A*B') = sum(A .* B); diag(A*B') = row dots of A and B
            b = self.g[b].args[0]
            return self.op("vdot", (a, b), (2,), ()) if how == "trdot" else \
                self.op("rowdot", (a, b), (), shape)
        elif ta:  # tr(A'*B) = sum(A .* B); diag(A'*B) = column dots of A and B
            a = self.g[a].args[0]
            return self.op("vdot", (a, b), (2,), ()) if how == "trdot" else \
                self.op("coldot", (a, b), (), shape)
        return self.op(how, (a, b), (), shape)

    def diag_items(self, items: list[Item], n) -> int:
        """diag(L*R*...) of a nonempty chain, stopping one product short where cheaper."""
        k = len(items)
        cost, _ = self.order(items)
        best = (cost[0][k - 1] + self.size(n), None)
        for s in range(k - 1):
            lk, rk = self._kind(items, 0, s), self._kind(items, s + 1, k - 1)
            if items[s].cols is None or lk not in ("x", "d") or rk not in ("x", "d"):
                continue
            c = cost[0][s] + cost[s + 1][k - 1] + self.size(n) * (
                1 if "d" in (lk, rk) else self.size(items[s].cols))
            if c < best[0]:
                best = (c, s)
        s = best[1]
        if s is None:
            out = self.chain(items)
            return out.node if out.rep == "d" else self.op("diagonal", (self.item_dense(out),), (), (n,))
        return self.pair_reduce(self.chain(items[:s + 1]), self.chain(items[s + 1:]), "diagdot")
