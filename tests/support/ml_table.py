"""The everyday ML/statistics table (tests/data/ml_quality.json): its rows, their random
inputs and the token count, shared by tests/test_ml_quality.py and benchmarks/quality.py."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

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
