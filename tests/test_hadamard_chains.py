"""Elementwise functions and Hadamard products inside matrix chains, traces and sums (issue 12.1).

For each case, with distinct dimensions (a wrong transpose cannot pass):

* ``r.evaluate`` equals central finite differences of the ORIGINAL expression,
  written here independently in NumPy;
* the printed closed form ``r.text``, evaluated again by ``md.evaluate``, equals it;
* the result is a closed matrix form, no longer (in tokens: names, numbers and
  operators, parentheses not counted) than the closed form named in the issue.
"""
from __future__ import annotations

import numpy as np
import pytest

from support import fd
from support.closed_forms import (Case, between, check_generated_code, check_no_longer_than_form,
                                  check_value_and_printed_form)

M, N, P, Q = 3, 4, 2, 5
g = fd.gauss


def sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def relu(v):
    return np.maximum(v, 0.0)


BASE = {"A": ("matrix(m,n)", (M, N)), "X": ("matrix(n,p)", (N, P)), "B": ("matrix(p,q)", (P, Q)),
        "C": ("matrix(q,n)", (Q, N)), "a": ("vector(m)", (M,)), "b": ("vector(q)", (Q,))}
NET = {"W1": ("matrix(h,d)", (3, 4)), "X": ("matrix(d,s)", (4, 5)), "W2": ("matrix(k,h)", (2, 3)),
       "Y": ("matrix(k,s)", (2, 5))}


def pick(table, *names, **extra):
    out = {k: table[k] for k in names}
    out.update(extra)
    return out


E = np.exp
CASES = [
    Case("sum-A-exp", "sum(A*exp(X))", "X", pick(BASE, "A", "X"),
         lambda a: np.sum(a["A"] @ E(a["X"])), "(A'*ones*ones') .* exp(X)"),
    Case("tr-C-exp-B", "tr(C*exp(X)*B)", "X", pick(BASE, "C", "X", "B"),
         lambda a: np.trace(a["C"] @ E(a["X"]) @ a["B"]), "(C'*B') .* exp(X)"),
    Case("sum-tanh-B", "sum(tanh(X)*B)", "X", pick(BASE, "X", "B"),
         lambda a: np.sum(np.tanh(a["X"]) @ a["B"])),
    Case("norm2-tanh-B", "norm2(tanh(X)*B)^2", "X", pick(BASE, "X", "B"),
         lambda a: np.sum((np.tanh(a["X"]) @ a["B"]) ** 2)),
    Case("logdet-exp-exp", "logdet(exp(S)*exp(S)')", "S", {"S": ("matrix(n,n)", (N, N))},
         lambda a: np.linalg.slogdet(E(a["S"]) @ E(a["S"]).T)[1]),
    Case("log-sin-sympy", "a'*log(A*sin(X)*B)*b", "X", pick(BASE, "a", "A", "X", "B", "b"),
         lambda a: a["a"] @ np.log(a["A"] @ np.sin(a["X"]) @ a["B"]) @ a["b"],
         "cos(X) .* (A'*((a*b') ./ (A*sin(X)*B))*B')",
         gen={"A": between(0.5, 1.5), "B": between(0.5, 1.5), "X": between(0.3, 1.2)}),
    Case("log-sigmoid-C-tanh", "sum(log(sigmoid(C*tanh(X))))", "X", pick(BASE, "C", "X"),
         lambda a: np.sum(np.log(sig(a["C"] @ np.tanh(a["X"]))))),
    Case("net-tanh", "norm2(W2*tanh(W1*X) - Y)^2", "W1", NET,
         lambda a: np.sum((a["W2"] @ np.tanh(a["W1"] @ a["X"]) - a["Y"]) ** 2),
         "2*((W2'*(W2*tanh(W1*X) - Y)) .* (ones - tanh(W1*X).^2))*X'"),
    Case("net-sigmoid", "norm2(W2*sigmoid(W1*X) - Y)^2", "W1", NET,
         lambda a: np.sum((a["W2"] @ sig(a["W1"] @ a["X"]) - a["Y"]) ** 2),
         "2*((W2'*(W2*sigmoid(W1*X) - Y)) .* sigmoid(W1*X) .* (ones - sigmoid(W1*X)))*X'"),
    Case("net-relu", "norm2(W2*relu(W1*X) - Y)^2", "W1", NET,
         lambda a: np.sum((a["W2"] @ relu(a["W1"] @ a["X"]) - a["Y"]) ** 2)),
    Case("net-tanh-by-W2", "norm2(W2*tanh(W1*X) - Y)^2", "W2", NET,
         lambda a: np.sum((a["W2"] @ np.tanh(a["W1"] @ a["X"]) - a["Y"]) ** 2)),
    Case("hadamard-transpose-chain", "sum((X .* X')*C)", "X",
         {"X": ("matrix(n,n)", (N, N)), "C": ("matrix(n,q)", (N, Q))},
         lambda a: np.sum((a["X"] * a["X"].T) @ a["C"])),
    Case("tr-hadamard-middle", "tr(X*(C .* X)*E)", "X",
         {"X": ("matrix(n,n)", (N, N)), "C": ("matrix(n,n)", (N, N)), "E": ("matrix(n,n)", (N, N))},
         lambda a: np.trace(a["X"] @ (a["C"] * a["X"]) @ a["E"])),
    Case("outer-hadamard-I", "((x*x') .* I)*y", "x",
         {"x": ("vector(n)", (N,)), "y": ("vector(n)", (N,))},
         lambda a: (np.outer(a["x"], a["x"]) * np.eye(N)) @ a["y"]),
    Case("hessian-x-xx-C-x", "x'*((x*x') .* C)*x", "x",
         {"x": ("vector(n)", (N,)), "C": ("matrix(n,n)", (N, N))},
         lambda a: a["x"] @ ((np.outer(a["x"], a["x"]) * a["C"]) @ a["x"]),
         "4*(x*x') .* (C + C') + 2*diag((C + C')*x.^2)", order=2),
    Case("sum-three-hadamard-by-scalar", "sum(sin(beta*A) .* B)", "beta",
         {"beta": ("scalar", ()), "A": ("matrix(m,n)", (M, N)), "B": ("matrix(m,n)", (M, N))},
         lambda a: np.sum(np.sin(a["beta"] * a["A"]) * a["B"]), "sum(cos(beta*A) .* A .* B)"),
    Case("norm2-exp-by-scalar", "norm2(exp(beta*A))^2", "beta",
         {"beta": ("scalar", ()), "A": ("matrix(m,n)", (M, N))},
         lambda a: np.sum(E(a["beta"] * a["A"]) ** 2)),
    # the same mechanisms on other sides and in other positions
    Case("hadamard-product-inside-chain", "sum(A*(exp(X) .* X)*B)", "X", pick(BASE, "A", "X", "B"),
         lambda a: np.sum(a["A"] @ (E(a["X"]) * a["X"]) @ a["B"])),
    Case("elementwise-on-the-left-of-trace", "tr(sin(X)*B*C)", "X", pick(BASE, "X", "B", "C"),
         lambda a: np.trace(np.sin(a["X"]) @ a["B"] @ a["C"])),
    Case("two-chains-between-result-axes", "log(ones + ((A'*alpha)'*X).^2)", "alpha",
         {"alpha": ("scalar", ()), "A": ("matrix(m,n)", (M, N)), "X": ("matrix(n,p)", (N, P))},
         lambda a: np.log(1 + (a["alpha"] * a["A"] @ a["X"]) ** 2), order=2),
    Case("two-elementwise-in-one-chain", "a'*A*tanh(X)*B*exp(B')*X'*A'*a", "X",
         pick(BASE, "a", "A", "X", "B"),
         lambda a: a["a"] @ a["A"] @ np.tanh(a["X"]) @ a["B"] @ E(a["B"].T) @ a["X"].T @ a["A"].T @ a["a"]),
]


@pytest.mark.parametrize("c", [pytest.param(c, id=c.id) for c in CASES])
def test_value_and_printed_form(c):
    check_value_and_printed_form(c)


@pytest.mark.parametrize("c", [pytest.param(c, id=c.id) for c in CASES if c.form])
def test_no_longer_than_the_issue_form(c):
    check_no_longer_than_form(c)


@pytest.mark.parametrize("c", [pytest.param(c, id=c.id) for c in CASES])
def test_generated_code(c):
    """The compiled derivative (NumPy backend) against finite differences of the original."""
    check_generated_code(c)
