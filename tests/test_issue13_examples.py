"""Each example of issue 13's points 1-3 (and its table's rows in every spelling of the losses)
as a derivative: its printed form has no more tokens than the textbook's, its values equal
central finite differences of the original expression, ``r.text`` re-evaluates to them,
and the textbook form is itself right (support.ml_table.check).  The table's own rows,
as first spelled, are in tests/data/ml_quality.json (tests/test_ml_quality.py)."""
from __future__ import annotations

import pytest

from support.ml_table import check

V1 = {"x": "vector(n)"}
VL = {"X": "matrix(m,n)", "w": "vector(n)", "y": "vector(m)"}
PM = {"y": "pm1"}     # labels +-1
UN = {"y": "unit"}    # targets in (0, 1)
SG = "diag(sigmoid(x) .* (ones - sigmoid(x)))"
LG = "-X'*(y .* sigmoid(-y .* (X*w)))"
LH = "X'*diag(y.^2 .* sigmoid(y .* (X*w)) .* (ones - sigmoid(y .* (X*w))))*X"
XG = "X'*(sigmoid(X*w) - y)"
XH = "X'*diag(sigmoid(X*w) .* (ones - sigmoid(X*w)))*X"
ROWS = []


def row(id, expr, wrt, vars, textbook, order=1, layout="mixed", gen=None):
    ROWS.append(dict(id=id, expr=expr, wrt=wrt, vars=vars, textbook=textbook, order=order, layout=layout,
                     gen=gen or {}))


# item 1: the softplus loss in each spelling (the first two rows)
for k, e in enumerate(["sum(log(1 + exp(x)))", "sum(softplus(x))", "sum(log1p(exp(x)))",
                       "-sum(log(sigmoid(-x)))"]):
    row(f"softplus-{k}-grad", e, "x", V1, "sigmoid(x)")
    row(f"softplus-{k}-hess", e, "x", V1, SG, order=2)
# the logistic loss
for k, e in enumerate(["sum(log(1 + exp(-y .* (X*w))))", "sum(softplus(-y .* (X*w)))",
                       "sum(log1p(exp(-y .* (X*w))))", "-sum(log(sigmoid(y .* (X*w))))"]):
    row(f"logistic-{k}-grad", e, "w", VL, LG, gen=PM)
    row(f"logistic-{k}-hess", e, "w", VL, LH, order=2, gen=PM)
# cross-entropy
for k, e in enumerate(["-y'*log(sigmoid(X*w)) - (1 - y)'*log(1 - sigmoid(X*w))",
                       "-y'*log(sigmoid(X*w)) - (ones - y)'*log(sigmoid(-X*w))",
                       "sum(softplus(X*w)) - y'*X*w", "sum(log1p(exp(X*w))) - y'*X*w",
                       "y'*softplus(-X*w) + (ones - y)'*softplus(X*w)",
                       "y'*log(1 + exp(-X*w)) + (1 - y)'*log(1 + exp(X*w))"]):
    row(f"xent-{k}-grad", e, "w", VL, XG, gen=UN)
    row(f"xent-{k}-hess", e, "w", VL, XH, order=2, gen=UN)
YZ = {"y": "vector(n)", "z": "vector(n)"}
row("softmax-xent-fn", "-y'*log(softmax(z))", "z", YZ, "sum(y)*exp(z)/sum(exp(z)) - y", gen=UN)
# item 1: Hadamard algebra, logs and exps
PV = {"a": "vector(n) positive", "b": "vector(n) positive", "c": "vector(n)"}
PG = {"a": "positive", "b": "positive"}
row("log-quotient", "sum(log(a ./ b))", "a", PV, "ones ./ a", gen=PG)
row("log-product-exp", "sum(log(exp(c) .* b))", "c", PV, "ones", gen=PG)
row("exp-of-logs", "sum(exp(log(a) + log(b)))", "a", PV, "b", gen=PG)
row("exp-log-power", "sum(exp(2*log(a)))", "a", PV, "2*a", gen=PG)
row("hadamard-common", "sum(a .* c + b .* c)", "c", PV, "a + b", gen=PG)
row("hadamard-cancel", "sum((a .* c) ./ a)", "c", PV, "ones", gen=PG)
row("sigmoid-exp", "sum(exp(c) ./ (ones + exp(c)))", "c", PV, "sigmoid(c) .* (ones - sigmoid(c))", gen=PG)
row("sigmoid-recip", "sum(ones ./ (ones + exp(-c)))", "c", PV, "sigmoid(c) .* (ones - sigmoid(c))", gen=PG)
# item 2: inverse and determinant identities (X invertible, R tall)
SQ = {"X": "matrix(n,n)", "A": "matrix(n,n)", "B": "matrix(n,n)"}
INV = {"X": "invertible", "A": "invertible", "B": "invertible"}
row("tr-AXinvX", "tr(A*X*inv(X))", "X", SQ, "0", gen=INV)
row("inv-inv", "tr(inv(inv(X))*A)", "X", SQ, "A'", gen=INV)
row("inv-transpose", "tr(inv(X)'*A)", "X", SQ, "-inv(X)*A'*inv(X)", gen=INV, layout="numerator")
row("det-inv", "det(inv(X))", "X", SQ, "-inv(X)'/det(X)", gen=INV)
row("det-square", "det(X^2)", "X", SQ, "2*det(X)^2*inv(X)'", gen=INV)
row("logdet-scaled-mixed", "logdet(alpha*X)", "X", {"X": "matrix(n,n) spd", "alpha": "scalar positive"}, "inv(X)",
    gen={"alpha": "positive"})
row("det-XtAX-mixed", "det(X'*A*X)", "X", SQ, "2*det(X'*A*X)*inv(X)'", gen=INV)
row("tr-cycled", "tr(B*A*X)", "X", SQ, "A'*B'")
row("det-adj", "tr(adj(X)*A)/det(X)", "X", SQ, "-(inv(X)*A*inv(X))'", gen=INV)
row("tr-inv-spelled", "tr(A*inv(R'*R)*R'*R)", "R", {"R": "matrix(m,n)", "A": "matrix(n,n)"}, "0")
row("det-RtR", "det(R'*R)", "R", {"R": "matrix(m,n)"}, "2*det(R'*R)*R*inv(R'*R)")
# item 3: scalars and transposes
row("quad-scaled", "0.5*x'*A*x", "x", {"x": "vector(n)", "A": "matrix(n,n)"}, "0.5*(A + A')*x")
row("sum-of-y", "-y'*log(exp(z)/sum(exp(z)))", "z", YZ, "sum(y)*exp(z)/sum(exp(z)) - y", gen=UN)
row("transpose-of-sum", "tr((X' - M')*A)", "X", {"X": "matrix(n,n)", "M": "matrix(n,n)", "A": "matrix(n,n)"}, "A")


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_example(row):
    check(row, limit=1.0)
