"""Results that came out in index notation on the depth-6 fuzz and now have a closed form
(issue 12: at least 99% of the results with at most two indices in closed matrix form).

- softmax (over all entries) on a vec index reads back as softmax of the unvec'd matrix:
  ``d logsumexp(K(m,n)*vec(A))/dA = softmax(A)``;
- terms that cancel in index notation are the zero matrix, not an index form "0".

Each case: ``r.evaluate`` against central finite differences of the original expression,
the printed form evaluated again by ``md.evaluate``, and the closed form asserted.
"""
import numpy as np
import pytest

import matdiff as md
from matdiff import expr as E
from support import fd
from support.closed_forms import Case, check_generated_code, check_no_longer_than_form, \
    check_value_and_printed_form

M, N, P = 3, 4, 2


def kmat(a: int, b: int) -> np.ndarray:
    """K(a,b): K(a,b)*vec(Q) = vec(Q') for Q a×b."""
    k = np.zeros((a * b, a * b))
    for i in range(a):
        for j in range(b):
            k[i * b + j, j * a + i] = 1.0
    return k


def vec(x):
    return np.asarray(x).reshape(-1, order="F")


def lse(v):
    return float(np.log(np.sum(np.exp(v))))


A = {"A": ("matrix(m,n)", (M, N))}
SX = {"S": ("matrix(n,n)", (N, N)), "x": ("vector(n)", (N,))}
SOFTMAX = [
    Case("lse-vec", "logsumexp(vec(A))", "A", A, lambda v: lse(vec(v["A"])), "softmax(A)"),
    Case("lse-K-vec", "logsumexp(K(m,n)*vec(A))", "A", A,
         lambda v: lse(kmat(M, N) @ vec(v["A"])), "softmax(A)"),
    Case("lse-K'-vec", "logsumexp(K(n,m)'*vec(A))", "A", A,
         lambda v: lse(kmat(N, M).T @ vec(v["A"])), "softmax(A)"),
    Case("lse-K-vec-scaled", "logsumexp(K(m,n)*vec(A))/(1 + alpha^2)", "A",
         {**A, "alpha": ("scalar", ())}, lambda v: lse(kmat(M, N) @ vec(v["A"])) / (1 + v["alpha"] ** 2),
         "softmax(A)/(1 + alpha^2)"),
    Case("lse-K-vec-by-x", "logsumexp(K(n,n)*vec(diag(x)*S))", "x", SX,
         lambda v: lse(kmat(N, N) @ vec(np.diag(v["x"]) @ v["S"])),
         "(S .* softmax(S'*diag(x))')*ones"),
]


@pytest.mark.parametrize("c", SOFTMAX, ids=[c.id for c in SOFTMAX])
def test_softmax_on_a_vec_index_is_closed(c):
    check_value_and_printed_form(c)
    r = md.derivative(c.expr, wrt=c.wrt, vars=c.vars)
    assert not r.text.startswith("T") and "δ" not in r.text and "softmax(" in r.text, r.text
    check_no_longer_than_form(c)


@pytest.mark.parametrize("c", SOFTMAX[:2], ids=[c.id for c in SOFTMAX[:2]])
def test_softmax_on_a_vec_index_compiled(c):
    check_generated_code(c)


def test_softmax_of_a_vec_index_prints_softmax_of_the_matrix():
    r = md.derivative("logsumexp(K(m,n)*vec(A))", wrt="A", vars={"A": "matrix(m,n)"})
    assert r.text == "softmax(A)"


# tr(K(m,p)*kron(P, Q)) with P m×p reads K's vec index in another factorisation (mixed
# radix) than kron's, so its terms stay in index notation; here they cancel.
C = {"C": ("matrix(p,m)", (P, M))}
ZERO = [
    Case("tr-K-kron-zero", "tr(K(m,p)*kron(C' - C', C))", "C", C,
         lambda v: float(np.trace(kmat(M, P) @ np.kron(v["C"].T - v["C"].T, v["C"]))), "0"),
    Case("sigmoid-tr-K-kron-zero", "sigmoid(tr(K(m,p)*kron(C' - C', C)))", "C", C,
         lambda v: 1 / (1 + np.exp(-np.trace(kmat(M, P) @ np.kron(0 * v["C"].T, v["C"])))), "0"),
]


@pytest.mark.parametrize("c", ZERO, ids=[c.id for c in ZERO])
@pytest.mark.parametrize("layout", ["mixed", "numerator", "denominator"])
def test_terms_that_cancel_in_index_notation_are_the_zero_matrix(c, layout):
    check_value_and_printed_form(c)
    r = md.derivative(c.expr, wrt=c.wrt, vars=c.vars, layout=layout)
    assert r.expr is not None and E.is_zero(r.expr), r.text
    assert not r.text.startswith("T") and "δ" not in r.text
    inputs = c.inputs()
    want = fd.reference(c.ref, inputs, c.wrt, layout)
    got = r.evaluate(**inputs)
    assert np.shape(got) == np.shape(want) and not np.any(got)
    assert np.max(np.abs(want)) < 1e-8      # the finite differences agree it is zero


def test_terms_that_do_not_cancel_stay_in_index_notation():
    """The same trace with a non-zero first factor has no closed form (mixed radix)."""
    r = md.derivative("tr(K(m,p)*kron(C', C))", wrt="C", vars={"C": "matrix(p,m)"})
    assert r.expr is None and r.text.startswith("T[")


# An index in three places (two matrices and the result, or three matrices) beside an index
# summed nowhere else: summed first, that index's ones ends a chain the shared index absorbs,
# B[j,a]*M[i,j] = (M*diag(B*ones))[i,j].  Shrunk from seed-0 depth-6 fuzz cases 5791, 2916,
# 14, 5550, 1002 and 13.
DANGLING = [
    Case("hadamard-chain-sum", "sum((A .* (Y*A))*B)", "A",
         {"A": ("matrix(m,n)", (M, N)), "Y": ("matrix(m,m)", (M, M)), "B": ("matrix(n,p)", (N, P))},
         lambda v: np.sum((v["A"] * (v["Y"] @ v["A"])) @ v["B"]), "(Y + Y')*A*diag(B*ones)"),
    Case("product-hadamard-sum", "sum(((Z*C) .* C)*A)", "C",
         {"Z": ("matrix(p,p)", (P, P)), "C": ("matrix(p,m)", (P, M)), "A": ("matrix(m,n)", (M, N))},
         lambda v: np.sum(((v["Z"] @ v["C"]) * v["C"]) @ v["A"]), "(Z + Z')*C*diag(A*ones)"),
    Case("square-inside-sum", "sum(S*(ones + (S*A').^2))", "A",
         {"S": ("matrix(n,n)", (N, N)), "A": ("matrix(m,n)", (M, N))},
         lambda v: np.sum(v["S"] @ (1 + (v["S"] @ v["A"].T) ** 2)), "2*A*S'*diag(S'*ones)*S"),
    Case("by-a-scalar", "sum(C'*((C*(C' - C'/alpha)) .* Z))", "alpha",
         {"C": ("matrix(p,m)", (P, M)), "Z": ("matrix(p,p)", (P, P)), "alpha": ("scalar", ())},
         lambda v: np.sum(v["C"].T @ ((v["C"] @ (v["C"].T - v["C"].T / v["alpha"])) * v["Z"])),
         "tr(C'*diag(C*ones)*Z*C)/alpha^2", gen={"alpha": fd.away_from_zero}),
    Case("traces-beside", "tr(kron(D*sum((A' .* (B*C))*C'), X))", "B",
         {"D": ("matrix(m,m)", (M, M)), "A": ("matrix(m,n)", (M, N)), "B": ("matrix(n,p)", (N, P)),
          "C": ("matrix(p,m)", (P, M)), "X": ("matrix(n,n)", (N, N))},
         lambda v: np.trace(np.kron(v["D"] * np.sum((v["A"].T * (v["B"] @ v["C"])) @ v["C"].T), v["X"])),
         "tr(D)*tr(X)*A'*diag(C'*ones)*C'"),
]


@pytest.mark.parametrize("c", DANGLING, ids=[c.id for c in DANGLING])
def test_an_index_summed_nowhere_else_is_summed_before_a_shared_one(c):
    check_value_and_printed_form(c)
    r = md.derivative(c.expr, wrt=c.wrt, vars=c.vars)
    assert "[" not in r.text and "δ" not in r.text, r.text
    check_no_longer_than_form(c)
    check_generated_code(c)


def test_an_index_summed_nowhere_else_prints_as_a_diag_of_ones():
    r = md.derivative("sum((A .* (Y*A))*B)", wrt="A", vars={k: v[0] for k, v in DANGLING[0].decls.items()})
    assert r.text == "(Y + Y')*A*diag(B*ones)"


# A move of to_matrix/hadamard.py, on index terms written out: parts of the graph in
# parallel between one index pair are the Hadamard product of their matrices.
SIZES = {"i": 3, "p": 4, "a": 2, "b": 3, "c": 5, "d": 2}


def _translate(spec: str, free: tuple):
    """A product of factors like "A[i,a] P[a,b]" as one index term (each name a matrix or
    vector variable of the sizes of its indices), its matrix form, and random values."""
    from matdiff.index.tensor import Term, atom
    from matdiff.to_matrix import term_to_matrix
    rng = np.random.default_rng(3)
    factors, values = [], {}
    for part in spec.split():
        name, idx = part[:-1].split("[")
        idx = tuple(idx.split(","))
        shape = (SIZES[idx[0]], SIZES[idx[1]]) if len(idx) == 2 else (SIZES[idx[0]], 1)
        factors.append(atom(E.Var(name, shape), idx))
        values[name] = rng.standard_normal(shape if len(idx) == 2 else shape[:1])
    from matdiff.simplify import simplify
    m = simplify(term_to_matrix(Term(1, tuple(factors)), free, dict(SIZES)))
    return m, values


def _einsum(spec: str, free: str, values: dict):
    names = [p.split("[")[0] for p in spec.split()]
    subs = [p.split("[")[1][:-1].replace(",", "") for p in spec.split()]
    return np.einsum(",".join(subs) + "->" + free, *(values[n] for n in names))


@pytest.mark.parametrize("spec,free,text", [
    # i-a ... c-p with two paths a-b-c and a-d-c between a and c
    ("A[i,a] P[a,b] M[c,b] N[a,d] Q[c,d] B[c,p]", ("i", "p"), "A*((N*Q') .* (P*M'))*B"),
    # the same with vectors on the inner indices (a Hessian's shape: fuzz case 5301)
    ("A[i,a] P[a,b] v[b] M[c,b] N[a,d] w[d] Q[c,d] B[c,p]", ("i", "p"),
     "A*((N*diag(w)*Q') .* (P*diag(v)*M'))*B"),
])
def test_parts_in_parallel_between_two_indices_are_a_hadamard_product(spec, free, text):
    m, values = _translate(spec, free)
    from matdiff.render.text import to_text
    got = md.evaluate(to_text(m), **values)
    fd.assert_close(got, _einsum(spec, "".join(free), values), 1e-10, what=to_text(m))
    assert to_text(m) == text


def _softplus(x):
    return np.log1p(np.exp(x))


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# Hessians by a vector whose terms hold such parallel parts (shrunk from seed-0 depth-6 fuzz
# cases 5301, 1751 and 1390)
HESSIANS = [
    Case("logdet-softplus", "logdet(softplus(A'*(u*z')*C)'*softplus(A'*(u*z')*C) + eye)", "u",
         {"A": ("matrix(m,n)", (M, N)), "u": ("vector(m)", (M,)), "z": ("vector(p)", (P,)),
          "C": ("matrix(p,m)", (P, M))},
         lambda v: np.linalg.slogdet(_softplus(v["A"].T @ np.outer(v["u"], v["z"]) @ v["C"]).T
                                     @ _softplus(v["A"].T @ np.outer(v["u"], v["z"]) @ v["C"])
                                     + np.eye(M))[1], order=2),
    Case("norm2-sigmoid-kron", "norm2(A'*sigmoid(C'*kron(z, y')))", "z",
         {"A": ("matrix(m,n)", (M, N)), "C": ("matrix(p,m)", (P, M)), "z": ("vector(p)", (P,)),
          "y": ("vector(n)", (N,))},
         lambda v: np.linalg.norm(v["A"].T @ _sigmoid(v["C"].T @ np.outer(v["z"], v["y"]))), order=2),
    Case("det-hadamard-kron", "det((kron(y, (Z*z)') .* B)'*(kron(y, (Z*z)') .* B) + I)", "z",
         {"y": ("vector(n)", (N,)), "Z": ("matrix(p,p)", (P, P)), "z": ("vector(p)", (P,)),
          "B": ("matrix(n,p)", (N, P))},
         lambda v: np.linalg.det((np.outer(v["y"], v["Z"] @ v["z"]) * v["B"]).T
                                 @ (np.outer(v["y"], v["Z"] @ v["z"]) * v["B"]) + np.eye(P)), order=2),
]


@pytest.mark.parametrize("c", HESSIANS, ids=[c.id for c in HESSIANS])
def test_hessians_with_parallel_parts_are_closed(c):
    check_value_and_printed_form(c)
    r = md.derivative(c.expr, wrt=c.wrt, vars=c.vars, order=2)
    assert "[" not in r.text and "δ" not in r.text and " .* " in r.text, r.text


# A negative power of the identity is the identity (I^k = I for every integer k), as its
# positive powers and inv(I) already were.
IDENTITY_POWERS = [
    Case("identity-power-quadratic", "x'*(I^-2 + A'*A)*x", "x",
         {"x": ("vector(n)", (N,)), "A": ("matrix(m,n)", (M, N))},
         lambda v: v["x"] @ (np.eye(N) + v["A"].T @ v["A"]) @ v["x"], "2*(I + A'*A)*x"),
    Case("identity-power-alone", "x'*I^-2*x", "x", {"x": ("vector(n)", (N,))},
         lambda v: v["x"] @ v["x"], "2*x"),
]


@pytest.mark.parametrize("c", IDENTITY_POWERS, ids=[c.id for c in IDENTITY_POWERS])
def test_a_negative_power_of_the_identity_is_the_identity(c):
    check_value_and_printed_form(c)
    r = md.derivative(c.expr, wrt=c.wrt, vars=c.vars)
    assert r.text == c.form and "^-" not in r.text
