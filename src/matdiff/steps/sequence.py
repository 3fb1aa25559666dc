"""``Step`` and ``Steps``: the derivation as a sequence, its text and LaTeX, and the
value of each step as the canonical array T (docs/language.md §3), the derivatives not
expanded yet taken by central finite differences, so that each step can be compared with
the one before (``Steps.differences``)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import expr as E
from ..index.evaluate import bind_dims, evaluate_tensor, size_of
from ..index.tensor import TensorSum
from .printing import _latex_text
from .trace import Pending

FD_STEP = 1e-3


@dataclass
class Step:
    """One step: what was done (``rule``) and the expression it gave."""
    number: int
    kind: str    # definition | rule | structure | deltas | matrix | simplify | layout | result
    rule: str            # the rule or operation, in words
    text: str            # the expression after the step, in matdiff's notation
    latex: str
    stage: int           # which differentiation (1 for the first derivative, 2 for the second)
    # how to get the canonical value: ("index", TensorSum) | ("matrix", Expr) | ("result", None)
    source: tuple = field(default=(), repr=False)
    comparable: bool = True   # numerically equal to the previous step (after the projection)

    def __str__(self) -> str:
        return f"{self.number}. {self.rule}\n   {self.text}"


class Steps:
    """The derivation of a ``Result``: a sequence of ``Step``; ``text`` and ``latex``."""

    def __init__(self, result, steps: list[Step], wrts: list[str], structured: bool):
        self.result = result
        self.steps = steps
        self.wrts = wrts
        self.structured = structured
        self._fd_cache: dict = {}

    def __iter__(self):
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, k):
        return self.steps[k]

    @property
    def heading(self) -> str:
        r = self.result
        k = "" if r.order == 1 else str(r.order)
        if len(set(self.wrts)) == 1:
            den = f"d{self.wrts[0]}{k}"
        else:
            den = " ".join(f"d{w}" for w in self.wrts)
        return (f"Derivation of d{k}/{den} {r.expression} ({r.layout} layout); index notation, "
                f"repeated indices are summed")

    @property
    def text(self) -> str:
        return "\n".join([self.heading] + [str(s) for s in self.steps])

    @property
    def latex(self) -> str:
        rows = []
        for s in self.steps:
            left, eq, right = s.latex.partition(" = ")
            body = f"{left} &= {right}" if eq else f"&{s.latex}"
            rows.append(body + r" && \text{" + _latex_text(s.rule) + "}")
        return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"

    def __str__(self) -> str:
        return self.text

    def to_list(self) -> list[dict]:
        return [{"step": s.number, "kind": s.kind, "rule": s.rule, "text": s.text,
                 "latex": s.latex} for s in self.steps]

    # -- numbers ---------------------------------------------------------------------
    def evaluate(self, step: Step, **arrays) -> np.ndarray:
        """The canonical array T (docs/language.md §3) that ``step`` stands for, at these values."""
        from ..layouts import canonical_value
        from ..evaluate import evaluate_expr
        kind, obj = step.source
        variables = self.result.typed.variables
        if kind == "index":
            return self._tensor(obj, arrays)
        if kind == "matrix":
            v = np.asarray(evaluate_expr(obj, arrays, variables), dtype=float)
            return v.reshape(self._shape(arrays, self._free_of(step)))
        return canonical_value(self.result, self.result.evaluate(**arrays))

    def differences(self, **arrays) -> list[float | None]:
        """For each step, the largest relative difference to the previous step (None where
        they are not comparable: the first step, and the first of each further derivative)."""
        out: list[float | None] = []
        prev = None
        for s in self.steps:
            v = self._project(self.evaluate(s, **arrays), s.stage)
            if prev is None or not s.comparable or prev.shape != v.shape:
                out.append(None)
            else:
                scale = max(1.0, float(np.max(np.abs(prev), initial=0.0)))
                out.append(float(np.max(np.abs(v - prev), initial=0.0)) / scale)
            prev = v
        return out

    def _free_of(self, step: Step):
        return self.result.tensor.free[:self._n_free(step.stage)]

    def _n_free(self, stage: int) -> int:
        typed = self.result.typed
        n = len(E.axes(typed.expr.shape))
        for name in self.wrts[:stage]:
            n += len(E.axes(typed.variables[name].shape))
        return n

    def _project(self, t: np.ndarray, stage: int) -> np.ndarray:
        """Within symmetric (diagonal) matrices where the result is taken so: equal there."""
        if not self.structured:
            return t
        typed = self.result.typed
        pos = len(E.axes(typed.expr.shape))
        for name in self.wrts[:stage]:
            var = typed.variables[name]
            k = len(E.axes(var.shape))
            if k == 2 and var.props & {"symmetric", "spd"}:
                t = (t + np.swapaxes(t, pos, pos + 1)) / 2
            elif k == 2 and "diagonal" in var.props:
                n = t.shape[pos]
                mask = np.eye(n).reshape((1,) * pos + (n, n) + (1,) * (t.ndim - pos - 2))
                t = t * mask
            pos += k
        return t

    def _shape(self, arrays, free) -> tuple:
        sizes = bind_dims(self.result.typed.variables, arrays)
        dims = self.result.tensor.dims
        return tuple(size_of(dims[i], sizes) for i in free)

    def _tensor(self, ts: TensorSum, arrays) -> np.ndarray:
        """An index-notation sum, with Pending derivatives by finite differences."""

        def value(f, sizes):
            e = f.expr
            if isinstance(e, E.Const) and e.kind == "I" and f.idx:
                return np.eye(size_of(ts.dims.get(f.idx[0], f.dim), sizes))
            if isinstance(e, Pending):
                return self._pending(e, arrays)
            if isinstance(e, E.Func) and e.name == "tr" and isinstance(e.args[0], E.Const):
                return np.asarray(float(size_of(e.args[0].shape[0], sizes)))
            return None
        return evaluate_tensor(ts, ts.free, arrays, self.result.typed.variables, value)

    def _pending(self, p: Pending, arrays) -> np.ndarray:
        """∂target/∂wrt, every entry, by 4-point central differences (independent of the rules)."""
        from ..evaluate import evaluate_expr
        key = (p.target, p.wrt,
               tuple(sorted((k, np.asarray(v).tobytes()) for k, v in arrays.items())))
        if key in self._fd_cache:
            return self._fd_cache[key]
        variables = self.result.typed.variables
        x0 = np.asarray(arrays[p.wrt], dtype=float)

        def f(x):
            vals = dict(arrays)
            vals[p.wrt] = float(x) if x.ndim == 0 else x
            return np.asarray(evaluate_expr(p.target, vals, variables, check_properties=False),
                              dtype=float)

        base = f(x0)
        out = np.zeros(base.shape + x0.shape)
        for idx in np.ndindex(*x0.shape) if x0.ndim else [()]:
            acc = 0.0
            for step, weight in ((2, -1.0), (1, 8.0), (-1, -8.0), (-2, 1.0)):
                x = x0.copy()
                if x.ndim:
                    x[idx] += step * FD_STEP
                else:
                    x = x + step * FD_STEP
                acc = acc + weight * f(x)
            out[(Ellipsis,) + tuple(idx)] = acc / (12 * FD_STEP)
        self._fd_cache[key] = out
        return out
