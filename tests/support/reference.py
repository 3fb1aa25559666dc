"""Reference NumPy implementations that the tests (and scripts/fuzz.py) compare matdiff with.

Written here independently of matdiff (and of its function table), so that a test's
expected value never comes from the code under test.
"""
from __future__ import annotations

import numpy as np


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def expm(a):
    """Matrix exponential: scaling and squaring of the Taylor series."""
    a = np.asarray(a, dtype=float)
    norm = np.linalg.norm(a, 1)
    squarings = max(0, int(np.ceil(np.log2(norm))) + 1) if norm > 0.5 else 0
    b = a / 2.0 ** squarings
    term = np.eye(a.shape[0])
    out = term.copy()
    for k in range(1, 30):
        term = term @ b / k
        out = out + term
    for _ in range(squarings):
        out = out @ out
    return out
