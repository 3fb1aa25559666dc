"""vec, the commutation matrix and Kronecker-form arrays, built from their definitions in
plain NumPy (the tests' own, knowing nothing of matdiff)."""
from __future__ import annotations

import numpy as np


def vec(a):
    """Columns stacked (column-major), as matdiff's vec."""
    return np.asarray(a).reshape(-1, order="F")


def commutation(m, n):
    """K(m,n), built entry by entry from K(m,n)*vec(A) = vec(A') for A m×n."""
    k = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            k[j + n * i, i + m * j] = 1.0   # vec(A')[j + n*i] = A[i, j] = vec(A)[i + m*j]
    return k


def vec_of_tensor(t, f_axes):
    """d vec(F)/d vec(X)' from the canonical array T (F's axes first), column-major."""
    t = np.asarray(t)
    order = tuple(reversed(range(f_axes))) + tuple(reversed(range(f_axes, t.ndim)))
    return t.transpose(order).reshape(int(np.prod(t.shape[:f_axes])), -1)
