"""Failures the fuzzer found once it drew the commutation matrix K(a,b), Hadamard factors
inside products, traces and sums, and scalar broadcasting (issue 12; scripts/fuzz_gen.py).

Each case is the fuzzer's minimal reproducer (seed and case number in the comment).  Its
value, from ``r.evaluate``, is asserted against central finite differences of the
original expression; the printed form is read back with ``md.evaluate`` and must give the
same numbers.  A reading that still fails is a strict xfail whose reason says ``BUG`` and
where the fix belongs: the day it is fixed the xfail fails, and the marker is to be removed.
(tests/test_fuzz_regressions.py holds the fuzzer in small and the earlier regressions.)
"""
from __future__ import annotations

import numpy as np
import pytest

import matdiff as md
from support import fd
from support.variables import VARS, values

VALUES = values(5)
xfail = pytest.mark.xfail


def _sig(v):
    return 1 / (1 + np.exp(-v))


def _commutation(m, n):
    """K(m,n) @ vec(Q) = vec(Q') for Q m×n."""
    return np.eye(m * n)[[j * m + i for i in range(m) for j in range(n)]]


def _derive(expr, wrt, ref, order=1):
    """r, its value, and that value checked against finite differences of ``ref``."""
    r = md.derivative(expr, wrt=wrt, vars=VARS, order=order)
    got = np.asarray(r.evaluate(**VALUES), dtype=float)
    want = fd.reference(ref, VALUES, [wrt] * order, h=1e-3 if order == 1 else 2e-3)
    fd.assert_close(got, want, 1e-5 if order == 1 else 2e-4, what=f"{expr} d/d{wrt}: {r.text}")
    return r, got


def _read_back(r, got):
    again = np.asarray(md.evaluate(r.text, vars=VARS, shape=got.shape, **VALUES), dtype=float)
    assert again.size == got.size and np.allclose(again.reshape(got.shape), got, atol=1e-9), r.text


# An all-ones matrix or an identity that only vec, kron, a norm or a sum sized lost its size
# in print: md.evaluate(r.text) said "the size r of ones is unknown" (seed 0, depth 6).  Such
# a constant now prints sized, ones(p, m), ones(n)', I(p) (render/sizing.py), and only it.
def _relu(v):
    return np.maximum(v, 0)


UNSIZED = [
    # as case 439 below, the all-ones p×m matrix inside an elementwise function: A'*ones*ones'*
    # sign(ones*ones'*A*x), whose second ones*ones' nothing sizes
    ("norm1(cos(C - C)*A*x)", "x", 1, lambda a: np.sum(np.abs(np.cos(a["C"] - a["C"]) @ a["A"] @ a["x"])),
     "ones(p, m)"),
    # case 1465: d/dbeta of kron(., beta - C') is kron(., ones*ones'), sized only by K
    ("tr(K(p,m)*kron((z - beta)*u', beta - C'))", "beta", 2,
     lambda a: np.trace(_commutation(2, 3) @ np.kron(np.outer(a["z"] - a["beta"], a["u"]),
                                                     a["beta"] - a["C"].T)), None),
    # case 9251: an index form whose scalar atom is norm1(alpha*ones(p, p))
    ("C'*(Z*z)/norm1(Z' - Z' + alpha)", "Z", 1,
     lambda a: a["C"].T @ a["Z"] @ a["z"] / np.sum(np.abs(a["Z"].T - a["Z"].T + a["alpha"])),
     "norm1(alpha*ones(p, p))"),
    # case 2461: the identity and the all-ones matrix inside kron, under a trace
    ("alpha*tr(kron(alpha - ((C - C)'*(C - C) + I), Y))", "alpha", 1,
     lambda a: a["alpha"] * np.trace(np.kron(a["alpha"] - ((a["C"] - a["C"]).T @ (a["C"] - a["C"])
                                                           + np.eye(3)), a["Y"])), "I(m)"),
    # case 6632: an all-ones matrix whose columns only a row of ones would size, printed
    # ones'*relu(c*ones*ones')'*C*u; now sum(relu(c*ones(p, n))'*C*u)
    ("sum(z*u'*C'*relu(sigmoid(C*(A - A)).^tanh(beta)))", "z", 1,
     lambda a: np.sum(np.outer(a["z"], a["u"]) @ a["C"].T
                      @ _relu(_sig(a["C"] @ (a["A"] - a["A"])) ** np.tanh(a["beta"]))), "ones(p, n)"),
    # case 7988: inside vec, sized by nothing else
    ("vec(sigmoid(kron(beta, sigmoid(A' - A'))))'*vec(kron(A', x'*X*x))", "x", 1,
     lambda a: _sig(a["beta"] * _sig(a["A"].T - a["A"].T)).T.reshape(-1) @
     np.kron(a["A"].T, a["x"] @ a["X"] @ a["x"]).T.reshape(-1), "ones(n, m)"),
    # case 3820: a where-form whose definition holds the constant
    ("norm2(sigmoid(B').^tanh(beta)*sigmoid(A'*exp(A - A)))", "beta", 1,
     lambda a: np.linalg.norm(_sig(a["B"].T) ** np.tanh(a["beta"]) @ _sig(a["A"].T @ np.exp(a["A"] - a["A"]))),
     "ones(m, n)"),
]


@pytest.mark.parametrize("expr, wrt, order, ref, sized", UNSIZED)
def test_constant_in_kron_or_norm_has_the_right_value(expr, wrt, order, ref, sized):
    _derive(expr, wrt, ref, order)


@pytest.mark.parametrize("expr, wrt, order, ref, sized", UNSIZED)
def test_constant_in_kron_or_norm_reads_back(expr, wrt, order, ref, sized):
    r, got = _derive(expr, wrt, ref, order)
    _read_back(r, got)
    if sized is not None:
        assert sized in r.text, r.text


# Case 439 (seed 0, depth 6): arccos(0.9*tanh(C - C)) is the constant pi/2 (p×m), at the head
# of a chain inside norm2, printed norm2(1.57...*ones*ones'*kron(u, y')*B), whose first ones
# nothing sized.  The rows of such a chain are equal: norm2 = sqrt(p)*norm2(ones'*...), and
# sum and norm1 alike, and the columns of a chain that ends with one (constants.equal_rows).
@pytest.mark.parametrize("expr, wrt, ref", [
    ("norm2(arccos(0.9*tanh(C - C))*kron(u, y')*B)", "u",
     lambda a: np.linalg.norm(np.arccos(0.9 * np.tanh(a["C"] - a["C"])) @ np.kron(
         a["u"][:, None], a["y"][None, :]) @ a["B"])),
    ("beta*norm2(cos(A - A)*x)", "beta", lambda a: a["beta"] * np.linalg.norm(np.ones((3, 4)) @ a["x"])),
    ("norm2((C - C + 2)*A*x)", "x", lambda a: np.linalg.norm(2 * np.ones((2, 3)) @ a["A"] @ a["x"])),
    ("sum(exp(C - C)*kron(u, y')*B)", "u", lambda a: np.sum(np.ones((2, 3)) @ np.outer(a["u"], a["y"]) @ a["B"])),
    ("alpha*norm1(cos(Y - Y)*u)", "alpha", lambda a: a["alpha"] * np.sum(np.abs(np.ones((3, 3)) @ a["u"]))),
    # seed 1, case 867: the all-ones matrix at the end of the chain, whose columns are equal
    ("norm2((ones + C.^2).^tanh(alpha)*(A*(B' - B' + matrix(0.5))'))", "alpha",
     lambda a: np.linalg.norm((1 + a["C"] ** 2) ** np.tanh(a["alpha"]) @ a["A"] @ np.full((4, 2), 0.5))),
    ("norm2(X*(A - A + 1)')", "X", lambda a: np.linalg.norm(a["X"] @ np.ones((4, 3)))),
    ("sum(Y*exp(A - A)*x*alpha)", "alpha", lambda a: np.sum(a["Y"] @ np.ones((3, 4)) @ a["x"] * a["alpha"])),
])
def test_norm_or_sum_of_a_chain_with_equal_rows(expr, wrt, ref):
    _read_back(*_derive(expr, wrt, ref))


@pytest.mark.parametrize("expr, wrt, ref", [
    # case 1621: (A - A)'*(A - A) + I folds to an I that only vec(.) sized: now vec(I(n))
    ("tr(kron(Y, S))/(vec(B')'*kron(X, B')*vec((A - A)'*(A - A) + I))", "Y",
     lambda a: np.trace(np.kron(a["Y"], a["S"])) / (a["B"].T.reshape(-1, order="F") @ np.kron(
         a["X"], a["B"].T) @ np.eye(4).reshape(-1))),
    ("alpha*vec(X)'*vec(2*((A - A)'*(A - A) + I))", "alpha",
     lambda a: a["alpha"] * 2 * np.trace(a["X"])),
    ("alpha*sum(kron(Z, X - X + I)*vec(B'))", "alpha",
     lambda a: a["alpha"] * np.sum(np.kron(a["Z"], np.eye(4)) @ a["B"].T.reshape(-1, order="F"))),
])
def test_identity_in_vec_or_kron_prints_sized(expr, wrt, ref):
    r, got = _derive(expr, wrt, ref)
    _read_back(r, got)
    assert "I(" in r.text, r.text


# Case 1483 (seed 0, depth 6): a 3-index result whose index text read back to other numbers
# (r.evaluate agreed with finite differences; md.evaluate(r.text) was off by about 0.1).
LONG = ("relu(C)*norm2(((ones + log(sigmoid(kron(u, z'))).^2).^-1).^3*sigmoid(C*(adj(C'*C + I) "
        "+ softmax(softmax(u))'*(0.5*A)*sigmoid(x).^-0.5)) - arcsin(0.9*tanh(cos(arcsin(0.9*tanh(D))))))^2")


def _softmax(v):
    e = np.exp(v - np.max(v))
    return e / np.sum(e)


def _long(a):
    u, z, C = a["u"], a["z"], a["C"]
    P = (1 / (1 + np.log(_sig(np.outer(u, z))) ** 2)) ** 3
    adj = np.linalg.det(C.T @ C + np.eye(3)) * np.linalg.inv(C.T @ C + np.eye(3))
    s = _softmax(_softmax(u)) @ (0.5 * a["A"]) @ _sig(a["x"]) ** -0.5
    M = P @ _sig(C @ (adj + s)) - np.arcsin(0.9 * np.tanh(np.cos(np.arcsin(0.9 * np.tanh(a["D"])))))
    return np.maximum(C, 0) * np.sum(M ** 2)


def test_long_index_form_has_the_right_value():
    _derive(LONG, "u", _long)


def test_long_index_form_reads_back():
    # the index form merged its scalar factors into one and kept only that product's scalar
    # factors: a scalar chain (sigmoid(x)'.^-0.5*A'*softmax(softmax(u))) was dropped
    _read_back(*_derive(LONG, "u", _long))


# Noticed while writing the cases above: vec and kron sizes were not compared when typing, so
# an ill-typed sum or product was accepted and failed only when evaluated.  They are compared
# as a sum compares its terms' sizes (X + Y with X m×m and Y n×n is refused): m*m = n*n holds
# only where m = n, and m and n are declared as different sizes, so the error points at the
# sum or product and names what to change.
@pytest.mark.parametrize("expr, where, why", [
    ("vec(Y) + vec(X)", "vec(Y) + vec(X)",
     "vec(Y) is a vector of m*m entries but vec(X) is a vector of n*n entries; a sum needs "
     "equal shapes (sizes m*m and n*n are equal only where m = n: declare m and n as one size)"),
    ("alpha*sum(kron(Y, X)*vec(S))", "kron(Y, X)*vec(S)",
     "kron(Y, X) has m*n columns but vec(S) has n*n rows (sizes m*n and n*n are equal only "
     "where m = n: declare m and n as one size)"),
    ("vec(A)'*vec(C')", "vec(A)'*vec(C')",
     "vec(A)' has m*n columns but vec(C') has m*p rows (sizes m*n and m*p are equal only "
     "where n = p: declare n and p as one size)"),
])
def test_vec_and_kron_sizes_are_compared(expr, where, why):
    with pytest.raises(md.ShapeError) as info:
        md.derivative(expr, wrt="alpha", vars=VARS)
    e = info.value
    assert e.message == f"{where}: {why}"
    assert expr[e.pos:e.end] == where and "\n" not in str(e)


def test_a_sum_of_declared_matrices_is_refused_alike():
    """The same sizes without vec: the rule vec follows."""
    with pytest.raises(md.ShapeError, match=r"^X \+ Y: X is an m×m matrix but Y is an n×n matrix"):
        md.derivative("alpha*sum(X + Y)", wrt="alpha", vars={"X": "matrix(m,m)", "Y": "matrix(n,n)"})


# A tie typed before its sizes are known (W gets X's n×n only from tr(W*X), after vec(W) +
# vec(Y) was typed) is compared when typing ends: the sum is the place.
def test_vec_sizes_compared_once_known():
    expr = "alpha*sum(vec(W) + vec(Y)) + tr(W*X)"
    with pytest.raises(md.ShapeError) as info:
        md.derivative(expr, wrt="alpha", vars=VARS)
    e = info.value
    assert e.message.startswith("vec(W) + vec(Y): sizes m*m and n*n are equal only where m = n: "
                                "declare m and n as one size")
    assert expr[e.pos:e.end] == "vec(W) + vec(Y)"


# Undeclared sizes that a vec or kron size forces equal are unified, as X + Y unifies
# undeclared X and Y: vec(W)'*vec(Y) + tr(W) makes W square, and vec(W) + vec(Y) then
# sizes W as Y (m×m); the derivative is checked against finite differences.
@pytest.mark.parametrize("expr, ref", [
    ("vec(W)'*vec(Y) + tr(W)", lambda a: a["W"].reshape(-1) @ a["Y"].reshape(-1) + np.trace(a["W"])),
    ("sum(vec(W) .* vec(Y)) + tr(W)^2", lambda a: np.sum(a["W"] * a["Y"]) + np.trace(a["W"]) ** 2),
])
def test_undeclared_sizes_a_vec_forces_equal_are_unified(expr, ref):
    r = md.derivative(expr, wrt="W", vars=VARS)
    assert r.typed.variables["W"].shape == ("m", "m") and r.typed.ties == ()
    a = {**VALUES, "W": np.arange(1.0, 1.0 + VALUES["Y"].size).reshape(VALUES["Y"].shape) / 7}
    got = np.asarray(r.evaluate(**a), dtype=float)
    fd.assert_close(got, fd.reference(ref, a, "W"), 1e-5, what=f"{expr}: {r.text}")
    again = md.evaluate(r.text, vars=VARS, shape=got.shape, **a)
    assert np.allclose(np.asarray(again, dtype=float).reshape(got.shape), got, atol=1e-9), r.text


# Code mode, case 20 (seed 0, depth 4): the Hessian of z/(1 + norm2(x - x)^2) prints 0, but its
# index terms were evaluated and compiled as they were built, through norm2(x - x)^-1: r.evaluate
# raised "division by zero" and the compiled code gave NaN.  Both now use the terms as printed.
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_identically_zero_index_form_evaluates_and_compiles_to_zero(backend):
    if backend == "torch":
        pytest.importorskip("torch")
    expr = "z/(1 + norm2(x - x)^2)"
    ref = lambda a: a["z"] / (1 + np.linalg.norm(a["x"] - a["x"]) ** 2)  # noqa: E731
    r, got = _derive(expr, "x", ref, order=2)
    assert r.text == "0" and got.shape == (2, 4, 4)
    _read_back(r, got)
    f = md.compile(expr, wrt="x", vars=VARS, order=2, backend=backend)
    hess = f(x=VALUES["x"], z=VALUES["z"])[-1]
    hess = np.asarray(hess.detach().numpy() if hasattr(hess, "detach") else hess, dtype=float)
    want = fd.reference(ref, VALUES, ["x", "x"], h=2e-3)
    fd.assert_close(hess, want, 2e-4, what=f"compiled ({backend}) Hessian of {expr}")


# Code mode, case 30 (seed 1, depth 6): a number to a number's power, 3^tanh(0.5), was compiled
# as torch.pow(3, 0.46...), which torch refuses (TypeError: no tensor); it is folded now.
@pytest.mark.parametrize("backend", ["numpy", "jax", "torch"])
def test_a_number_to_a_number_power_compiles(backend):
    pytest.importorskip(backend)
    expr = "3^tanh(0.5)*beta + 2^beta"
    ref = lambda a: 3 ** np.tanh(0.5) * a["beta"] + 2 ** a["beta"]  # noqa: E731
    _derive(expr, "beta", ref)
    f = md.compile(expr, wrt="beta", vars=VARS, backend=backend)
    value, grad = (float(np.asarray(v.detach() if hasattr(v, "detach") else v)) for v in f(beta=VALUES["beta"]))
    assert value == pytest.approx(ref(VALUES), rel=1e-6)
    assert grad == pytest.approx(float(fd.reference(ref, VALUES, "beta")), rel=1e-5)


# Seed 2, case 289 (depth 6), made small: tr(Z + s) broadcasts s over the p×p Z, so its
# Hessian by A carries tr(ones*ones') = p, an index summed over constant entries only.  The
# index text dropped that count with the constant atom (8*... instead of 8*...*tr(I(p))^2),
# while r.evaluate was right.
@pytest.mark.parametrize("expr, ref", [
    ("tr(Z + x'*A'*A*x)^2", lambda a: (np.trace(a["Z"]) + 2 * a["x"] @ a["A"].T @ a["A"] @ a["x"]) ** 2),
    ("sum(Z + x'*A'*A*x)*alpha", lambda a: np.sum(a["Z"] + a["x"] @ a["A"].T @ a["A"] @ a["x"]) * a["alpha"]),
])
def test_index_summed_over_constant_entries_keeps_its_count(expr, ref):
    _read_back(*_derive(expr, "A", ref, order=2))


@pytest.mark.parametrize("expr, wrt, order, ref, sized", UNSIZED)
def test_constant_in_kron_or_norm_compiles(expr, wrt, order, ref, sized, dense_backend):
    """The same cases compiled in each backend, against finite differences of the original."""
    from support.backends import as_backend
    name = dense_backend
    c = md.compile(expr, wrt=wrt, vars=VARS, backend=name, order=order)
    out = c(**as_backend({p: VALUES[p] for p in c.params}, name))
    want = fd.reference(ref, VALUES, [wrt] * order, h=1e-3 if order == 1 else 2e-3)
    fd.assert_close(np.asarray(out[-1], dtype=float), want, 1e-5 if order == 1 else 2e-4,
                    what=f"{name}: {expr} d/d{wrt}")
