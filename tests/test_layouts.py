"""The layout table of LANGUAGE.md §3, kind by kind, in all three layouts.

For each kind (scalar by scalar / vector / matrix, vector by scalar /
vector, matrix by scalar, and 3+ indices) the values AND the shape and
orientation: ``r.evaluate`` against finite differences presented by the
table, ``r.shape`` with the sizes, and whether ``r.text`` is shown as a row
or a column (checked black-box: a row times a column vector is a scalar, a
column times a column vector is a shape error).

Also: symmetric / spd / diagonal variables (gradient within that space),
the unstructured option, a declared but unused variable (zero derivative,
zeros of the right shape), and an unknown name to differentiate by (a
``MatdiffError``).
"""
from __future__ import annotations

import numpy as np
import pytest

from support import fd
import matdiff as md

M, N, P = 3, 4, 2
LAYOUTS = ("mixed", "numerator", "denominator")

VARS = {
    "alpha": "scalar", "beta": "scalar",
    "x": "vector(n)", "u": "vector(m)", "y": "vector(p)",
    "A": "matrix(m,n)", "B": "matrix(m,p)", "D": "matrix(n,p)", "K": "matrix(n,n)",
    "H": "matrix(n,n) symmetric", "S": "matrix(n,n) spd", "G": "matrix(n,n) diagonal",
}
SIZES = {"m": M, "n": N, "p": P}


def inputs(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "alpha": 0.7, "beta": -1.3,
        "x": rng.standard_normal(N), "u": rng.standard_normal(M), "y": rng.standard_normal(P),
        "A": rng.standard_normal((M, N)), "B": rng.standard_normal((M, P)),
        "D": rng.standard_normal((N, P)), "K": rng.standard_normal((N, N)),
        "H": fd.symmetric(rng, N), "S": fd.spd(rng, N), "G": np.diag(rng.standard_normal(N)),
    }


V = inputs()


def _derive(expr, wrt, layout, **kw):
    return md.derivative(expr, wrt=wrt, vars=VARS, layout=layout, **kw)


# (id, expression, wrt, reference, canonical shape, expected shape per layout, orientation per layout)
# orientation: "row" / "col" for a vector result, None otherwise
KINDS = [
    ("scalar-by-scalar", "alpha^2*beta + u'*A*x*alpha", "alpha",
     lambda a: a["alpha"] ** 2 * a["beta"] + a["u"] @ a["A"] @ a["x"] * a["alpha"],
     {"mixed": (), "numerator": (), "denominator": ()}, {}),
    ("scalar-by-vector", "u'*A*x + x'*K*x", "x",
     lambda a: a["u"] @ a["A"] @ a["x"] + a["x"] @ a["K"] @ a["x"],
     {"mixed": (N,), "numerator": (N,), "denominator": (N,)},
     {"mixed": "col", "numerator": "row", "denominator": "col"}),
    ("scalar-by-matrix", "u'*A*x + sum(tanh(A))", "A",
     lambda a: a["u"] @ a["A"] @ a["x"] + np.sum(np.tanh(a["A"])),
     {"mixed": (M, N), "numerator": (N, M), "denominator": (M, N)}, {}),
    ("vector-by-scalar", "alpha*A*x + alpha^2*u", "alpha",
     lambda a: a["alpha"] * a["A"] @ a["x"] + a["alpha"] ** 2 * a["u"],
     {"mixed": (M,), "numerator": (M,), "denominator": (M,)},
     {"mixed": "col", "numerator": "col", "denominator": "row"}),
    ("vector-by-vector", "tanh(A*x) + B*y", "x",
     lambda a: np.tanh(a["A"] @ a["x"]) + a["B"] @ a["y"],
     {"mixed": (M, N), "numerator": (M, N), "denominator": (N, M)}, {}),
    ("vector-by-vector-linear", "A*x", "x", lambda a: a["A"] @ a["x"],
     {"mixed": (M, N), "numerator": (M, N), "denominator": (N, M)}, {}),
    ("matrix-by-scalar", "alpha^2*A + alpha*u*x'", "alpha",
     lambda a: a["alpha"] ** 2 * a["A"] + a["alpha"] * np.outer(a["u"], a["x"]),
     {"mixed": (M, N), "numerator": (M, N), "denominator": (M, N)}, {}),
    ("vector-by-matrix", "A*x", "A", lambda a: a["A"] @ a["x"],
     {"mixed": (M, M, N), "numerator": (M, M, N), "denominator": (M, M, N)}, {}),
    ("matrix-by-vector", "u*x'", "x", lambda a: np.outer(a["u"], a["x"]),
     {"mixed": (M, N, N), "numerator": (M, N, N), "denominator": (M, N, N)}, {}),
    ("matrix-by-matrix", "A*D", "A", lambda a: a["A"] @ a["D"],
     {"mixed": (M, P, M, N), "numerator": (M, P, M, N), "denominator": (M, P, M, N)}, {}),
]


def _kind_params():
    return [pytest.param(k, lay, id=f"{k[0]}-{lay}") for k in KINDS for lay in LAYOUTS]


@pytest.mark.parametrize("kind, layout", _kind_params())
def test_layout_values_and_shape(kind, layout):
    name, expr, wrt, ref, shapes, _ = kind
    want = fd.reference(ref, V, wrt, layout)
    assert want.shape == shapes[layout]          # the table itself, as fd presents it
    r = _derive(expr, wrt, layout)
    got = r.evaluate(**V)
    assert np.shape(got) == shapes[layout], f"{name} ({layout}): {np.shape(got)} != {shapes[layout]}"
    fd.assert_close(got, want, fd.TOLS[1], what=f"{expr} d/d{wrt} ({layout}) = {r.text!r}")
    assert fd.resolve_shape(r.shape, SIZES) == shapes[layout], f"r.shape {r.shape}"
    again = md.evaluate(r.text, vars=VARS, shape=shapes[layout], **V)
    fd.assert_close(again, want, fd.TOLS[1], strict_shape=False, what=f"md.evaluate({r.text!r})")


@pytest.mark.parametrize("kind, layout", _kind_params())
def test_layouts_agree_up_to_the_table(kind, layout):
    """Every layout is the canonical T, transposed exactly where the table says."""
    name, expr, wrt, ref, shapes, _ = kind
    canon = np.asarray(_derive(expr, wrt, "mixed").evaluate(**V))
    got = np.asarray(_derive(expr, wrt, layout).evaluate(**V))
    x_ndim = np.ndim(V[wrt])
    np.testing.assert_allclose(got, fd.present(canon, canon.ndim - x_ndim, x_ndim, layout), rtol=1e-12, atol=1e-12)


def test_scalar_results_are_floats():
    r = _derive("alpha^2*beta", "alpha", "mixed")
    got = r.evaluate(**V)
    assert isinstance(got, float), type(got)
    assert got == pytest.approx(2 * V["alpha"] * V["beta"])


def test_vector_results_are_1d():
    for layout in LAYOUTS:
        for expr, wrt in (("u'*A*x", "x"), ("alpha*A*x", "alpha")):
            got = _derive(expr, wrt, layout).evaluate(**V)
            assert isinstance(got, np.ndarray) and got.ndim == 1, (expr, layout, np.shape(got))


ORIENTED = [pytest.param(k, lay, id=f"{k[0]}-{lay}") for k in KINDS for lay in LAYOUTS
            if lay in k[5]]


@pytest.mark.parametrize("kind, layout", ORIENTED)
def test_vector_orientation_of_text(kind, layout):
    """"shown as a row": r.text is a row vector (1 x n) in that layout, a column otherwise."""
    name, expr, wrt, ref, shapes, orient = kind
    r = _derive(expr, wrt, layout)
    (size,) = shapes[layout]
    probe = "x" if size == N else "u"
    text = f"({r.text})*{probe}"          # row * column = scalar; column * column = error
    if orient[layout] == "row":
        val = md.evaluate(text, vars=VARS, **V)
        assert np.ndim(val) == 0, f"{r.text!r} should be a row vector in {layout} layout"
        assert float(val) == pytest.approx(float(np.asarray(r.evaluate(**V)) @ V[probe]))
    else:
        with pytest.raises(md.MatdiffError):
            md.evaluate(text, vars=VARS, **V)
        val = md.evaluate(f"({r.text})'*{probe}", vars=VARS, **V)
        assert np.ndim(val) == 0


def test_readme_examples_of_the_table():
    assert _derive("A*x", "x", "mixed").evaluate(**V).shape == (M, N)
    np.testing.assert_allclose(_derive("A*x", "x", "denominator").evaluate(**V), V["A"].T)
    np.testing.assert_allclose(_derive("u'*A*x", "A", "numerator").evaluate(**V), np.outer(V["x"], V["u"]))
    np.testing.assert_allclose(_derive("u'*A*x", "A", "mixed").evaluate(**V), np.outer(V["u"], V["x"]))


# ---- structured variables ---------------------------------------------------------

STRUCTURED = [
    ("symmetric-bilinear", "x'*K*H*x + u'*A*H*x", "H",
     lambda a: a["x"] @ a["K"] @ a["H"] @ a["x"] + a["u"] @ a["A"] @ a["H"] @ a["x"]),
    ("symmetric-trace", "tr(K*H)", "H", lambda a: np.trace(a["K"] @ a["H"])),
    ("symmetric-nonlinear", "sum(exp(A*H*x))", "H", lambda a: np.sum(np.exp(a["A"] @ a["H"] @ a["x"]))),
    ("spd-logdet", "logdet(S)", "S", lambda a: np.log(np.linalg.det(a["S"]))),
    ("spd-inv", "x'*inv(S)*K*x", "S", lambda a: a["x"] @ np.linalg.inv(a["S"]) @ a["K"] @ a["x"]),
    ("spd-gram", "tr(D'*S*D*D'*K*D)", "S", lambda a: np.trace(a["D"].T @ a["S"] @ a["D"] @ a["D"].T @ a["K"] @ a["D"])),
    ("diagonal-bilinear", "u'*A*G*x", "G", lambda a: a["u"] @ a["A"] @ a["G"] @ a["x"]),
    ("diagonal-trace", "tr(K*G*K)", "G", lambda a: np.trace(a["K"] @ a["G"] @ a["K"])),
]
BUGS: dict[str, str] = {}   # (d tr(K*G*K)/dG for a diagonal G raised NotSupportedError; fixed)


def _structured_params():
    return [pytest.param(c, lay, id=f"{c[0]}-{lay}",
                         marks=[pytest.mark.xfail(strict=True, reason=BUGS[c[0]])] if c[0] in BUGS else [])
            for c in STRUCTURED for lay in LAYOUTS]


@pytest.mark.parametrize("case, layout", _structured_params())
def test_structured_gradient(case, layout):
    name, expr, wrt, ref = case
    want = fd.reference(ref, V, wrt, layout, structure=fd.structure_of(VARS))
    r = _derive(expr, wrt, layout)
    got = r.evaluate(**V)
    fd.assert_close(got, want, fd.TOLS[1], what=f"{expr} d/d{wrt} ({layout}) = {r.text!r}")
    if "symmetric" in name or "spd" in name:
        np.testing.assert_allclose(got, np.asarray(got).T, atol=1e-12, err_msg="not symmetric")
    if "diagonal" in name:
        np.testing.assert_allclose(got, np.diag(np.diag(got)), atol=1e-12, err_msg="not diagonal")
    again = md.evaluate(r.text, vars=VARS, shape=np.shape(want), **V)
    fd.assert_close(again, got, 1e-9, what=f"md.evaluate({r.text!r})")


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0]) for c in STRUCTURED])
def test_unstructured_option(case):
    """Options(structured=False): the derivative G taken as if the entries were independent."""
    name, expr, wrt, ref = case
    want = fd.reference(ref, V, wrt, "mixed")
    r = md.derivative(expr, wrt=wrt, vars=VARS, options=md.Options(structured=False))
    fd.assert_close(r.evaluate(**V), want, fd.TOLS[1], what=f"{expr} d/d{wrt} unstructured = {r.text!r}")


def test_symmetric_is_not_the_cookbook_formula():
    """(G + G')/2, not G + G' - diag(G) (LANGUAGE.md §2)."""
    r = _derive("tr(K*H)", "H", "mixed")
    K = V["K"]
    np.testing.assert_allclose(r.evaluate(**V), (K + K.T) / 2, atol=1e-12)


# ---- declared but unused; unknown names -------------------------------------------------

UNUSED = [
    # expression, unused declared variable, shape per layout
    ("u'*A*x", "alpha", {"mixed": (), "numerator": (), "denominator": ()}),
    ("u'*A*x", "y", {"mixed": (P,), "numerator": (P,), "denominator": (P,)}),
    ("u'*A*x", "B", {"mixed": (M, P), "numerator": (P, M), "denominator": (M, P)}),
    ("A*x", "alpha", {"mixed": (M,), "numerator": (M,), "denominator": (M,)}),
    ("A*x", "y", {"mixed": (M, P), "numerator": (M, P), "denominator": (P, M)}),
    ("alpha*A", "beta", {"mixed": (M, N), "numerator": (M, N), "denominator": (M, N)}),
    ("A*x", "B", {lay: (M, M, P) for lay in LAYOUTS}),
    ("alpha*A", "y", {lay: (M, N, P) for lay in LAYOUTS}),
]


@pytest.mark.parametrize("expr, wrt, shapes, layout",
                         [pytest.param(e, w, s, lay, id=f"{e}-by-{w}-{lay}") for e, w, s in UNUSED for lay in LAYOUTS])
def test_declared_but_unused_is_zero(expr, wrt, shapes, layout):
    r = _derive(expr, wrt, layout)
    got = r.evaluate(**V)
    assert np.shape(got) == shapes[layout], f"{np.shape(got)} != {shapes[layout]}"
    assert np.all(np.asarray(got) == 0)
    assert fd.resolve_shape(r.shape, SIZES) == shapes[layout]
    if len(shapes[layout]) <= 2:
        assert r.text == "0", r.text


@pytest.mark.parametrize("expr, wrt, shapes, layout",
                         [pytest.param(e, w, s, lay, id=f"{e}-by-{w}-{lay}")
                          for e, w, s in UNUSED for lay in LAYOUTS])
def test_declared_but_unused_text_reevaluates(expr, wrt, shapes, layout):
    r = _derive(expr, wrt, layout)
    again = md.evaluate(r.text, vars=VARS, shape=shapes[layout], **V)
    assert np.shape(again) == shapes[layout] and np.all(np.asarray(again) == 0)


@pytest.mark.parametrize("wrt", ["z", "Q", "lambda"])
def test_unknown_wrt_raises(wrt):
    with pytest.raises(md.MatdiffError) as info:
        md.derivative("u'*A*x", wrt=wrt, vars=VARS)
    assert "\n" not in str(info.value)
    with pytest.raises(md.MatdiffError):
        md.derivative("u'*A*x", wrt=wrt)          # undeclared everything


@pytest.mark.parametrize("wrt", ["tr", "I", "ones", "exp"])
def test_function_or_constant_as_wrt_raises(wrt):
    with pytest.raises(md.MatdiffError):
        md.derivative("u'*A*x", wrt=wrt, vars=VARS)


def test_unknown_layout_raises():
    with pytest.raises(md.MatdiffError):
        md.derivative("u'*A*x", wrt="x", layout="row-major")
