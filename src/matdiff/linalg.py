"""Numerical kernels that NumPy lacks: the matrix exponential.

Kept apart from the evaluator so that the function table (``functions.py``) and the
generated NumPy code (``from matdiff.evaluate import expm``) can share it.
"""
from __future__ import annotations

import math

import numpy as np


# ---- the matrix exponential (Higham 2005, scaling and squaring with Padé) ------

_PADE = {
    3: (120.0, 60.0, 12.0, 1.0),
    5: (30240.0, 15120.0, 3360.0, 420.0, 30.0, 1.0),
    7: (17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0),
    9: (17643225600.0, 8821612800.0, 2075673600.0, 302702400.0, 30270240.0, 2162160.0,
        110880.0, 3960.0, 90.0, 1.0),
    13: (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
         129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
         40840800.0, 960960.0, 16380.0, 182.0, 1.0),
}
_THETA = {3: 1.495585217958292e-2, 5: 2.539398330063230e-1, 7: 9.504178996162932e-1,
          9: 2.097847961257068e0, 13: 5.371920351148152e0}


def expm(a: np.ndarray) -> np.ndarray:
    """Matrix exponential of a square float64 array (Higham's scaling and squaring, Padé 13)."""
    a = np.asarray(a, dtype=np.float64)
    n = a.shape[0]
    if n == 0:
        return a.copy()
    ident = np.eye(n)
    norm1 = np.max(np.sum(np.abs(a), axis=0))
    for m in (3, 5, 7, 9):
        if norm1 <= _THETA[m]:
            b = _PADE[m]
            a2 = a @ a
            # U = A * (b1 I + b3 A^2 + ... + bm A^(m-1)),  V = b0 I + b2 A^2 + ... + b(m-1) A^(m-1)
            u = ident * b[1]
            v = ident * b[0]
            pw = ident
            for k in range(2, m + 1, 2):
                pw = pw @ a2
                u = u + b[k + 1] * pw
                v = v + b[k] * pw
            u = a @ u
            return np.linalg.solve(v - u, v + u)
    s = max(0, int(math.ceil(math.log2(norm1 / _THETA[13])))) if norm1 > _THETA[13] else 0
    a = a / (2.0 ** s)
    b = _PADE[13]
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a2 @ a4
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2
             + b[1] * ident)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * ident
    r = np.linalg.solve(v - u, v + u)
    for _ in range(s):
        r = r @ r
    return r


def commutation_matrix(m: int, n: int) -> np.ndarray:
    """K(m,n): the mn×mn permutation with K @ vec(A) = vec(A') for an m×n A (vec stacks columns)."""
    perm = np.arange(m * n).reshape(n, m).T.reshape(-1)   # vec(A')[k] = vec(A)[perm[k]]
    return np.eye(m * n)[perm]
