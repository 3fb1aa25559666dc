"""Numerical evaluation of typed expressions (matdiff.evaluate) against plain NumPy."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from matdiff import expr as E
from matdiff.errors import EvaluationError, MatdiffError
from matdiff.evaluate import evaluate_expr, expm
from matdiff.shapes import typecheck

# any NumPy warning (overflow, invalid value, divide by zero) is a failure
pytestmark = pytest.mark.filterwarnings("error")

M, N, P = 3, 4, 2  # distinct, so that a transposed or swapped axis shows

DECLS = {
    "A": "matrix(m,n)", "B": "matrix(n,p)", "C": "matrix(n,n)", "D": "matrix(m,m)",
    "S": "matrix(n,n)", "G": "matrix(p,m)",
    "x": "vector(n)", "y": "vector(m)", "z": "vector(n)", "w": "vector(p)",
    "alpha": "scalar", "beta": "scalar",
}


def _values(seed=0):
    rng = np.random.default_rng(seed)
    C = rng.normal(size=(N, N)) + N * np.eye(N)  # well conditioned
    S = rng.normal(size=(N, N))
    return {
        "A": rng.normal(size=(M, N)), "B": rng.normal(size=(N, P)), "C": C,
        "D": rng.normal(size=(M, M)) + M * np.eye(M), "S": S @ S.T + np.eye(N),
        "G": rng.normal(size=(P, M)),
        "x": rng.normal(size=N), "y": rng.normal(size=M), "z": rng.normal(size=N),
        "w": rng.normal(size=P),
        "alpha": float(rng.normal()), "beta": 1.5 + abs(float(rng.normal())),
    }


V = _values()


def ev(text, vals=None, decls=DECLS, shape=None, **kw):
    t = typecheck(text, decls)
    used = set(t.variables)
    given = dict(vals if vals is not None else {k: v for k, v in V.items() if k in used})
    given.update(kw)
    return evaluate_expr(t.expr, given, t.variables, shape=shape)


def close(got, want, rtol=1e-12, atol=1e-12):
    want = np.asarray(want, dtype=float)
    if want.ndim == 0:
        assert isinstance(got, float), f"a scalar should come back as a float, got {type(got)}"
    else:
        assert isinstance(got, np.ndarray)
        assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def err(text, match, vals=None, decls=DECLS, **kw):
    with pytest.raises(EvaluationError, match=match) as info:
        ev(text, vals, decls, **kw)
    assert isinstance(info.value, MatdiffError)
    assert "\n" not in str(info.value)
    return str(info.value)


A, B, C, D, S, G = V["A"], V["B"], V["C"], V["D"], V["S"], V["G"]
x, y, z, w, alpha, beta = V["x"], V["y"], V["z"], V["w"], V["alpha"], V["beta"]


# ---- values of every node kind -------------------------------------------------

CASES = [
    # Var, Num, output shapes
    ("alpha", alpha),
    ("x", x),
    ("x'", x),                          # a row vector comes back 1-D
    ("A", A),
    ("A'", A.T),
    ("2.5", 2.5),
    ("1/3*x", x / 3),
    # Add, Product
    ("x + z", x + z),
    ("x - 2*z + x", 2 * x - 2 * z),
    ("A*x", A @ x),
    ("y'*A", y @ A),
    ("y'*A*x", y @ A @ x),
    ("x*y'", np.outer(x, y)),
    ("A*B", A @ B),
    ("G*A*B", G @ A @ B),
    ("G*A*C*B*w", G @ A @ C @ B @ w),
    ("A'*D*A", A.T @ D @ A),
    ("alpha*A", alpha * A),
    ("alpha*beta^2*A*x/beta", alpha * beta * (A @ x)),
    ("x/beta", x / beta),
    ("-x", -x),
    ("(x'*z)*(y'*y)", (x @ z) * (y @ y)),
    ("(x'*z)*A*x", (x @ z) * (A @ x)),
    ("beta^0.5*x", np.sqrt(beta) * x),
    ("alpha^3", alpha ** 3),
    ("beta^-2", beta ** -2),
    # Hadamard, elementwise power
    ("x .* z", x * z),
    ("x .* z .* x", x * x * z),
    ("A .* A", A * A),
    ("x ./ z", x / z),
    ("alpha ./ z", alpha / z),
    ("x .^ 2", x ** 2),
    ("x .^ -1", 1 / x),
    ("abs(x) .^ 1.5", np.abs(x) ** 1.5),
    ("x .^ (1/3)", np.cbrt(x)),          # a real cube root, also of negative entries
    ("x .^ (2/3)", np.cbrt(x) ** 2),
    ("A .^ 0", np.ones((M, N))),
    # matrix power
    ("C^2", C @ C),
    ("C^3", C @ C @ C),
    ("C^-1", np.linalg.inv(C)),
    ("C^-2", np.linalg.inv(C @ C)),
    ("C^0", np.eye(N)),
    # transpose
    ("(A*B)'", (A @ B).T),
    ("A.T", A.T),
    # constants
    ("C + I", C + np.eye(N)),
    ("2*I*x", 2 * x),
    ("ones'*x", x.sum()),
    ("vector(2) .* x", 2 * x),
    # structural functions
    ("tr(C)", np.trace(C)),
    ("tr(A'*A)", np.trace(A.T @ A)),
    ("det(C)", np.linalg.det(C)),
    ("logdet(S)", np.log(np.linalg.det(S))),
    ("inv(C)", np.linalg.inv(C)),
    ("inv(C)*x", np.linalg.solve(C, x)),
    ("x'*inv(C)", np.linalg.solve(C.T, x)),
    ("z'*inv(C)*x", z @ np.linalg.solve(C, x)),
    ("A*inv(C)", A @ np.linalg.inv(C)),
    ("A*inv(C)*inv(S)*B", A @ np.linalg.inv(C) @ np.linalg.inv(S) @ B),
    ("inv(C)*inv(S)", np.linalg.inv(C) @ np.linalg.inv(S)),
    ("alpha*inv(C)", alpha * np.linalg.inv(C)),
    ("inv(D)*A*inv(C)", np.linalg.inv(D) @ A @ np.linalg.inv(C)),
    ("diag(x)", np.diag(x)),
    ("diag(x')", np.diag(x)),
    ("diag(C)", np.diag(C)),
    ("diag(A*A')", np.diag(A @ A.T)),
    ("sum(A)", A.sum()),
    ("sum(x)", x.sum()),
    ("norm2(x)", np.linalg.norm(x)),
    ("norm2(A)", np.linalg.norm(A, "fro")),
    ("norm1(A)", np.abs(A).sum()),
    ("norm1(x)", np.abs(x).sum()),
    ("vec(A)", A.reshape(-1, order="F")),
    ("kron(A, B)", np.kron(A, B)),
    ("kron(x, w)", np.kron(x, w)),
    # elementwise functions, on vectors, matrices and scalars
    ("exp(x)", np.exp(x)),
    ("exp(A)", np.exp(A)),
    ("exp(alpha)", np.exp(alpha)),
    ("log(abs(x))", np.log(np.abs(x))),
    ("log(beta)", np.log(beta)),
    ("sin(A)", np.sin(A)),
    ("cos(x)", np.cos(x)),
    ("tan(x/10)", np.tan(x / 10)),
    ("tanh(A)", np.tanh(A)),
    ("sqrt(abs(A))", np.sqrt(np.abs(A))),
    ("abs(x)", np.abs(x)),
    ("sigmoid(x)", 1 / (1 + np.exp(-x))),
    ("relu(x)", np.maximum(x, 0)),
    ("sign(A)", np.sign(A)),
    ("arcsin(tanh(x))", np.arcsin(np.tanh(x))),
    ("arccos(tanh(x))", np.arccos(np.tanh(x))),
    ("arctan(A)", np.arctan(A)),
    # mixtures
    ("sum(exp(A*x) .* y) + tr(inv(D)*A*A') - logdet(S)",
     (np.exp(A @ x) * y).sum() + np.trace(np.linalg.solve(D, A @ A.T)) - np.log(np.linalg.det(S))),
    ("(x - z)'*S*(x - z)/2", (x - z) @ S @ (x - z) / 2),
    ("sigmoid(w'*G*y)*w", 1 / (1 + np.exp(-(w @ G @ y))) * w),
]


@pytest.mark.parametrize("text,want", CASES, ids=[c[0] for c in CASES])
def test_value(text, want):
    close(ev(text), want)


def test_result_kinds():
    assert isinstance(ev("y'*A*x"), float)
    assert ev("x").shape == (N,)
    assert ev("x'").shape == (N,)
    assert ev("y'*A").shape == (N,)
    assert ev("A").shape == (M, N)
    assert ev("x*y'").shape == (N, M)
    # a matrix stays 2-D even when its sizes are 1
    assert ev("A", {"A": np.array([[2.0]])}).shape == (1, 1)


def test_ones_sized_by_context():
    # ones*x': ones takes m rows from A in the sum
    close(ev("A + ones*x'"), A + np.outer(np.ones(M), x))
    close(ev("ones'*A*x"), (A @ x).sum())
    close(ev("A*ones"), A.sum(axis=1))


def test_expm():
    Cs = C / 10
    w_, V_ = np.linalg.eigh(S)
    close(ev("expm(S)"), V_ @ np.diag(np.exp(w_)) @ V_.T, rtol=1e-12, atol=1e-12 * np.exp(w_.max()))
    # against a long Taylor series where that converges well
    ref = np.eye(N)
    term = np.eye(N)
    for k in range(1, 40):
        term = term @ Cs / k
        ref = ref + term
    close(ev("expm(C/10)"), ref)
    assert ev("expm(alpha)") == pytest.approx(np.exp(alpha), rel=1e-15)  # a scalar: exp


@pytest.mark.parametrize("scale", [1e-6, 1e-2, 0.2, 0.9, 2.0, 5.0, 40.0, 300.0])
def test_expm_accuracy(scale):
    rng = np.random.default_rng(7)
    R = rng.normal(size=(6, 6))
    Sym = (R + R.T) / 2
    Sym *= scale / np.abs(Sym).sum(axis=0).max()
    w_, V_ = np.linalg.eigh(Sym)
    want = V_ @ np.diag(np.exp(w_)) @ V_.T
    got = expm(Sym)
    assert np.max(np.abs(got - want)) <= 1e-12 * max(1.0, scale) * np.max(np.abs(want))


def test_expm_structured():
    t = 0.7
    close(expm(np.array([[0.0, -t], [t, 0.0]])),
          np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]), rtol=1e-14, atol=1e-15)
    close(expm(np.array([[0.0, 1.0], [0.0, 0.0]])), np.array([[1.0, 1.0], [0.0, 1.0]]))
    lam = 3.0  # a Jordan block: exp(lam) * [[1, 1], [0, 1]]
    close(expm(np.array([[lam, 1.0], [0.0, lam]])), np.exp(lam) * np.array([[1.0, 1.0], [0.0, 1.0]]),
          rtol=1e-13)
    close(expm(np.diag([1.0, -2.0, 30.0])), np.diag(np.exp([1.0, -2.0, 30.0])), rtol=1e-13)
    close(expm(np.zeros((3, 3))), np.eye(3))


def test_sigmoid_is_stable():
    big = np.array([-800.0, -40.0, 0.0, 40.0, 800.0])
    got = ev("sigmoid(v)", {"v": big}, decls={"v": "vector(k)"})
    close(got, [0.0, 1 / (1 + np.exp(40.0)), 0.5, 1 / (1 + np.exp(-40.0)), 1.0], rtol=1e-14, atol=1e-300)


def test_input_forms():
    close(ev("A*x", {"A": A.tolist(), "x": x.reshape(N, 1)}), A @ x)
    close(ev("A*x", {"A": A, "x": x.reshape(1, N)}), A @ x)
    close(ev("alpha*x", {"alpha": np.array(2.0), "x": x}), 2 * x)
    close(ev("alpha*x", {"alpha": np.array([[2.0]]), "x": x}), 2 * x)
    close(ev("alpha*x", {"alpha": 2, "x": [1, 2, 3]}), [2.0, 4.0, 6.0])
    close(ev("alpha*x", {"alpha": Fraction(1, 2), "x": x}), x / 2)
    close(ev("x'*x", {"x": np.array([True, False, True])}), 2.0)


def test_zero_constant_and_literal_sizes():
    a = E.Var("A", ("m", "n"))
    e = E.Add([a, E.Const("zero", ("m", "n"))])
    close(evaluate_expr(e, {"A": A}), A)
    e = E.Add([a, E.Const("ones", (3, 4))])  # integer sizes stay integers
    close(evaluate_expr(e, {"A": A}), A + 1)
    e = E.Product(Fraction(1, 2), [], [E.Const("I", (2, 2))])
    close(evaluate_expr(e, {}), np.eye(2) / 2)
    close(evaluate_expr(E.Num(0.25), {}), 0.25)


def test_hand_built_nodes():
    xv = E.Var("x", ("n", 1))
    av = E.Var("alpha", (1, 1))
    cv = E.Var("C", ("n", "n"))
    vals = {"x": x, "alpha": alpha, "C": C}
    close(evaluate_expr(E.Hadamard([xv, av, xv]), vals), alpha * x * x)
    close(evaluate_expr(E.Power(E.Func("abs", [xv]), 0.3), vals), np.abs(x) ** 0.3)
    close(evaluate_expr(E.Power(xv, 2.0), vals), x ** 2)
    close(evaluate_expr(E.MatPow(cv, -1), vals), np.linalg.inv(C))
    close(evaluate_expr(E.Func("diag", [E.Transpose(xv)]), vals), np.diag(x))
    close(evaluate_expr(E.Product(0.5, [(av, Fraction(2))], [E.Transpose(xv), cv]), vals),
          0.5 * alpha ** 2 * (x @ C))
    close(evaluate_expr(E.Product(Fraction(3), [(av, Fraction(-1))], []), vals), 3 / alpha)
    close(evaluate_expr(E.Func("inv", [cv]), vals), np.linalg.inv(C))


def test_shape_argument():
    # matrix(3)*x: nothing fixes the rows of the constant matrix but the result's shape
    close(ev("matrix(3) * x", shape=(P,)), 3 * np.ones((P, N)) @ x)
    close(ev("I", {}, shape=(4, 4)), np.eye(4))
    close(ev("ones", {}, shape=(3,)), np.ones(3))
    close(ev("ones'", {}, shape=(3,)), np.ones(3))
    close(ev("2*ones", {}, shape=(3, 1)), 2 * np.ones(3))
    close(ev("ones*ones'", {}, shape=(2, 5)), np.ones((2, 5)))
    # sizes from variables win; a contradicting shape= is an error
    close(ev("C + I", shape=(N, N)), C + np.eye(N))
    err("C + I", r"shape=\(3, 3\) does not fit", shape=(3, 3))
    err("ones", "is a vector", {}, shape=(2, 3))


def test_unsized_constant():
    msg = err("I", "size n of I is unknown", {}, decls=None)
    assert "shape=" in msg
    err("sum(ones)", "of ones is unknown", {})
    err("sum(ones)", "of ones is unknown", {}, shape=())   # the result's shape does not help


def test_declared_unused_variable_sizes_constants():
    # X^0 is I with X's size though X no longer occurs in the tree
    close(ev("X^0", {"X": np.zeros((3, 3))}, decls=None), np.eye(3))
    close(ev("x.^0", {"x": np.zeros(5)}, decls=None), np.ones(5))


def test_vec_and_kron_sizes_through_context():
    close(ev("ones'*vec(A)"), A.sum())
    close(ev("vec(A) + ones"), A.reshape(-1, order="F") + 1)
    k = np.arange(M * N, dtype=float)
    close(ev("k'*vec(A)", {"A": A, "k": k}, decls={"A": "matrix(m,n)"}), k @ A.reshape(-1, order="F"))
    close(ev("sum(kron(A,B) + ones*ones')"), (np.kron(A, B) + 1).sum())
    msg = err("k'*vec(A)", "k should have 12 entries", {"A": A, "k": np.ones(5)},
              decls={"A": "matrix(m,n)"})
    assert "m*n" in msg


@pytest.mark.parametrize("text,want", [
    ("vec(A)'*vec(A)", (A * A).sum()),
    ("kron(A, B)*kron(x, w)", np.kron(A, B) @ np.kron(x, w)),
])
def test_two_vec_or_kron_results_together(text, want):
    close(ev(text), want)


def test_deep_tree():
    text = "x"
    for i in range(60):  # the parser allows 200 levels of nesting
        text = f"sin({text})" if i % 2 else f"({text} + z)"
    want = x
    for i in range(60):
        want = np.sin(want) if i % 2 else want + z
    close(ev(text), want)


def test_shared_sub_trees_are_computed_once():
    # a DAG whose tree form has 2**60 nodes
    e = E.Var("x", ("n", 1))
    for _ in range(60):
        e = E.Add([e, e])
    close(evaluate_expr(e, {"x": np.array([1.0, -2.0])}), [2.0 ** 60, -(2.0 ** 61)])


def test_shared_subexpressions_are_fine():
    close(ev("exp(A*x) + exp(A*x) .* exp(A*x)"), np.exp(A @ x) + np.exp(A @ x) ** 2)


# ---- errors --------------------------------------------------------------------

def test_missing_value():
    err("A*x", "no value given for x", {"A": A})


def test_dimension_conflict_names_both_variables():
    msg = err("A*x", r"x should have 4 entries", {"A": A, "x": np.ones(3)})
    assert "from A" in msg and "(3,)" in msg
    msg = err("B*A", r"A should be 2×4 \(matrix\(m,n\) with m=2 from B\), got \(3,4\)",
              {"B": np.ones((3, 2)), "A": A}, decls={"A": "matrix(m,n)", "B": "matrix(k,m)"})
    # undeclared names get their dimensions from unification
    msg = err("A*B", "B should be", {"A": A, "B": np.ones((3, 2))}, decls=None)
    assert "from A" in msg
    err("A + D", r"D should be 3×4", {"A": A, "D": D}, decls={"A": "matrix(m,n)", "D": "matrix(m,n)"})


def test_wrong_number_of_dimensions():
    err("A*x", r"A should be a matrix \(matrix\(m,n\)\), got an array of shape \(12,\)",
        {"A": A.reshape(-1), "x": x})
    err("A*x", r"x should be a vector of 4 entries \(vector\(n\)\), got an array of shape \(4,2\)",
        {"A": A, "x": np.ones((4, 2))})
    err("alpha*x", r"alpha should be a scalar, got an array of shape \(2,\)",
        {"alpha": [1.0, 2.0], "x": x})
    err("C", r"C should be a 4×4 matrix|C should be", {"C": np.ones((4, 4, 1))},
        decls={"C": "matrix(4,4)"})
    err("C", r"C should be 4×4 \(matrix\(4,4\)\), got \(3,3\)", {"C": np.ones((3, 3))},
        decls={"C": "matrix(4,4)"})
    err("X", r"X should be 3×3", {"X": np.ones((3, 4))}, decls={"X": "matrix(n,n)"})


def test_bad_values():
    err("x", "x is complex", {"x": np.array([1j, 2.0])}, decls=None)
    err("x", "x has a non-finite entry", {"x": np.array([np.nan, 2.0])}, decls=None)
    err("x", "x is not an array of numbers", {"x": ["a", "b"]}, decls=None)
    err("x", "x is not an array of numbers", {"x": [[1.0], [1.0, 2.0]]}, decls=None)


def test_declared_properties_are_checked():
    decls = {"X": "matrix(n,n) symmetric", "P": "matrix(n,n) spd", "Q": "matrix(n,n) diagonal",
             "v": "vector(n) positive"}
    sym = C + C.T
    close(ev("tr(X)", {"X": sym}, decls), np.trace(sym))
    err("tr(X)", "X is declared symmetric", {"X": C}, decls)
    err("tr(P)", "P is declared spd", {"P": -S}, decls)
    err("tr(Q)", "Q is declared diagonal", {"Q": sym}, decls)
    err("sum(v)", "v is declared positive", {"v": np.array([1.0, 0.0])}, decls)
    t = typecheck("tr(X)", decls)
    assert evaluate_expr(t.expr, {"X": C}, check_properties=False) == pytest.approx(np.trace(C))


def test_log_sqrt_arcsin_domain():
    msg = err("log(x)", r"log\(x\): log of a non-positive entry", {"x": np.array([1.0, -2.0, 3.0, 1.0])})
    assert "-2" in msg
    err("log(A*x)", r"log\(A\*x\): log of a non-positive", {"A": A, "x": np.zeros(N)})
    err("log(alpha)", "log of a non-positive number", {"alpha": 0.0})
    err("sqrt(x)", r"sqrt\(x\): sqrt of a negative entry", {"x": np.array([1.0, -1.0, 0.0, 4.0])})
    err("arcsin(x)", r"arcsin\(x\): arcsin of an entry outside \[-1, 1\]", {"x": np.array([0.5, 1.5, 0, 0])})
    err("arccos(alpha)", r"arccos\(alpha\)", {"alpha": -1.01})
    err("logdet(C)", r"logdet\(C\): logdet of a matrix whose determinant is not positive",
        {"C": np.diag([-1.0, 1.0, 2.0, 3.0])})
    err("logdet(C)", r"determinant is not positive", {"C": np.ones((N, N))})
    err("x .^ 0.5", r"sqrt\(x\).*fractional power of a negative entry \(x has -1",
        {"x": np.array([1.0, -1.0, 0.0, 4.0])})
    err("alpha^0.5", "fractional power of a negative number", {"alpha": -4.0})


def test_division_by_zero():
    zx = np.array([1.0, 0.0, 2.0, 3.0])
    err("z ./ x", r"division by zero in z \./ x: x has a zero entry", {"z": z, "x": zx})
    err("x / alpha", r"division by zero in x/alpha: alpha is 0", {"x": x, "alpha": 0.0})
    err("x / (alpha - beta)", r"division by zero in .*: alpha - beta is 0",
        {"x": x, "alpha": 2.0, "beta": 2.0})
    err("x .^ -1", r"division by zero in ones \./ x: x has a zero entry", {"x": zx})   # printed ones ./ x
    err("alpha^-2", r"alpha is 0", {"alpha": 0.0})
    err("alpha ./ x", "x has a zero entry", {"alpha": 1.0, "x": zx})
    err("x.^(-1/3)", "x has a zero entry", {"x": zx})


def test_singular_matrices():
    sing = np.ones((N, N))
    err("inv(C)", r"inv\(C\): C is singular", {"C": sing})
    err("inv(C)*x", r"inv\(C\): C is singular", {"C": sing, "x": x})
    err("x'*inv(C)", r"inv\(C\): C is singular", {"C": sing, "x": x})
    err("C^-2", r"C\^-2: C is singular", {"C": sing})
    err("inv(C'*C + x*x')", r"is singular", {"C": np.zeros((N, N)), "x": x})
    assert ev("det(C)", {"C": sing}) == pytest.approx(0.0, abs=1e-12)


def test_overflow_is_an_error():
    err("exp(x)", r"exp\(x\) is not finite", {"x": np.array([1.0, 800.0, 0.0, 0.0])})
    err("alpha * beta", r"alpha\*beta is not finite", {"alpha": 1e200, "beta": 1e200})
    err("C^64", r"C\^64 is not finite", {"C": 1e10 * np.eye(N)})


def test_no_eval_of_user_text():
    # names are looked up in the values dict only
    err("x", "no value given for x", {"__import__": 1}, decls=None)


# ---- a property test on random sizes ----------------------------------------------

def test_random_sizes_agree_with_numpy():
    rng = np.random.default_rng(3)
    for _ in range(15):
        m, n, p = rng.integers(1, 6, size=3)
        A_ = rng.normal(size=(m, n))
        B_ = rng.normal(size=(n, p))
        G_ = rng.normal(size=(p, m))
        x_ = rng.normal(size=n)
        got = ev("tr(G*A*B) + sum(A*x) - norm2(B'*x)", {"A": A_, "B": B_, "G": G_, "x": x_})
        want = np.trace(G_ @ A_ @ B_) + (A_ @ x_).sum() - np.linalg.norm(B_.T @ x_)
        assert got == pytest.approx(want, rel=1e-12, abs=1e-12)
