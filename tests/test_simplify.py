"""Every rewrite of the simplifier keeps the value (checked on random numbers),
and derivatives print in their short textbook form."""
import numpy as np
import pytest

import matdiff as md
from matdiff.render.text import to_text
from matdiff.shapes import typecheck
from matdiff.simplify import canonical, factor, prettify, simplify

DIMS = {"m": 3, "n": 4, "p": 2}
DECLS = {"A": "matrix(n,n)", "B": "matrix(n,n)", "C": "matrix(m,n)", "D": "matrix(n,p)",
         "S": "matrix(n,n) symmetric", "P": "matrix(n,n) spd", "x": "vector(n)", "y": "vector(n)",
         "z": "vector(m)", "s": "scalar", "t": "scalar", "G": "matrix(n,n) diagonal",
         "u": "vector(n) positive", "v": "vector(n) positive", "c": "scalar positive",
         "w": "vector(n)"}   # w's values are positive, but nothing declares it


def values(seed=0):
    rng = np.random.default_rng(seed)
    n = DIMS["n"]
    out = {"A": rng.standard_normal((n, n)) + n * np.eye(n), "B": rng.standard_normal((n, n)),
           "C": rng.standard_normal((3, n)), "D": rng.standard_normal((n, 2)),
           "x": rng.standard_normal(n), "y": rng.standard_normal(n), "z": rng.standard_normal(3),
           "s": 0.7, "t": 1.3}
    m = rng.standard_normal((n, n))
    out["S"] = m + m.T
    out["P"] = m @ m.T + n * np.eye(n)
    out["G"] = np.diag(rng.standard_normal(n))
    out["u"], out["v"], out["c"] = rng.uniform(0.5, 2.0, n), rng.uniform(0.5, 2.0, n), 1.7
    out["w"] = rng.uniform(0.5, 2.0, n)
    return out


def value(text_or_expr):
    from matdiff.evaluate import evaluate_expr
    t = typecheck(text_or_expr, DECLS)
    return t, evaluate_expr(t.expr, values(), t.variables)


# (input, the printed simplified form): one per rewrite rule
REWRITES = [
    ("A*x + A'*x", "(A + A')*x"),                       # factor a common right factor
    ("x'*A + x'*B", "x'*(A + B)"),                      # common left factor
    ("x'*A*x + x'*A*x", "2*x'*A*x"),                    # collect like terms
    ("x'*y - y'*x", "0"),                               # x'*y = y'*x
    ("(x'*y)' + y'*x", "2*x'*y"),                       # a scalar's transpose is itself
    ("tr(A*B) - tr(B*A)", "0"),                         # trace cyclicity
    ("tr(A') - tr(A)", "0"),                            # tr(A') = tr(A)
    ("(A*B)'", "B'*A'"),                                # transpose through a product
    ("(A')'", "A"),                                     # double transpose
    ("inv(A)' - inv(A')", "0"),                         # inv(A)' = inv(A')
    ("inv(A)*A", "I"),                                  # inverse times itself
    ("A*inv(A)*B", "B"),
    ("I*A*I + 0*B", "A"),                               # identities and zeros drop
    ("2*3*A - 5*A", "A"),                               # fold constants
    ("(S + S')*x", "2*S*x"),                            # symmetric: S' = S
    ("P' - P", "0"),                                    # spd is symmetric
    ("G' - G", "0"),                                    # diagonal is symmetric
    ("A*A*A", "A^3"),                                   # powers merge
    ("A^2*inv(A)", "A"),
    ("s*x/s", "x"),                                     # scalar powers cancel
    ("x .* y + y .* x", "2*(x .* y)"),                    # Hadamard is commutative
    ("x .* x", "x.^2"),
    ("(C*x)'*z", "z'*C*x"),
    ("-(x - y)", "y - x"),
    ("diag(x) + diag(y)", "diag(x + y)"),               # diagonal sums merge
    ("tr(s*A)", "s*tr(A)"),
    ("(t*A)^2", "t^2*A^2"),
    ("exp(A')'", "exp(A)"),
    # elementwise algebra (issue 13.1)
    ("exp(x) ./ (ones + exp(x))", "sigmoid(x)"),          # the logistic function
    ("ones ./ (ones + exp(-x))", "sigmoid(x)"),
    ("exp(s)/(1 + exp(s))", "sigmoid(s)"),                # the same on a scalar
    ("1/(1 + exp(-s))", "sigmoid(s)"),
    ("exp(x) .* (ones + exp(x)).^-2", "sigmoid(-x) .* sigmoid(x)"),
    ("sigmoid(x) .* exp(-x)", "sigmoid(-x)"),
    ("ones - sigmoid(x)", "sigmoid(-x)"),                 # where shorter
    ("x .* y + y .* y", "(x + y) .* y"),                  # a common elementwise factor
    ("sigmoid(x) - sigmoid(x).^2", "sigmoid(-x) .* sigmoid(x)"),
    ("(ones - y) .* sigmoid(x) - (ones - sigmoid(x)) .* y", "sigmoid(x) - y"),  # distributed, cancelled
    ("(s*x).^2", "s^2*x.^2"),
    ("(exp(x)' .* y')*exp(x).^-1", "sum(y)"),             # x'*y as sum(x .* y) when factors cancel
    # scalars (issue 13.3)
    ("0.5*A + 0.5*A'", "0.5*(A + A')"),
    ("ones'*y", "sum(y)"),
    # inverses and determinants (issue 13.2); A, B, P are invertible in values()
    ("det(A^3)", "det(A)^3"),
    ("det(inv(A))", "1/det(A)"),
    ("det(A^-2)", "1/det(A)^2"),
    ("logdet(inv(P))", "-logdet(P)"),
    ("logdet(P^3)", "3*logdet(P)"),                     # odd powers only: det(P^2) > 0 says nothing of det(P)
    ("logdet(P^2)", "logdet(P^2)"),
    ("inv(s*A)", "inv(A)/s"),
    ("B*inv(A*B)", "inv(A)"),                           # square factors: the inverse splits
    ("inv(A*B)*A", "inv(B)"),
    ("inv(A)'*A'", "I"),
    ("tr(A*inv(B)*B)", "tr(A)"),
    ("C'*inv(C*C')*C", "C'*inv(C*C')*C"),               # C is not square: no split
    ("x/(x'*x) - y/(x'*x)^2", "(x - y/(x'*x))/(x'*x)"),   # a common divisor
    ("-2*A*(x - y)", "2*A*(y - x)"),                    # the sign into the difference
    ("-A*(x - y)", "-A*(x - y)"),                       # ... but not a bare minus
    ("A' - B'", "(A - B)'"),                            # a transpose of a sum written once
    ("tr(A*x*y')", "y'*A*x"),                           # a trace with a scalar rotation: no tr
    ("sin(tr(x*x'))", "sin(x'*x)"),
    # logs and exps (issue 13.1); u, v, c are declared positive
    ("log(exp(x) .* u)", "log(u) + x"),                 # exp(x) > 0: the log splits
    ("log(exp(s)*c)", "log(c) + s"),
    ("log(x.^2 .* exp(y))", "log(x.^2) + y"),           # log(x.^2) is not 2*log(x)
    ("log(w.^3 .* exp(y))", "3*log(w) + y"),            # an odd power: w > 0 where it is defined
    ("log(w .* exp(y) .* u)", "log(u .* w) + y"),       # one factor of unknown sign: still sound
    ("log(u .* v)", "log(u .* v)"),                     # split only where shorter
    ("log(u) - log(v)", "log(u ./ v)"),                 # logs in a sum merged
    ("log(c) + log(s)", "log(c*s)"),
    ("exp(log(u) + log(v))", "u .* v"),                 # exp of logs undone
    ("exp(2*log(u))", "u.^2"),
    ("exp(x + log(u))", "exp(x) .* u"),
    ("exp(log(c) - log(s))", "c/s"),
    ("(u ./ v).^-1 ./ v", "ones ./ u"),                 # a power over a quotient, where it cancels
    ("sigmoid(x) .* y + sigmoid(-x) .* y", "y"),        # sigmoid(u) + sigmoid(-u) = 1
    ("sigmoid(s) + sigmoid(-s)", "1"),
    ("y - y .* sigmoid(x)", "sigmoid(-x) .* y"),        # h - h .* sigmoid(u) = h .* sigmoid(-u)
    ("s - s*sigmoid(t)", "s*sigmoid(-t)"),
    ("sigmoid(x) - sigmoid(x) .* y - sigmoid(-x) .* y", "sigmoid(x) - y"),
    ("logdet(c*P) - logdet(P)", "log(c)*tr(I(n))"),     # logdet(c*X) = n*log(c) + logdet(X), c > 0
    ("logdet(s*P) - logdet(P)", "logdet(s*P) - logdet(P)"),  # s of unknown sign: kept
    ("det(A)^-1*adj(A)", "inv(A)"),                     # adj(U)/det(U) = inv(U)
    ("tr(B*adj(A))/det(A)", "tr(B*inv(A))"),
    ("inv(D'*D)*D'*D", "I"),                            # inv(P)*P with P spelled out
    ("D'*D*inv(D'*D)", "I"),
    ("D*inv(D'*D)*D'", "D*inv(D'*D)*D'"),               # D is not square: no identity
    ("A .* B' + B' .* A", "2*(A .* B')"),                # Hadamard factors in one order ...
    ("(A .* B')' - A' .* B", "0"),                       # ... also after a transpose
    ("(2*A*x).^-1", "0.5*(ones ./ (A*x))"),              # a number leaves a power of a chain
    ("(2*A*x) .* y", "2*((A*x) .* y)"),                  # ... and a Hadamard product of one
    # identities (issue 12): a kron of identities is one, and an identity in a product drops
    ("kron(I(m), I(n))*K(m, n)*vec(C)", "K(m, n)*vec(C)"),
    ("kron(I(n), I(m))*vec(C) - vec(C)", "0"),
    ("I(n)*A*I(n) + B", "A + B"),                      # sized identities drop too
    ("kron(I(m), I(n)) - I(m*n)", "0"),
    ("kron(I(n), I(m))", "I(m*n)"),                    # its size spelled one way
    # a row times a chain whose product is its elementwise inverse: sum(ones) = n
    ("s*x'*A'*(A*x).^-1", "s*tr(I(n))"),
    ("s*((A*x).^-1)'*A*x", "s*tr(I(n))"),
    ("x'*A'*(A*x + y).^-1", "(A*x + y)'.^-1*A*x"),   # nothing cancels: a product still
]


@pytest.mark.parametrize("text,printed", REWRITES)
def test_rewrite_keeps_value_and_prints(text, printed):
    t, before = value(text)
    s = simplify(t.expr)
    from matdiff.evaluate import evaluate_expr
    after = evaluate_expr(s, values(), t.variables, shape=np.shape(before) or None)
    np.testing.assert_allclose(np.asarray(after, float) + np.zeros(np.shape(before)), before,
                               rtol=1e-10, atol=1e-10)
    assert to_text(s) == printed


@pytest.mark.parametrize("text,_", REWRITES)
def test_each_stage_keeps_value(text, _):
    """canonical, factor and prettify each keep the value on their own."""
    from matdiff.evaluate import evaluate_expr
    t, before = value(text)
    e = t.expr
    for stage in (canonical, factor, prettify):
        e = stage(e)
        got = evaluate_expr(e, values(), t.variables, shape=np.shape(before) or None)
        np.testing.assert_allclose(np.asarray(got, float) + np.zeros(np.shape(before)), before,
                                   rtol=1e-10, atol=1e-10)


# derivatives as a textbook prints them
PRINTED = [
    ("x'*A*x", "x", None, "mixed", "(A + A')*x"),
    ("x'*A*x", "x", None, "numerator", "x'*(A + A')"),
    ("x'*A*x", "x", {"A": "matrix(n,n) symmetric"}, "mixed", "2*A*x"),
    ("x'*A*x", "A", None, "mixed", "x*x'"),
    ("A*x", "x", None, "denominator", "A'"),
    ("A*x", "x", None, "numerator", "A"),
    ("tr(X*A*X')", "X", {"X": "matrix(m,n)", "A": "matrix(n,n)"}, "numerator", "(A + A')*X'"),
    ("tr(X*A*X')", "X", {"X": "matrix(m,n)", "A": "matrix(n,n)"}, "mixed", "X*(A + A')"),
    ("tr(A*X*B)", "X", None, "numerator", "B*A"),
    ("tr(A*X*B)", "X", None, "mixed", "A'*B'"),
    ("logdet(X)", "X", None, "denominator", "inv(X)'"),
    ("logdet(X)", "X", None, "numerator", "inv(X)"),
    ("det(X)", "X", None, "numerator", "det(X)*inv(X)"),
    ("tr(inv(X)*A)", "X", None, "numerator", "-inv(X)*A*inv(X)"),
    ("inv(P + t*Q)", "t", {"t": "scalar"}, "mixed", "-U*Q*U  where U = inv(P + t*Q)"),
    ("norm2(A*x - b)^2", "x", None, "mixed", "2*A'*(A*x - b)"),
    ("norm2(x)", "x", None, "mixed", "x/norm2(x)"),
    ("sum(relu(A*x))", "x", None, "mixed", "A'*step(A*x)"),    # relu' is the unit step
    ("exp(tr(A*x*x'))", "x", None, "mixed", "exp(x'*A*x)*(A + A')*x"),
    ("A*tanh(B*x)", "x", None, "mixed", "A*diag(ones - tanh(B*x).^2)*B"),
    ("sum(exp(x))", "x", None, "mixed", "exp(x)"),
    ("a'*X*b", "X", None, "mixed", "a*b'"),
    ("a'*X*b", "X", None, "numerator", "b*a'"),
    ("(x - a)'*(x - a)", "x", None, "mixed", "2*(x - a)"),
    ("tr(X^3)", "X", None, "numerator", "3*X^2"),
    ("sin(a'*X*b)", "X", None, "numerator", "cos(a'*X*b)*b*a'"),
    ("x'*A*x", "x", None, "denominator", "(A + A')*x"),
    ("exp(t*A)", "t", {"t": "scalar"}, "mixed", "A .* exp(t*A)"),
    ("expm(t*A)", "t", {"t": "scalar"}, "mixed", "A*expm(t*A)"),
    ("alpha*x", "x", None, "mixed", "alpha*I"),
    ("x .* y", "x", None, "mixed", "diag(y)"),
    ("(x'*x)^(1/2)", "x", None, "mixed", "x/sqrt(x'*x)"),    # a power 1/2 prints as sqrt
    ("(x'*x)^(3/2)", "x", None, "mixed", "3*sqrt(x'*x)*x"),
    ("x.^(1/2)", "x", None, "mixed", "0.5*diag(ones ./ sqrt(x))"),
    ("a'*a", "x", {"a": "vector(n)", "x": "vector(n)"}, "mixed", "0"),
    ("x'*log(A*x)", "x", None, "mixed", "A'*(x ./ (A*x)) + log(A*x)"),   # once a RecursionError
    ("x'*(A .* A')*x", "x", None, "mixed", "2*(A .* A')*x"),
    ("sum(log(2*A*x))", "x", None, "mixed", "A'*(ones ./ (A*x))"),
    ("sum(log(t*A*x))", "t", {"t": "scalar"}, "mixed", "tr(I(n))/t"),   # once (x'*A').^-1*A*x/t
]


@pytest.mark.parametrize("expr,wrt,vars,layout,printed", PRINTED)
def test_printed_form(expr, wrt, vars, layout, printed):
    r = md.derivative(expr, wrt=wrt, vars=vars, layout=layout)
    assert r.text == printed


@pytest.mark.parametrize("text,printed", [("x.^-1", "ones ./ x"), ("A.^-1", "ones ./ A"),
                                          ("x'.^-1", "x'.^-1"), ("B*x.^-1", "B*(ones ./ x)")])
def test_reciprocal_prints_as_a_quotient_where_ones_has_that_shape(text, printed):
    """u.^-1 prints ones ./ u for a column or a matrix (ones is a column, or sized by u);
    a row keeps .^-1. Either way the text reads back to the same numbers."""
    t, before = value(text)
    assert to_text(t.expr) == printed
    from matdiff.evaluate import evaluate_expr
    again = evaluate_expr(typecheck(printed, DECLS).expr, values(), t.variables)
    np.testing.assert_allclose(again, before, rtol=1e-12)


def test_transpose_of_a_chain_splices_a_transposed_product():
    """(B'*(A*X*B)'^-2*A')' once printed -(B*((A*X*B))^-2*A)': the transpose of a chain kept
    the product P = (P')' as one factor, which the printer wrapped in a second pair."""
    from support import fd
    rng = np.random.default_rng(3)
    vals = {"A": rng.standard_normal((3, 3)), "X": np.eye(3) * 2 + 0.1 * rng.standard_normal((3, 3)),
            "B": np.eye(3) + 0.1 * rng.standard_normal((3, 3))}
    r = md.derivative("tr(inv(A*X*B))", wrt="X")
    assert r.text == "-(B*(A*X*B)^-2*A)'"
    want = fd.reference(lambda a: md.evaluate("tr(inv(A*X*B))", **a), vals, "X")
    assert np.allclose(r.evaluate(**vals), want, atol=1e-6)
    assert np.allclose(md.evaluate(r.text, **vals), want, atol=1e-6)
