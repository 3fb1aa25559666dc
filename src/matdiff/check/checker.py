"""The checker: one claim against matdiff's derivative at random inputs, and ``check``."""
from __future__ import annotations

import numpy as np

from .. import expr as E
from ..errors import MatdiffError, NotSupportedError
from .reference import derivative, evaluate_text
from .claim import Claim, known_dims, parse_claim, type_claim
from .compare import _close, _form, _same_form, _shape_words
from .diagnose import diagnose
from .finite import unvec, verify
from .numeric import numeric_verdict
from .inputs import _unbound, declarations, draw_samples
from .sizes import size_key
from .verdict import Verdict, counterexample


class _Checker:
    """Compares one claim with matdiff's derivative on a set of random inputs."""

    def __init__(self, claim: Claim, r, types, trials, seed, options):
        self.claim = claim
        self.types = types
        self.options = options
        self.r = r                 # matdiff's answer (an engine.Derivation) in the claim's layout
        self.variables = dict(self.r.typed.variables)
        self.decls = declarations(self.variables)
        self.claim_typed, self.ill_formed = type_claim(claim, self.decls, self.variables, types)
        self.claim_expr = self.claim_typed.expr if self.claim_typed else None
        ties = self.r.typed.ties + (self.claim_typed.ties if self.claim_typed else ())
        self.known_dims = known_dims(self.variables, size_key(ties))   # shapes compared under the ties
        self.samples = draw_samples(self.variables, [self.r.typed.expr, self.claim_expr],
                                    trials, seed, ties=ties)

    # -- values --------------------------------------------------------------------
    def correct_form(self):
        if self.r.expr is None:
            return None
        return _form(self.r.expr.shape, self.known_dims)

    def claim_form(self):
        if self.claim_expr is None or E.is_zero(self.claim_expr):
            return None
        return _form(self.claim_expr.shape, self.known_dims)

    def result_values(self, result, samples) -> list:
        return [np.asarray(result.evaluate(**s.arrays), float) for s in samples]

    def claim_values(self, samples, expr=None, reference=None) -> list:
        """The claim (or one of its terms) on the inputs; for a 3+-index derivative a matrix
        claim is read as the vec form d vec(F)/d vec(X)'."""
        from ..evaluate import evaluate_expr
        expr = expr if expr is not None else self.claim_expr
        reference = reference if reference is not None else self.result_values(self.r, samples)
        out = []
        for s, ref in zip(samples, reference):
            shape = ref.shape
            if self.r.expr is None and expr is not None and len(expr.shape) == 2 \
                    and not E.is_vector_shape(expr.shape) and not expr.is_scalar:
                shape = (int(np.prod(ref.shape[:self._f_axes()])),
                         int(np.prod(ref.shape[self._f_axes():])))
            if expr is None:      # index notation
                v = evaluate_text(self.claim.result, vars=self.decls or None, types=self.types,
                                  shape=shape, **s.arrays)
            elif E.is_zero(expr):
                v = np.zeros(shape)
            else:
                v = evaluate_expr(expr, s.arrays, self.claim_typed.variables,
                                  shape=shape if _unbound(expr, self.variables) else None)
            v = np.asarray(v, float)
            if self.r.expr is None and v.ndim == 2 and v.shape != ref.shape:
                v = unvec(v, ref.shape, self._f_axes())
            if v.shape != ref.shape and v.size == ref.size and \
                    [d for d in v.shape if d != 1] == [d for d in ref.shape if d != 1]:
                v = v.reshape(ref.shape)   # a claim by a matrix(n,1) written as a vector
            out.append(v)
        return out

    def _f_axes(self) -> int:
        units = any(self.r.tensor.dims.get(i) == 1 for i in self.r.free)  # a matrix(n,1)'s kept
        x = (len(E.axes(self.variables[self.claim.wrt].shape)) + units) * self.r.order
        return len(self.r.free) - x

    # -- the decision ------------------------------------------------------------
    def run(self) -> Verdict:
        claim, r = self.claim, self.r
        verified = verify(r, self.samples[:2], self.options)
        if self.ill_formed:
            return Verdict(claim=claim, holds=False, kind="ill-formed",
                           diagnosis="ill-formed: the claimed result has no value for these shapes",
                           method="symbolic", correct=r, detail=self.ill_formed,
                           trials=0, verified=verified)
        correct = self.result_values(r, self.samples)
        claimed = self.claim_values(self.samples, reference=correct)
        cf, rf = self.claim_form(), self.correct_form()
        shapes_agree = _same_form(cf, rf)
        numeric_ok = shapes_agree and all(_close(a, b) for a, b in zip(claimed, correct))
        diffs = [float(np.max(np.abs(a - b), initial=0.0)) if a.shape == b.shape else None
                 for a, b in zip(claimed, correct)]
        max_diff = max((d for d in diffs if d is not None), default=0.0)
        symbolic = self._symbolic_equal() if shapes_agree else False
        base = dict(claim=claim, correct=r, trials=len(self.samples), max_difference=max_diff,
                    verified=verified)
        if numeric_ok:
            return Verdict(holds=True, kind="holds", diagnosis="holds",
                           method="symbolic" if symbolic else "numeric", **base)
        method = "numeric" if shapes_agree else "symbolic"
        kind, diagnosis, detail = diagnose(self, claimed, correct, cf, rf)
        if not shapes_agree and not detail:
            detail = f"the claim is {_shape_words(cf)}, matdiff's derivative {_shape_words(rf)}"
        ce = counterexample(self.samples, claimed, correct, diffs)
        if not shapes_agree:
            ce.shapes = f"the claim is {_shape_words(cf)}, matdiff's answer {_shape_words(rf)}"
        return Verdict(holds=False, kind=kind, diagnosis=diagnosis, method=method,
                       counterexample=ce, detail=detail, **base)

    def _symbolic_equal(self) -> bool:
        """The simplifier decides: RESULT - matdiff's answer simplifies to 0."""
        from ..simplify import simplify
        if self.claim_expr is None or self.r.expr is None:
            return False
        try:
            if E.is_zero(self.claim_expr):
                return E.is_zero(self.r.expr)
            cf, rf = self.claim_form(), self.correct_form()
            if self.claim_expr.shape != self.r.expr.shape and not (   # equal under the ties
                    cf and rf and None not in cf + rf and _same_form(cf, rf)):
                return False
            return E.is_zero(simplify(E.sub(self.claim_expr, self.r.expr))) or \
                simplify(self.claim_expr) == self.r.expr
        except Exception:  # noqa: BLE001 - the simplifier is a shortcut; numbers decide
            return False



def check(claim: str, vars=None, layout: str = "mixed", types: str = "default", trials: int = 3,
          seed: int = 0, options=None) -> Verdict:
    """Decide whether a claimed derivative holds for all inputs (see the module docstring).

    Arguments:
        claim: ``d/dX EXPR = RESULT`` (``d2/dx2``, ``d/dx'``, ``d(EXPR)/dX`` also), or a
            SymPy claim, a tuple ``(F, X, RESULT)`` (docs/sympy.md).
        vars: declarations, as for ``derivative``.
        layout: the layout the claim is written in (``d/dx'`` means numerator).
        types: the naming convention for undeclared names.
        trials: random inputs compared when the check is numeric.
        seed: the seed of those inputs.
        options: an ``Options`` (limits).

    Returns:
        A ``Verdict``, true exactly when the claim holds, with its ``diagnosis``, ``detail``,
        ``method``, matdiff's ``correct`` answer and, for a failing claim, a
        ``counterexample``.  Bad input raises a ``MatdiffError``.

    Examples:
        >>> import matdiff as md
        >>> bool(md.check("d/dX tr(A*X*B) = B*A", layout="numerator"))
        True
        >>> md.check("d/dx x'*A*x = 2*A*x").diagnosis
        'holds only for symmetric A'
    """
    if not isinstance(trials, int) or trials < 1:
        raise MatdiffError(f"trials must be a positive integer, got {trials!r}")
    if not isinstance(claim, str):  # a SymPy claim (docs/sympy.md)
        from ..sympy_bridge import read_claim
        claim, vars = read_claim(claim, vars)
    parsed = parse_claim(claim, layout)
    try:
        r = derivative(parsed.expression, parsed.wrt, vars=vars, layout=parsed.layout,
                       order=parsed.order, types=types, options=options)
    except NotSupportedError as refusal:   # no derivative of its own: finite differences decide
        return numeric_verdict(parsed, vars, types, trials, seed, options, refusal)
    return _Checker(parsed, r, types, trials, seed, options).run()
