"""What a derivation produces: ``Derivation`` (the record the engine fills) and ``VecForm``.

A ``Derivation`` holds the typed expression, the derivative in index form
(``tensor``), its matrix form (``expr``, None for 3+ indices), the layout's
arrangement (``free``, ``as_row``) and the trace of every rule applied
(``stages``), and it prints and evaluates itself.  ``api.Result`` adds the
views that sit above the engine (steps, generated code).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import LimitError, NotSupportedError
from . import expr as E
from .expr import Expr, axes
from .shapes import Typed
from .index.tensor import TensorSum

# Symbols (nodes of the printed tree: a part that recurs is printed each time) that text,
# LaTeX, steps and code may print.  Printing is linear in this size; deriving is capped on
# its own (max_terms, max_seconds) but a small DAG can print as an enormous tree.
DEFAULT_MAX_PRINT = 200_000


def printed_size(exprs) -> int:
    """How many symbols ``exprs`` print as, counted on the shared tree (no printing)."""
    memo: dict = {}

    def size(e) -> int:
        n = memo.get(e)
        if n is None:
            n = memo[e] = 1 + sum(size(c) for c in e.children)
        return n
    return sum(size(e) for e in exprs if e is not None)


@dataclass
class Stage:
    """One differentiation of the derivation: by ``wrt`` (its indices ``w``).

    ``applied`` lists the rules in the order they ran (``diff.Applied``); ``terms`` is the
    derivative they gave, ``structured`` the same within symmetric (diagonal) matrices where
    that changed it (else None); ``free`` the indices of the result so far."""
    wrt: str
    w: tuple
    free: tuple
    applied: list
    terms: list
    structured: list | None = None

    @property
    def result_terms(self) -> list:
        return self.structured if self.structured is not None else self.terms


@dataclass
class Derivation:
    """A derivative: closed form (``text``, ``expr``), ``latex``, ``shape``, ``evaluate``."""
    expression: str
    wrt: tuple[str, ...]
    layout: str
    order: int
    typed: Typed
    tensor: TensorSum
    expr: Expr | None               # matrix form, or None for 3+ indices
    as_row: bool = False
    shape: tuple = ()
    free: tuple = ()
    _latex: tuple | None = field(default=None, repr=False)   # (where, LaTeX)
    stages: list = field(default_factory=list, repr=False)   # Stage per differentiation
    structured: bool = True          # Options.structured when it was derived
    _index_terms: list | None = field(default=None, repr=False)
    max_print: int = DEFAULT_MAX_PRINT   # Options.max_print when it was derived
    max_seconds: float | None = None     # Options.max_seconds: the cap of each printing too
    _print_size: int | None = field(default=None, repr=False)
    where: bool = True               # name repeated sub-expressions (Options.where)
    _where_form: object = field(default=None, repr=False)
    matrix_steps: list = field(default_factory=list, repr=False)  # (kind, rule, expr) to the form

    def check_printable(self, exprs, what: str = "the result") -> int:
        """Refuse (LimitError) to print ``exprs`` when they are over ``max_print`` symbols;
        else how many symbols they print as."""
        n = printed_size(exprs)
        if n > self.max_print:
            raise LimitError(f"{what} would print as {n:,} symbols, over the limit of "
                             f"{self.max_print:,}; raise max_print to allow it")
        return n

    def printing(self, what: str, size: int):
        """The time cap of printing ``what`` (``size`` symbols): the derivation's own
        ``max_seconds``, afresh for each printing (text, LaTeX, steps, code)."""
        from . import clock
        return clock.capped(self.max_seconds, f"{what} ({size:,} symbols)")

    def _printed(self) -> int:
        """The size of what the text and LaTeX forms print, checked against the cap (once)."""
        if self._print_size is None:
            if self.expr is not None:
                self._print_size = self.check_printable([self.expr])
            else:
                self._print_size = self.check_printable(
                    [f.expr for t in self.tensor.terms for f in t.factors])
        return self._print_size

    @property
    def index_terms(self) -> list:
        """The index form as printed (3+ indices): deltas contracted, atoms simplified."""
        if self._index_terms is None:
            from .index.form import clean_terms
            self._index_terms = clean_terms(self.tensor)
        return self._index_terms

    @property
    def value_tensor(self) -> TensorSum:
        """The index form as evaluated and compiled: no terms where it prints as 0 (a term
        such as (x - x)[i]/norm2(x - x) is 0 as printed but NaN as computed)."""
        if self.tensor.terms and not self.index_terms:
            return TensorSum([], self.tensor.free, self.tensor.dims)
        return self.tensor

    @property
    def wrt_list(self) -> list[str]:
        """The variable of each differentiation in turn (x, x for a Hessian by x)."""
        return list(self.wrt) * self.order if len(self.wrt) == 1 else list(self.wrt)

    def where_form(self):
        """The matrix form with its repeated sub-expressions named (``render.where``); no
        names when ``where`` is off.  None for an index form."""
        if self.expr is None:
            return None
        from .render.sizing import sized_constants
        from .render.where import WhereForm, name_subexpressions
        if not self.where:
            return WhereForm(sized_constants(self.expr))
        if self._where_form is None:
            self._printed()
            self._where_form = name_subexpressions(sized_constants(self.expr), self._taken_names())
        return self._where_form

    def _taken_names(self) -> set:
        """Names a definition may not take: variables, dimensions, the input's identifiers."""
        import re
        from .parse import ALIASES, CONSTANTS, FILLERS, NAME_PATTERN
        dims = {d for v in self.typed.variables.values() for d in v.shape if isinstance(d, str)}
        words = set(re.findall(NAME_PATTERN, self.typed.source or ""))
        return set(self.typed.variables) | dims | words | set(ALIASES) | set(CONSTANTS) \
            | set(FILLERS) | {"where"}

    @property
    def definitions(self) -> list[dict]:
        """The named sub-expressions of ``text``: [{name, text, latex}], in order of use."""
        form = self.where_form()
        if form is None:
            return []
        from .render.latex import name_latex, to_latex
        from .render.text import to_text
        return [{"name": n, "text": to_text(e), "latex": to_latex(e),
                 "name_latex": name_latex(n, e.shape)} for n, e in form.defs]

    @property
    def text(self) -> str:
        """The closed form, with ``  where NAME = ...`` for repeated sub-expressions (a
        form ``md.evaluate`` reads back); index notation for 3+ indices."""
        with self.printing("the result", self._printed()):
            if self.expr is None:
                from .index.render import index_text
                return index_text(self)
            return self.where_form().text

    @property
    def latex(self) -> str:
        if self._latex is None or self._latex[0] != self.where:
            with self.printing("the LaTeX of the result", self._printed()):
                if self.expr is None:
                    from .index.render import index_latex
                    out = index_latex(self)
                else:
                    from .render.latex import where_latex
                    form = self.where_form()
                    out = where_latex(form.main, form.defs)
            self._latex = (self.where, out)
        return self._latex[1]

    @property
    def statement(self) -> str:
        """The whole statement in LaTeX, ``\\frac{\\partial f}{\\partial X} = ...``, layout named."""
        if self.expr is None:
            return self.latex
        with self.printing("the statement in LaTeX", self._printed()):
            return self._statement()

    def _statement(self) -> str:
        from .render.latex import name_latex, statement_latex, to_latex, where_clause_latex
        f_latex = to_latex(self.typed.expr)
        wrts = list(self.wrt)
        note = r"\quad\text{(" + self.layout + " layout)}"
        form = self.where_form()
        after = where_clause_latex(form.defs)
        if len(set(wrts)) == 1:
            var = self.typed.variables[wrts[0]]
            # by a matrix(1,n) or matrix(n,1): a matrix, written as for any matrix
            transposed = self.as_row and len(axes(var.shape)) == 1 and 1 not in self.shape
            return statement_latex(f_latex, name_latex(var.name, var.shape), form.main,
                                   self.layout, self.order, transposed_wrt=transposed) + after
        parts = [name_latex(w, self.typed.variables[w].shape) for w in wrts]
        den = r"\,".join(rf"\partial {p}" for p in parts)
        return (rf"\frac{{\partial^{{{len(parts)}}}}}{{{den}}}\left({f_latex}\right) = "
                rf"{to_latex(form.main)}" + note + after)

    def evaluate(self, **arrays):
        """The derivative at these values, as a NumPy array in this result's layout."""
        from .arrays import by_variable_name
        arrays = by_variable_name(arrays, self.typed.variables)
        if self.expr is not None:
            from .evaluate import evaluate_expr
            full = dict(self.typed.variables)
            value = evaluate_expr(self.expr, arrays, full, shape=None)
            if len(self.shape) == 2 and 1 in self.shape and value.ndim == 1:
                # a gradient by a matrix(1,n) or matrix(n,1) variable keeps its 2-D shape
                value = value.reshape((1, -1) if self.shape[0] == 1 else (-1, 1))
            return value
        from .index.evaluate import evaluate_tensor
        return evaluate_tensor(self.value_tensor, self.free, arrays, self.typed.variables)

    def vec(self) -> "VecForm":
        """``d vec(F) / d vec(X)'`` (column-major vec) as a matrix expression with kron.

        X is the last variable differentiated by; F is the rest (for a Hessian, the gradient),
        which must have at most two axes."""
        from .simplify import simplify
        from .to_matrix import NotMatrixForm, _sized_identities, vec_form
        var = self.typed.variables[self.wrt_list[-1]]
        nx = len(axes(var.shape))
        # unit axes (kept for a matrix(n,1) variable) change no vec: dropped
        free = tuple(i for i in self.tensor.free if self.tensor.dims[i] != 1)
        f_idx, x_idx = free[:len(free) - nx], free[len(free) - nx:]
        if len(f_idx) > 2:
            raise NotSupportedError(f"the vec form needs the derivative before the last one to have "
                                    f"at most two axes; this one has {len(f_idx)}")
        try:
            try:
                e = vec_form(TensorSum(self.tensor.terms, free, self.tensor.dims), f_idx, x_idx)
            except NotMatrixForm:
                if x_idx or self.expr is None:
                    raise
                e = E.func("vec", self.expr)   # by a scalar: vec(dF)
        except NotMatrixForm as exc:
            raise NotSupportedError(str(exc)) from None
        return VecForm(_sized_identities(simplify(e)), self.typed)

    def to_dict(self) -> dict:
        return {"expression": self.expression, "wrt": list(self.wrt) if len(self.wrt) > 1 else self.wrt[0],
                "layout": self.layout, "order": self.order, "derivative": self.text,
                "latex": self.latex, "shape": [str(d) for d in self.shape],
                "where": [{k: d[k] for k in ("name", "text", "latex")} for d in self.definitions]}

    def __repr__(self) -> str:
        return f"<derivative of {self.expression} by {', '.join(self.wrt)} ({self.layout}): {self.text}>"

    def __str__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:
        """Jupyter's Markdown view: the statement as display math, the text form below."""
        return f"$$ {self.statement} $$\n\n`{self.text}`"

    def _repr_latex_(self) -> str:
        return f"$\\displaystyle {self.statement}$"


@dataclass
class VecForm:
    """The Kronecker form of a derivative: ``.text``, ``.latex``, ``.evaluate(**arrays)``."""
    expr: Expr
    typed: Typed

    @property
    def text(self) -> str:
        from .render.text import to_text
        return to_text(self.expr)

    @property
    def latex(self) -> str:
        from .render.latex import to_latex
        return to_latex(self.expr)

    def evaluate(self, **arrays):
        from .evaluate import evaluate_expr
        return evaluate_expr(self.expr, arrays, self.typed.variables)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"<vec form: {self.text}>"
