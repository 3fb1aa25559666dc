"""The LaTeX printer (matdiff.render.latex).

* exact LaTeX for expressions typed from text (every kind of node, scalar,
  vector and matrix results of several sizes, minimal parentheses);
* every printed expression and statement renders in both latex2mathml
  (and leaves no unknown ``\\command`` behind in the MathML) and
  matplotlib's mathtext;
* the whole seed corpus (expressions and closed forms) renders in both.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from latex2mathml.converter import convert

from matdiff.errors import MatdiffError
from matdiff.expr import Var
from matdiff.render.latex import name_latex, statement_latex, to_latex
from matdiff.shapes import typecheck

VARS = {
    "A": "matrix(n,n)", "B": "matrix(n,n)", "C": "matrix(n,n)",
    "M": "matrix(m,n)", "N": "matrix(n,p)", "P": "matrix(p,q)", "W": "matrix(k,n)",
    "X": "matrix(n,n)", "Y": "matrix(m,n)",
    "x": "vector(n)", "y": "vector(n)", "z": "vector(m)", "u": "vector(k)",
    "s": "scalar", "t": "scalar", "alpha": "scalar", "beta": "scalar",
    "Sigma": "matrix(n,n) spd", "mu": "vector(n)",
}

# (expression, expected LaTeX, expected shape)
CASES = [
    # products, transposes, minimal parentheses
    ("x'*A*x", r"\mathbf{x}^\top\mathbf{A}\mathbf{x}", (1, 1)),
    ("M*x", r"\mathbf{M}\mathbf{x}", ("m", 1)),
    ("x*z'", r"\mathbf{x}\mathbf{z}^\top", ("n", "m")),
    ("(M*N)'", r"\left(\mathbf{M}\mathbf{N}\right)^\top", ("p", "m")),
    ("M*N*P", r"\mathbf{M}\mathbf{N}\mathbf{P}", ("m", "q")),
    ("(A + B)*x", r"\left(\mathbf{A} + \mathbf{B}\right)\mathbf{x}", ("n", 1)),
    ("x'*(A + A')", r"\mathbf{x}^\top\left(\mathbf{A} + \mathbf{A}^\top\right)", (1, "n")),
    ("(x'*A*x)*y", r"\left(\mathbf{x}^\top\mathbf{A}\mathbf{x}\right)\mathbf{y}", ("n", 1)),
    ("alpha*x'*A*x", r"\alpha\mathbf{x}^\top\mathbf{A}\mathbf{x}", (1, 1)),
    ("A*B - B*A", r"\mathbf{A}\mathbf{B} - \mathbf{B}\mathbf{A}", ("n", "n")),
    ("-(A + B)", r"-\left(\mathbf{A} + \mathbf{B}\right)", ("n", "n")),
    ("-x", r"-\mathbf{x}", ("n", 1)),
    ("-2*x + 3*y", r"-2\mathbf{x} + 3\mathbf{y}", ("n", 1)),
    ("x - (y - x)", r"\mathbf{x} - \left(\mathbf{y} - \mathbf{x}\right)", ("n", 1)),
    ("-alpha^2", r"-\alpha^{2}", (1, 1)),
    ("(-s)^3", r"\left(-s\right)^{3}", (1, 1)),
    ("(x + y)'*W'", r"\left(\mathbf{x} + \mathbf{y}\right)^\top\mathbf{W}^\top", (1, "k")),
    # scalars, numbers and division
    ("2*A", r"2\mathbf{A}", ("n", "n")),
    ("A/2", r"\frac{1}{2}\mathbf{A}", ("n", "n")),
    ("-(3/4)*x", r"-\frac{3}{4}\mathbf{x}", ("n", 1)),
    ("x/alpha", r"\frac{\mathbf{x}}{\alpha}", ("n", 1)),
    ("2*x/(alpha*beta)", r"\frac{2\mathbf{x}}{\alpha\beta}", ("n", 1)),
    ("x/(2*alpha)", r"\frac{\mathbf{x}}{2\alpha}", ("n", 1)),
    ("(x + y)/s", r"\frac{\mathbf{x} + \mathbf{y}}{s}", ("n", 1)),
    ("s/(s + t)", r"\frac{s}{s + t}", (1, 1)),
    ("1/s", r"\frac{1}{s}", (1, 1)),
    ("0.001*x", r"0.001\mathbf{x}", ("n", 1)),
    ("s*t*u", r"st\mathbf{u}", ("k", 1)),
    ("x'*y + 1", r"\mathbf{x}^\top\mathbf{y} + 1", (1, 1)),
    # powers, inverses
    ("inv(X)", r"\mathbf{X}^{-1}", ("n", "n")),
    ("inv(X)'", r"\mathbf{X}^{-\top}", ("n", "n")),
    ("inv(X')", r"\mathbf{X}^{-\top}", ("n", "n")),
    ("inv(A*B)", r"\left(\mathbf{A}\mathbf{B}\right)^{-1}", ("n", "n")),
    ("-inv(X)*A*inv(X)", r"-\mathbf{X}^{-1}\mathbf{A}\mathbf{X}^{-1}", ("n", "n")),
    ("X^3", r"\mathbf{X}^{3}", ("n", "n")),
    ("(X^3)'", r"\left(\mathbf{X}^{3}\right)^\top", ("n", "n")),
    ("X^-2", r"\mathbf{X}^{-2}", ("n", "n")),
    ("Y.^2", r"\mathbf{Y}^{\odot 2}", ("m", "n")),
    ("Y'.^2", r"\left(\mathbf{Y}^\top\right)^{\odot 2}", ("n", "m")),
    ("x.^(1/2)", r"\sqrt{\mathbf{x}}", ("n", 1)),
    ("s^(3/2)", r"s^{3/2}", (1, 1)),
    ("(x'*y)^2", r"\left(\mathbf{x}^\top\mathbf{y}\right)^{2}", (1, 1)),
    # elementwise products and quotients, Kronecker
    ("x .* y", r"\mathbf{x} \odot \mathbf{y}", ("n", 1)),
    ("Y ./ M", r"\mathbf{Y} \oslash \mathbf{M}", ("m", "n")),
    ("x .* (A*y)", r"\mathbf{x} \odot \left(\mathbf{A}\mathbf{y}\right)", ("n", 1)),
    ("A*(x .* y)", r"\mathbf{A}\left(\mathbf{x} \odot \mathbf{y}\right)", ("n", 1)),
    ("(x .* y)'", r"\left(\mathbf{x} \odot \mathbf{y}\right)^\top", (1, "n")),
    ("kron(M, P)", r"\mathbf{M} \otimes \mathbf{P}", ("m*p", "n*q")),
    ("2*kron(A, B)", r"2\left(\mathbf{A} \otimes \mathbf{B}\right)", ("n*n", "n*n")),
    ("kron(kron(x, y), u)", r"\mathbf{x} \otimes \mathbf{y} \otimes \mathbf{u}", ("n*n*k", 1)),
    ("kron(x, kron(y, u))", r"\mathbf{x} \otimes \left(\mathbf{y} \otimes \mathbf{u}\right)",
     ("n*n*k", 1)),
    ("kron(A, B)'", r"\left(\mathbf{A} \otimes \mathbf{B}\right)^\top", ("n*n", "n*n")),
    # functions
    ("tr(X*A*X')", r"\operatorname{tr}\left(\mathbf{X}\mathbf{A}\mathbf{X}^\top\right)", (1, 1)),
    ("det(X)", r"\det\left(\mathbf{X}\right)", (1, 1)),
    ("logdet(Sigma)", r"\log\det\left(\boldsymbol{\Sigma}\right)", (1, 1)),
    ("diag(u)", r"\operatorname{diag}\left(\mathbf{u}\right)", ("k", "k")),
    ("diag(X)", r"\operatorname{diag}\left(\mathbf{X}\right)", ("n", 1)),
    ("vec(Y)", r"\operatorname{vec}\left(\mathbf{Y}\right)", ("m*n", 1)),
    ("sum(Y)", r"\operatorname{sum}\left(\mathbf{Y}\right)", (1, 1)),
    ("norm2(M*x - z)^2", r"\left\|\mathbf{M}\mathbf{x} - \mathbf{z}\right\|^{2}", (1, 1)),
    ("norm2(Y)", r"\left\|\mathbf{Y}\right\|_F", (1, 1)),
    ("norm1(u)", r"\left\|\mathbf{u}\right\|_1", (1, 1)),
    ("expm(X)", r"e^{\mathbf{X}}", ("n", "n")),
    ("expm(X)'", r"\left(e^{\mathbf{X}}\right)^\top", ("n", "n")),
    ("exp(Y)", r"\exp\left(\mathbf{Y}\right)", ("m", "n")),
    ("log(x) + sin(y)", r"\log\left(\mathbf{x}\right) + \sin\left(\mathbf{y}\right)", ("n", 1)),
    ("tanh(W*x)", r"\tanh\left(\mathbf{W}\mathbf{x}\right)", ("k", 1)),
    ("sqrt(u)", r"\sqrt{\mathbf{u}}", ("k", 1)),
    ("abs(z)", r"\left|\mathbf{z}\right|", ("m", 1)),
    ("sigmoid(W*x)", r"\operatorname{sigmoid}\left(\mathbf{W}\mathbf{x}\right)", ("k", 1)),
    ("relu(x) - sign(y) + arctan(x)",
     r"\operatorname{relu}\left(\mathbf{x}\right) - \operatorname{sign}\left(\mathbf{y}\right)"
     r" + \arctan\left(\mathbf{x}\right)", ("n", 1)),
    ("cos(s)*tan(t)", r"\cos\left(s\right)\tan\left(t\right)", (1, 1)),
    ("exp(alpha)*x", r"\exp\left(\alpha\right)\mathbf{x}", ("n", 1)),
    # constants and names
    ("A + I", r"\mathbf{A} + \mathbf{I}", ("n", "n")),
    ("ones'*z", r"\mathbf{1}^\top\mathbf{z}", (1, 1)),
    ("x + vector(3)", r"\mathbf{x} + 3\mathbf{1}", ("n", 1)),
    ("mu'*inv(Sigma)*mu", r"\mu^\top\boldsymbol{\Sigma}^{-1}\mu", (1, 1)),
    ("lam*x1 + x_2 - y", r"\lambda\mathbf{x}_{1} + \mathbf{x}_{2} - \mathbf{y}", ("n", 1)),
    ("x_train'*A", r"\mathbf{x}_{\mathrm{train}}^\top\mathbf{A}", (1, "n")),
]
# mu is declared a vector: bold Greek
CASES = [(t, (r"\boldsymbol{\mu}^\top\boldsymbol{\Sigma}^{-1}\boldsymbol{\mu}"
              if t == "mu'*inv(Sigma)*mu" else tex), shape) for t, tex, shape in CASES]


def _typed(text):
    return typecheck(text, VARS).expr


def _shape(shape):
    return tuple(d if isinstance(d, int) else str(d) for d in shape)


# ---- renderers ----------------------------------------------------------------

def _check_mathml(tex: str) -> None:
    out = convert(tex)
    assert out.startswith("<math")
    # latex2mathml passes unknown commands through as text; there must be none
    assert "\\" not in out, f"latex2mathml left a command in {out!r}"


def _check_mathtext(tex: str) -> None:
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    from matplotlib import mathtext
    buf = io.BytesIO()
    mathtext.math_to_image(f"${tex}$", buf, format="png")
    assert buf.getvalue()[:4] == b"\x89PNG"


# ---- exact output ---------------------------------------------------------------

def test_enough_cases_and_shapes():
    assert len(CASES) >= 25
    assert len({_shape(s) for _, _, s in CASES}) >= 12


@pytest.mark.parametrize("text,tex,shape", CASES, ids=[c[0] for c in CASES])
def test_exact(text, tex, shape):
    e = _typed(text)
    assert _shape(e.shape) == _shape(shape)
    assert to_latex(e) == tex


@pytest.mark.parametrize("text,tex,shape", CASES, ids=[c[0] for c in CASES])
def test_renders_in_latex2mathml(text, tex, shape):
    _check_mathml(to_latex(_typed(text)))


@pytest.mark.parametrize("text,tex,shape", CASES, ids=[c[0] for c in CASES])
def test_renders_in_mathtext(text, tex, shape):
    _check_mathtext(to_latex(_typed(text)))


def test_parentheses_balanced_and_minimal():
    for text, _, _ in CASES:
        tex = to_latex(_typed(text))
        assert tex.count(r"\left") == tex.count(r"\right")
        assert tex.count("{") == tex.count("}")
    # no parentheses where precedence already groups
    for text in ("x'*A*x", "A*B*x + y", "2*alpha*x", "-inv(X)*A", "x .* y + A*x", "s*t + x'*y"):
        assert r"\left(" not in to_latex(_typed(text)), text


def test_no_glued_control_words():
    # a control word followed directly by a letter would change its name
    for text in ("alpha*s", "lam*t*x", "alpha*beta", "beta*t"):
        tex = to_latex(_typed(text))
        assert tex in (r"\alpha s", r"\lambda t\mathbf{x}", r"\alpha\beta", r"\beta t"), tex
    # a number after a factor gets \cdot, never digits glued to digits
    assert to_latex(_typed("2*s^(1/2)")) == r"2\sqrt{s}"


# ---- names -----------------------------------------------------------------------

@pytest.mark.parametrize("name,shape,tex", [
    ("x", ("n", 1), r"\mathbf{x}"),
    ("A", ("n", "n"), r"\mathbf{A}"),
    ("s", (1, 1), "s"),
    ("alpha", (1, 1), r"\alpha"),
    ("lam", (1, 1), r"\lambda"),
    ("Sigma", ("n", "n"), r"\boldsymbol{\Sigma}"),
    ("mu", ("n", 1), r"\boldsymbol{\mu}"),
    ("Beta", ("n", "n"), r"\mathbf{B}"),
    ("rate", (1, 1), r"\mathit{rate}"),
    ("xy", ("n", 1), r"\mathbf{xy}"),
    ("x12", ("n", 1), r"\mathbf{x}_{12}"),
    ("A_1", ("n", "n"), r"\mathbf{A}_{1}"),
    ("alpha2", (1, 1), r"\alpha_{2}"),
    ("x_alpha", ("n", 1), r"\mathbf{x}_{\alpha}"),
    ("x_max", ("n", 1), r"\mathbf{x}_{\mathrm{max}}"),
    ("\u03b1", (1, 1), r"\alpha"),
    ("\u03a3", ("n", "n"), r"\boldsymbol{\Sigma}"),
    ("\u03bb", (1, 1), r"\lambda"),
    ("\u03c32", (1, 1), r"\sigma_{2}"),
    ("\u03b1\u03b2", ("n", 1), r"\boldsymbol{\alpha \beta}"),
    ("omicron", (1, 1), "o"),
    ("ab_cd", (1, 1), r"\mathit{ab}_{\mathrm{cd}}"),
    ("x_1_y", ("n", 1), r"\mathbf{x}_{1,y}"),
    ("_x", ("n", 1), r"\mathbf{\_x}"),
])
def test_names(name, shape, tex):
    assert name_latex(name, shape) == tex
    assert to_latex(Var(name, shape)) == tex
    _check_mathml(tex)
    _check_mathtext(tex)


def test_scientific_numbers():
    assert to_latex(_typed("1e-20*x")) == r"10^{-20}\mathbf{x}"
    tex = to_latex(_typed("1.5e-20*x"))
    assert tex == r"1.5 \cdot 10^{-20}\mathbf{x}"
    _check_mathml(tex)
    _check_mathtext(tex)


# ---- statements ------------------------------------------------------------------

STATEMENTS = [
    (dict(f_latex="f", wrt_latex=r"\mathbf{X}", result="A'", layout="numerator"),
     r"\frac{\partial f}{\partial \mathbf{X}} = \mathbf{A}^\top\quad\text{(numerator layout)}"),
    (dict(f_latex=r"\mathbf{x}^\top\mathbf{A}\mathbf{x}", wrt_latex=r"\mathbf{x}",
          result="(A + A')*x", layout="mixed"),
     r"\frac{\partial \mathbf{x}^\top\mathbf{A}\mathbf{x}}{\partial \mathbf{x}} = "
     r"\left(\mathbf{A} + \mathbf{A}^\top\right)\mathbf{x}\quad\text{(mixed layout)}"),
    (dict(f_latex="f", wrt_latex=r"\mathbf{x}", result="A + A'", layout="mixed", order=2),
     r"\frac{\partial^2 f}{\partial \mathbf{x}\,\partial \mathbf{x}^\top} = "
     r"\mathbf{A} + \mathbf{A}^\top\quad\text{(mixed layout)}"),
    (dict(f_latex="f", wrt_latex="s", result="2*s", layout="mixed", order=2),
     r"\frac{\partial^{2} f}{\partial s^{2}} = 2s\quad\text{(mixed layout)}"),
    (dict(f_latex=r"\mathbf{a}^\top\mathbf{x}", wrt_latex=r"\mathbf{x}", result="a'",
          layout="denominator", transposed_wrt=True),
     r"\frac{\partial \mathbf{a}^\top\mathbf{x}}{\partial \mathbf{x}^\top} = "
     r"\mathbf{a}^\top\quad\text{(denominator layout)}"),
    (dict(f_latex=r"\mathbf{A}\mathbf{x} + \mathbf{b}", wrt_latex=r"\mathbf{x}", result="A",
          layout="numerator"),
     r"\frac{\partial}{\partial \mathbf{x}}\left(\mathbf{A}\mathbf{x} + \mathbf{b}\right) = "
     r"\mathbf{A}\quad\text{(numerator layout)}"),
    (dict(f_latex=r"\log\det\left(\mathbf{X}\right)", wrt_latex=r"\mathbf{X}",
          result="inv(X)'", layout=None),
     r"\frac{\partial \log\det\left(\mathbf{X}\right)}{\partial \mathbf{X}} = \mathbf{X}^{-\top}"),
    (dict(f_latex=r"-\mathbf{x}^\top\mathbf{x}", wrt_latex=r"\mathbf{x}", result="-2*x",
          layout="mixed"),
     r"\frac{\partial}{\partial \mathbf{x}}\left(-\mathbf{x}^\top\mathbf{x}\right) = "
     r"-2\mathbf{x}\quad\text{(mixed layout)}"),
]


@pytest.mark.parametrize("kw,tex", STATEMENTS, ids=[str(i) for i in range(len(STATEMENTS))])
def test_statement(kw, tex):
    kw = dict(kw)
    kw["result"] = typecheck(kw["result"], {"s": "scalar"}).expr
    out = statement_latex(**kw)
    assert out == tex
    _check_mathml(out)
    _check_mathtext(out)


def test_statement_from_printed_parts():
    e = _typed("tr(X*A*X')")
    out = statement_latex(to_latex(e), name_latex("X", ("n", "n")),
                          _typed("X*(A + A')"), "mixed")
    assert out == (r"\frac{\partial \operatorname{tr}\left(\mathbf{X}\mathbf{A}\mathbf{X}^\top"
                   r"\right)}{\partial \mathbf{X}} = \mathbf{X}\left(\mathbf{A} + "
                   r"\mathbf{A}^\top\right)\quad\text{(mixed layout)}")


# ---- the seed corpus --------------------------------------------------------------

def _corpus_texts():
    here = Path(__file__).resolve().parent
    for p in (here / "data" / "seeds.json", here.parent.parent / "shared" / "corpus" / "seeds.json"):
        if p.exists():
            cases = json.loads(p.read_text(encoding="utf-8"))
            break
    else:
        return []
    out, seen = [], set()
    for c in cases:
        for key in ("expr", "expected"):
            t = c.get(key)
            if isinstance(t, str) and (t, str(c.get("vars"))) not in seen:
                seen.add((t, str(c.get("vars"))))
                out.append((t, c.get("vars")))
    return out


def test_corpus_renders_everywhere():
    texts = _corpus_texts()
    if not texts:
        pytest.skip("seed corpus not found")
    rendered = 0
    for text, vars in texts:
        try:
            e = typecheck(text, vars).expr
        except MatdiffError:
            continue
        tex = to_latex(e)
        _check_mathml(tex)
        _check_mathtext(tex)
        rendered += 1
    assert rendered >= len(texts) // 2
