"""``ones(n)`` and ``ones(m, n)``: the all-ones vector and matrix written with their size
(docs/language.md), read as input and printed where nothing else would size them."""
from __future__ import annotations

import numpy as np
import pytest

import matdiff as md
from support import fd
from support.variables import VARS, values

VALUES = values(3)


@pytest.mark.parametrize("text, want", [
    ("ones(n)", np.ones(4)),
    ("ones(n)'*x", lambda a: a["x"].sum()),
    ("ones(m, n)*x", lambda a: np.full(3, a["x"].sum())),
    ("ones(2, 3)", np.ones((2, 3))),
    ("sum(ones(m*n))", 12.0),
    ("ones(p)'*C*ones(m)", lambda a: a["C"].sum()),
])
def test_sized_ones_evaluate(text, want):
    got = md.evaluate(text, vars=VARS, **VALUES)
    want = want(VALUES) if callable(want) else want
    assert np.shape(got) == np.shape(want) and np.allclose(got, want)


def test_sized_ones_differentiate():
    r = md.derivative("ones(m)'*A*x", wrt="x", vars=VARS)
    got = r.evaluate(**VALUES)
    fd.assert_close(got, fd.reference(lambda a: np.ones(3) @ a["A"] @ a["x"], VALUES, ["x"]))
    assert r.text == "A'*ones"   # the variable A sizes it: printed bare


def test_sized_ones_in_latex():
    r = md.derivative("C'*(Z*z)/norm1(Z' - Z' + alpha)", wrt="Z", vars=VARS)
    assert "norm1(alpha*ones(p, p))" in r.text
    assert r"\mathbf{1}_{p,p}" in r.latex


def test_bare_where_a_variable_or_the_shape_sizes_it():
    assert md.derivative("sum(x)", wrt="x", vars=VARS).text == "ones"
    assert md.derivative("sum(X)", wrt="X", vars=VARS).text == "ones*ones'"
    assert md.derivative("alpha*sum(A*x)", wrt="x", vars=VARS).text == "alpha*A'*ones"


def test_sized_ones_size_mismatch_is_a_shape_error():
    with pytest.raises(md.ShapeError):
        md.derivative("ones(m)'*x", wrt="x", vars=VARS)


def test_sized_ones_compile(dense_backend):
    from support.backends import as_backend
    name = dense_backend
    f = lambda a: np.ones(2) @ a["C"] @ np.ones((3, 4)) @ a["x"]   # noqa: E731
    c = md.compile("ones(p)'*C*ones(m, n)*x", wrt="x", vars=VARS, backend=name)
    value, grad = c(**as_backend({p: VALUES[p] for p in c.params}, name))
    fd.assert_close(np.asarray(value, dtype=float), f(VALUES))
    fd.assert_close(np.asarray(grad, dtype=float), fd.reference(f, VALUES, ["x"]))
