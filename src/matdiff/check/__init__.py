"""Checking a claimed derivative, and the verified cheat sheet.

    import matdiff as md
    v = md.check("d/dX tr(A*X*B) = B*A", layout="numerator")
    bool(v), v.diagnosis            # (True, 'holds')
    print(md.check("d/dx x'*A*x = 2*A*x"))   # fails: holds only for symmetric A

A *claim* is ``d/dX EXPR = RESULT`` (also ``d2/dx2 EXPR = RESULT`` for the
second order, ``d/dx' EXPR = RESULT`` for the ∂/∂xᵀ form, which is the
numerator layout, and ``d(EXPR)/dX = RESULT``).  ``check`` decides whether
it holds *for all inputs*:

* symbolically where the simplifier can decide it: the claim's shape
  (a row is not a column, an n×m matrix not an m×n one) and a simplified
  difference ``RESULT - matdiff's answer`` that is 0;
* otherwise numerically, at several random, well-conditioned inputs whose
  symbolic dimensions are bound to distinct sizes (so that a transpose
  never hides behind a square shape).

matdiff's own answer is itself verified against central finite
differences of the expression before it is used as the reference.  Where
matdiff has no derivative of its own (it refuses ``expm(U)`` or ``vec(U)`` by
a matrix), finite differences alone decide, numerically.

When a claim fails, the verdict carries a counterexample (the inputs and
the largest difference), matdiff's answer in the claim's layout, and a
diagnosis when the claim is a recognisable near miss: the answer in
another layout, the transpose, a constant factor or the wrong sign, the
derivative of another order, a missing term of the product rule, some
terms transposed or with the wrong sign, the unstructured or the Matrix
Cookbook's ``G + G' - diag(G)`` gradient for a symmetric variable, or an
answer that holds only when some matrix is symmetric.

``sheet`` (``matdiff sheet FILE``) turns a list of expressions into a
cheat sheet in Markdown or LaTeX; every derivative on it is checked
against finite differences before it is printed.

The package, one job a module: ``claim`` (the grammar), ``inputs`` (random inputs),
``sizes`` (their sizes, satisfying the sizes typing ties together),
``finite`` (central finite differences), ``compare`` (shapes, closeness, factors),
``verdict`` (the verdict and its counterexample), ``diagnose`` (near misses), ``checker``
(the decision, ``check``), ``numeric`` (the verdict from finite differences alone),
``sheet`` (the cheat sheet), ``cli`` (``matdiff check`` and ``matdiff sheet``), and
``reference`` (the one door to matdiff's own derivative).
"""
from .checker import check
from .claim import LAYOUTS, Claim, parse_claim
from .cli import check_main, sheet_main
from ..layouts import canonical_value, layout_transposed
from .finite import verify
from .inputs import Sample, declarations, draw_samples, symmetrized
from .sheet import SheetEntry, SheetLine, build_sheet, read_sheet, sheet_latex, sheet_markdown
from .verdict import Counterexample, Verdict

__all__ = ["LAYOUTS", "Claim", "Counterexample", "Sample", "SheetEntry", "SheetLine", "Verdict",
           "build_sheet", "canonical_value", "check", "check_main", "declarations",
           "draw_samples", "layout_transposed", "parse_claim", "read_sheet", "sheet_latex",
           "sheet_main", "sheet_markdown", "symmetrized", "verify"]
