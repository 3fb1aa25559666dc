"""The NumPy printer: float64 arrays, ``np.linalg`` for solves and determinants."""
from __future__ import annotations

from .emit import Printer


ADJ_SOURCE = '''\
def _adj(a):
    """The adjugate, from the SVD (defined where a is singular)."""
    u, s, vt = np.linalg.svd(a)
    own = np.eye(len(s), dtype=bool)
    others = np.prod(np.where(own, 1.0, s[None, :]), axis=1)  # Π_(j≠i) s_j
    return np.linalg.det(u) * np.linalg.det(vt) * (vt.T * others) @ u.T
'''


def adj_source(lib: str) -> str:
    """The _adj helper for an array library with NumPy's API, imported as ``lib`` (np, jnp)."""
    return ADJ_SOURCE.replace("np.", f"{lib}.")


class NumpyPrinter(Printer):
    backend = "numpy"
    F = "np"
    IMPORTS = ("import numpy as np",)
    HELPERS = {
        "_logsumexp": '''\
def _logsumexp(a):
    """log(sum(exp(a))) over all entries, without overflow."""
    m = np.max(a)
    return m + np.log(np.sum(np.exp(a - m)))
''',
        "_softmax": '''\
def _softmax(a):
    """exp(a)/sum(exp(a)) over all entries, without overflow."""
    e = np.exp(a - np.max(a))
    return e / np.sum(e)
''',
        "_adj": adj_source("np"),
        "_logdet": '''\
def _logdet(a):
    """log(det(a)) via slogdet; NaN where det(a) <= 0 (the log is undefined there)."""
    sign, logabs = np.linalg.slogdet(a)
    return logabs if sign > 0 else np.nan
''',
        "_sigmoid": '''\
def _sigmoid(a):
    """1 / (1 + exp(-a)) without overflow."""
    return np.exp(-np.logaddexp(0.0, -a))
''',
        "_expm": '''\
try:
    from scipy.linalg import expm as _expm
except ImportError:  # matdiff's scaling-and-squaring Pade approximant
    from matdiff.evaluate import expm as _expm
''',
    }

    def prologue(self, params):
        return [f"{p} = np.asarray({p}, dtype=float)" for p, _ in params]

    # for the exported module's finite-difference check
    TO_NUMPY = "np.asarray"
    FROM_NUMPY = "np.asarray"
