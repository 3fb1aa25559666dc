"""How a derivative was reached: ``Result.steps``.

The steps are matdiff's own intermediates, in the order the pipeline makes
them (``api.derivative``), written in the index style of the seeds:

1. the canonical derivative entry by entry, ``T[i,j] = ∂F/∂X[i,j]``;
2. one step per level of the differentiation: the expression tree is
   differentiated top-down by the rules of ``diff.py`` (trace, product
   rule, chain rule, ``d inv(U) = -inv(U) dU inv(U)``, ...).  Level L is
   the real output of matdiff's ``Differentiator`` stopped at depth L: the
   derivatives it has not expanded yet are shown as ``∂U[a,b]/∂X[i,j]``;
3. for a variable declared symmetric (diagonal): the gradient within that
   space, ``(G + G')/2`` (G's diagonal);
4. the Kronecker deltas contracted (``to_matrix.eliminate_deltas``);
5. the contraction back to matrix form (``to_matrix``), in the canonical
   order of the axes, then simplified (``simplify``);
6. the layout: how the chosen layout arranges the array — the printed
   result, always the last step.

Every step can be evaluated (``Step.evaluate``) to the canonical array T
of docs/language.md §3, the derivatives not yet expanded being taken by central
finite differences, so that each step can be compared with the one before
(``Steps.differences``); the tests do.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from . import expr as E
from .diff import Differentiator
from .expr import Expr
from .tensor import Factor, Indices, TensorSum, Term

FD_STEP = 1e-3


# =============================================================================
# The differentiation, stopped at a depth
# =============================================================================

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
}
RULE_NAMES = {
    "variable": "the variable itself: ∂X[a,b]/∂X[i,j] = δ[a,i]*δ[b,j]",
}


class _Stopped(Differentiator):
    """matdiff's Differentiator, stopped at depth ``limit``: deeper derivatives are Pending.

    Records the rule applied to each node at the last expanded depth."""

    def __init__(self, wrt: str, indices: Indices, limit: int, max_terms: int):
        super().__init__(wrt, indices, max_terms)
        self.limit = limit
        self.level = 0
        self.applied: list[str] = []

    def d(self, e, out, w):
        if not self.depends(e):
            return []
        if self.level >= self.limit:
            pending = Factor(Pending(e, self.wrt, len(out)), tuple(out) + tuple(w))
            return [Term(Fraction(1), (pending,), "")]
        self.level += 1
        try:
            terms = super().d(e, out, w)
        finally:
            self.level -= 1
        if self.level == self.limit - 1:
            self.applied.append(_rule_label(e, terms))
        return terms


def _rule_label(e: Expr, terms: list[Term]) -> str:
    named = [t.rule for t in terms if t.rule]
    if named:
        return RULE_NAMES.get(named[0], named[0])
    if isinstance(e, E.Func) and e.name in FUNC_RULES:
        return FUNC_RULES[e.name]
    for kind, label in NODE_RULES.items():
        if isinstance(e, kind):
            return label
    return f"derivative of {type(e).__name__}"


def _fork(ix: Indices) -> Indices:
    """A copy of ``ix`` that hands out the same fresh names next (ix itself is not advanced)."""
    n = next(ix.counter)
    ix.counter = itertools.count(n)
    new = Indices()
    new.counter = itertools.count(n)
    new.dims = dict(ix.dims)
    return new


def _has_pending(terms: list[Term]) -> bool:
    return any(isinstance(f.expr, Pending) for t in terms for f in t.factors)


def _same_terms(a: list[Term], b: list[Term]) -> bool:
    return len(a) == len(b) and all(x.coeff == y.coeff and x.factors == y.factors
                                    for x, y in zip(a, b))


# =============================================================================
# Steps
# =============================================================================

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
        from .layouts import canonical_value
        from .evaluate import evaluate_expr
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

    def _sizes(self, arrays) -> dict:
        from .tensor_eval import bind_dims
        return bind_dims(self.result.typed.variables, arrays)

    def _shape(self, arrays, free) -> tuple:
        sizes = self._sizes(arrays)
        dims = self.result.tensor.dims
        return tuple(_size(dims[i], sizes) for i in free)

    def _tensor(self, ts: TensorSum, arrays) -> np.ndarray:
        """An index-notation sum, with Pending derivatives by finite differences."""
        import opt_einsum
        from .evaluate import evaluate_expr
        variables = self.result.typed.variables
        sizes = self._sizes(arrays)
        letters: dict[str, str] = {}

        def letter(i):
            if i not in letters:
                letters[i] = opt_einsum.get_symbol(len(letters))
            return letters[i]

        def dim(i, f=None):
            d = ts.dims.get(i, f.dim if f is not None else None)
            return _size(d, sizes)

        shape = tuple(dim(i) for i in ts.free)
        total = np.zeros(shape)
        for term in ts.terms:
            ops, subs = [], []
            for f in term.factors:
                e = f.expr
                if e is None or (isinstance(e, E.Const) and e.kind == "I" and f.idx):
                    arr = np.eye(dim(f.idx[0], f))
                elif isinstance(e, Pending):
                    arr = self._pending(e, arrays)
                elif isinstance(e, E.Func) and e.name == "tr" and isinstance(e.args[0], E.Const):
                    arr = np.asarray(float(_size(e.args[0].shape[0], sizes)))
                else:
                    arr = np.asarray(evaluate_expr(e, arrays, variables), dtype=float)
                ops.append(arr)
                subs.append("".join(letter(i) for i in f.idx))
            present = set("".join(subs))
            out = "".join(letter(i) for i in ts.free)
            spec = ",".join(subs) + "->" + "".join(c for c in out if c in present)
            val = opt_einsum.contract(spec, *ops) if ops else np.float64(1.0)
            val = np.asarray(val, dtype=float) * float(term.coeff)
            expand = tuple(slice(None) if c in present else None for c in out)
            total = total + np.broadcast_to(val[expand] if val.ndim else val, shape)
        return total

    def _pending(self, p: Pending, arrays) -> np.ndarray:
        """∂target/∂wrt, every entry, by 4-point central differences (independent of the rules)."""
        from .evaluate import evaluate_expr
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


def format_steps(result, fmt: str = "text"):
    """The steps for the command line's ``--steps``: text, LaTeX (``fmt="latex"``) or, for
    ``fmt="json"``, a list of dicts (step, kind, rule, text, latex).  Text and LaTeX end in
    the printed result."""
    steps = result.steps
    if fmt == "json":
        return steps.to_list()
    return steps.latex if fmt == "latex" else steps.text


def _size(d, sizes: dict) -> int:
    if isinstance(d, int):
        return d
    if isinstance(d, str) and "*" in d:
        n = 1
        for part in d.split("*"):
            n *= int(part) if part.isdigit() else sizes[part]
        return n
    return sizes[d]


# =============================================================================
# Printing index forms
# =============================================================================

SUMMED_LETTERS = "abcdefgh" + "mnoxyz"


class _Names:
    """Readable index names: F's axes k,l; the variable's i,j (then p,q); summed a, b, ..."""

    def __init__(self, free_names: dict[str, str], wrt_shapes: dict, taken=()):
        self.names = dict(free_names)
        self.wrt_shapes = wrt_shapes        # for printing ∂X (bold) or ∂t (italic) in LaTeX
        used = set(free_names.values()) | set(taken)   # never a variable's name
        # an endless supply: a1, a2, ... after the single letters
        self.pool = itertools.chain((c for c in SUMMED_LETTERS if c not in used),
                                    (f"a{k}" for k in itertools.count(1) if f"a{k}" not in used))

    def __call__(self, i: str) -> str:
        if i not in self.names:
            self.names[i] = next(self.pool)
        return self.names[i]


def _plain(e: Expr) -> Expr:
    """A product of one factor (as the product rule leaves them) printed as that factor."""
    if isinstance(e, E.Product) and e.coeff == 1:
        if not e.scalars and len(e.chain) == 1:
            return e.chain[0]
        if not e.chain and len(e.scalars) == 1 and e.scalars[0][1] == 1:
            return e.scalars[0][0]
    return e


def _atom_text(e: Expr) -> tuple[str, bool]:
    """(text, compound?) of an atom."""
    from .render.text import ATOM, _fmt
    s, lvl = _fmt(_plain(e))
    return s, lvl < ATOM


def _oriented(e: Expr, idx: tuple) -> tuple[Expr, tuple]:
    """A[b,a] rather than A'[a,b]; x[a] rather than x'[a]."""
    e = _plain(e)
    if isinstance(e, E.Transpose):
        if len(idx) == 2:
            return e.arg, (idx[1], idx[0])
        return e.arg, idx
    return e, idx


def _factor_text(f: Factor, name) -> str:
    e = f.expr
    if e is None or (isinstance(e, E.Const) and e.kind == "I" and f.idx):
        return "δ[" + ",".join(name(i) for i in f.idx) + "]"
    if isinstance(e, Pending):
        target = e.target
        out, w = f.idx[:e.n_out], f.idx[e.n_out:]
        s, compound = _atom_text(target)
        top = "∂" + (f"({s})" if compound else s)
        if out:
            top += "[" + ",".join(name(i) for i in out) + "]"
        bottom = "∂" + e.wrt + ("[" + ",".join(name(i) for i in w) + "]" if w else "")
        return f"{top}/{bottom}"
    e, idx = _oriented(e, f.idx)
    s, compound = _atom_text(e)
    if not idx:
        return f"({s})" if compound else s
    return (f"({s})" if compound else s) + "[" + ",".join(name(i) for i in idx) + "]"


def _factor_latex(f: Factor, name) -> str:
    from .render.latex import name_latex, to_latex
    e = f.expr

    def sub(idx):
        return "_{" + "".join(name(i) for i in idx) + "}" if idx else ""

    def wrapped(x: Expr) -> str:
        s = to_latex(x)
        return s if isinstance(x, E.Var) else r"\left(" + s + r"\right)"

    if e is None or (isinstance(e, E.Const) and e.kind == "I" and f.idx):
        return r"\delta" + sub(f.idx)
    if isinstance(e, Pending):
        out, w = f.idx[:e.n_out], f.idx[e.n_out:]
        target = _plain(e.target)
        top = wrapped(target) + sub(out) if out else to_latex(target)
        bottom = name_latex(e.wrt, name.wrt_shapes.get(e.wrt, (2, 2) if w else (1, 1))) + sub(w)
        return r"\frac{\partial " + top + r"}{\partial " + bottom + "}"
    e, idx = _oriented(e, f.idx)
    if not idx:
        if isinstance(e, (E.Var, E.Func)):
            return to_latex(e)
        return r"\left(" + to_latex(e) + r"\right)"
    return wrapped(e) + sub(idx)


def _signed_sum(terms: list[Term], factor, number, joiner: str) -> str:
    """Terms as ``c*f1*f2 - ...`` (text) or ``c \\, f1 \\, f2 - ...`` (LaTeX)."""
    if not terms:
        return "0"
    out = ""
    for k, t in enumerate(terms):
        body = [factor(f) for f in t.factors]
        mag = abs(t.coeff)
        if mag != 1 or not body:
            body.insert(0, number(mag))
        text = joiner.join(body)
        sign = "-" if t.coeff < 0 else "+"
        out += (("-" if sign == "-" else "") + text) if k == 0 else f" {sign} {text}"
    return out


def _terms_text(terms: list[Term], name) -> str:
    from .render.text import number
    return _signed_sum(terms, lambda f: _factor_text(f, name), number, "*")


def _terms_latex(terms: list[Term], name) -> str:
    from .render.latex import _number
    return _signed_sum(terms, lambda f: _factor_latex(f, name), lambda m: _number(m)[0], r" \, ")


def _head(free, name) -> str:
    return "T" + ("[" + ",".join(name(i) for i in free) + "]" if free else "")


def _head_latex(free, name) -> str:
    return "T" + ("_{" + "".join(name(i) for i in free) + "}" if free else "")


def _latex_text(s: str) -> str:
    """Plain words inside ``\\text{}``."""
    table = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
             "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\~{}", "^": r"\^{}",
             "∂": r"$\partial$", "δ": r"$\delta$", "×": r"$\times$"}
    return "".join(table.get(ch, ch) for ch in s)


# =============================================================================
# Building the steps
# =============================================================================

def _wrt_list(result) -> list[str]:
    if len(result.wrt) == 1:
        return list(result.wrt) * result.order
    return list(result.wrt)


def _layout_words(result) -> str:
    """What the layout does to the canonical array T."""
    from .layouts import layout_transposed
    layout = result.layout
    shape = " × ".join(str(d) for d in result.shape)
    if layout_transposed(result):
        return f"{layout} layout: the transpose of T ({shape}) - the printed result"
    if result.as_row:
        return f"{layout} layout: shown as a row - the printed result"
    return f"{layout} layout: T as it is - the printed result"


def derivation_steps(result, max_terms: int | None = None) -> Steps:
    """The steps by which ``result`` (an ``api.Result``) was computed."""
    from .diff import DEFAULT_MAX_TERMS
    from .render.index import name_indices
    max_terms = max_terms or DEFAULT_MAX_TERMS
    wrts = _wrt_list(result)
    shapes = {name: result.typed.variables[name].shape for name in wrts}
    # Options.structured is not kept on the result: replay with it on, and off if that is
    # what reproduces the result's index form.
    for structured in (True, False):
        names = _Names(name_indices(result), shapes, result.typed.variables)
        steps, final = _differentiation_steps(result, wrts, structured, names, max_terms)
        if _same_terms(final, result.tensor.terms):
            break
    else:
        names = _Names(name_indices(result), shapes, result.typed.variables)
        steps, final = _differentiation_steps(result, wrts, True, names, max_terms)
    steps += _contraction_steps(result, len(wrts), names, len(steps))
    return Steps(result, steps, wrts, structured)


def _differentiation_steps(result, wrts, structured: bool, names: _Names, max_terms: int):
    """The steps of the differentiation proper (index form), and its final terms.

    Replays api.derivative's index bookkeeping, so that every index has the name it has in
    the result; each level is a real run of the Differentiator stopped at that depth."""
    from .engine import structure as _structure
    typed = result.typed
    steps: list[Step] = []

    def add(kind, rule, terms, free, stage, dims, comparable=True):
        steps.append(Step(len(steps) + 1, kind, rule,
                          f"{_head(free, names)} = {_terms_text(terms, names)}",
                          f"{_head_latex(free, names)} = {_terms_latex(terms, names)}",
                          stage, ("index", TensorSum(terms, free, dims)), comparable))

    ix = Indices()
    f = typed.expr
    out = ix.for_shape(f.shape)
    free = tuple(out)
    terms = None
    for stage, name in enumerate(wrts, 1):
        var = typed.variables[name]
        w = ix.for_shape(var.shape)
        free = free + w
        limit = 0
        while True:
            stopper = _Stopped(name, _fork(ix), limit, max_terms)
            level = stopper.d(f, out, w) if terms is None else stopper.d_terms(terms, w)
            if limit == 0 and not level:
                rule = f"T = 0: nothing here depends on {name}"
            elif limit == 0:
                rule = ("the derivative entry by entry: the canonical array T of shape F + "
                        f"{name}" if terms is None else
                        f"derivative number {stage}: each factor of T by {name} (product rule)")
            else:
                rule = "; ".join(dict.fromkeys(stopper.applied)) or "no rule needed"
            add("definition" if limit == 0 else "rule", rule, level, free, stage,
                stopper.ix.dims, comparable=limit > 0 or terms is None)
            if not _has_pending(level):
                break
            limit += 1
        # the real computation, advancing ix exactly as api.derivative does
        D = Differentiator(name, ix, max_terms)
        full = D.d(f, out, w) if terms is None else D.d_terms(terms, w)
        if structured:
            shaped = _structure(full, var, w)
            if shaped is not full:
                what = ("symmetric: the gradient within symmetric matrices is (G + G')/2"
                        if var.props & {"symmetric", "spd"} else
                        "diagonal: the derivative within diagonal matrices is G's diagonal")
                add("structure", f"{name} is declared {what}", shaped, free, stage,
                    dict(ix.dims))
                full = shaped
        terms = full
    return steps, terms or []


def _contraction_steps(result, stage: int, names: _Names, numbered: int) -> list[Step]:
    """From the index form to the printed result: deltas, matrix form, simplified, layout."""
    from .render.latex import name_latex, statement_latex, to_latex
    from .render.text import to_text
    from .simplify import simplify
    from .to_matrix import NotMatrixForm, eliminate_deltas, to_matrix
    ts = result.tensor
    typed = result.typed
    steps: list[Step] = []

    def add(kind, rule, text, latex, source):
        steps.append(Step(numbered + len(steps) + 1, kind, rule, text, latex, stage, source))

    # Kronecker deltas contracted by renaming indices (what to_matrix does first)
    if any(f.is_delta for t in ts.terms for f in t.factors):
        contracted = []
        for t in ts.terms:
            fs, scalars = eliminate_deltas(list(t.factors), ts.free, dict(ts.dims))
            contracted.append(Term(t.coeff, tuple(Factor(x, ()) for x in scalars) + tuple(fs),
                                   t.rule))
        add("deltas", "Kronecker deltas contracted (δ[a,i] renames a to i)",
            f"{_head(ts.free, names)} = {_terms_text(contracted, names)}",
            f"{_head_latex(ts.free, names)} = {_terms_latex(contracted, names)}",
            ("index", TensorSum(contracted, ts.free, dict(ts.dims))))
    if result.expr is None:   # three or more indices: no matrix form; the printed index form
        add("result", "no matrix form (three or more indices): T in index notation - the "
            "printed result", result.text, result.latex, ("result", None))
        return steps
    try:
        raw = to_matrix(ts, ts.free)
    except NotMatrixForm:
        raw = None
    if raw is not None:
        add("matrix", "contraction back to matrix form (chains of shared indices become "
            "products, closed chains traces)", f"T = {to_text(raw)}", f"T = {to_latex(raw)}",
            ("matrix", raw))
        nice = simplify(raw)
        add("simplify", "simplified (like terms collected, common factors pulled out)",
            f"T = {to_text(nice)}", f"T = {to_latex(nice)}", ("matrix", nice))
    var = typed.variables[result.wrt[-1]]
    statement = statement_latex(to_latex(typed.expr), name_latex(var.name, var.shape),
                                result.expr, result.layout, result.order)
    add("layout", _layout_words(result), result.text, statement, ("result", None))
    return steps
