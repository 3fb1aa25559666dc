"""SymPy in and out (matdiff/sympy_bridge.py, docs/sympy.md).

Every round trip is compared by value: a SymPy expression is evaluated by SymPy itself
(its symbols replaced by explicit matrices, then ``doit``), matdiff's text by
``md.evaluate``, and derivatives against central finite differences of the original
SymPy expression.  Skipped when SymPy is not installed.
"""
from __future__ import annotations

import numpy as np
import pytest

sp = pytest.importorskip("sympy")

import matdiff as md  # noqa: E402
from matdiff.sympy_bridge import from_sympy  # noqa: E402
from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalOf  # noqa: E402

n, m = sp.symbols("n m")
X, Y, A, B = (sp.MatrixSymbol(s, n, n) for s in "XYAB")
C = sp.MatrixSymbol("C", m, n)
x, y, z = (sp.MatrixSymbol(s, n, 1) for s in "xyz")
b = sp.MatrixSymbol("b", m, 1)
alpha, beta = sp.symbols("alpha beta")
SIZES = {n: 3, m: 2}
_STRUCTURED = (sp.OneMatrix, sp.Identity, sp.ZeroMatrix, DiagMatrix, DiagonalOf)


def _values(seed=0):
    rng = np.random.default_rng(seed)
    sq = lambda: 0.3 * rng.standard_normal((3, 3))  # noqa: E731
    return {X: 2 * np.eye(3) + sq(), Y: 2 * np.eye(3) + sq(), A: sq() + np.eye(3), B: sq(),
            C: rng.standard_normal((2, 3)), x: rng.uniform(0.5, 1.5, 3),
            y: rng.standard_normal(3), z: rng.standard_normal(3), b: rng.standard_normal(2),
            alpha: 0.7, beta: -1.3}


def sympy_value(e, vals) -> np.ndarray:
    """SymPy's own value of ``e`` at ``vals`` (symbol -> array)."""
    rule = {k: sp.ImmutableMatrix(v.reshape(-1, 1) if v.ndim == 1 else v) if np.ndim(v) else
            sp.Float(v) for k, v in vals.items()}
    rule.update({d: sp.Integer(s) for d, s in SIZES.items()})
    out = sp.sympify(e).xreplace(rule)
    # SymPy's doit leaves these unevaluated on explicit matrices: write them out first
    out = out.replace(lambda t: isinstance(t, _STRUCTURED), _explicit)
    out = out.doit()
    if hasattr(out, "doit"):
        out = out.doit()
    return np.array(sp.Matrix(out).tolist() if hasattr(out, "shape") else out, dtype=float)


def _explicit(t):
    if isinstance(t, DiagonalOf):  # its as_explicit fails on an explicit matrix (SymPy 1.14)
        return sp.ImmutableMatrix([t.arg[i, i] for i in range(t.arg.rows)])
    return t.doit().as_explicit()


def md_arrays(vals) -> dict:
    return {str(k.name): v for k, v in vals.items()}


def same(a, b) -> bool:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.size == b.size and np.allclose(a.reshape(-1), b.reshape(-1), rtol=1e-7, atol=1e-9)


def _sigmoid(t):
    return 1 / (1 + sp.exp(-t))


# SymPy expressions: SymPy -> text -> md.evaluate must give SymPy's value
SYMPY_EXPRESSIONS = [
    x.T * A * x,
    sp.Trace(X * A),
    sp.Trace(A * X * B),
    sp.log(sp.Determinant(X)),
    sp.Determinant(X),
    sp.Inverse(X),
    X ** -1,
    sp.Trace(sp.Inverse(X) * A),
    sp.HadamardProduct(X, Y),
    sp.HadamardPower(X, 2),
    sp.HadamardPower(x, 3),
    X.applyfunc(sp.exp),
    x.applyfunc(_sigmoid),
    x.applyfunc(sp.tanh),
    X.applyfunc(lambda t: 3 * t ** 2 + 1),
    x.applyfunc(sp.log),
    x.applyfunc(sp.sqrt),
    sp.Identity(n) + X,
    sp.OneMatrix(1, n) * x,
    sp.OneMatrix(n, 1).T * X * sp.OneMatrix(n, 1),
    alpha * X,
    alpha ** 2 * sp.Trace(X),
    sp.exp(alpha) * x,
    X ** 2,
    sp.Trace(X ** 3),
    X.T * X,
    (C * x - b).T * (C * x - b),
    sp.Trace(X.T * A * X),
    sp.log(sp.Trace(x.T * x)),
    sp.KroneckerProduct(A, B),
    sp.sqrt(sp.Trace(X.T * X)),
    sp.Trace(X) * sp.Trace(Y),
    sp.HadamardProduct(x, y).T * z,
    sp.Rational(1, 2) * x.T * x,
    2 * A - X,
    x * x.T,
    sp.Trace(A * X) + sp.log(sp.Determinant(X)),
    alpha * sp.Trace(X) + beta * sp.Determinant(X),
    x.T * X.T * A * X * x,
    sp.Inverse(X + alpha * sp.Identity(n)),
]


@pytest.mark.parametrize("e", SYMPY_EXPRESSIONS, ids=[str(e) for e in SYMPY_EXPRESSIONS])
def test_from_sympy_keeps_the_value(e):
    vals = _values()
    text, decls = from_sympy(e)
    got = md.evaluate(text, vars=decls, **md_arrays(vals))
    assert same(got, sympy_value(e, vals)), (text, got)


# texts of the language: text -> SymPy -> value, and back to text
TEXTS = [
    "x'*A*x", "tr(A*X*B)", "logdet(X) + tr(X)", "inv(X)'", "(A + A')*x", "x'*(A + A')",
    "sum(sigmoid(x))", "norm2(X)", "x'*diag(y)*z", "diag(X)", "exp(X) .* A", "X.^2 - 2*A",
    "kron(A, B)", "alpha*x'*x + beta", "det(X)*inv(X)'", "X^3 + I", "sum(abs(X))",
    "norm1(x)", "tanh(A*x) .* y", "2*I(n) + A",
]


DECLS = {"X": "matrix(n,n)", "Y": "matrix(n,n)", "A": "matrix(n,n)", "B": "matrix(n,n)",
         "C": "matrix(m,n)", "x": "vector(n)", "y": "vector(n)", "z": "vector(n)",
         "b": "vector(m)", "alpha": "scalar", "beta": "scalar"}


@pytest.mark.parametrize("text", TEXTS)
def test_to_sympy_and_back(text):
    vals = _values(1)
    decls = {k: v for k, v in DECLS.items() if k in text}
    e = md.to_sympy(text, decls)
    want = md.evaluate(text, vars=decls, **md_arrays(vals))
    assert same(sympy_value(e, vals), want), (text, e)
    back, decls = from_sympy(e)
    assert same(md.evaluate(back, vars=decls, **md_arrays(vals)), want), (text, back)


def _fd(e, var, vals, h=1e-6) -> np.ndarray:
    """Central finite differences of SymPy's value of ``e`` by ``var``: shape F + var."""
    base = np.asarray(vals[var], float)
    cols = []
    for k in range(base.size):
        step = np.zeros(base.size)
        step[k] = h
        hi = {**vals, var: base + step.reshape(base.shape)}
        lo = {**vals, var: base - step.reshape(base.shape)}
        cols.append((sympy_value(e, hi) - sympy_value(e, lo)) / (2 * h))
    f_shape = np.squeeze(cols[0]).shape
    return np.stack([np.squeeze(c) for c in cols], axis=-1).reshape(f_shape + base.shape)


# derivatives with SymPy in and out: value of r.to_sympy() against finite differences
DERIVATIVES = [
    (x.T * A * x, x), (sp.Trace(A * X * B), X), (sp.log(sp.Determinant(X)), X),
    (sp.Determinant(X), X), (sp.Trace(sp.Inverse(X) * A), X), (sp.Trace(X.T * A * X), X),
    ((C * x - b).T * (C * x - b), x), (A * x, x), (x.applyfunc(sp.tanh), x),
    (sp.Trace(A * X) + sp.log(sp.Determinant(X)), X), (alpha ** 2 * sp.Trace(X), alpha),
    (sp.OneMatrix(1, n) * x.applyfunc(_sigmoid), x), (sp.Trace(X ** 3), X),
]


@pytest.mark.parametrize("e, wrt", DERIVATIVES, ids=[f"d/d{w} {e}" for e, w in DERIVATIVES])
def test_derivative_of_sympy_by_sympy(e, wrt):
    vals = _values(2)
    r = md.derivative(e, wrt=wrt)
    out = r.to_sympy()
    got = sympy_value(out, vals)
    assert same(got, _fd(e, wrt, vals)), (r.text, out)
    assert same(got, r.evaluate(**md_arrays(vals)))
    # the symbols of the input come back: the result is an expression in the user's X, x
    mine = {X, Y, A, B, C, x, y, z, b}
    assert {s for s in out.free_symbols if isinstance(s, sp.MatrixSymbol)} <= mine


def test_numerator_layout_result_to_sympy():
    vals = _values(3)
    r = md.derivative(x.T * A * x, wrt=x, layout="numerator")
    assert r.to_sympy().shape == (1, n)
    assert same(sympy_value(r.to_sympy(), vals), _fd(x.T * A * x, x, vals))


def test_logdet_next_to_sympys_own_answer():
    """SymPy's own derivative of log(det(X)) (whatever it is today) beside matdiff's."""
    vals = _values(4)
    fd = _fd(sp.log(sp.Determinant(X)), X, vals)
    ours = md.derivative(sp.log(sp.Determinant(X)), wrt=X).to_sympy()
    assert same(sympy_value(ours, vals), fd)
    assert same(fd, np.linalg.inv(vals[X]).T)
    theirs = sp.log(sp.Determinant(X)).diff(X)
    theirs_value = sympy_value(theirs, vals) * np.ones((3, 3))
    print(f"SymPy: d/dX log(det(X)) = {theirs}; matdiff: {ours}")
    # recorded, not asserted: SymPy may fix its answer; if it is still wrong, matdiff differs
    if not same(theirs_value, fd):
        assert not same(sympy_value(ours, vals), theirs_value)


def test_check_takes_sympy_claims():
    assert md.check((sp.log(sp.Determinant(X)), X, X.I.T))
    v = md.check(sp.Eq(sp.Derivative(sp.Trace(A * X), X), A, evaluate=False))
    assert not v and v.kind == "layout"
    assert md.check((x.T * A * x, x, (A + A.T) * x))


def test_declarations_win_over_sympy_shapes():
    r = md.derivative(x.T * A * x, wrt=x, vars={"A": "matrix(n,n) symmetric"})
    assert r.text == "2*A*x"


def test_unreadable_sympy_is_a_one_line_error():
    with pytest.raises(md.NotSupportedError, match="cannot read"):
        from_sympy(sp.MatrixSymbol("X", n, n).applyfunc(sp.gamma))
    with pytest.raises(md.NotSupportedError, match="three or more indices"):
        md.derivative("inv(X)", wrt="X").to_sympy()
    with pytest.raises(md.NotSupportedError, match="dimension"):
        from_sympy(sp.MatrixSymbol("W", 2 * n, n))
