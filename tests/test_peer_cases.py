"""Peers' own test suites run through matdiff (tests/data/peer_cases.txt): SymPy's matrix
derivative tests (Matrix Cookbook examples) and DiffMatic.jl's standard-notation tests.

Each derivative is checked against central finite differences of the ORIGINAL expression
(md.evaluate of it, at inputs drawn inside its domain), its printed form is evaluated again,
and first derivatives are compiled to NumPy and checked against the same differences.
The derivatives matdiff still refuses are listed in REFUSED (strict xfail: an answer
there fails the test until the list is updated)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from support import fd
import matdiff as md
from matdiff.check import draw_samples

DATA = Path(__file__).parent / "data" / "peer_cases.txt"
# derivatives that exist but matdiff refuses today (each one a defect to fix)
REFUSED: set = set()     # tr(kron(A, X)) by X answers in index form, tr(kron(X, X)) in closed form


def _cases():
    for line in DATA.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            expr, wrt, order, *decls = (p.strip() for p in line.split("|"))
            vars = dict(d.split(":", 1) for d in decls[0].split(";")) if decls else None
            marks = [pytest.mark.xfail(raises=md.NotSupportedError, strict=True)] \
                if (expr, wrt) in REFUSED else []
            yield pytest.param(expr, wrt, int(order), vars, id=f"{expr} d{wrt}^{order}", marks=marks)


@pytest.mark.parametrize("expr,wrt,order,vars", list(_cases()))
def test_peer_case(expr, wrt, order, vars):
    r = md.derivative(expr, wrt=wrt, vars=vars, order=order)
    variables = r.typed.variables
    wrts = [wrt] * order if order > 1 else wrt
    for s in draw_samples(variables, [r.typed.expr], 2, seed=11, ties=r.typed.ties):
        arrays = s.arrays
        want = fd.reference(lambda a: md.evaluate(expr, vars=vars, **a), arrays, wrts,
                            structure=fd.structure_of(vars))
        got = r.evaluate(**arrays)
        fd.assert_close(got, want, fd.TOLS[order], strict_shape=False, what=f"{expr}: {r.text}")
        again = md.evaluate(r.text, vars=vars, shape=np.shape(got), **arrays)
        fd.assert_close(again, got, 1e-9, strict_shape=False, what=f"md.evaluate({r.text!r})")
        if order == 1:
            out = md.compile(expr, wrt=wrt, vars=vars, value=False)(**arrays)
            fd.assert_close(np.asarray(out), want, fd.TOLS[1], strict_shape=False,
                            what=f"compiled {expr}")
