"""The pipeline body: a typed expression in, a ``Derivation`` out.

    typed (shapes.typecheck) -> diff.Differentiator, index form, each rule recorded
        -> the symmetric/diagonal structure rules -> to_matrix -> simplify
        -> the layout's arrangement (layouts.py)

``derive`` is that body; ``derivative`` reads the text first (the arguments
of ``md.derivative``) and ``evaluate_text`` evaluates any text of the
language, matrix or index form.  Everything above the engine (steps, check,
codegen, the facade api.py) consumes what these return.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import clock
from . import expr as E
from .derivation import DEFAULT_MAX_PRINT, Derivation, Stage
from .diff import DEFAULT_MAX_TERMS, Differentiator
from .errors import DeclarationError, EvaluationError, LimitError, NotSupportedError, UnknownNameError
from .functions import FUNCTIONS, INVERTIBLE, POSITIVE, POSITIVE_DET
from .expr import axes
from .layouts import check_layout, layout_free
from .render.text import to_text
from .shapes import Typed, check_wrt, typecheck
from .simplify import simplify, size
from .index.scalars import cancel_scalars
from .index.tensor import Indices, TensorSum, Term, delta
from .to_matrix import NotMatrixForm, diagonal, fold, to_matrix
from .index.form import clean_terms
from .index.reshape import Fresh, contract_reshapes


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
    max_print: int = DEFAULT_MAX_PRINT  # symbols of what is printed: text, LaTeX, steps, code
    where: bool = True                 # name repeated sub-expressions: ``X'*s  where s = ...``


def derivative(expression: str, wrt, vars=None, layout: str = "mixed", order: int = 1,
               types: str = "default", options: Options | None = None, **limits) -> Derivation:
    """Read, type and derive: the body of ``md.derivative`` (see api.py for the arguments)."""
    opts = options or Options(**limits)
    try:
        deadline = clock.deadline_after(opts.max_seconds)
        wrts = _wrt_list(wrt, order, opts)
        check_layout(layout)
        typed = typecheck(expression, vars, types, max_length=opts.max_length,
                          max_depth=opts.max_depth, max_power=opts.max_power, deadline=deadline)
        return derive(typed, wrts, opts, layout, deadline, expression)
    except RecursionError:
        raise LimitError("the expression is nested too deeply to differentiate "
                         "(raise max_depth with care)") from None


def declared_matrix_shape(typed: Typed, name: str, layout: str) -> tuple | None:
    """The shape of a scalar's gradient by a variable declared ``matrix(1,n)`` or ``matrix(n,1)``:
    the variable's own (a matrix, not a vector), transposed in the numerator layout; None for
    any other variable."""
    decl = typed.decls.get(name)
    shape = typed.variables[name].shape
    if decl is None or decl.kind != "matrix" or not E.is_vector_shape(shape):
        return None
    return tuple(reversed(shape)) if layout == "numerator" else tuple(shape)


def _with_unit_axes(typed: Typed, name: str, w: tuple, ix: Indices) -> tuple:
    """The indices of a variable declared ``matrix(n,1)`` or ``matrix(1,n)`` with its unit axis
    as an index of size 1 (that no factor mentions), in the order of its shape; else ``w``."""
    if declared_matrix_shape(typed, name, "mixed") is None:
        return w
    return tuple(w[0] if d != 1 else ix.fresh(1) for d in typed.variables[name].shape)


def _wrt_list(wrt, order, opts: Options) -> list[str]:
    """The variable of each differentiation in turn, from md.derivative's wrt and order."""
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise DeclarationError(f"order must be a positive integer, got {order!r}")
    if order > opts.max_order:
        raise NotSupportedError(f"order {order} exceeds the limit of {opts.max_order} (raise max_order)")
    if isinstance(wrt, str):
        wrts = [wrt] * order
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
    return wrts


def derive(typed: Typed, wrts: list[str], options: Options | None = None, layout: str = "mixed",
           deadline: float | None = None, expression: str | None = None) -> Derivation:
    """The derivative of ``typed.expr`` by each of ``wrts`` in turn, every rule recorded."""
    opts = options or Options()
    f = typed.expr
    refuse_undefined(f, deadline)
    ix = Indices()
    out = ix.for_shape(f.shape)
    free = out
    terms = None
    stages = []
    kept = out   # the free indices with the unit axes of matrix(n,1) / matrix(1,n) variables
    for name in wrts:
        var = check_wrt(typed, name)
        w = ix.for_shape(var.shape)
        kept = kept + _with_unit_axes(typed, name, w, ix)
        trace: list = []
        D = Differentiator(name, ix, opts.max_terms, deadline, trace)
        terms = D.d(f, out, w) if terms is None else D.d_terms(terms, w)
        free = free + w
        if len(w) < 2:   # by a scalar or a vector: vec(dU), kron(dA, B), d vec(U)/dx' as written
            terms = fold(terms, free, ix.dims, free_too=True)
        terms = contract_reshapes(terms, free, Fresh(ix.dims, ix.fresh))
        stage = Stage(name, w, free, trace, terms)
        if opts.structured:
            shaped = structure(terms, var, w)
            if shaped is not terms:
                stage.structured = terms = shaped
        stages.append(stage)
    last = typed.variables[wrts[-1]]
    n_wrt = len(axes(last.shape))
    if len(kept) > 2:   # a Jacobian or Hessian by a matrix(n,1) keeps its unit axes (docs §2)
        free, n_wrt = kept, len(_with_unit_axes(typed, wrts[-1], axes(last.shape), ix))
    ts = TensorSum(terms, free, ix.dims)
    f_axes = len(free) - n_wrt
    shown, as_row = layout_free(f_axes, len(free) - f_axes, layout, free)
    shape = tuple(ix.dims[i] for i in shown)
    declared = declared_matrix_shape(typed, wrts[-1], layout) if len(free) == 1 else None
    if declared is not None:   # a gradient by a matrix(1,n) or matrix(n,1) keeps that shape
        shape, as_row = declared, declared[0] == 1
    result = Derivation(expression if expression is not None else to_text(f), tuple(dict.fromkeys(wrts))
                        if len(set(wrts)) == 1 else tuple(wrts), layout, len(wrts), typed, ts, None,
                        as_row, shape, shown, stages=stages, structured=opts.structured,
                        max_print=opts.max_print, max_seconds=opts.max_seconds,
                        where=opts.where)
    if len(shown) <= 2:
        m, result.matrix_steps = matrix_form(ts, shown, typed, wrts, opts, deadline)
        if m is not None:
            if as_row:
                m = simplify(E.Transpose(m), deadline) if not m.is_scalar else m
            result.expr = m
    if result.expr is None:   # the answer is in index notation: powers of a scalar combine
        result.tensor = TensorSum(cancel_scalars(ts.terms), ts.free, ts.dims)
    return result


def matrix_form(ts: TensorSum, shown, typed: Typed, wrts, opts: Options, deadline):
    """The simplified matrix form of the sum, or None, and how it was reached: a list of
    (kind, rule, expression) for the steps view.  Where factors are diagonal matrices (a
    diagonal variable, diag(v), their powers and inverses) it is also read with those written
    entrywise on their diagonals (to_matrix.diagonal), and the shorter form wins."""
    forms = []
    for terms in (ts.terms, diagonal.expand(ts.terms, ts.dims)):
        if terms is None:
            continue
        t = TensorSum(terms, ts.free, ts.dims)
        how = [] if terms is ts.terms else [("diagonal", "diagonal factors written entry by "
                                             "entry on their diagonals (D[a,b] = d[a]*δ[a,b])", t)]
        try:
            m = diagonal_gradient(t, typed, wrts, opts) if len(shown) == 2 else None
            how.append(("matrix", MATRIX_RULE if m is None else "the gradient within diagonal "
                        "matrices, as a diagonal matrix", m if m is not None else to_matrix(t, shown)))
            m = simplify(how[-1][2], deadline)
        except NotMatrixForm:
            continue
        how.append(("simplify", SIMPLIFY_RULE, m))
        if isinstance(m, E.Func) and m.name == "diag" and E.is_vector_shape(m.args[0].shape):
            lifted = diagonal.lift(m.args[0])   # diag(3*diag(D).^2) = 3*D^2
            lifted = None if lifted is None else simplify(lifted, deadline)
            if lifted is not None and size(lifted) < size(m):
                m = lifted
                how.append(("simplify", "diag of a diagonal matrix's entries is that matrix "
                            "(diag(diag(D).^2) = D^2)", m))
        forms.append((m, how))
    if not forms and not clean_terms(ts):   # no term survives once like terms combine
        zero = to_matrix(TensorSum([], ts.free, ts.dims), shown)
        forms.append((zero, [("matrix", CANCEL_RULE, zero)]))
    return min(forms, key=lambda f: size(f[0])) if forms else (None, [])


MATRIX_RULE = "contraction back to matrix form (chains of shared indices become products, " \
              "closed chains traces)"
CANCEL_RULE = "the terms cancel in index notation (like terms combined), so the result is zero"
SIMPLIFY_RULE = "simplified (like terms collected, common factors pulled out)"


# Domains that exclude a zero argument: log(0), logdet(0), inv(0) have no value.
ZERO_OUTSIDE = (POSITIVE, POSITIVE_DET, INVERTIBLE)


def refuse_undefined(e: E.Expr, deadline: float | None = None) -> None:
    """An expression with no value anywhere is an error, not a formula: a division by a
    scalar that is identically zero, the log, log-determinant or inverse of zero."""
    seen: set = set()
    stack = [e]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(node.children)
        risky = []
        if isinstance(node, E.Func) and node.name in FUNCTIONS \
                and FUNCTIONS[node.name].domain in ZERO_OUTSIDE:
            risky.append(node.args[0])
        if isinstance(node, E.Product):
            risky += [s for s, p in node.scalars if p < 0]
        if isinstance(node, (E.Power, E.MatPow)) and node.exp < 0:
            risky.append(node.base)
        for arg in risky:
            if E.is_zero(simplify(arg, deadline)):
                raise EvaluationError(f"{to_text(e)} has no value anywhere: {to_text(arg)} is "
                                      f"identically zero, so {to_text(node)} is undefined")


def structure(terms: list[Term], var: E.Var, w: tuple[str, ...]) -> list[Term]:
    """Derivative within symmetric (or diagonal) matrices: (G + G')/2, or G's diagonal.

    Returns ``terms`` itself where the variable has no such structure."""
    if len(w) != 2:
        return terms
    a, b = w
    if "diagonal" in var.props:
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


def diagonal_gradient(ts: TensorSum, typed: Typed, wrts, opts: Options):
    """A scalar's gradient within diagonal matrices is diag(v), v[i] = G[i,i]: read G's
    diagonal as a vector (rename one index) rather than as G .* I, which has no chain form."""
    var = typed.variables[wrts[0]]
    if len(wrts) != 1 or not opts.structured or "diagonal" not in var.props or len(ts.free) != 2:
        return None
    a, b = ts.free
    terms = []
    for t in ts.terms:  # drop the δ[a,b] that structure() added (δ[a,b]^2 = δ[a,b]), then set b = a
        fs = [f for f in t.factors if not (f.is_delta and set(f.idx) == {a, b})]
        terms.append(Term(t.coeff, tuple(f.rename(b, a) for f in fs), t.rule))
    return E.Func("diag", (to_matrix(TensorSum(terms, (a,), ts.dims), (a,)),))


def evaluate_text(expression: str, vars=None, shape=None, types: str = "default", *,
                  max_length: int | None = None, **arrays):
    """Evaluate any text of the language numerically (NumPy, float64): md.evaluate."""
    from functools import partial

    from .evaluate import evaluate_expr
    from .index.parse import evaluate_index_text, is_index_text
    if isinstance(expression, str) and is_index_text(expression):
        return evaluate_index_text(expression, vars, types, arrays, shape,
                                   partial(evaluate_text, max_length=max_length))
    typed = typecheck(expression, vars, types, max_length=max_length)
    from .arrays import by_variable_name
    arrays = by_variable_name(arrays, typed.variables)
    if E.is_zero(typed.expr) and shape is not None:
        import numpy as np
        return np.zeros(shape)  # 0 stands for a zero array of whatever shape is asked
    return evaluate_expr(typed.expr, arrays, typed.variables, shape=shape)
