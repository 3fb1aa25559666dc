"""Every operator and function of LANGUAGE.md §1, differentiated, against finite differences.

Each case is an expression, a variable, declarations with DISTINCT
dimensions (m=3, n=4, p=2, q=5: a missing or extra transpose cannot pass),
inputs kept in the function's domain, and a NumPy reference of the
expression.  For each case:

* ``r.evaluate(**inputs)`` equals the finite-difference derivative of the
  reference, presented in the layout (LANGUAGE.md §3);
* ``md.evaluate(r.text, vars=..., **inputs)`` equals ``r.evaluate(...)``:
  the printed closed form (or index form) is itself right.

The rules are checked in the default layout (mixed) for every case and in
numerator and denominator for every case whose presentation differs.
"""
from __future__ import annotations

import numpy as np
import pytest

from support import fd
from support.reference import expm
import matdiff as md

M, N, P, Q = 3, 4, 2, 5


def sig(v):
    return 1.0 / (1.0 + np.exp(-np.asarray(v, dtype=float)))


def relu(v):
    return np.maximum(np.asarray(v, dtype=float), 0.0)


def inv(a):
    return np.linalg.inv(a)


def adj_ref(a):
    """The adjugate from its definition, the transposed cofactors (defined where a is singular)."""
    n = a.shape[0]
    minor = lambda i, j: np.delete(np.delete(a, i, 0), j, 1)  # noqa: E731
    return np.array([[(-1) ** (i + j) * np.linalg.det(minor(j, i)) for j in range(n)] for i in range(n)])


def vecm(a):
    return np.asarray(a).reshape(-1, order="F")


# Inputs: name -> generator(rng).  Default generators by declaration.
g, pos, small, afz = fd.gauss, fd.positive, fd.small, fd.away_from_zero

DECLS = {
    "alpha": "scalar", "beta": "scalar", "t": "scalar",
    "x": "vector(n)", "y": "vector(p)", "u": "vector(m)", "v": "vector(n)", "w": "vector(p)",
    "A": "matrix(m,n)", "B": "matrix(m,p)", "C": "matrix(n,m)", "D": "matrix(n,p)",
    "E": "matrix(p,m)", "F": "matrix(p,q)",
    "X": "matrix(n,n)", "K": "matrix(n,n)", "Y": "matrix(m,m)",
    "S": "matrix(n,n) spd", "H": "matrix(n,n) symmetric",
}
SIZES = {"m": M, "n": N, "p": P, "q": Q}


def default_input(rng, name):
    spec = DECLS[name].split()
    kind = spec[0]
    if kind == "scalar":
        return afz(rng, lo=0.3)
    dims = [SIZES[d] for d in kind[kind.index("(") + 1:-1].split(",")]
    if "spd" in spec:
        return fd.spd(rng, dims[0])
    if "symmetric" in spec:
        return fd.symmetric(rng, dims[0])
    return g(rng, *dims)


class Case:
    def __init__(self, id, expr, wrt, ref, inputs=None, vars=None, tol=None):
        self.id, self.expr, self.wrt, self.ref = id, expr, wrt, ref
        self.gen = inputs or {}
        names = set(self.gen) | {k for k in DECLS if _uses(expr, k)} | {wrt}
        self.vars = vars if vars is not None else {k: DECLS[k] for k in sorted(names) if k in DECLS}
        self.tol = tol or fd.TOLS[1]

    def inputs(self, seed=0):
        rng = np.random.default_rng(seed)
        out = {}
        for name in sorted(self.vars):
            out[name] = self.gen[name](rng) if name in self.gen else default_input(rng, name)
        return out

    def param(self, marks=()):
        return pytest.param(self, id=self.id, marks=list(marks))


def _uses(expr, name):
    import re
    return re.search(rf"(?<![A-Za-z_0-9]){re.escape(name)}(?![A-Za-z_0-9])", expr) is not None


def xfail(reason):
    return pytest.mark.xfail(strict=True, reason=reason)


C_ = Case  # short
CASES = [
    # ---- + and - -----------------------------------------------------------------
    C_("add-vec-wrt-x", "A*x + B*y", "x", lambda a: a["A"] @ a["x"] + a["B"] @ a["y"]),
    C_("add-vec-wrt-y", "A*x + B*y", "y", lambda a: a["A"] @ a["x"] + a["B"] @ a["y"]),
    C_("add-mat", "tr(C*(A + u*x'))", "A", lambda a: np.trace(a["C"] @ (a["A"] + np.outer(a["u"], a["x"])))),
    C_("add-mat-outer-wrt-x", "tr(C*(A + u*x'))", "x",
       lambda a: np.trace(a["C"] @ (a["A"] + np.outer(a["u"], a["x"])))),
    C_("sub-vec", "A*x - B*y", "y", lambda a: a["A"] @ a["x"] - a["B"] @ a["y"]),
    C_("sub-mat", "u'*(A - B*D')*v", "D", lambda a: a["u"] @ (a["A"] - a["B"] @ a["D"].T) @ a["v"]),
    C_("unary-plus", "+(A*x)", "x", lambda a: a["A"] @ a["x"]),
    # ---- products ----------------------------------------------------------------
    C_("matmul-left", "u'*A*C*u", "A", lambda a: a["u"] @ a["A"] @ a["C"] @ a["u"]),
    C_("matmul-right", "u'*A*C*u", "C", lambda a: a["u"] @ a["A"] @ a["C"] @ a["u"]),
    C_("matmul-middle", "tr(E*A*D)", "A", lambda a: np.trace(a["E"] @ a["A"] @ a["D"])),
    C_("matmul-vec", "A*x", "x", lambda a: a["A"] @ a["x"]),
    C_("matmul-chain-vec", "E*A*x", "x", lambda a: a["E"] @ a["A"] @ a["x"]),
    C_("matvec-wrt-vec-left", "A'*u", "u", lambda a: a["A"].T @ a["u"]),
    C_("scaling-wrt-scalar-vec", "alpha*(A*x)", "alpha", lambda a: a["alpha"] * (a["A"] @ a["x"])),
    C_("scaling-wrt-vec", "alpha*A*x", "x", lambda a: a["alpha"] * (a["A"] @ a["x"])),
    C_("scaling-right", "(A*x)*alpha", "alpha", lambda a: (a["A"] @ a["x"]) * a["alpha"]),
    C_("scaling-wrt-scalar-mat", "alpha*A", "alpha", lambda a: a["alpha"] * a["A"]),
    C_("scaling-mat-wrt-mat", "u'*(alpha*A)*x", "A", lambda a: a["u"] @ (a["alpha"] * a["A"]) @ a["x"]),
    C_("scaling-scalar-product", "alpha*beta", "beta", lambda a: a["alpha"] * a["beta"]),
    C_("scaling-by-inner", "(x'*v)*u", "x", lambda a: (a["x"] @ a["v"]) * a["u"]),
    C_("inner", "x'*v", "x", lambda a: a["x"] @ a["v"]),
    C_("inner-self", "x'*x", "x", lambda a: a["x"] @ a["x"]),
    C_("inner-weighted", "u'*A*x", "u", lambda a: a["u"] @ a["A"] @ a["x"]),
    C_("outer-in-scalar", "u'*(u*x')*v", "x", lambda a: a["u"] @ np.outer(a["u"], a["x"]) @ a["v"]),
    C_("outer-in-vec", "(u*x')*v", "u", lambda a: np.outer(a["u"], a["x"]) @ a["v"]),
    C_("outer-wrt-right-vec", "(u*x')*v", "x", lambda a: np.outer(a["u"], a["x"]) @ a["v"]),
    C_("outer-matrix-by-scalar", "alpha*u*x'", "alpha", lambda a: a["alpha"] * np.outer(a["u"], a["x"])),
    # ---- elementwise product and quotient ---------------------------------------
    C_("hadamard-vec", "(A*x) .* u", "x", lambda a: (a["A"] @ a["x"]) * a["u"]),
    C_("hadamard-vec-self", "x .* x", "x", lambda a: a["x"] * a["x"]),
    C_("hadamard-mat", "sum(A .* (u*x'))", "A", lambda a: np.sum(a["A"] * np.outer(a["u"], a["x"]))),
    C_("hadamard-mat-wrt-vec", "u'*(A .* (u*x'))*v", "x",
       lambda a: a["u"] @ (a["A"] * np.outer(a["u"], a["x"])) @ a["v"]),
    C_("hadamard-scalar-side", "alpha .* x", "alpha", lambda a: a["alpha"] * a["x"]),
    C_("hadamard-unicode", "u ⊙ (A*x)", "x", lambda a: a["u"] * (a["A"] @ a["x"])),
    C_("hdiv-num", "(A*x) ./ u", "x", lambda a: (a["A"] @ a["x"]) / a["u"], inputs={"u": lambda r: pos(r, M)}),
    C_("hdiv-den", "u ./ (A*x)", "x", lambda a: a["u"] / (a["A"] @ a["x"]),
       inputs={"A": lambda r: pos(r, M, N), "x": lambda r: pos(r, N)}),
    C_("hdiv-mat", "sum(A ./ (u*x'))", "x", lambda a: np.sum(a["A"] / np.outer(a["u"], a["x"])),
       inputs={"u": lambda r: pos(r, M), "x": lambda r: pos(r, N)}),
    C_("hdiv-mat-wrt-mat", "u'*(A ./ (u*x'))*v", "A",
       lambda a: a["u"] @ (a["A"] / np.outer(a["u"], a["x"])) @ a["v"],
       inputs={"u": lambda r: pos(r, M), "x": lambda r: pos(r, N)}),
    C_("hdiv-by-scalar", "x ./ alpha", "alpha", lambda a: a["x"] / a["alpha"]),
    # ---- / scalar ----------------------------------------------------------------
    C_("div-wrt-num", "(A*x)/alpha", "x", lambda a: (a["A"] @ a["x"]) / a["alpha"]),
    C_("div-wrt-den", "(A*x)/alpha", "alpha", lambda a: (a["A"] @ a["x"]) / a["alpha"]),
    C_("div-by-expr", "(A*x)/(x'*x)", "x", lambda a: (a["A"] @ a["x"]) / (a["x"] @ a["x"])),
    C_("div-mat-by-expr", "A/(u'*A*x)", "x", lambda a: a["A"] / (a["u"] @ a["A"] @ a["x"])),
    C_("div-scalar", "alpha/beta", "beta", lambda a: a["alpha"] / a["beta"]),
    C_("div-literal", "x'*x/2", "x", lambda a: a["x"] @ a["x"] / 2),
    # ---- unary minus ------------------------------------------------------------------
    C_("neg-vec", "-A*x", "x", lambda a: -(a["A"] @ a["x"])),
    C_("neg-power-precedence", "-alpha^2", "alpha", lambda a: -(a["alpha"] ** 2)),
    C_("neg-mat", "u'*(-A)*x", "A", lambda a: a["u"] @ (-a["A"]) @ a["x"]),
    # ---- scalar power ------------------------------------------------------------------
    C_("pow-scalar-var", "alpha^3", "alpha", lambda a: a["alpha"] ** 3),
    C_("pow-inner", "(x'*v)^3", "x", lambda a: (a["x"] @ a["v"]) ** 3),
    C_("pow-negative-literal", "(x'*x)^-1", "x", lambda a: (a["x"] @ a["x"]) ** -1),
    C_("pow-fractional", "(x'*x)^0.5", "x", lambda a: (a["x"] @ a["x"]) ** 0.5),
    C_("pow-neg-fractional", "(x'*x)^-1.5", "x", lambda a: (a["x"] @ a["x"]) ** -1.5),
    # a scalar expression as exponent: pow(u, v), written u^v or u.^v (u > 0)
    C_("varpow-by-exponent", "alpha^beta", "beta", lambda a: a["alpha"] ** a["beta"],
       inputs={"alpha": lambda r: pos(r)}),
    C_("varpow-by-base", "alpha^beta", "alpha", lambda a: a["alpha"] ** a["beta"],
       inputs={"alpha": lambda r: pos(r)}),
    C_("varpow-elementwise-by-exponent", "x.^(beta - 1)", "beta", lambda a: a["x"] ** (a["beta"] - 1),
       inputs={"x": lambda r: pos(r, N)}),
    C_("varpow-elementwise-by-base", "A.^beta", "A", lambda a: a["A"] ** a["beta"],
       inputs={"A": lambda r: pos(r, M, N)}),
    C_("varpow-called", "sum(pow(x, beta))", "x", lambda a: np.sum(a["x"] ** a["beta"]),
       inputs={"x": lambda r: pos(r, N)}),
    C_("varpow-exponent-expression", "alpha^(x'*v)", "x", lambda a: a["alpha"] ** (a["x"] @ a["v"]),
       inputs={"alpha": lambda r: pos(r)}),
    # ---- matrix power ------------------------------------------------------------------
    C_("matpow-2", "u'*Y^2*u", "Y", lambda a: a["u"] @ a["Y"] @ a["Y"] @ a["u"]),
    C_("matpow-3-trace", "tr(X^3)", "X", lambda a: np.trace(np.linalg.matrix_power(a["X"], 3))),
    C_("matpow-3-weighted", "tr(K*X^3)", "X", lambda a: np.trace(a["K"] @ np.linalg.matrix_power(a["X"], 3))),
    C_("matpow-vec", "X^2*x", "x", lambda a: a["X"] @ a["X"] @ a["x"]),
    C_("matpow-neg1", "tr(K*X^-1)", "X", lambda a: np.trace(a["K"] @ inv(a["X"])),
       inputs={"X": lambda r: fd.well_conditioned(r, N)}),
    C_("matpow-neg2", "v'*X^-2*x", "X", lambda a: a["v"] @ np.linalg.matrix_power(inv(a["X"]), 2) @ a["x"],
       inputs={"X": lambda r: fd.well_conditioned(r, N)}),
    C_("matpow-0", "v'*X^0*x", "X", lambda a: a["v"] @ a["x"] + 0 * np.sum(a["X"])),
    C_("matpow-1", "v'*X^1*x", "X", lambda a: a["v"] @ a["X"] @ a["x"]),
    # ---- elementwise power -------------------------------------------------------------
    C_("epow-3", "x .^ 3", "x", lambda a: a["x"] ** 3),
    C_("epow-2-mat", "sum(A .^ 2)", "A", lambda a: np.sum(a["A"] ** 2)),
    C_("epow-half", "(A*x) .^ 0.5", "x", lambda a: (a["A"] @ a["x"]) ** 0.5,
       inputs={"A": lambda r: pos(r, M, N), "x": lambda r: pos(r, N)}),
    C_("epow-neg", "v'*(x .^ -1)", "x", lambda a: a["v"] @ (a["x"] ** -1.0), inputs={"x": lambda r: pos(r, N)}),
    C_("epow-neg-mat", "u'*(A .^ -2)*x", "A", lambda a: a["u"] @ (a["A"] ** -2.0) @ a["x"],
       inputs={"A": lambda r: pos(r, M, N)}),
    # ---- transpose ------------------------------------------------------------------
    C_("transpose-var", "u'*C'*x", "C", lambda a: a["u"] @ a["C"].T @ a["x"]),
    C_("transpose-expr", "x'*(A'*B)*y", "A", lambda a: a["x"] @ (a["A"].T @ a["B"]) @ a["y"]),
    C_("transpose-dot-T", "u.T*C.T*x", "x", lambda a: a["u"] @ a["C"].T @ a["x"]),
    C_("transpose-vec-result", "(u'*A)'", "u", lambda a: a["A"].T @ a["u"]),
    C_("transpose-mat-by-scalar", "(alpha*A)'", "alpha", lambda a: (a["alpha"] * a["A"]).T),
    # ---- tr, det, logdet, inv -------------------------------------------------------
    C_("tr-var", "tr(X)", "X", lambda a: np.trace(a["X"])),
    C_("tr-product", "tr(A*C)", "A", lambda a: np.trace(a["A"] @ a["C"])),
    C_("tr-product-right", "tr(A*C)", "C", lambda a: np.trace(a["A"] @ a["C"])),
    C_("tr-quadratic", "tr(A*K*A')", "A", lambda a: np.trace(a["A"] @ a["K"] @ a["A"].T)),
    C_("det-var", "det(X)", "X", lambda a: np.linalg.det(a["X"]),
       inputs={"X": lambda r: fd.well_conditioned(r, N)}),
    C_("det-product", "det(A*K*C)", "K", lambda a: np.linalg.det(a["A"] @ a["K"] @ a["C"]),
       inputs={"K": lambda r: fd.well_conditioned(r, N)}),
    C_("det-product-wrt-A", "det(A*K*C)", "A", lambda a: np.linalg.det(a["A"] @ a["K"] @ a["C"]),
       inputs={"K": lambda r: fd.well_conditioned(r, N)}),
    C_("det-singular", "det(X)", "X", lambda a: np.linalg.det(a["X"]),
       inputs={"X": lambda r: g(r, N, N - 1) @ g(r, N - 1, N)}),     # rank n-1: det' = adj(X)' is not 0
    C_("adj-singular-value", "tr(K*adj(X))", "K", lambda a: np.trace(a["K"] @ adj_ref(a["X"])),
       inputs={"X": lambda r: g(r, N, N - 1) @ g(r, N - 1, N)}),
    C_("adj-trace", "tr(K*adj(X))", "X", lambda a: np.trace(a["K"] @ (np.linalg.det(a["X"]) * inv(a["X"]))),
       inputs={"X": lambda r: fd.well_conditioned(r, N)}),
    C_("adj-vec", "adj(X)*x", "x", lambda a: np.linalg.det(a["X"]) * inv(a["X"]) @ a["x"],
       inputs={"X": lambda r: fd.well_conditioned(r, N)}),
    C_("logsumexp-vec", "logsumexp(A*x)", "x", lambda a: np.log(np.sum(np.exp(a["A"] @ a["x"])))),
    C_("logsumexp-mat", "logsumexp(X)", "X", lambda a: np.log(np.sum(np.exp(a["X"])))),
    C_("softmax-jacobian", "softmax(x)", "x", lambda a: np.exp(a["x"]) / np.sum(np.exp(a["x"]))),
    C_("softmax-weighted", "u'*softmax(A*x)", "A",
       lambda a: a["u"] @ (np.exp(a["A"] @ a["x"]) / np.sum(np.exp(a["A"] @ a["x"])))),
    C_("logdet-spd", "logdet(S)", "S", lambda a: np.log(np.linalg.det(a["S"]))),
    C_("logdet-nonsym", "logdet(X)", "X", lambda a: np.log(np.linalg.det(a["X"])),
       inputs={"X": lambda r: fd.well_conditioned(r, N)}),
    C_("logdet-gram", "logdet(D'*S*D)", "D", lambda a: np.log(np.linalg.det(a["D"].T @ a["S"] @ a["D"]))),
    C_("logdet-gram-wrt-S", "logdet(D'*S*D)", "S", lambda a: np.log(np.linalg.det(a["D"].T @ a["S"] @ a["D"]))),
    C_("inv-bilinear", "v'*inv(X)*x", "X", lambda a: a["v"] @ inv(a["X"]) @ a["x"],
       inputs={"X": lambda r: fd.well_conditioned(r, N)}),
    C_("inv-trace", "tr(K*inv(X))", "X", lambda a: np.trace(a["K"] @ inv(a["X"])),
       inputs={"X": lambda r: fd.well_conditioned(r, N)}),
    C_("inv-vec", "inv(X)*x", "x", lambda a: inv(a["X"]) @ a["x"],
       inputs={"X": lambda r: fd.well_conditioned(r, N)}),
    C_("inv-quadratic-spd", "x'*inv(S)*x", "x", lambda a: a["x"] @ inv(a["S"]) @ a["x"]),
    C_("inv-quadratic-wrt-spd", "x'*inv(S)*x", "S", lambda a: a["x"] @ inv(a["S"]) @ a["x"]),
    C_("inv-gram", "tr(inv(D'*S*D))", "D", lambda a: np.trace(inv(a["D"].T @ a["S"] @ a["D"]))),
    # ---- diag both ways ------------------------------------------------------------
    C_("diag-vec-to-mat", "u'*C'*diag(x)*v", "x", lambda a: a["u"] @ a["C"].T @ np.diag(a["x"]) @ a["v"]),
    C_("diag-vec-times-vec", "diag(x)*v", "x", lambda a: np.diag(a["x"]) @ a["v"]),
    C_("diag-vec-in-product", "u'*A*diag(x)*C*u", "x", lambda a: a["u"] @ a["A"] @ np.diag(a["x"]) @ a["C"] @ a["u"]),
    C_("diag-trace", "tr(K*diag(x))", "x", lambda a: np.trace(a["K"] @ np.diag(a["x"]))),
    C_("diag-mat-to-vec", "diag(X)'*x", "X", lambda a: np.diag(a["X"]) @ a["x"]),
    C_("diag-mat-to-vec-product", "u'*diag(A*C)", "A", lambda a: a["u"] @ np.diag(a["A"] @ a["C"])),
    C_("diag-mat-to-vec-jacobian", "diag(C*u*x')", "x", lambda a: np.diag(a["C"] @ np.outer(a["u"], a["x"]))),
    C_("diag-diag", "sum(diag(diag(x)*X))", "x", lambda a: np.sum(np.diag(np.diag(a["x"]) @ a["X"]))),
    # ---- sum ------------------------------------------------------------------------
    C_("sum-vec", "sum(x)", "x", lambda a: np.sum(a["x"])),
    C_("sum-matvec", "sum(A*x)", "x", lambda a: np.sum(a["A"] @ a["x"])),
    C_("sum-mat", "sum(A)", "A", lambda a: np.sum(a["A"])),
    C_("sum-mat-product", "sum(A*D)", "D", lambda a: np.sum(a["A"] @ a["D"])),
    C_("sum-scalar", "sum(alpha)", "alpha", lambda a: a["alpha"]),
    # ---- norm2 --------------------------------------------------------------------
    C_("norm2-vec", "norm2(A*x - u)", "x", lambda a: np.linalg.norm(a["A"] @ a["x"] - a["u"])),
    C_("norm2-vec-wrt-u", "norm2(A*x - u)", "u", lambda a: np.linalg.norm(a["A"] @ a["x"] - a["u"])),
    C_("norm2-squared", "norm2(x)^2", "x", lambda a: np.linalg.norm(a["x"]) ** 2),
    C_("norm2-frobenius", "norm2(A*D - B)", "D", lambda a: np.linalg.norm(a["A"] @ a["D"] - a["B"])),
    C_("norm2-frobenius-var", "norm2(A)", "A", lambda a: np.linalg.norm(a["A"])),
    C_("norm2-frobenius-squared", "norm2(A*D - B)^2", "A", lambda a: np.linalg.norm(a["A"] @ a["D"] - a["B"]) ** 2),
    C_("norm-alias", "norm(x)", "x", lambda a: np.linalg.norm(a["x"])),
    # ---- norm1 --------------------------------------------------------------------
    C_("norm1-vec", "norm1(x)", "x", lambda a: np.sum(np.abs(a["x"])), inputs={"x": lambda r: afz(r, N)}),
    C_("norm1-affine", "norm1(A*x - u)", "x", lambda a: np.sum(np.abs(a["A"] @ a["x"] - a["u"]))),
    C_("norm1-mat", "norm1(A)", "A", lambda a: np.sum(np.abs(a["A"])), inputs={"A": lambda r: afz(r, M, N)}),
    # ---- vec and kron as constants -------------------------------------------------------
    C_("vec-const", "vec(A)'*z", "z", lambda a: vecm(a["A"]) @ a["z"],
       vars={"A": "matrix(m,n)", "z": "vector(k)"}, inputs={"z": lambda r: g(r, M * N)}),
    C_("vec-const-right", "z'*vec(A)", "z", lambda a: a["z"] @ vecm(a["A"]),
       vars={"A": "matrix(m,n)", "z": "vector(k)"}, inputs={"z": lambda r: g(r, M * N)}),
    C_("vec-const-jacobian", "vec(A)*alpha", "alpha", lambda a: vecm(a["A"]) * a["alpha"]),
    C_("kron-const", "z'*kron(A, F)*s", "s", lambda a: a["z"] @ np.kron(a["A"], a["F"]) @ a["s"],
       vars={"A": "matrix(m,n)", "F": "matrix(p,q)", "z": "vector(k)", "s": "vector(l)"},
       inputs={"z": lambda r: g(r, M * P), "s": lambda r: g(r, N * Q)}),
    C_("kron-const-jacobian", "kron(A, F)*s", "s", lambda a: np.kron(a["A"], a["F"]) @ a["s"],
       vars={"A": "matrix(m,n)", "F": "matrix(p,q)", "s": "vector(l)"},
       inputs={"s": lambda r: g(r, N * Q)}),
    C_("kron-const-left", "z'*kron(A, F)*s", "z", lambda a: a["z"] @ np.kron(a["A"], a["F"]) @ a["s"],
       vars={"A": "matrix(m,n)", "F": "matrix(p,q)", "z": "vector(k)", "s": "vector(l)"},
       inputs={"z": lambda r: g(r, M * P), "s": lambda r: g(r, N * Q)}),
    # ---- vec and kron of what depends on the variable (cases that mutation testing asked for)
    C_("vec-by-scalar", "vec(alpha*A)", "alpha", lambda a: vecm(a["alpha"] * a["A"])),
    C_("vec-of-row-by-scalar", "vec(alpha*x')", "alpha", lambda a: a["alpha"] * a["x"]),
    C_("vec-of-product-by-scalar", "vec(A*X*alpha)", "alpha", lambda a: vecm(a["A"] @ a["X"] * a["alpha"])),
    C_("vec-by-vector", "vec(x*v')", "x", lambda a: vecm(np.outer(a["x"], a["v"]))),
    C_("vec-by-vector-right", "vec(A*x*v')", "v", lambda a: vecm(np.outer(a["A"] @ a["x"], a["v"]))),
    C_("vec-of-vector", "vec(A*x)", "x", lambda a: a["A"] @ a["x"]),
    C_("vec-of-row", "vec(x'*X)", "x", lambda a: a["x"] @ a["X"]),
    C_("kron-of-vectors", "kron(x, v)", "x", lambda a: np.kron(a["x"], a["v"])),
    C_("kron-of-vectors-right", "kron(x, v)", "v", lambda a: np.kron(a["x"], a["v"])),
    C_("kron-by-scalar", "kron(alpha*A, F)", "alpha", lambda a: np.kron(a["alpha"] * a["A"], a["F"])),
    C_("kron-by-scalar-right", "kron(A, F*alpha)", "alpha", lambda a: np.kron(a["A"], a["F"] * a["alpha"])),
    C_("kron-of-row-by-scalar", "kron(alpha*x', A)", "alpha",
       lambda a: np.kron(a["alpha"] * a["x"][None, :], a["A"])),
    C_("kron-of-row-by-scalar-right", "kron(A, u'*beta)", "beta",
       lambda a: np.kron(a["A"], a["beta"] * a["u"][None, :])),
    # ---- expm(t*A) by a scalar ---------------------------------------------------------
    C_("expm-two-scalars", "expm(alpha*beta*X)", "alpha", lambda a: expm(a["alpha"] * a["beta"] * a["X"]),
       inputs={"X": lambda r: 0.3 * g(r, N, N)}),
    C_("expm-divided", "expm(X/alpha)", "alpha", lambda a: expm(a["X"] / a["alpha"]),
       inputs={"X": lambda r: 0.3 * g(r, N, N), "alpha": lambda r: 1 + r.uniform()}),
    C_("expm-coefficient-chain", "expm(2*t*X*K)", "t", lambda a: expm(2 * a["t"] * a["X"] @ a["K"]),
       inputs={"X": lambda r: 0.5 * g(r, N, N), "K": lambda r: 0.5 * g(r, N, N)}),
    # ---- expm(t*A) by a scalar ---------------------------------------------------------
    C_("expm-mat", "expm(t*X)", "t", lambda a: expm(a["t"] * a["X"]), inputs={"X": lambda r: 0.5 * g(r, N, N)}),
    C_("expm-bilinear", "v'*expm(t*X)*x", "t", lambda a: a["v"] @ expm(a["t"] * a["X"]) @ a["x"],
       inputs={"X": lambda r: 0.5 * g(r, N, N)}),
    C_("expm-trace", "tr(expm(t*X))", "t", lambda a: np.trace(expm(a["t"] * a["X"])),
       inputs={"X": lambda r: 0.5 * g(r, N, N)}),
    C_("expm-vec", "expm(t*X)*x", "t", lambda a: expm(a["t"] * a["X"]) @ a["x"],
       inputs={"X": lambda r: 0.5 * g(r, N, N)}),
    # ---- constants I and ones ---------------------------------------------------------
    C_("identity-shift", "x'*(X + alpha*I)*x", "alpha", lambda a: a["x"] @ (a["X"] + a["alpha"] * np.eye(N)) @ a["x"]),
    C_("identity-eye", "u'*(Y + eye)*A*x", "x", lambda a: a["u"] @ (a["Y"] + np.eye(M)) @ a["A"] @ a["x"]),
    C_("ones-inner", "ones'*(A*x)", "x", lambda a: np.ones(M) @ (a["A"] @ a["x"])),
    C_("ones-sum", "x + ones", "x", lambda a: a["x"] + 1),
    C_("sign-zero", "sum(sign(x) .* x)", "x", lambda a: np.sum(np.sign(a["x"]) * a["x"]),
       inputs={"x": lambda r: afz(r, N)}),
    C_("sign-jacobian", "sign(x)", "x", lambda a: np.sign(a["x"]), inputs={"x": lambda r: afz(r, N)}),
    C_("step-jacobian", "step(x)", "x", lambda a: np.heaviside(a["x"], 0.5), inputs={"x": lambda r: afz(r, N)}),
    C_("relu-is-step", "sum(relu(A*x) .* u)", "x", lambda a: np.maximum(a["A"] @ a["x"], 0) @ a["u"],
       inputs={"x": lambda r: afz(r, N)}),
    # ---- product rule, sums of like terms, zero subexpressions, ones --------------------
    C_("product-rule-scalar-functions", "(v'*x)*exp(v'*x)", "x", lambda a: (a["v"] @ a["x"]) * np.exp(a["v"] @ a["x"])),
    C_("product-rule-same-factor", "(x'*x)*sin(x'*x)", "x", lambda a: (a["x"] @ a["x"]) * np.sin(a["x"] @ a["x"])),
    C_("product-rule-scalars", "sin(alpha)*alpha", "alpha", lambda a: np.sin(a["alpha"]) * a["alpha"]),
    C_("like-terms-scaled", "u + alpha*u", "u", lambda a: a["u"] + a["alpha"] * a["u"]),
    C_("like-terms-two-scalars", "alpha*x + beta*x", "x", lambda a: a["alpha"] * a["x"] + a["beta"] * a["x"]),
    C_("like-terms-literal", "2*x + x", "x", lambda a: 3 * a["x"]),
    C_("zero-subexpression-diag", "diag(x - x)*v + A'*u", "v",
       lambda a: np.diag(a["x"] - a["x"]) @ a["v"] + a["A"].T @ a["u"]),
    C_("zero-subexpression-elementwise", "sin(u - u)'*A*x", "A", lambda a: np.sin(a["u"] - a["u"]) @ a["A"] @ a["x"]),
    C_("zero-subexpression-index", "x - X*(x - x)", "X", lambda a: a["x"] - a["X"] @ (a["x"] - a["x"])),
    C_("zero-subexpression-index-function", "log(sigmoid(K' - K'))", "K", lambda a: np.log(sig(a["K"].T - a["K"].T))),
    C_("zero-subexpression-in-function", "alpha*(w'*E*arccos(u - u))", "alpha",
       lambda a: a["alpha"] * (a["w"] @ a["E"] @ np.arccos(a["u"] - a["u"]))),
    C_("constant-subexpression-sum", "alpha*sum(cos(x - x))", "alpha",
       lambda a: a["alpha"] * np.sum(np.cos(a["x"] - a["x"]))),
    C_("sum-cubic", "sum(x*x'*x)", "x", lambda a: np.sum(np.outer(a["x"], a["x"]) @ a["x"])),
    C_("ones-row-in-sum", "log(ones + y*alpha)'*w", "alpha", lambda a: np.log(1 + a["y"] * a["alpha"]) @ a["w"],
       inputs={"y": lambda r: pos(r, P), "alpha": lambda r: pos(r)}),
    C_("ones-transposed-in-product", "sum(A/(u'*A*x))", "x", lambda a: np.sum(a["A"] / (a["u"] @ a["A"] @ a["x"]))),
    C_("ones-transposed-sum-of-matrix", "sum(alpha*A)", "alpha", lambda a: np.sum(a["alpha"] * a["A"])),
    C_("ones-transposed-inv", "ones'*inv(X)*x", "X", lambda a: np.ones(N) @ inv(a["X"]) @ a["x"],
       inputs={"X": lambda r: fd.well_conditioned(r, N)}),
    C_("ones-outer-inv", "sum(inv(D'*D + I)*w)", "D", lambda a: np.sum(inv(a["D"].T @ a["D"] + np.eye(P)) @ a["w"])),
    C_("many-dummy-indices", "diag(inv(Y'*Y + I)*u)^3", "Y",
       lambda a: np.linalg.matrix_power(np.diag(inv(a["Y"].T @ a["Y"] + np.eye(M)) @ a["u"]), 3)),
    # ---- symmetric variable ----------------------------------------------------------
    C_("symmetric-bilinear", "u'*C'*H*v", "H", lambda a: a["u"] @ a["C"].T @ a["H"] @ a["v"]),
    C_("symmetric-quadratic", "x'*H*x", "x", lambda a: a["x"] @ a["H"] @ a["x"]),
]

# ---- elementwise functions: on a vector (Jacobian m x n), a matrix, a scalar ------------
ELEMENTWISE = {
    # name: (numpy function, input-maker for (A, x) so that A*x is in the domain, scalar maker)
    "exp": (np.exp, "gauss", lambda r: afz(r, lo=0.3)),
    "log": (np.log, "pos", lambda r: pos(r)),
    "sin": (np.sin, "gauss", lambda r: afz(r, lo=0.3)),
    "cos": (np.cos, "gauss", lambda r: afz(r, lo=0.3)),
    "tan": (np.tan, "small", lambda r: small(r)),
    "tanh": (np.tanh, "gauss", lambda r: afz(r, lo=0.3)),
    "sqrt": (np.sqrt, "pos", lambda r: pos(r)),
    "abs": (np.abs, "afz", lambda r: afz(r, lo=0.3)),
    "sigmoid": (sig, "gauss", lambda r: afz(r, lo=0.3)),
    "relu": (relu, "afz", lambda r: afz(r, lo=0.3)),
    "arcsin": (np.arcsin, "small", lambda r: small(r)),
    "arccos": (np.arccos, "small", lambda r: small(r)),
    "arctan": (np.arctan, "gauss", lambda r: afz(r, lo=0.3)),
    "log1p": (np.log1p, "pos", lambda r: pos(r)),
    "softplus": (lambda v: np.log(1 + np.exp(v)), "gauss", lambda r: afz(r, lo=0.3)),
}


def _vec_inputs(kind):
    """Inputs (A, x) with A*x in the domain, |A*x| not near 0 for the kinked functions."""
    if kind == "pos":
        return {"A": lambda r: pos(r, M, N), "x": lambda r: pos(r, N)}
    if kind == "small":
        return {"A": lambda r: small(r, M, N, r=0.2), "x": lambda r: small(r, N, r=0.5)}
    if kind == "afz":
        # A = diag-like so that A*x stays away from 0: rows with one dominant entry
        def mk_A(r):
            a = 0.05 * g(r, M, N)
            a[np.arange(M), np.arange(M)] += 1.0
            return a
        return {"A": mk_A, "x": lambda r: afz(r, N, lo=0.5)}
    return {"A": lambda r: 0.5 * g(r, M, N), "x": lambda r: g(r, N)}


def _mat_input(kind):
    if kind == "pos":
        return lambda r: pos(r, M, N)
    if kind == "small":
        return lambda r: small(r, M, N, r=0.8)
    if kind == "afz":
        return lambda r: afz(r, M, N, lo=0.3)
    return lambda r: g(r, M, N)


for _name, (_f, _kind, _smk) in ELEMENTWISE.items():
    CASES += [
        C_(f"{_name}-vec", f"{_name}(A*x)", "x", (lambda f: lambda a: f(a["A"] @ a["x"]))(_f),
           inputs=_vec_inputs(_kind)),
        C_(f"{_name}-vec-wrt-A", f"u'*{_name}(A*x)", "A", (lambda f: lambda a: a["u"] @ f(a["A"] @ a["x"]))(_f),
           inputs=_vec_inputs(_kind)),
        C_(f"{_name}-mat", f"sum({_name}(A))", "A", (lambda f: lambda a: np.sum(f(a["A"])))(_f),
           inputs={"A": _mat_input(_kind)}),
        C_(f"{_name}-mat-weighted", f"tr(C*{_name}(A))", "A", (lambda f: lambda a: np.trace(a["C"] @ f(a["A"])))(_f),
           inputs={"A": _mat_input(_kind)}),
        C_(f"{_name}-scalar", f"{_name}(alpha)", "alpha", (lambda f: lambda a: float(f(a["alpha"])))(_f),
           inputs={"alpha": _smk}),
        C_(f"{_name}-scalar-chain", f"{_name}(alpha)*x", "alpha", (lambda f: lambda a: f(a["alpha"]) * a["x"])(_f),
           inputs={"alpha": _smk}),
    ]

# Known library bugs: id -> reason (filled in from the failures; each is a strict xfail).
# Known library bugs: case id (or "id[layout]") -> reason with a minimal reproducer.  Each is a
# strict xfail, so a fix shows up as an XPASS to remove from here.
# (Fixed while these tests were written, kept above as plain regression cases: the all-ones
# derivative of sum(x) crashing in to_matrix; RecursionError in simplify for sums of like
# terms such as u + alpha*u or (v'*x)*exp(v'*x); a transposed ones printed as `ones`; a zero
# subexpression printed as a scalar 0 in matrix forms; index text running out of dummy names.)
_ZERO_INDEX_BUG = ("BUG: in index-form (3+ index) results a zero vector/matrix subexpression is printed as a "
                   "scalar, so the text does not read back: md.derivative('x - X*(x - x)', 'X').text == "
                   "'T[k,i,j] = -0[j]*δ[k,i]' (md.evaluate: ParseError '0 has 0 axes but 1 indices'); "
                   "md.derivative(\"log(sigmoid(K' - K'))\", 'K').text uses '(0.5*ones)[k,l]' (md.evaluate: "
                   "'the size of ones is unknown'); expected the zero derivative, 'T[...] = 0'")
BUGS: dict[str, str] = {
    "det-singular": ("BUG: d det(X)/dX is printed and evaluated as det(X)*inv(X'), which is undefined where X "
                     "is singular although det is a polynomial: md.derivative('det(X)', 'X').evaluate(X=<rank n-1 "
                     "matrix>) raises EvaluationError ('inv(X): X is singular'); expected adj(X)' (nonzero for "
                     "rank n-1), i.e. a form without inv (adj(X)' loses the cancellation in log(det(inv(X))))"),
}


def _params(cases):
    return [c.param([xfail(BUGS[c.id])] if c.id in BUGS else []) for c in cases]


def _shape_differs(c: Case) -> bool:
    """Whether numerator/denominator present this case differently from mixed."""
    inputs = c.inputs()
    f = np.ndim(c.ref(inputs))
    x = np.ndim(inputs[c.wrt])
    return (f, x) in ((0, 2), (1, 1), (0, 1), (1, 0))   # transposed, or shown as a row


LAYOUT_CASES = [(c, lay) for c in CASES for lay in ("numerator", "denominator") if _shape_differs(c)]


def check(c: Case, layout: str):
    inputs = c.inputs()
    want = fd.reference(c.ref, inputs, c.wrt, layout, structure=fd.structure_of(c.vars))
    r = md.derivative(c.expr, wrt=c.wrt, vars=c.vars, layout=layout)
    got = r.evaluate(**inputs)
    fd.assert_close(got, want, c.tol, what=f"{c.expr} d/d{c.wrt} ({layout}) = {r.text!r}")
    assert fd.resolve_shape(r.shape, fd.sizes_of(c.vars, inputs)) == np.shape(want), (
        f"r.shape {r.shape} of {c.expr} d/d{c.wrt} ({layout}) is not {np.shape(want)}")
    again = md.evaluate(r.text, vars=c.vars, shape=np.shape(want), **inputs)
    fd.assert_close(again, got, 1e-9, strict_shape=False,
                    what=f"md.evaluate({r.text!r}) vs r.evaluate for {c.expr} d/d{c.wrt} ({layout})")


@pytest.mark.parametrize("c", _params(CASES))
def test_rule(c):
    check(c, "mixed")


def _layout_params():
    out = []
    for c, lay in LAYOUT_CASES:
        key = f"{c.id}[{lay}]"
        marks = [xfail(BUGS[key])] if key in BUGS else ([xfail(BUGS[c.id])] if c.id in BUGS else [])
        out.append(pytest.param(c, lay, id=key, marks=marks))
    return out


@pytest.mark.parametrize("c, layout", _layout_params())
def test_rule_in_layout(c, layout):
    check(c, layout)


def test_reference_functions_are_in_domain():
    """The inputs keep every reference finite (so a failure above is matdiff's)."""
    for c in CASES:
        v = np.asarray(c.ref(c.inputs()), dtype=float)
        assert np.all(np.isfinite(v)), c.id


@pytest.mark.parametrize("expr, wrt, printed", [
    ("logsumexp(x)", "x", "softmax(x)"),
    ("softmax(x)", "x", "diag(softmax(x)) - softmax(x)*softmax(x)'"),
    ("sum(softplus(x))", "x", "sigmoid(x)"),
])
def test_new_functions_print_their_textbook_derivative(expr, wrt, printed):
    """The derivatives of logsumexp, softmax, det and softplus in the functions' own terms."""
    assert md.derivative(expr, wrt=wrt).text == printed


def test_expm_of_a_varying_chain_is_refused_clearly():
    """d expm(U) is a closed form only for U = s*M with M constant (mutation testing: a rule
    that let a varying chain through crashed instead of refusing)."""
    for expr, wrt in [("expm(X*K)", "X"), ("expm(alpha*X*K)", "X")]:
        with pytest.raises(md.NotSupportedError, match="expm"):
            md.derivative(expr, wrt=wrt, vars=DECLS)
