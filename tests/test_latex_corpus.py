"""The LaTeX of every seeds derivative compiles: r.latex (each line of a where-block) and the
whole r.statement go through two real TeX-math renderers (latex2mathml, and matplotlib's
mathtext)."""
import io

import latex2mathml.converter
import pytest

import matdiff as md
from support.corpus import load_cases

CASES = load_cases()


def _mathtext(tex):
    mathtext = pytest.importorskip("matplotlib.mathtext")
    mathtext.math_to_image(f"${tex}$", io.BytesIO(), format="png")


def _lines(tex: str) -> list[str]:
    """The lines of an aligned where-block (mathtext has no environments), else the LaTeX."""
    if not tex.startswith(r"\begin{aligned}"):
        return [tex]
    body = tex[len(r"\begin{aligned}"):-len(r"\end{aligned}")]
    return [line.replace("&", "") for line in body.split(r" \\ ")]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_derivative_latex_renders(case):
    r = md.derivative(case["expr"], wrt=case["wrt"], vars=case["vars"], layout=case["layout"],
                      order=case.get("order", 1))
    for tex in (*_lines(r.latex), r.statement):
        mathml = latex2mathml.converter.convert(tex)
        assert "\\" not in mathml, f"latex2mathml left a command unrendered in {tex!r}"
        _mathtext(tex)
    if r.expr is not None:
        assert f"({case['layout']} layout)" in r.statement


def test_jupyter_and_terminal_views():
    r = md.derivative("x'*A*x", wrt="x")
    assert r._repr_latex_() == f"$\\displaystyle {r.statement}$"
    assert r._repr_markdown_().startswith("$$ \\frac{\\partial") and "`(A + A')*x`" in r._repr_markdown_()
    assert repr(r) == "<derivative of x'*A*x by x (mixed): (A + A')*x>"
