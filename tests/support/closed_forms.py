"""Cases of a derivative with a named closed form, and the three checks each must pass.

Shared by the issue-12 test modules: ``r.evaluate`` against central finite differences of
the ORIGINAL expression (a NumPy reference written in the test), the printed ``r.text``
evaluated again by ``md.evaluate``, the printed form no longer (in tokens) than the closed
form named, and the compiled NumPy code against the finite differences.
"""
from __future__ import annotations

import re

import numpy as np

import matdiff as md

from . import fd


def tokens(text: str) -> int:
    """Names, numbers and operators of a printed form (parentheses are not counted)."""
    return len(re.findall(r"[A-Za-z_]\w*|\d+(?:\.\d*)?|\.[*/^]|[-+*/^']", text))


def between(lo, hi):
    return lambda rng, *shape: rng.uniform(lo, hi, shape) if shape else float(rng.uniform(lo, hi))


class Case:
    """``decls``: name -> (declaration, array shape); ``gen``: name -> input generator;
    ``structure``: name -> "diagonal"/"symmetric" for the finite differences (fd.reference)."""

    def __init__(self, id, expr, wrt, decls, ref, form=None, order=1, gen=None, tol=None,
                 structure=None):
        self.id, self.expr, self.wrt, self.ref, self.form, self.order = id, expr, wrt, ref, form, order
        self.decls = decls
        self.vars = {k: v[0] for k, v in decls.items()}
        self.gen = gen or {}
        self.tol = tol or fd.TOLS[order]
        self.structure = structure if structure is not None else fd.structure_of(self.vars)

    def inputs(self, seed=0):
        rng = np.random.default_rng(seed)
        return {k: (self.gen.get(k, fd.gauss)(rng, *shape) if shape else float(self.gen.get(k, fd.gauss)(rng)))
                for k, (_, shape) in sorted(self.decls.items())}

    def wanted(self, inputs):
        wrt = [self.wrt] * self.order if self.order > 1 else self.wrt
        return fd.reference(self.ref, inputs, wrt, structure=self.structure)


def check_value_and_printed_form(c: Case):
    inputs = c.inputs()
    want = c.wanted(inputs)
    r = md.derivative(c.expr, wrt=c.wrt, vars=c.vars, order=c.order)
    assert r.expr is not None, f"{c.expr} d/d{c.wrt}: no closed matrix form ({r.text})"
    got = r.evaluate(**inputs)
    fd.assert_close(got, want, c.tol, what=f"{c.expr} d/d{c.wrt} = {r.text!r}")
    again = md.evaluate(r.text, vars=c.vars, shape=np.shape(want), **inputs)
    fd.assert_close(again, got, 1e-9, strict_shape=False, what=f"md.evaluate({r.text!r})")


def check_no_longer_than_form(c: Case):
    inputs = c.inputs()
    # the named form is itself right (so the comparison is with a true closed form)
    r = md.derivative(c.expr, wrt=c.wrt, vars=c.vars, order=c.order)
    got = r.evaluate(**inputs)
    fd.assert_close(md.evaluate(c.form, vars=c.vars, shape=np.shape(got), **inputs), got, 1e-9,
                    strict_shape=False, what=f"the named form {c.form}")
    assert tokens(r.text) <= tokens(c.form), f"{r.text!r} is longer than {c.form!r}"


def check_generated_code(c: Case, backend: str = "numpy"):
    """The compiled derivative against finite differences of the original."""
    inputs = c.inputs()
    want = c.wanted(inputs)
    out = md.compile(c.expr, wrt=c.wrt, vars=c.vars, order=c.order, value=False, backend=backend)(**inputs)
    got = out[-1] if isinstance(out, tuple) else out
    fd.assert_close(np.asarray(got), want, c.tol, strict_shape=False, what=f"compiled {c.expr} d/d{c.wrt}")
