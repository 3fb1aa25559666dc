"""How a derivative was reached: ``Result.steps``.

The steps are matdiff's own intermediates, in the order the pipeline makes
them (``engine.derive``), written in the index style of the seeds:

1. the canonical derivative entry by entry, ``T[i,j] = ∂F/∂X[i,j]``;
2. one step per level of the differentiation: the expression tree is
   differentiated top-down by the rules of ``diff.py`` (trace, product
   rule, chain rule, ``d inv(U) = -inv(U) dU inv(U)``, ...).  Level L is
   drawn from the rules the engine recorded (``trace.py``): those down to
   depth L applied, the derivatives below them shown as ``∂U[a,b]/∂X[i,j]``;
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

from ..index.render import IndexNames, head, head_latex, name_indices
from ..index.tensor import Factor, TensorSum, Term
from .printing import SUMMED_LETTERS, _terms_latex, _terms_text
from .sequence import Step, Steps
from .trace import (Pending, _applied_at, _has_pending, _index_names, _renamed, _stage_view,
                    _tree)

__all__ = ["Pending", "Step", "Steps", "derivation_steps", "format_steps"]


def format_steps(result, fmt: str = "text"):
    """The steps for the command line's ``--steps``: text, LaTeX (``fmt="latex"``) or, for
    ``fmt="json"``, a list of dicts (step, kind, rule, text, latex).  Text and LaTeX end in
    the printed result."""
    steps = result.steps
    if fmt == "json":
        return steps.to_list()
    return steps.latex if fmt == "latex" else steps.text


def _layout_words(result) -> str:
    """What the layout does to the canonical array T."""
    from ..layouts import layout_transposed
    layout = result.layout
    shape = " × ".join(str(d) for d in result.shape)
    if layout_transposed(result):
        return f"{layout} layout: the transpose of T ({shape}) - the printed result"
    if result.as_row:
        return f"{layout} layout: shown as a row - the printed result"
    return f"{layout} layout: T as it is - the printed result"


def derivation_steps(result) -> Steps:
    """The steps by which ``result`` (an ``engine.Derivation``) was computed, from its record."""
    size = result.check_printable([f.expr for st in result.stages for t in st.terms
                                   for f in t.factors] + [result.expr], "the steps")
    with result.printing("the steps", size):
        return _steps(result)


def _steps(result) -> Steps:
    wrts = result.wrt_list
    shapes = {name: result.typed.variables[name].shape for name in wrts}
    names = IndexNames(name_indices(result), result.typed.variables, SUMMED_LETTERS, shapes)
    steps = _differentiation_steps(result, names)
    steps += _contraction_steps(result, len(wrts), names, len(steps))
    return Steps(result, steps, wrts, result.structured)


def _differentiation_steps(result, names: IndexNames) -> list[Step]:
    """The steps of the differentiation proper (index form): for each stage, the rules
    recorded on the result applied depth by depth, then the structure rule if any."""
    steps: list[Step] = []
    dims = dict(result.tensor.dims)

    order = list(dims)

    def add(kind, rule, terms, free, stage, comparable=True, shown=None):
        shown = terms if shown is None else shown
        steps.append(Step(len(steps) + 1, kind, rule,
                          f"{head(free, names)} = {_terms_text(shown, names)}",
                          f"{head_latex(free, names)} = {_terms_latex(shown, names)}",
                          stage, ("index", TensorSum(terms, free, dims)), comparable))

    prev = None
    for number, st in enumerate(result.stages, 1):
        roots = _tree(st.applied)
        level = 0
        while True:
            view = _stage_view(prev, roots, level, st.wrt)
            if level == 0 and not view:
                rule = f"T = 0: nothing here depends on {st.wrt}"
            elif level == 0:
                rule = ("the derivative entry by entry: the canonical array T of shape F + "
                        f"{st.wrt}" if prev is None else
                        f"derivative number {number}: each factor of T by {st.wrt} (product rule)")
            else:
                rule = "; ".join(dict.fromkeys(_applied_at(roots, level - 1))) or "no rule needed"
            add("definition" if level == 0 else "rule", rule, view, st.free, number,
                comparable=level > 0 or prev is None,
                shown=_renamed(view, _index_names(roots, level, order)))
            if not _has_pending(view):
                break
            level += 1
        if st.structured is not None:
            var = result.typed.variables[st.wrt]
            what = ("symmetric: the gradient within symmetric matrices is (G + G')/2"
                    if var.props & {"symmetric", "spd"} else
                    "diagonal: the derivative within diagonal matrices is G's diagonal")
            add("structure", f"{st.wrt} is declared {what}", st.structured, st.free, number)
        prev = st.result_terms
    return steps


def _contraction_steps(result, stage: int, names: IndexNames, numbered: int) -> list[Step]:
    """From the index form to the printed result: deltas, matrix form, simplified, layout."""
    from ..render.latex import name_latex, statement_latex, to_latex
    from ..render.text import to_text
    from ..layouts import layout_transposed
    from ..simplify import transpose
    from ..to_matrix import eliminate_deltas
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
            f"{head(ts.free, names)} = {_terms_text(contracted, names)}",
            f"{head_latex(ts.free, names)} = {_terms_latex(contracted, names)}",
            ("index", TensorSum(contracted, ts.free, dict(ts.dims))))
    if result.expr is None:   # three or more indices: no matrix form; the printed index form
        add("result", "no matrix form (three or more indices): T in index notation - the "
            "printed result", result.text, result.latex, ("result", None))
        return steps
    flipped = layout_transposed(result)
    for kind, rule, e in result.matrix_steps:   # as the engine reached the printed form
        if kind == "diagonal":   # e is the index form with diagonals written entrywise
            add(kind, rule, f"{head(e.free, names)} = {_terms_text(e.terms, names)}",
                f"{head_latex(e.free, names)} = {_terms_latex(e.terms, names)}", ("index", e))
        else:   # T itself: the engine's form is in the layout's order of indices
            e = transpose(e) if flipped else e
            add(kind, rule, f"T = {to_text(e)}", f"T = {to_latex(e)}", ("matrix", e))
    var = typed.variables[result.wrt[-1]]
    statement = statement_latex(to_latex(typed.expr), name_latex(var.name, var.shape),
                                result.expr, result.layout, result.order)
    add("layout", _layout_words(result), result.text, statement, ("result", None))
    return steps
