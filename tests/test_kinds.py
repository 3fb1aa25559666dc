"""Kinds inferred from use (issue 15, item 1; docs/language.md §2 "Kinds from use").

* The statistician's expressions derive with no declarations: ``mu`` in ``x - mu`` is a
  vector, ``N`` in ``-N/2*logdet(S)`` and ``n`` in ``n/2*log(sigma^2)`` are scalars.  Each
  derivative is compared with central finite differences of the ORIGINAL expression,
  written here independently in NumPy.
* Where the expression leaves a kind open, the convention decides (``alpha + x``).
* Declarations always win.
* A kind error that remains names the variable, where its kind came from, the failing use
  and the one declaration that fixes it, in the Python and the command-line forms; the fix
  really types the expression, and its derivative is checked too.
"""
from __future__ import annotations

import numpy as np
import pytest

from support import fd
import matdiff as md
from matdiff import cli
from matdiff.shapes import typecheck

N = 3


def _slogdet(S):
    return np.linalg.slogdet(S)[1]


def _inputs(rng):
    x, mu = rng.normal(size=N), rng.normal(size=N)
    return {"S": fd.spd(rng, N), "Sigma": fd.spd(rng, N), "C": fd.spd(rng, N), "x": x, "mu": mu,
            "N": float(rng.uniform(2, 5)), "n": float(rng.uniform(2, 5)),
            "sigma": float(rng.uniform(0.5, 2)), "alpha": float(rng.normal())}


# (expression, wrt, kinds the names must take, NumPy of the original expression)
NO_DECLARATIONS = [
    ("-N/2*logdet(S)", "S", {"N": (1, 1), "S": ("n", "n")},
     lambda a: -a["N"] / 2 * _slogdet(a["S"])),
    ("-N/2*logdet(S)", "N", {"N": (1, 1)}, lambda a: -a["N"] / 2 * _slogdet(a["S"])),
    ("n/2*log(sigma^2)", "sigma", {"n": (1, 1), "sigma": (1, 1)},
     lambda a: a["n"] / 2 * np.log(a["sigma"] ** 2)),
    ("-0.5*logdet(Sigma) - 0.5*(x - mu)'*inv(Sigma)*(x - mu)", "mu", {"mu": ("n", 1)},
     lambda a: -0.5 * _slogdet(a["Sigma"]) - 0.5 * (a["x"] - a["mu"]) @ np.linalg.inv(a["Sigma"])
     @ (a["x"] - a["mu"])),
    ("-N/2*logdet(S) - N/2*tr(inv(S)*C)", "S", {"N": (1, 1), "C": ("n", "n")},
     lambda a: -a["N"] / 2 * _slogdet(a["S"]) - a["N"] / 2 * np.trace(np.linalg.inv(a["S"]) @ a["C"])),
    ("n/2*log(2*pi) + n*log(sigma) + norm2(x - mu)^2/(2*sigma^2)", "sigma",
     {"n": (1, 1), "mu": ("n", 1)},
     lambda a: a["n"] / 2 * np.log(2 * np.pi) + a["n"] * np.log(a["sigma"])
     + np.sum((a["x"] - a["mu"]) ** 2) / (2 * a["sigma"] ** 2)),
    ("n/2*log(2*pi) + n*log(sigma) + norm2(x - mu)^2/(2*sigma^2)", "mu",
     {"n": (1, 1), "mu": ("n", 1)},
     lambda a: a["n"] / 2 * np.log(2 * np.pi) + a["n"] * np.log(a["sigma"])
     + np.sum((a["x"] - a["mu"]) ** 2) / (2 * a["sigma"] ** 2)),
    ("(mu - x)'*(mu - x)", "mu", {"mu": ("n", 1)},
     lambda a: (a["mu"] - a["x"]) @ (a["mu"] - a["x"])),
    # the convention decides what the use leaves open: alpha added to a vector broadcasts
    ("alpha + x", "alpha", {"alpha": (1, 1), "x": ("n", 1)}, lambda a: a["alpha"] + a["x"]),
    ("sum(exp(x + alpha))", "alpha", {"alpha": (1, 1)}, lambda a: np.sum(np.exp(a["x"] + a["alpha"]))),
]


@pytest.mark.parametrize("expr, wrt, kinds, ref", NO_DECLARATIONS,
                         ids=[f"{c[0]} by {c[1]}" for c in NO_DECLARATIONS])
def test_derives_with_no_declarations(expr, wrt, kinds, ref):
    typed = typecheck(expr)
    for name, shape in kinds.items():
        assert typed.variables[name].shape == shape, (name, typed.variables[name].shape)
    a = {k: v for k, v in _inputs(np.random.default_rng(len(expr))).items() if k in typed.variables}
    r = md.derivative(expr, wrt=wrt)
    want = fd.reference(ref, a, wrt)
    got = r.evaluate(**a)
    fd.assert_close(got, want, fd.TOLS[1], strict_shape=False, what=f"{expr} d/d{wrt} = {r.text!r}")
    again = md.evaluate(r.text, vars=_decls(typed), shape=np.shape(got), **a)
    fd.assert_close(again, got, 1e-9, strict_shape=False, what=f"md.evaluate({r.text!r})")


def _decls(typed):
    def spell(shape):
        if shape == (1, 1):
            return "scalar"
        return f"vector({shape[0]})" if shape[1] == 1 else f"matrix({shape[0]},{shape[1]})"
    return {k: spell(v.shape) for k, v in typed.variables.items()}


def _kind(shape):
    return "scalar" if tuple(shape) == (1, 1) else "vector" if shape[1] == 1 else "matrix"


@pytest.mark.parametrize("expr, name, kind", [
    ("x'*A*x", "A", "matrix"),          # A between vectors: left to the convention
    ("tr(2*A)", "A", "matrix"),         # a number is not a scalar function's value
    ("alpha*x", "x", "vector"),         # nor is a name
    ("c*tr(X)", "c", "scalar"),         # a coefficient of a function's value
    ("A*tr(X)/2", "A", "scalar"),
    ("x*sum(x)", "x", "vector"),        # x is also summed: not only a coefficient
    ("x - alpha", "alpha", "vector"),   # a difference compares like with like
    ("X - lambda", "lambda", "matrix"),
    ("-mu + x", "mu", "vector"),
    ("x + alpha", "alpha", "scalar"),   # a sum keeps the convention
    ("1 - y", "y", "vector"),
    ("mu*x'*x + norm2(x - mu)^2", "mu", "scalar"),   # another use needs a scalar
])
def test_the_rule(expr, name, kind):
    assert _kind(typecheck(expr).variables[name].shape) == kind


@pytest.mark.parametrize("expr, vars_, name, shape", [
    ("-N/2*logdet(S)", {"N": "matrix(m,m)"}, "N", ("m", "m")),
    ("x - mu", {"mu": "scalar"}, "mu", (1, 1)),
    ("alpha + x", {"alpha": "vector(n)"}, "alpha", ("n", 1)),
    ("n/2*log(sigma^2)", {"n": "vector(k)"}, "n", ("k", 1)),
])
def test_declarations_always_win(expr, vars_, name, shape):
    assert typecheck(expr, vars_).variables[name].shape == shape


# (expression, declarations, wrt, the name, its kind's origin, the fix, NumPy reference under it)
KIND_ERRORS = [
    ("N*x'*x", None, "x", "N", "N is a matrix by the naming convention", "scalar",
     lambda a: a["N"] * a["x"] @ a["x"]),
    ("tr(x) + y'*x", None, "x", "x", "x is a vector by the naming convention", "matrix(n,n)",
     None),
    ("x + A*mu", {"mu": "scalar"}, "mu", "mu", "mu is declared a scalar", "vector(m)",
     lambda a: a["x"] + a["A"] @ a["mu"]),
    ("logdet(y)", None, "y", "y", "y is a vector by the naming convention", "matrix(n,n)",
     lambda a: _slogdet(a["y"])),
]


def _arrays(typed, rng):
    out = {}
    for k, v in typed.variables.items():
        shape = tuple(3 if d == "n" else 4 if d != 1 else 1 for d in v.shape)
        if shape == (1, 1):
            out[k] = float(rng.uniform(1, 2))
        elif shape[1] == 1:
            out[k] = rng.normal(size=shape[0])
        else:
            out[k] = fd.spd(rng, shape[0]) if shape[0] == shape[1] else rng.normal(size=shape)
    return out


@pytest.mark.parametrize("expr, vars_, wrt, name, origin, fix, ref", KIND_ERRORS,
                         ids=[c[0] for c in KIND_ERRORS])
def test_a_kind_error_names_its_variable_and_fix(expr, vars_, wrt, name, origin, fix, ref, capsys):
    with pytest.raises(md.ShapeError) as info:
        md.derivative(expr, wrt=wrt, vars=vars_)
    e = info.value
    assert e.fix == (name, fix)
    msg = str(e)
    assert "\n" not in msg and "(column " in msg
    assert origin in msg
    assert f'declare it: vars={{"{name}": "{fix}"}}' in msg
    # the command line writes the same fix as --var
    def argv(decls):
        return [expr, "--wrt", wrt] + [a for k, d in decls.items() for a in ("--var", f"{k}: {d}")]
    assert cli.main(argv(vars_ or {})) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"declare it: --var '{name}: {fix}'" in err
    assert "vars=" not in err
    # the declaration it names makes the expression type; with it, the derivative is right
    fixed = {**(vars_ or {}), name: fix}
    assert cli.main(argv(fixed)) == 0
    capsys.readouterr()
    if ref is not None:
        r = md.derivative(expr, wrt=wrt, vars=fixed)
        a = _arrays(typecheck(expr, fixed), np.random.default_rng(7))
        fd.assert_close(r.evaluate(**a), fd.reference(ref, a, wrt), fd.TOLS[1], strict_shape=False,
                        what=f"{expr} d/d{wrt} = {r.text!r}")


def test_a_size_error_of_declared_names_offers_no_kind():
    with pytest.raises(md.ShapeError) as info:
        md.derivative("A*x + B*x", wrt="x", vars={"A": "matrix(m,n)", "B": "matrix(n,n)"})
    assert info.value.fix is None and "declare" not in str(info.value)


def test_a_transpose_slip_is_not_offered_a_kind():
    with pytest.raises(md.ShapeError) as info:
        md.derivative("x*y", wrt="x")
    assert info.value.fix is None and "x'*y" in str(info.value)


def test_check_claims_name_the_fix(capsys):
    claim = "d/dx N*x'*x = 2*N*x"
    with pytest.raises(md.ShapeError, match=r'N is a matrix by the naming convention .*'
                                            r'declare it: vars=\{"N": "scalar"\}'):
        md.check(claim)
    assert cli.main(["check", claim]) == 2
    assert "declare it: --var 'N: scalar'" in capsys.readouterr().err
    assert md.check(claim, vars={"N": "scalar"}).holds
    # inferred kinds reach the claimed result: N is a scalar on both sides
    assert md.check("d/dS -N/2*logdet(S) = -N/2*inv(S)'").holds
    assert not md.check("d/dS -N/2*logdet(S) = -N*inv(S)'").holds
