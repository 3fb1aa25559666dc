"""The public Python API: ``derivative``, ``hessian``, ``evaluate``.

The pipeline reads in one direction: parse and type (``shapes``) ->
differentiate in index notation (``diff``) -> back to matrix notation
(``to_matrix``) -> simplify -> render.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import clock
from . import expr as E
from .diff import DEFAULT_MAX_TERMS, Differentiator
from .errors import DeclarationError, LimitError, MatdiffError, NotSupportedError, UnknownNameError
from .expr import Expr, axes
from .parse import CONSTANTS, FUNCTIONS
from .shapes import Typed, typecheck
from .simplify import simplify
from .tensor import Factor, Indices, TensorSum, Term
from .to_matrix import NotMatrixForm, to_matrix

LAYOUTS = ("mixed", "numerator", "denominator")


@dataclass
class Options:
    """Limits and switches; every cap is configurable from the API."""
    max_length: int | None = None      # characters of input
    max_depth: int | None = None       # nesting depth
    max_terms: int = DEFAULT_MAX_TERMS  # terms of a derivative in index form
    max_order: int = 6
    max_seconds: float = 10.0          # wall time for one derivation (and its simplification)
    max_power: int = 64                # largest |k| of a matrix power X^k
    structured: bool = True            # symmetric/diagonal variables: gradient within that space


def _check_wrt(typed: Typed, wrt: str) -> E.Var:
    from .shapes import check_wrt
    return check_wrt(typed, wrt)


def _layout_free(f_axes: int, x_axes: int, layout: str, free: tuple[str, ...]):
    """Order of the result's indices for a layout, and whether to show it as a row."""
    if layout not in LAYOUTS:
        raise DeclarationError(f"unknown layout {layout!r} (use mixed, numerator or denominator)")
    if f_axes + x_axes > 2:
        return free, False
    as_row = False
    if layout == "numerator" and f_axes == 0 and x_axes == 2:
        free = (free[1], free[0])
    if layout == "denominator" and f_axes == 1 and x_axes == 1:
        free = (free[1], free[0])
    if layout == "numerator" and f_axes == 0 and x_axes == 1:
        as_row = True
    if layout == "denominator" and f_axes == 1 and x_axes == 0:
        as_row = True
    return free, as_row


def _structure(terms: list[Term], var: E.Var, w: tuple[str, ...]) -> list[Term]:
    """Derivative within symmetric (or diagonal) matrices: (G + G')/2, or G's diagonal."""
    if len(w) != 2:
        return terms
    a, b = w
    if "diagonal" in var.props:
        from .tensor import delta
        return [Term(t.coeff, t.factors + (delta(a, b, var.shape[0]),), t.rule) for t in terms]
    if var.props & {"symmetric", "spd"}:
        swapped = []
        for t in terms:
            swapped.append(Term(t.coeff / 2, t.factors, t.rule))
            tmp = "__swap__"
            fs = tuple(f.rename(a, tmp).rename(b, a).rename(tmp, b) for f in t.factors)
            swapped.append(Term(t.coeff / 2, fs, t.rule))
        return swapped
    return terms


@dataclass
class Result:
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
    _latex: str | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        if self.expr is None:
            from .render.index import index_text
            return index_text(self)
        from .render.text import to_text
        return to_text(self.expr)

    @property
    def latex(self) -> str:
        if self._latex is None:
            if self.expr is None:
                from .render.index import index_latex
                self._latex = index_latex(self)
            else:
                from .render.latex import to_latex
                self._latex = to_latex(self.expr)
        return self._latex

    @property
    def statement(self) -> str:
        """The whole statement in LaTeX, ``\\frac{\\partial f}{\\partial X} = ...``, layout named."""
        from .render.latex import name_latex, statement_latex, to_latex
        if self.expr is None:
            return self.latex
        f_latex = to_latex(self.typed.expr)
        wrts = list(self.wrt)
        note = r"\quad\text{(" + self.layout + " layout)}"
        if len(set(wrts)) == 1:
            var = self.typed.variables[wrts[0]]
            return statement_latex(f_latex, name_latex(var.name, var.shape), self.expr,
                                   self.layout, self.order,
                                   transposed_wrt=self.as_row and len(axes(var.shape)) == 1)
        parts = [name_latex(w, self.typed.variables[w].shape) for w in wrts]
        den = r"\,".join(rf"\partial {p}" for p in parts)
        return rf"\frac{{\partial^{{{len(parts)}}}}}{{{den}}}\left({f_latex}\right) = {self.latex}" + note

    @property
    def steps(self):
        """How this result was reached (``matdiff.steps``): ``.text``, ``.latex``, each step."""
        from .steps import derivation_steps
        return derivation_steps(self)

    def evaluate(self, **arrays):
        """The derivative at these values, as a NumPy array in this result's layout."""
        import numpy as np
        if self.expr is not None:
            from .evaluate import evaluate_expr
            full = dict(self.typed.variables)
            return evaluate_expr(self.expr, arrays, full, shape=None)
        from .tensor_eval import evaluate_tensor
        return evaluate_tensor(self.tensor, self.free, arrays, self.typed.variables)

    def vec(self) -> "VecForm":
        """``d vec(F) / d vec(X)'`` (column-major vec) as a matrix expression with kron."""
        from .simplify import simplify
        from .to_matrix import _sized_identities, vec_form
        if len(set(self.wrt)) != 1 or self.order != 1:
            raise NotSupportedError("the vec form is offered for first derivatives by one variable")
        var = self.typed.variables[self.wrt[0]]
        nx = len(axes(var.shape))
        free = self.tensor.free
        f_idx, x_idx = free[:len(free) - nx], free[len(free) - nx:]
        try:
            e = vec_form(self.tensor, f_idx, x_idx)
        except NotMatrixForm as exc:
            raise NotSupportedError(str(exc)) from None
        return VecForm(_sized_identities(simplify(e)), self.typed)

    def code(self, backend: str = "numpy", sizes: dict | None = None) -> str:
        """A standalone Python module computing this derivative (and the value and the
        lower orders), with shape asserts and a finite-difference self-check.

        ``backend`` is numpy, jax or torch; ``sizes`` (dimension -> size) choose the
        order of matrix products and size the example data.
        """
        if self.expr is None:
            raise NotSupportedError("code() needs a derivative with a closed matrix form "
                                    "(this one has 3+ indices)")
        from .codegen import BACKENDS, module_text
        if backend not in BACKENDS:
            raise NotSupportedError(f"unknown backend {backend!r} (use {', '.join(BACKENDS)})")
        return module_text(self, backend, sizes)

    def to_sympy(self, symbols=None):
        """The derivative as a SymPy expression (docs/sympy.md); ``symbols`` reuses SymPy
        symbols by name (by default those of a SymPy input)."""
        from .sympy_bridge import result_to_sympy
        return result_to_sympy(self, symbols)

    def to_dict(self) -> dict:
        return {"expression": self.expression, "wrt": list(self.wrt) if len(self.wrt) > 1 else self.wrt[0],
                "layout": self.layout, "order": self.order, "derivative": self.text,
                "latex": self.latex, "shape": [str(d) for d in self.shape]}

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


def derivative(expression: str, wrt, vars=None, layout: str = "mixed", order: int = 1,
               types: str = "default", options: Options | None = None, **limits) -> Result:
    """The derivative of ``expression`` with respect to ``wrt`` (docs/language.md §3).

    ``wrt`` is a variable name, or a list of names for a mixed derivative
    (∂²F/∂x∂y: canonical shape F + x + y).  ``order`` repeats the
    derivative; ``layout`` is mixed, numerator or denominator.
    """
    if not isinstance(expression, str):  # a SymPy expression (docs/sympy.md)
        from .sympy_bridge import read_call
        expression, wrt, vars, symbols = read_call(expression, wrt, vars)
        r = derivative(expression, wrt, vars, layout, order, types, options, **limits)
        r.sympy_symbols = symbols
        return r
    opts = options or Options(**limits)
    try:
        return _derivative(expression, wrt, vars, layout, order, types, opts)
    except RecursionError:
        raise LimitError("the expression is nested too deeply to differentiate "
                         "(raise max_depth with care)") from None


def _derivative(expression, wrt, vars, layout, order, types, opts: Options) -> Result:
    deadline = clock.deadline_after(opts.max_seconds)
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise DeclarationError(f"order must be a positive integer, got {order!r}")
    if order > opts.max_order:
        raise NotSupportedError(f"order {order} exceeds the limit of {opts.max_order} (raise max_order)")
    if isinstance(wrt, str):
        wrts = [wrt] * max(1, order) if order >= 1 else [wrt]
    else:
        wrts = list(wrt)
        if not wrts:
            raise UnknownNameError("wrt must name at least one variable")
        if order != 1 and len(wrts) == 1:
            wrts = wrts * order
        elif order != 1 and order != len(wrts):
            raise DeclarationError(f"order={order} does not match {len(wrts)} wrt variables")
    if len(wrts) > opts.max_order:
        raise NotSupportedError(f"order {len(wrts)} exceeds the limit of {opts.max_order} (raise max_order)")
    if layout not in LAYOUTS:
        raise DeclarationError(f"unknown layout {layout!r} (use mixed, numerator or denominator)")
    typed = typecheck(expression, vars, types, max_length=opts.max_length, max_depth=opts.max_depth,
                      max_power=opts.max_power, deadline=deadline)
    f = typed.expr
    ix = Indices()
    out = ix.for_shape(f.shape)
    free = out
    terms = None
    for k, name in enumerate(wrts):
        var = _check_wrt(typed, name)
        w = ix.for_shape(var.shape)
        D = Differentiator(name, ix, opts.max_terms, deadline)
        terms = D.d(f, out, w) if terms is None else D.d_terms(terms, w)
        if opts.structured:
            terms = _structure(terms, var, w)
        free = free + w
    ts = TensorSum(terms, free, ix.dims)
    f_axes = len(free) - len(axes(typed.variables[wrts[-1]].shape))
    x_axes = len(free) - f_axes
    shown, as_row = _layout_free(f_axes, x_axes, layout, free)
    dims = ix.dims
    shape = tuple(dims[i] for i in shown)
    result = Result(expression, tuple(dict.fromkeys(wrts)) if len(set(wrts)) == 1 else tuple(wrts),
                    layout, len(wrts), typed, ts, None, as_row, shape, shown)
    if len(shown) <= 2:
        try:
            m = _diagonal_gradient(ts, typed, wrts, opts) if len(shown) == 2 else None
            m = m if m is not None else to_matrix(ts, shown)
        except NotMatrixForm:
            m = None
        if m is not None:
            m = simplify(m, deadline)
            if as_row:
                m = simplify(E.Transpose(m), deadline) if not m.is_scalar else m
            result.expr = m
    return result  # without a matrix form (expr None), the answer is in index notation


def _diagonal_gradient(ts: TensorSum, typed: Typed, wrts, opts: Options):
    """A scalar's gradient within diagonal matrices is diag(v), v[i] = G[i,i]: read G's
    diagonal as a vector (rename one index) rather than as G .* I, which has no chain form."""
    var = typed.variables[wrts[0]]
    if len(wrts) != 1 or not opts.structured or "diagonal" not in var.props or len(ts.free) != 2:
        return None
    a, b = ts.free
    terms = []
    for t in ts.terms:  # drop the δ[a,b] that _structure added, then set b = a
        fs = list(t.factors)
        fs.remove(next(f for f in fs if f.is_delta and set(f.idx) == {a, b}))
        terms.append(Term(t.coeff, tuple(f.rename(b, a) for f in fs), t.rule))
    return E.Func("diag", (to_matrix(TensorSum(terms, (a,), ts.dims), (a,)),))


def hessian(expression: str, wrt, vars=None, layout: str = "mixed", **kw) -> Result:
    """Second derivative: ``derivative(..., order=2)``."""
    return derivative(expression, wrt, vars=vars, layout=layout, order=2, **kw)


def compile(expression: str, wrt, vars=None, backend: str = "numpy", order: int = 1,
            layout: str = "mixed", value: bool = True, jit: bool | None = None,
            types: str = "default", options: Options | None = None):
    """A fast callable for the value and the derivatives of ``expression``.

    ``f = compile("x'*A*x", wrt="x")`` gives ``value, grad = f(x=..., A=...)``;
    ``order=2`` adds the Hessian; several ``wrt`` give one derivative each,
    ``(value, (g_x, g_y))`` (and the blocks ``((H_xx, H_xy), (H_yx, H_yy))``);
    ``value=False`` leaves the value out.  ``backend`` is numpy, jax (wrapped
    in ``jax.jit`` unless ``jit=False``) or torch (``torch.compile`` with
    ``jit=True``).  The code is generated at the first call for each set of
    sizes (they choose the multiplication orders); ``f.source()`` shows it.
    """
    from .codegen import compile_function
    return compile_function(expression, wrt, vars=vars, backend=backend, order=order,
                            layout=layout, value=value, jit=jit, types=types, options=options)


def evaluate(expression: str, vars=None, shape=None, types: str = "default", **arrays):
    """Evaluate any expression of the language numerically (NumPy, float64)."""
    from .evaluate import evaluate_expr
    from .index_parse import evaluate_index_text, is_index_text
    if isinstance(expression, str) and is_index_text(expression):
        return evaluate_index_text(expression, vars, types, arrays, shape)
    typed = typecheck(expression, vars, types)
    if E.is_zero(typed.expr) and shape is not None:
        import numpy as np
        return np.zeros(shape)  # 0 stands for a zero array of whatever shape is asked
    return evaluate_expr(typed.expr, arrays, typed.variables, shape=shape)
