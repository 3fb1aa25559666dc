"""The everyday ML/statistics table (tests/data/ml_quality.json): its rows, their random
inputs, the token count and the check of one row, shared by tests/test_ml_quality.py,
tests/test_issue13_examples.py and benchmarks/quality.py."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

import matdiff as md

from . import fd

ROWS = json.loads((Path(__file__).parents[1] / "data" / "ml_quality.json").read_text(encoding="utf-8"))
SIZES = {"m": 5, "n": 3, "k": 2, "h": 3, "d": 4, "s": 5}
GEN = {"gauss": fd.gauss, "positive": fd.positive,
       "pm1": lambda rng, *shape: np.sign(rng.standard_normal(shape)) + 0.0,
       "unit": lambda rng, *shape: rng.uniform(0.1, 0.9, shape),
       "big": lambda rng, *shape: rng.uniform(8.0, 10.0, shape),
       "invertible": lambda rng, n, _: fd.well_conditioned(rng, n)}


def tokens(text: str) -> int:
    """Names, numbers and operators (parentheses not counted), as benchmarks/quality.py counts."""
    return len(re.findall(r"[A-Za-z_]\w*|\d+(?:\.\d*)?|\.[*/^]|[-+*/^']", text))


def inputs(row, seed=0) -> dict:
    """Random values respecting the row's declarations and its ``gen`` kinds."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, decl in sorted(row["vars"].items()):
        dims = re.search(r"\(([^)]*)\)", decl)
        shape = tuple(SIZES[d.strip()] for d in dims.group(1).split(",")) if dims else ()
        kind = row["gen"].get(name, "spd" if "spd" in decl else "sym" if "symmetric" in decl else "gauss")
        if kind == "spd":
            out[name] = fd.spd(rng, shape[0])
        elif kind == "sym":
            g = rng.standard_normal(shape)
            out[name] = g + g.T
        else:
            v = GEN[kind](rng, *shape)
            out[name] = float(v) if not shape else v
    return out


def check(row, limit: float) -> None:
    """matdiff's printed form for the row has at most ``limit`` times the tokens of the
    row's textbook form, its values equal central finite differences of the ORIGINAL
    expression, ``r.text`` re-evaluates to the same numbers, and the textbook form is
    itself right (so the comparison is honest)."""
    a = inputs(row)
    r = md.derivative(row["expr"], wrt=row["wrt"], vars=row["vars"], layout=row["layout"],
                      order=row["order"])
    # finite differences move one entry at a time: the original is evaluated undeclared
    plain = {k: re.sub(r"\s+(spd|symmetric)$", "", v) for k, v in row["vars"].items()}
    f = lambda arrays: md.evaluate(row["expr"], vars=plain, **arrays)  # noqa: E731
    wrt = [row["wrt"]] * row["order"] if row["order"] > 1 else row["wrt"]
    want = fd.reference(f, a, wrt, row["layout"], structure=fd.structure_of(row["vars"]))
    tol = fd.TOLS[row["order"]]
    got = r.evaluate(**a)
    fd.assert_close(got, want, tol, strict_shape=False, what=f"{row['id']}: {r.text}")
    again = md.evaluate(r.text, vars=row["vars"], shape=np.shape(got), **a)
    fd.assert_close(again, got, 1e-9, strict_shape=False, what=f"md.evaluate({r.text!r})")
    book = md.evaluate(row["textbook"], vars=row["vars"], shape=np.shape(got), **a)
    fd.assert_close(book, want, tol, strict_shape=False, what=f"the textbook form {row['textbook']}")
    assert tokens(r.text) <= limit * tokens(row["textbook"]), f"{r.text!r} vs {row['textbook']!r}"
