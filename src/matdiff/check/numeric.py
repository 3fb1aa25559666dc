"""The verdict by finite differences alone, when matdiff has no derivative of its own.

When the derivation refuses (``NotSupportedError``: ``expm(U)`` whose U and dU may not
commute, ``vec(U)`` by a matrix, ...), the claim can still be decided numerically: at each
random input the derivative's canonical array T is built entry by entry from central finite
differences of the expression (of matdiff's derivative one order lower, for a higher order),
shown in the claim's layout and compared with the claim.  A failing claim gets a
counterexample, and the diagnoses that need no symbolic answer: a constant factor, the sign,
the transpose.
"""
from __future__ import annotations

import numpy as np

from .. import expr as E
from ..errors import NotSupportedError
from .claim import Claim, known_dims, type_claim
from .compare import (_close, _factor, _form, _same_form, _shape_words, _transposed_form,
                      _with_factor, factor_diagnosis)
from .finite import FD_RTOL, difference_tensor, lower_order, unvec
from .inputs import _unbound, declarations, draw_samples
from .sizes import size_key
from .reference import evaluate_text, layout_free, max_order
from .verdict import Verdict, counterexample

REFERENCE = "finite differences"


def numeric_verdict(claim: Claim, vars, types: str, trials: int, seed: int, options,
                    refusal: NotSupportedError) -> Verdict:
    """The verdict on ``claim`` from central finite differences; ``refusal`` is why matdiff
    has no derivative of its own (raised again when there is nothing to difference either:
    an order above the limit, or no derivative one order lower)."""
    from ..shapes import check_wrt, typecheck
    if claim.order > max_order(options):
        raise refusal
    typed = typecheck(claim.expression, vars, types)
    var = check_wrt(typed, claim.wrt)
    variables = dict(typed.variables)
    decls = declarations(variables)
    try:
        base = lower_order(claim.expression, typed, [claim.wrt] * claim.order, options)
    except NotSupportedError:
        raise refusal from None
    claim_typed, ill_formed = type_claim(claim, decls, variables, types)
    common = dict(claim=claim, correct=None, no_symbolic=str(refusal))
    if ill_formed:
        return Verdict(holds=False, kind="ill-formed", method="symbolic", detail=ill_formed,
                       diagnosis="ill-formed: the claimed result has no value for these shapes",
                       **common)
    claim_expr = claim_typed.expr if claim_typed else None
    # the derivative's axes: F's (and X's once per lower order), then X's
    x_dims = E.axes(var.shape)
    f_dims = E.axes(typed.expr.shape) + x_dims * (claim.order - 1)
    shown, as_row = layout_free(len(f_dims), len(x_dims), claim.layout,
                                tuple(range(len(f_dims) + len(x_dims))))
    transposed = len(shown) == 2 and shown != (0, 1)
    dims = f_dims + x_dims
    ties = typed.ties + (claim_typed.ties if claim_typed else ())
    known = known_dims(variables, size_key(ties))
    rf = _layout_form([dims[k] for k in shown], as_row, known)
    cf = None if claim_expr is None or E.is_zero(claim_expr) else _form(claim_expr.shape, known)
    samples = draw_samples(variables, [typed.expr, claim_expr], trials, seed, ties=ties)
    claimed, correct = [], []
    for s in samples:
        T = difference_tensor(base, s.arrays, var)
        shown_value = T.T if transposed else T
        v = _claim_value(claim, claim_expr, claim_typed, decls, types, s, shown_value,
                         len(f_dims), variables)
        if T.ndim <= 1 and v.size == T.size:    # a vector's orientation is its form's business
            shown_value = T.reshape(v.shape)
        claimed.append(v)
        correct.append(shown_value)
    shapes_agree = _same_form(cf, rf)
    diffs = [float(np.max(np.abs(a - b), initial=0.0)) if a.shape == b.shape else None
             for a, b in zip(claimed, correct)]
    max_diff = max((d for d in diffs if d is not None), default=0.0)
    common.update(trials=len(samples), max_difference=max_diff)
    if shapes_agree and all(_close(a, b, FD_RTOL) for a, b in zip(claimed, correct)):
        return Verdict(holds=True, kind="holds", diagnosis="holds", method="numeric", **common)
    kind, diagnosis, detail = _diagnose(claimed, correct, cf, rf)
    if not shapes_agree and not detail:
        detail = f"the claim is {_shape_words(cf)}, the derivative {_shape_words(rf)}"
    ce = counterexample(samples, claimed, correct, diffs, reference=REFERENCE)
    if not shapes_agree:
        ce.shapes = f"the claim is {_shape_words(cf)}, the derivative {_shape_words(rf)}"
    return Verdict(holds=False, kind=kind, diagnosis=diagnosis, counterexample=ce, detail=detail,
                   method="numeric" if shapes_agree else "symbolic", **common)


def _layout_form(dims: list, as_row: bool, known: dict):
    """The form (``compare._form``) of a derivative shown with these axes; None for 3+."""
    if len(dims) > 2:
        return None
    if len(dims) == 2:
        shape = tuple(dims)
    elif len(dims) == 1:
        shape = (1, dims[0]) if as_row else (dims[0], 1)
    else:
        shape = E.SCALAR
    return _form(shape, known)


def _claim_value(claim, claim_expr, claim_typed, decls, types, s, shown_value, f_axes,
                 variables) -> np.ndarray:
    """The claim at input ``s``; with 3+ axes a matrix claim is read as the vec form
    d vec(F)/d vec(X)' (as ``checker._Checker.claim_values`` does)."""
    from ..evaluate import evaluate_expr
    shape = shown_value.shape
    if claim_expr is None:            # index notation
        v = evaluate_text(claim.result, vars=decls or None, types=types, shape=shape,
                          **s.arrays)
    elif E.is_zero(claim_expr):
        v = np.zeros(shape)
    else:
        vec_shape = None
        if len(shape) > 2 and not claim_expr.is_scalar and not E.is_vector_shape(claim_expr.shape):
            vec_shape = (int(np.prod(shape[:f_axes])), int(np.prod(shape[f_axes:])))
        size = vec_shape or shape
        v = evaluate_expr(claim_expr, s.arrays, claim_typed.variables,
                          shape=size if _unbound(claim_expr, variables) else None)
    v = np.asarray(v, float)
    if len(shape) > 2 and v.ndim == 2:
        v = unvec(v, shape, f_axes)
    return v


def _diagnose(claimed, correct, cf, rf):
    """(kind, diagnosis, detail): a constant factor, the sign or the transpose; else wrong."""
    if _same_form(cf, rf):
        c = _factor(claimed, correct)
        if c is not None:
            return factor_diagnosis(c, "the derivative")
    if rf is not None and rf[0] != "scalar" and _same_form(cf, _transposed_form(rf)):
        c = _factor(claimed, [v.T for v in correct])
        if c is not None:
            return ("transposed", _with_factor("transposed", c),
                    "the claim is the transpose of the derivative")
    return "wrong", "wrong", ""
