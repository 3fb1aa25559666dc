"""The Dask printer: the same closed form over ``dask.array``, for data chunked over a
cluster's memory or streamed from disk.

Large operands (the rows of X) stay chunked: matrix products, elementwise maps and
reductions are Dask's blockwise operations, and ``diag(v)*X`` is printed as a row
scaling (``v[:, None] * X``), so ``X'*diag(s)*X`` is a chunked reduction over rows and
no n×n diagonal is ever built.  Square-matrix functions (inv, det, logdet, expm, matrix
powers, the matrix of a solve) act on small matrices, in memory with NumPy; the other
side of a solve stays chunked.  The function ends
with one ``dask.compute`` of all its outputs, so shared work runs once and the results
come back as NumPy arrays; it runs on whatever scheduler is active (a
``dask.distributed`` ``Client`` included).
"""
from __future__ import annotations

from .emit import Code, Printer


class DaskPrinter(Printer):
    backend = "dask"
    F = "da"
    IMPORTS = ("import numpy as np", "import dask", "import dask.array as da")
    HELPERS = {
        "_adj": '''\
def _adj(a):
    """The adjugate of the (small) matrix in memory, from the SVD (defined where a is singular)."""
    u, s, vt = np.linalg.svd(np.asarray(a))
    own = np.eye(len(s), dtype=bool)
    others = np.prod(np.where(own, 1.0, s[None, :]), axis=1)  # Π_(j≠i) s_j
    return np.linalg.det(u) * np.linalg.det(vt) * (vt.T * others) @ u.T
''',
        "_logsumexp": '''\
def _logsumexp(a):
    """log(sum(exp(a))) over all entries, without overflow, blockwise."""
    m = a.max()
    return m + da.log(da.exp(a - m).sum())
''',
        "_softmax": '''\
def _softmax(a):
    """exp(a)/sum(exp(a)) over all entries, without overflow, blockwise."""
    e = da.exp(a - a.max())
    return e / e.sum()
''',
        "_prep": '''\
def _prep(a):
    """A Dask array stays chunked (as float); anything else becomes a NumPy array."""
    if isinstance(a, da.Array):
        return a if a.dtype.kind == "f" else a.astype(float)
    return np.asarray(a, dtype=float)
''',
        "_sigmoid": '''\
def _sigmoid(a):
    """1 / (1 + exp(-a)) without overflow, blockwise."""
    return da.exp(-da.logaddexp(0.0, -a))
''',
        "_logdet": '''\
def _logdet(a):
    """log(det(a)) via slogdet on the (small) matrix in memory; NaN where det(a) <= 0."""
    sign, logabs = np.linalg.slogdet(np.asarray(a))
    return logabs if sign > 0 else np.nan
''',
        "_solve": '''\
def _solve(a, b):
    """solve(a, b) with a small square matrix in memory; a chunked b is solved chunk by chunk
    (whole along a's side, chunked along the other)."""
    a = np.asarray(a)
    if isinstance(b, da.Array):
        return b.rechunk({0: -1}).map_blocks(lambda blk: np.linalg.solve(a, blk), dtype=float)
    return np.linalg.solve(a, b)
''',
        "_kron": '''\
def _kron(a, b):
    """kron(a, b) by broadcasting, so chunked operands stay chunked."""
    (m, n), (p, q) = a.shape, b.shape
    return (a[:, None, :, None] * b[None, :, None, :]).reshape(m * p, n * q)
''',
        "_expm": '''\
try:
    from scipy.linalg import expm as _expm
except ImportError:  # matdiff's scaling-and-squaring Pade approximant
    from matdiff.evaluate import expm as _expm
''',
    }

    def prologue(self, params):
        return [f"{p} = {self.use('_prep')}({p})" for p, _ in params]

    def epilogue(self, names):
        if not names:
            return []
        target = ", ".join(names) + ("," if len(names) == 1 else "")
        return [f"{target} = dask.compute({', '.join(names)})"]

    def scalar(self, c):
        return Code(f"np.asarray(float({c.text}))")

    # square-matrix linear algebra: small matrices, in memory
    def _dense(self, a: Code) -> Code:
        return self.call("np.asarray", a)

    def op_solve(self, op, a, b):
        return self.call(self.use("_solve"), a, b)

    def op_inv(self, op, a):
        return self.call("np.linalg.inv", self._dense(a))

    def op_det(self, op, a):
        return self.call("np.linalg.det", self._dense(a))

    def op_matpow(self, op, a):
        return self.call("np.linalg.matrix_power", self._dense(a), op.attr[0])

    def op_expm(self, op, a):
        return self.call(self.use("_expm"), self._dense(a))

    def op_kron(self, op, a, b):
        oa, ob = op.attr
        out = self.call(self.use("_kron"), self._as_2d(a, oa), self._as_2d(b, ob))
        if len(op.shape) < 2:
            out = self.suffix(out, ".reshape(-1)" if op.shape else ".reshape(())")
        return out

    TO_NUMPY = "np.asarray"
    FROM_NUMPY = "da.asarray"
