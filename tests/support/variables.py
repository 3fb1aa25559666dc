"""The variables of the two random-expression generators, tests/test_properties.py (a
hypothesis strategy) and scripts/fuzz.py (random.Random): their names, declarations,
sizes and random values.  The generators themselves stay independent of each other.
"""
from __future__ import annotations

import numpy as np

from support import fd

SIZES = {"m": 3, "n": 4, "p": 2}
DIMS = tuple(SIZES)
LAYOUTS = ("mixed", "numerator", "denominator")

VARS = {
    "alpha": "scalar", "beta": "scalar",
    "x": "vector(n)", "y": "vector(n)", "u": "vector(m)", "z": "vector(p)",
    "A": "matrix(m,n)", "B": "matrix(n,p)", "C": "matrix(p,m)",
    "X": "matrix(n,n)", "Y": "matrix(m,m)", "Z": "matrix(p,p)", "S": "matrix(n,n) spd",
    "D": "matrix(m,m) diagonal",
}
SCALARS = ("alpha", "beta")
VECTORS = {"n": ("x", "y"), "m": ("u",), "p": ("z",)}
MATRICES = {("m", "n"): ("A",), ("n", "p"): ("B",), ("p", "m"): ("C",),
            ("n", "n"): ("X", "S"), ("m", "m"): ("Y", "D"), ("p", "p"): ("Z",)}
STRUCTURE = fd.structure_of(VARS)


def values(seed: int) -> dict:
    """Random values of every variable (the same for the same seed): scalars of magnitude
    0.3 to 1.2, S well-conditioned symmetric positive definite, D diagonal."""
    rng = np.random.default_rng(seed)
    out = {}
    for name in sorted(VARS):
        spec = VARS[name]
        if spec == "scalar":
            out[name] = float(np.sign(rng.standard_normal()) * rng.uniform(0.3, 1.2))
        elif spec.startswith("vector"):
            out[name] = 0.7 * rng.standard_normal(SIZES[spec[7]])
        elif "spd" in spec:
            out[name] = fd.spd(rng, SIZES["n"]) / SIZES["n"]
        elif "diagonal" in spec:
            out[name] = np.diag(0.5 * rng.standard_normal(SIZES["m"]))
        else:
            d1, d2 = spec[7:-1].split(",")
            out[name] = 0.5 * rng.standard_normal((SIZES[d1], SIZES[d2]))
    return out
