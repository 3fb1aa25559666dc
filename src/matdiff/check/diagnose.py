"""Near misses: why a failing claim fails, when it is a recognisable mistake.

Tried in order: a constant factor or the sign, the derivative of another order, another
layout's answer, the transpose, the unstructured or the Matrix Cookbook's gradient for a
symmetric (diagonal) variable, a missing term or some terms transposed or with the wrong
sign, and an answer that holds only when some matrix is symmetric.  Each function reads the
checker (``checker._Checker``): its claim, matdiff's answer and the random inputs.
"""
from __future__ import annotations

import itertools

import numpy as np

from .. import expr as E
from ..errors import EvaluationError, MatdiffError
from .reference import derivative, unstructured
from .compare import (_close, _factor, _form, _same_form, _transposed_form,
                      _with_factor, factor_diagnosis)
from .inputs import symmetrized

ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}
MAX_TERMS_SEARCH = 10   # term-wise diagnoses try all subsets of at most this many terms


def diagnose(ck, claimed, correct, cf, rf):
    """(kind, diagnosis, detail) for a claim that fails."""
    claim, r = ck.claim, ck.r

    def matches(values, form):
        if not _same_form(cf, form):
            return None
        return _factor(claimed, values)

    # 1. a constant factor or the sign
    c = matches(correct, rf)
    if c is not None:
        return factor_diagnosis(c, "matdiff's answer")
    # 2. the derivative of another order
    for k in (claim.order - 1, claim.order + 1):
        if k < 1 or k > 4:
            continue
        try:
            rk = derivative(claim.expression, claim.wrt, vars=ck.decls or None,
                            layout=claim.layout, order=k, types=ck.types,
                            options=ck.options)
        except MatdiffError:
            continue
        vk = ck.result_values(rk, ck.samples)
        c = matches(vk, None if rk.expr is None else _form(rk.expr.shape, ck.known_dims))
        if c is not None:
            what = f"wrong order: this is the {ORDINALS.get(k, str(k))} derivative"
            return ("order", _with_factor(what, c),
                    f"the {ORDINALS.get(k, k)} derivative is {rk.text}")
    # 3. another layout's answer
    others = [L for L in ("denominator", "numerator", "mixed") if L != claim.layout]
    for L in others:
        rl = derivative(claim.expression, claim.wrt, vars=ck.decls or None, layout=L,
                        order=claim.order, types=ck.types, options=ck.options)
        if rl.expr is not None and rf is not None and rl.free == r.free and \
                rl.as_row == r.as_row:
            continue  # this layout shows the derivative exactly as the claim's does
        vl = ck.result_values(rl, ck.samples)
        c = matches(vl, None if rl.expr is None else _form(rl.expr.shape, ck.known_dims))
        if c is not None:
            return ("layout", _with_factor(f"other layout: this is the {L} layout answer", c),
                    f"in the {claim.layout} layout it is {r.text}")
    # 4. the transpose
    if rf is not None and rf[0] != "scalar":
        vt = [v.T for v in correct]
        c = matches(vt, _transposed_form(rf))
        if c is not None:
            return "transposed", _with_factor("transposed", c), f"the transpose of {r.text}"
    # 5. a symmetric (diagonal) variable: the unstructured G, or the Cookbook's
    #    G + G' - diag(G)
    var = ck.variables[claim.wrt]
    symmetric = bool(var.props & {"symmetric", "spd"})
    if (symmetric or "diagonal" in var.props) and claim.order == 1 and rf is not None:
        g = derivative(claim.expression, claim.wrt, vars=ck.decls or None,
                       layout=claim.layout, order=1, types=ck.types,
                       options=unstructured(ck.options))
        vg = ck.result_values(g, ck.samples)
        book = [v + v.T - np.diag(np.diag(v)) for v in vg]
        c = matches(book, rf) if symmetric else None
        if c is not None:
            return ("cookbook", _with_factor("Matrix Cookbook's G + G' - diag(G)", c),
                    f"for a symmetric {claim.wrt} the gradient is (G + G')/2 = {r.text}, "
                    f"where G = {g.text} (the unstructured derivative; see the guide's symmetric variables)")
        c = matches(vg, rf)
        if c is not None:
            what = "symmetric" if symmetric else "diagonal"
            within = "(G + G')/2" if symmetric else "G's diagonal"
            return ("unstructured", _with_factor(f"unstructured G: {claim.wrt} is {what}", c),
                    f"this is G = {g.text}, the derivative as if the entries of {claim.wrt} "
                    f"were independent; within {what} matrices it is {within} = {r.text}")
    # 6. term by term: a missing term, terms transposed or with the wrong sign
    found = _terms(ck, claimed, correct, cf, rf)
    if found:
        return found
    # 7. right only for symmetric matrices
    found = _symmetric_only(ck, cf, rf)
    if found:
        return found
    return "wrong", "wrong", ""

def _terms(ck, claimed, correct, cf, rf):
    from ..simplify import simplify
    from ..to_matrix import NotMatrixForm, term_to_matrix
    from ..evaluate import evaluate_expr
    from ..render.text import to_text
    r = ck.r
    if not _same_form(cf, rf):
        return None
    # a term of matdiff's answer is missing from the claim
    if r.expr is not None and 1 < len(r.tensor.terms) <= MAX_TERMS_SEARCH:
        try:
            mats = [term_to_matrix(t, r.free, dict(r.tensor.dims)) for t in r.tensor.terms]
        except NotMatrixForm:
            mats = None
        if mats:
            vals = [[np.asarray(evaluate_expr(m, s.arrays, ck.variables), float)
                     for s in ck.samples] for m in mats]
            n = len(mats)
            for size in range(n - 1, 0, -1):
                for keep in itertools.combinations(range(n), size):
                    total = [sum(vals[k][i] for k in keep) for i in range(len(ck.samples))]
                    if all(_close(a, b) for a, b in zip(claimed, total)):
                        missing = [mats[k] for k in range(n) if k not in keep]
                        m = simplify(E.add(*missing))
                        if r.as_row and not m.is_scalar:
                            m = simplify(E.transpose(m))
                        text = to_text(m)
                        return ("missing term",
                                f"missing term{'s' if len(missing) > 1 else ''}: {text}",
                                f"matdiff's answer {r.text} also has {text}")
    # some terms of the claim transposed, or with the wrong sign
    if isinstance(ck.claim_expr, E.Add) and len(ck.claim_expr.args) <= MAX_TERMS_SEARCH:
        terms = ck.claim_expr.args
        vals = [ck.claim_values(ck.samples, t, correct) for t in terms]
        n = len(terms)
        square = all(v.ndim == 2 and v.shape[0] == v.shape[1] for v in correct)
        for what, op, ok in (("transposed", lambda a: a.T, square),
                             ("with the wrong sign", lambda a: -a, True)):
            if not ok:
                continue
            for size in range(1, n):
                for flip in itertools.combinations(range(n), size):
                    total = [sum(op(vals[k][i]) if k in flip else vals[k][i] for k in range(n))
                             for i in range(len(ck.samples))]
                    if all(_close(a, b) for a, b in zip(total, correct)):
                        from ..render.text import to_text as tt
                        names = "; ".join(tt(terms[k]) for k in flip)
                        kind = "terms transposed" if what == "transposed" else "terms sign"
                        return (kind, f"term{'s' if size > 1 else ''} {what}: "
                                      f"{', '.join(str(k + 1) for k in flip)} of {n}",
                                f"{what}: {names}")
    return None

def _symmetric_only(ck, cf, rf):
    """Right when some square matrix is symmetric: re-test with it symmetrised."""
    if not _same_form(cf, rf):
        return None
    square = [n for n, v in ck.variables.items()
              if v.shape[0] == v.shape[1] and v.shape != E.SCALAR
              and not E.is_vector_shape(v.shape)
              and not v.props & {"symmetric", "spd", "diagonal"}]
    tries = [[n] for n in square] + ([square] if len(square) > 1 else [])
    for names in tries:
        samples = [symmetrized(s, names) for s in ck.samples]
        try:
            correct = ck.result_values(ck.r, samples)
            claimed = ck.claim_values(samples, reference=correct)
        except EvaluationError:
            continue
        if all(_close(a, b) for a, b in zip(claimed, correct)):
            who = ", ".join(names)
            return ("symmetric", f"holds only for symmetric {who}",
                    f"right when {who} {'is' if len(names) == 1 else 'are'} symmetric; "
                    f"in general it is {ck.r.text}")
    return None
