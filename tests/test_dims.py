"""``dims.Dim``: the size of a vec or kron result, a product of dimensions."""
from __future__ import annotations

import numpy as np
import pytest

import matdiff as md
from matdiff.dims import Dim, dim_mul
from matdiff.evaluate import _Dims
from matdiff.index.evaluate import size_of


def test_parse_reads_what_users_type():
    assert Dim.parse("3") == 3
    assert Dim.parse("n") == "n"
    d = Dim.parse("m * n")
    assert isinstance(d, Dim) and d.parts == ("m", "n") and str(d) == "m*n"
    assert Dim.parse("2*n").parts == (2, "n")


def test_str_keeps_the_order_of_multiplication():
    assert str(Dim(("n", "m"))) == "n*m"
    assert str(Dim((2, "n", 3))) == "2*n*3"
    assert str(Dim((Dim(("m", "n")), "p"))) == "m*n*p"   # nested products flatten
    assert repr(Dim(("m", "n"))) == "Dim('m*n')"


def test_equal_up_to_order_with_one_hash():
    assert Dim(("m", "n")) == Dim(("n", "m"))
    assert hash(Dim(("m", "n"))) == hash(Dim(("n", "m")))
    assert Dim((2, "n", 3)) == Dim((6, "n"))           # the integer coefficient multiplies
    assert Dim(("m", "n")) != Dim(("m", "m"))
    assert Dim(("n", "n")) != Dim(("n",  "n", "n"))
    assert Dim(("m", "n")) != "m*n"                      # a product is not its spelling
    assert len({Dim(("m", "n")), Dim(("n", "m")), Dim(("m", "p"))}) == 2


def test_coeff_and_factors():
    d = Dim(("n", 2, "m", 3))
    assert d.coeff == 6
    assert d.factors == ("m", "n")


def test_immutable():
    d = Dim(("m", "n"))
    with pytest.raises(AttributeError):
        d.parts = ("p",)


def test_size():
    sizes = {"m": 3, "n": 4}
    assert Dim(("m", "n")).size(sizes.get) == 12
    assert Dim((2, "n")).size(sizes.get) == 8
    assert Dim(("m", "p")).size(sizes.get) is None      # p unknown


def test_dim_mul():
    assert dim_mul(2, 3) == 6
    assert dim_mul(1, "n") == "n" and dim_mul("n", 1) == "n"
    assert dim_mul("m", "n") == Dim(("m", "n")) and str(dim_mul("m", "n")) == "m*n"
    assert str(dim_mul(dim_mul("m", "n"), "p")) == "m*n*p"
    assert str(dim_mul(3, "n")) == "3*n"


def test_sizes_in_the_evaluators():
    assert size_of(Dim(("m", "n", 2)), {"m": 3, "n": 5}) == 30
    dims = _Dims()
    dims.learn("m", 3)
    assert dims.get(Dim(("m", "n"))) is None
    assert dims.learn(Dim(("m", "n")), 12)                # m*n = 12 with m = 3: n = 4
    assert dims.get("n") == 4 and dims.get(Dim(("n", "m"))) == 12
    assert not dims.learn(Dim(("m", "p")), 7)             # 7 is not a multiple of 3


def test_results_carry_products():
    """a'*vec(X): a has m*n entries (inferred) and the gradient is vec(X), column by column."""
    r = md.derivative("a'*vec(X)", "a", vars={"X": "matrix(m,n)"})
    assert r.typed.variables["a"].shape == (Dim(("m", "n")), 1)
    assert r.shape == (Dim(("n", "m")),) and str(r.shape[0]) == "m*n"
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(r.evaluate(a=np.ones(6), X=x), [0, 3, 1, 4, 2, 5])


def test_check_draws_a_variable_whose_size_is_a_product():
    """a has m*n entries: its random value is drawn m*n long (this used to raise KeyError)."""
    assert md.check("d/da a'*vec(X) = vec(X)").holds
    assert not md.check("d/da a'*vec(X) = 2*vec(X)").holds


# An equation between sizes in lowest terms (typing unifies what it forces, md.check's
# sampler computes a name alone on one side): common names cancel, numbers divide by their
# gcd, and a common power's exact root is taken.
@pytest.mark.parametrize("a, b, left, right", [
    ("m*m", "n*n", "m", "n"),
    ("m*n", "m*p", "n", "p"),
    ("4*m*m", "n*n", "2*m", "n"),
    ("m*m", "n*n*p*p", "m", "n*p"),
    ("2*m*m", "n*n", "2*m*m", "n*n"),      # no exact root: kept
    ("6", "2*m", "3", "m"),
])
def test_reduce_tie(a, b, left, right):
    from collections import Counter
    from matdiff.dims import monomial, reduce_tie

    def mono(text):
        c, names = monomial(Dim.parse(text))
        return c, +names
    got = reduce_tie(mono(a), mono(b))
    assert got == (mono(left), mono(right))
    assert isinstance(got[0][1], Counter)


def test_forced_equal_only_where_one_name_meets_one_name():
    from matdiff.dims import forced_equal, monomial
    assert forced_equal(monomial(Dim.parse("m*m")), monomial(Dim.parse("n*n"))) == ("m", "n")
    assert forced_equal(monomial(Dim.parse("m*n")), monomial(Dim.parse("p*q"))) is None
    assert forced_equal(monomial(Dim.parse("4*m*m")), monomial(Dim.parse("n*n"))) is None
